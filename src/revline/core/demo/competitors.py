"""Demo competitors: full profiles and battlecards, the deals they are involved in, and PR
coverage naming them (run after the sales workbench, which created the competitors and the
competitor each lost deal went to).

The story the report should tell: Pipedrift (a light, cheap tool) turns up most and we win more
often than not against it; Hubbub CRM (the big suite) wins most of the deals it is in. About a
quarter of the open deals record a competitor, more of the closed ones.
"""

import random
from datetime import datetime, timedelta

from revline.competitors.services import competitor_create
from revline.pr.models import Coverage, Sentiment
from revline.pr.services import coverage_create
from revline.sales.models import Competitor, Deal, DealStatus

PROFILES: list[dict[str, str]] = [
    {
        "name": "Pipedrift",
        "website": "https://pipedrift.example",
        "positioning": "A simple pipeline board for small sales teams; sells self-serve, "
        "monthly, per seat.",
        "strengths": "Quick to set up: a team is live in an afternoon\nClean, well-liked board\n"
        "Low entry price",
        "weaknesses": "No marketing: no campaigns, forms or attribution\nReporting stops at "
        "the pipeline\nNo quotes or approvals",
        "pricing_notes": "€19–€59 per seat per month; discounts only on annual plans (about 15 %).",
        "how_to_win": "Lead with the closed loop: show which campaigns produced the deals on "
        "their board.\nBring marketing into the demo; Pipedrift has nothing for them.\n"
        "Price the whole team: two tools (CRM + marketing) cost more than Revline.",
        "landmines": "How will you know which campaign a deal came from?\nWhere do your quotes "
        "and discount approvals live today?\nWhat happens when marketing needs lead scores?",
        "proof_points": "Northwind Outfitters moved from Pipedrift + a mail tool: one system, "
        "18 % more pipeline credited to campaigns.\nHand-off SLA report: MQL follow-up in under "
        "a day at Lumen Labs.",
    },
    {
        "name": "Hubbub CRM",
        "website": "https://hubbub.example",
        "positioning": "The all-in-one marketing and sales suite for mid-market and "
        "enterprise, sold top-down with a large partner network.",
        "strengths": "Brand everyone knows\nDeep marketing automation\nHuge app marketplace",
        "weaknesses": "Expensive, and tiers lock key features (attribution, forecasting)\n"
        "Months of onboarding, often with a paid partner\nData must live in their cloud",
        "pricing_notes": "Professional tier from €800/month for 5 seats; enterprise from "
        "€3,600/month. Onboarding fee €3,000+. Gives 20–30 % at quarter end.",
        "how_to_win": "Make it about total cost and time to value: Revline is live in days, "
        "self-hosted, no onboarding fee.\nShow attribution and forecasting in the base product.\n"
        "Involve IT early when data residency matters.",
        "landmines": "Which tier includes multi-touch attribution and forecasting?\nWhat does "
        "onboarding cost and how long does it take?\nCan you host it in your own data centre?",
        "proof_points": "Contoso Health chose Revline over Hubbub for data residency: live "
        "in 3 weeks.\nTotal 3-year cost 55 % lower in the Fabrikam comparison.",
    },
    {
        "name": "SalesNest",
        "website": "https://salesnest.example",
        "positioning": "A sales-only CRM for growing B2B teams, strong on forecasting and "
        "activity tracking.",
        "strengths": "Good forecasting and quota views\nSolid mobile app\nGood email sync",
        "weaknesses": "Marketing is an add-on from a partner\nNo landing pages or forms\n"
        "Objection and win/loss analysis are basic",
        "pricing_notes": "€49–€99 per seat per month; marketing add-on €300/month extra.",
        "how_to_win": "Win the marketing leader: SalesNest leaves them with another tool.\n"
        "Demo the objection library and win/loss by competitor.\nOffer a pilot with the "
        "sales team on the pipeline board.",
        "landmines": "How does marketing see which leads became revenue?\nWho owns the "
        "integration between the two tools?\nHow do reps learn which objection answers work?",
        "proof_points": "Adatum cut tool spend by a third replacing SalesNest + a marketing "
        "add-on.\nWin rate on price objections up 9 points in two quarters at Tailspin.",
    },
    {
        "name": "Closewise",
        "website": "https://closewise.example",
        "positioning": "An AI-first sales assistant that promises to close deals faster; "
        "aggressive founders-led selling.",
        "strengths": "Flashy AI demo\nDiscounts hard to win logos\nFast, responsive sales team",
        "weaknesses": "Young product: thin reporting, no marketing features\nAI "
        "suggestions are a black box\nSmall customer base; reference calls are hard to get",
        "pricing_notes": "List €120 per seat per month, but first-year discounts of 40–50 % "
        "are common; renewals jump to list.",
        "how_to_win": "Ask for the renewal price in writing.\nShow explainable lead scores "
        "and the reasons behind every number.\nOffer two customer references in the buyer's "
        "industry.",
        "landmines": "What will year two cost?\nCan you see why the AI recommended an "
        "action?\nHow many customers of our size use it today?",
        "proof_points": "Three customers came back from Closewise after their first renewal.\n"
        "Predictive scores with their top factors shown on every contact.",
    },
]
# How likely each competitor is chosen on a won, a lost and an open deal (PROFILES order, then
# any other competitor): the report shows a clear spread of win rates.
WEIGHTS = {
    DealStatus.WON: [6, 1, 3, 1],
    DealStatus.LOST: [1, 4, 2, 3],
    DealStatus.OPEN: [3, 3, 3, 2],
}
# Share of the deals not lost to a competitor that record one. Many lost deals already went to
# one (objections.py); won deals get a larger share so that wins against competitors show too.
INVOLVED_SHARE = {DealStatus.WON: 0.4, DealStatus.LOST: 0.25, DealStatus.OPEN: 0.25}
SECOND_SHARE = 0.2
COVERAGE = [
    ("TechRadar Business", "Hubbub CRM raises prices on its professional tier", ["Hubbub CRM"]),
    ("SaaS Weekly", "Closewise bets on AI to close deals faster", ["Closewise"]),
    ("The Revenue Desk", "Five CRMs for small teams, compared", ["Pipedrift", "SalesNest"]),
    ("Nordic Startups", "SalesNest adds a marketing add-on", ["SalesNest"]),
    ("SaaS Weekly", "Self-hosted revenue platforms gain ground", ["Hubbub CRM", "Pipedrift"]),
    ("Growth Notes", "Closewise customers question renewal prices", ["Closewise"]),
]


def _competitors() -> list[Competitor]:
    """The profiled competitors in PROFILES order, created or completed where needed."""
    found = []
    for profile in PROFILES:
        competitor = Competitor.objects.filter(name__iexact=profile["name"]).first()
        if competitor is None:
            competitor = competitor_create(actor=None, **profile)
        elif not competitor.how_to_win:
            for field, value in profile.items():
                setattr(competitor, field, value)
            competitor.save()
        found.append(competitor)
    return found


def build_competitors(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Battlecards for four competitors, each lost deal's competitor involved in it, about a
    quarter of the other deals with one or two competitors, and coverage naming them."""
    profiled = _competitors()
    others = list(Competitor.objects.exclude(pk__in=[c.pk for c in profiled]).order_by("pk"))
    Involvement = Deal.competitors.through
    taken = set(Involvement.objects.values_list("deal_id", "competitor_id"))
    links: list[tuple[int, int]] = []
    for pk, status, lost_to_id in Deal.objects.order_by("pk").values_list(
        "pk", "status", "lost_to_id"
    ):
        chosen: list[int] = [lost_to_id] if lost_to_id is not None else []
        if not chosen and rng.random() < INVOLVED_SHARE[DealStatus(status)]:
            pool = profiled + others
            weights = WEIGHTS[DealStatus(status)] + [1] * len(others)
            chosen.append(rng.choices(pool, weights=weights)[0].pk)
        if chosen and rng.random() < SECOND_SHARE:
            chosen.append(rng.choice(profiled).pk)
        for competitor_id in dict.fromkeys(chosen):
            if (pk, competitor_id) not in taken:
                taken.add((pk, competitor_id))
                links.append((pk, competitor_id))
    Involvement.objects.bulk_create(
        [Involvement(deal_id=d, competitor_id=c) for d, c in links], batch_size=1000
    )
    today = now.date()
    coverage = 0
    for index, (outlet, title, names) in enumerate(COVERAGE):
        url = f"https://{outlet.lower().replace(' ', '')}.example/competitors/{index + 1}"
        if Coverage.objects.filter(url=url).exists():
            continue  # built before
        coverage_create(
            actor=None,
            outlet=outlet,
            title=title,
            url=url,
            published_on=today - timedelta(days=12 + index * 41 + rng.randrange(0, 20)),
            reach=rng.choice((8_000, 25_000, 60_000)),
            sentiment=rng.choice((Sentiment.NEUTRAL, Sentiment.NEUTRAL, Sentiment.NEGATIVE)),
            about_us=index == 4,
            competitors=names,
        )
        coverage += 1
    return {"battlecards": len(profiled), "deal_links": len(links), "coverage": coverage}
