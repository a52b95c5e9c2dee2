"""Demo feedback inbox: what sales already recorded (lost deals, objections, deal notes), plus
feedback reps wrote down from calls, then themes found at once.

The call notes fall into four themes the themes page should show clearly: price and cost,
onboarding and support, reporting, and integrations. Integrations grow over the year and price
fades, so the trend lines move; most price remarks come from deals later lost.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from revline.core.models import Role, User
from revline.feedback.models import FeedbackItem, FeedbackSource, RunStatus, Topic
from revline.feedback.selectors import feedback_topic_get
from revline.feedback.services import (
    feedback_collect_existing,
    feedback_create,
    themes_extract_now,
    topic_rename,
)
from revline.people.models import Contact
from revline.sales.models import Deal, DealStatus

# (theme, friendly name, words that identify the found topic, subjects, what was said of them)
THEMES: list[tuple[str, str, set[str], list[str], list[str]]] = [
    (
        "price",
        "Price and cost",
        {"price", "pricing", "cost", "expensive", "licence", "seat"},
        [
            "The price per seat",
            "The pricing",
            "The licence price",
            "The seat cost",
            "The annual price",
            "The price of the enterprise plan",
        ],
        [
            "is too expensive; the cost is hard to justify.",
            "is a higher price than the alternatives.",
            "needs a discount, the cost doubled our budget.",
            "is a fair price, good value for the cost.",
        ],
    ),
    (
        "support",
        "Onboarding and support",
        {"onboarding", "support", "training", "setup"},
        [
            "Onboarding support",
            "The onboarding training",
            "Support during onboarding",
            "The support team",
            "Onboarding for new admins",
            "Setup and onboarding support",
        ],
        [
            "was smooth; support answered within an hour.",
            "was slow; onboarding took too long.",
            "needs more training and a support contact.",
            "was excellent, great onboarding trainer.",
        ],
    ),
    (
        "reporting",
        "Reporting",
        {"reporting", "report", "reports", "dashboard", "dashboards", "export"},
        [
            "The reporting dashboards",
            "The attribution report",
            "Custom reports",
            "Reporting by region",
            "The pipeline report",
            "Dashboard reporting",
        ],
        [
            "is great; the CFO reads the report every week.",
            "is too limited; they want custom dashboards.",
            "should export the report to Excel.",
            "is confusing, the dashboards load slowly.",
        ],
    ),
    (
        "integrations",
        "Integrations",
        {"integration", "integrations", "api", "sync", "erp", "salesforce"},
        [
            "The ERP integration",
            "The Salesforce integration",
            "The API integration",
            "The Slack integration",
            "The data warehouse integration",
            "The billing system integration",
        ],
        [
            "is required before they switch; the API sync matters.",
            "failed to sync twice this month.",
            "needs webhooks in the API for the sync.",
            "works well, an easy API integration.",
        ],
    ),
]
OPENERS = ["", "On the call: ", "Customer said: ", "From the QBR: ", "Feedback from the demo: "]
PER_THEME = 40
DAYS = 365


def _weight(theme: str, age_days: float) -> float:
    """How likely a remark of `theme` is at that age: integrations grow, price fades."""
    recent = 1 - age_days / DAYS
    return {"integrations": 0.4 + recent, "price": 1.4 - recent}.get(theme, 1.0)


def _age(rng: random.Random, theme: str) -> float:
    while True:
        age = rng.uniform(0, DAYS)
        if rng.random() < _weight(theme, age) / 1.4:
            return age


def build_feedback(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Collect what sales recorded, add call feedback in four themes, find the themes."""
    collected = feedback_collect_existing()
    authors = list(
        User.objects.filter(role__in=(Role.SALES_REP, Role.SALES_MANAGER)).order_by("pk")
    ) or list(User.objects.filter(is_superuser=True).order_by("pk")[:1])
    admin = (
        User.objects.filter(role=Role.ADMIN).order_by("pk").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )
    contacts = list(Contact.objects.filter(company__isnull=False).order_by("pk")[:400])
    deals = Deal.objects.select_related("owner").order_by("pk")
    lost = list(deals.filter(status=DealStatus.LOST)[:200])
    open_or_won = list(deals.exclude(status=DealStatus.LOST)[:400])
    manual = 0
    if authors and not FeedbackItem.objects.filter(source=FeedbackSource.MANUAL).exists():
        for theme, _, _, subjects, predicates in THEMES:
            for _ in range(PER_THEME):
                age = _age(rng, theme)
                deal = None
                pool = lost if theme == "price" and rng.random() < 0.6 else open_or_won
                if pool and rng.random() < 0.6:
                    deal = rng.choice(pool)
                contact = None if deal is not None or not contacts else rng.choice(contacts)
                author = rng.choice(authors)
                feedback_create(
                    actor=deal.owner if deal is not None and deal.owner else author,
                    text=f"{rng.choice(OPENERS)}{rng.choice(subjects)} {rng.choice(predicates)}",
                    occurred_at=now - timedelta(days=age, minutes=rng.randint(0, 600)),
                    contact=contact,
                    deal=deal,
                )
                manual += 1
    run = themes_extract_now(now=now)
    if run.status == RunStatus.DONE and admin is not None:
        _name_topics(admin)
    return {
        **{f"feedback from {source.replace('_', ' ')}": n for source, n in collected.items()},
        "call feedback": manual,
        "topics": run.topic_count,
    }


def _name_topics(actor: User) -> None:
    """Give the found topics of the four themes their plain names, as a marketer would."""
    taken: set[int] = set()
    for _, name, words, _, _ in THEMES:
        best: tuple[int, int] | None = None
        for topic in Topic.objects.order_by("pk"):
            if topic.pk in taken:
                continue
            hits = sum(1 for term in topic.top_terms[:4] for w in term.split() if w in words)
            if hits and (best is None or hits > best[0]):
                best = (hits, topic.pk)
        if best is None:
            continue
        found = feedback_topic_get(pk=best[1])
        if found is not None and found.name != name:
            topic_rename(actor=actor, topic=found, name=name)
        taken.add(best[1])
