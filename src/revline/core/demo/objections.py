"""Demo objections, close reasons and competitors, on top of the demo's deals (run after
write_sales and write_marketing).

The patterns the reports should show: price comes up most and is usually overcome; competitor
and need objections mark deals that are mostly lost; of each type's responses the first tends to
precede wins and the last losses. Closed deals get a reason from the workspace's lists, and
about half of the lost ones a competitor.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from revline.competitors.services import competitor_create
from revline.content.models import ContentItem
from revline.sales.models import (
    CloseReason,
    Competitor,
    Deal,
    DealStageChange,
    DealStatus,
    Objection,
    ObjectionOutcome,
    ObjectionResponse,
    ObjectionType,
    StageKind,
)
from revline.sales.objection_services import objection_types_ensure_defaults

RESPONSES: dict[str, list[tuple[str, str]]] = {
    "Price": [
        ("Quantify the ROI", "Walk through the payback calculation with their own numbers."),
        ("Compare total cost", "Show licences, set-up and running costs against the status quo."),
        ("Offer a discount", "A one-off discount for signing this quarter."),
    ],
    "Budget": [
        ("Find budget elsewhere", "Which team's budget funds what this replaces?"),
        ("Phase the rollout", "Start with one team this year, the rest next year."),
        ("Wait for the new budget", "Agree to revisit when the new budget year opens."),
    ],
    "Timing": [
        ("Cost of waiting", "Put a number on each month without a solution."),
        ("Plan a light start", "A pilot that needs two hours a week of their time."),
    ],
    "Competitor": [
        ("Side-by-side trial", "Run both tools on the same real use case for two weeks."),
        ("Customer reference", "Introduce a customer who switched from that competitor."),
        ("Match their price", "Match the competitor's offer."),
    ],
    "Authority": [
        ("Map the committee", "Ask who else decides, and how they decided last time."),
        ("Executive briefing", "Offer a short briefing for the decision maker."),
    ],
    "Need": [
        ("Share a case study", "A customer with the same problem, and what changed for them."),
        ("Run a discovery workshop", "Find the pain together with the team that feels it."),
        ("Send more material", "Send the product brochure."),
    ],
    "Trust": [
        ("Security pack", "SOC 2 report, DPA and the security questionnaire, answered."),
        ("Reference call", "A call with a customer of the same size."),
    ],
    "Product fit": [
        ("Show the workaround", "Demonstrate how customers solve it today."),
        ("Share the roadmap", "When the missing feature ships, and how to get early access."),
        ("Custom development", "Offer to build it for them."),
    ],
}

COMPETITORS = [
    ("Pipedrift", "https://pipedrift.example"),
    ("Hubbub CRM", "https://hubbub.example"),
    ("SalesNest", "https://salesnest.example"),
    ("Closewise", "https://closewise.example"),
    ("Funnelry", "https://funnelry.example"),
]

# How likely each type comes up on a won, a lost and an open deal.
LIKELIHOOD: dict[str, tuple[float, float, float]] = {
    "Price": (0.45, 0.45, 0.35),
    "Budget": (0.12, 0.3, 0.12),
    "Timing": (0.15, 0.25, 0.15),
    "Competitor": (0.07, 0.4, 0.12),
    "Authority": (0.1, 0.15, 0.08),
    "Need": (0.04, 0.22, 0.08),
    "Trust": (0.1, 0.1, 0.06),
    "Product fit": (0.06, 0.18, 0.07),
}
# Chance an objection was overcome on a won / lost deal.
OVERCOME = {DealStatus.WON: 0.85, DealStatus.LOST: 0.3}
PRICE_OVERCOME_BONUS = 0.1

WON_REASONS = [("Best product fit", 4), ("Price and value", 3), ("Relationship", 2)]
LOST_REASONS = [
    ("Price", 3),
    ("No budget", 2),
    ("Timing", 2),
    ("Went with a competitor", 3),
    ("No decision", 2),
    ("Product fit", 1),
]
COMPETITOR_WEIGHTS = [4, 3, 2, 1, 1]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in pairs], weights=[w for _, w in pairs])[0]


def _library(rng: random.Random) -> dict[str, tuple[ObjectionType, list[ObjectionResponse]]]:
    objection_types_ensure_defaults()
    content = list(ContentItem.objects.order_by("pk"))
    library = {}
    for objection_type in ObjectionType.objects.filter(is_active=True).order_by("position"):
        responses = list(objection_type.responses.filter(is_active=True).order_by("position"))
        if not responses:
            responses = ObjectionResponse.objects.bulk_create(
                ObjectionResponse(
                    objection_type=objection_type, title=title, body=body, position=i * 10
                )
                for i, (title, body) in enumerate(RESPONSES.get(objection_type.name, []), 1)
            )
        if content and not objection_type.content.exists():
            objection_type.content.set(rng.sample(content, k=min(len(content), rng.randint(1, 2))))
        library[objection_type.name] = (objection_type, responses)
    return library


def _close_reasons(rng: random.Random, deals: list[Deal], competitors: list[Competitor]) -> None:
    reasons = {(r.kind, r.name): r for r in CloseReason.objects.filter(is_active=True)}
    changed = []
    for deal in deals:
        if deal.close_reason_id is not None:
            continue
        won = deal.status == DealStatus.WON
        kind = StageKind.WON if won else StageKind.LOST
        deal.close_reason = reasons.get(
            (kind, _weighted(rng, WON_REASONS if won else LOST_REASONS))
        )
        if not won and (
            (deal.close_reason and deal.close_reason.name == "Went with a competitor")
            or rng.random() < 0.25
        ):
            deal.lost_to = rng.choices(competitors, weights=COMPETITOR_WEIGHTS)[0]
        changed.append(deal)
    Deal.objects.bulk_update(changed, ["close_reason", "lost_to"], batch_size=500)


def _pick_response(
    rng: random.Random, responses: list[ObjectionResponse], outcome_good: bool
) -> ObjectionResponse | None:
    if not responses or rng.random() < 0.15:
        return None
    # The first response leans towards wins, the last towards losses.
    n = len(responses)
    weights = [(n - i) if outcome_good else (i + 1) for i in range(n)]
    return rng.choices(responses, weights=weights)[0]


def build_objections(*, rng: random.Random, now: datetime) -> None:
    """Library responses and content, 5 competitors, close reasons on closed deals, objections."""
    library = _library(rng)
    competitors = [
        Competitor.objects.filter(name=name).first()
        or competitor_create(actor=None, name=name, website=site)
        for name, site in COMPETITORS
    ]
    deals = list(Deal.objects.select_related("close_reason").order_by("pk"))
    _close_reasons(rng, [d for d in deals if d.status != DealStatus.OPEN], competitors)
    if Objection.objects.exists():
        return
    entered: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for deal_id, stage_id, at in (
        DealStageChange.objects.filter(to_stage__kind=StageKind.OPEN)
        .order_by("changed_at", "pk")
        .values_list("deal_id", "to_stage_id", "changed_at")
    ):
        entered[deal_id].append((stage_id, at))
    rows = []
    for deal in deals:
        stages = entered.get(deal.pk)
        if not stages:
            continue
        column = {DealStatus.WON: 0, DealStatus.LOST: 1}.get(deal.status, 2)  # type: ignore[call-overload]
        end = deal.closed_at or now
        for name, (objection_type, responses) in library.items():
            if rng.random() >= LIKELIHOOD.get(name, (0.05, 0.1, 0.05))[column]:
                continue
            # Price and competitor come up late (proposal, negotiation), the rest anywhere.
            late = name in ("Price", "Competitor")
            stage_id, entered_at = stages[-1] if late and rng.random() < 0.7 else rng.choice(stages)
            raised_at = min(entered_at + timedelta(hours=rng.randint(2, 24 * 6)), end)
            if deal.status == DealStatus.OPEN:
                outcome = rng.choice(
                    [
                        ObjectionOutcome.OPEN,
                        ObjectionOutcome.OVERCOME,
                        ObjectionOutcome.NOT_OVERCOME,
                    ]
                )
            else:
                chance = OVERCOME[deal.status] + (PRICE_OVERCOME_BONUS if name == "Price" else 0)  # type: ignore[index]
                outcome = (
                    ObjectionOutcome.OVERCOME
                    if rng.random() < chance
                    else ObjectionOutcome.NOT_OVERCOME
                )
            good = deal.status == DealStatus.WON or (
                deal.status == DealStatus.OPEN and outcome == ObjectionOutcome.OVERCOME
            )
            response = _pick_response(rng, responses, good)
            rows.append(
                Objection(
                    deal=deal,
                    objection_type=objection_type,
                    buyer_words=rng.choice(BUYER_WORDS.get(name, [""])),
                    stage_id=stage_id,
                    response=response,
                    response_notes="",
                    outcome=outcome,
                    raised_at=raised_at,
                    logged_by_id=deal.owner_id,
                )
            )
    Objection.objects.bulk_create(rows, batch_size=500)


BUYER_WORDS: dict[str, list[str]] = {
    "Price": [
        "It's more than we hoped to spend.",
        "Your competitor quoted us 20 % less.",
        "We can't justify that per seat.",
    ],
    "Budget": ["There's no budget left this year.", "Finance froze all new tools."],
    "Timing": ["Let's talk again after the reorganisation.", "Not before Q3."],
    "Competitor": ["We're already trialling another tool.", "Our sister company uses a rival."],
    "Authority": ["I'll need to run this by our CFO.", "The board decides tools like this."],
    "Need": ["Our spreadsheets work fine.", "I'm not sure we have that problem."],
    "Trust": ["How do we know you'll be around in three years?", "Is our data safe with you?"],
    "Product fit": ["We need the SAP integration.", "It doesn't handle our approval flow."],
}
