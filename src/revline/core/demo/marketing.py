"""The demo's marketing plans and records: campaign goals, daily ad spend, PR, the content
library, products, bookable reps, creatives with every kind of call to action, and the
workspace's site origin.

Runs after the history is written (it credits existing page views to content items). Small sets
go through the services; the few hundred ad-spend days are bulk-inserted, shaped as the spend
import stores them.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from revline.campaigns.creative_services import creative_create
from revline.campaigns.models import (
    AdSpend,
    Campaign,
    Creative,
    CreativeKind,
    CtaAction,
    Objective,
    SpendSource,
)
from revline.content.library_services import content_item_create
from revline.content.models import ContentItem, ContentKind, ContentStatus, FunnelStage
from revline.core.workspace import workspace_update
from revline.pr import services as pr
from revline.pr.models import MediaContact, PressRelease, ReleaseStatus, Sentiment
from revline.quotes.services import product_create
from revline.sales.booking_services import availability_add
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink

from . import catalog
from .setup import Setup

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Plan:
    objective: str
    audience: str
    leads: int | None
    mqls: int | None
    sqls: int | None
    pipeline: int | None
    revenue: int | None


PLANS: dict[str, Plan] = {
    "search": Plan(
        Objective.PIPELINE,
        "Heads of sales and RevOps at 50–500-person B2B companies searching for a CRM switch",
        600,
        240,
        90,
        900_000,
        250_000,
    ),
    "abm": Plan(
        Objective.PIPELINE,
        "CROs and VPs of marketing in 400 named enterprise accounts (DACH, Nordics, UK)",
        150,
        80,
        40,
        1_200_000,
        350_000,
    ),
    "playbook": Plan(
        Objective.LEADS,
        "Marketing and sales operations managers building their first forecastable pipeline",
        800,
        250,
        60,
        400_000,
        None,
    ),
    "newsletter": Plan(
        Objective.PIPELINE,
        "Every opted-in contact: customers, trial users and nurtured leads",
        None,
        150,
        50,
        300_000,
        None,
    ),
    "summit": Plan(
        Objective.LEADS,
        "RevOps practitioners attending the RevOps Summit in Berlin",
        300,
        90,
        30,
        350_000,
        None,
    ),
    "partners": Plan(
        Objective.REVENUE,
        "Clients of implementation partners who are choosing a revenue platform",
        120,
        70,
        45,
        600_000,
        220_000,
    ),
    "launch": Plan(
        Objective.AWARENESS,
        "Trade press, analysts and revenue leaders following attribution tooling",
        100,
        None,
        None,
        None,
        None,
    ),
    "retargeting": Plan(
        Objective.LEADS,
        "Visitors who read a landing page in the last 30 days and did not sign up",
        250,
        100,
        30,
        250_000,
        None,
    ),
    "social": Plan(
        Objective.AWARENESS,
        "Followers of the company page: customers, prospects and candidates",
        120,
        None,
        None,
        None,
        None,
    ),
    "webinar": Plan(
        Objective.LEADS,
        "Sales managers and RevOps leads who own the quarterly forecast",
        400,
        120,
        35,
        300_000,
        None,
    ),
}

# Paid campaigns: where their spend comes from, cost per click and click-through rate ranges.
SPEND: dict[str, tuple[str, tuple[float, float], tuple[float, float]]] = {
    "search": (SpendSource.GOOGLE_ADS, (2.4, 4.2), (0.025, 0.04)),
    "abm": (SpendSource.LINKEDIN_ADS, (6.5, 9.5), (0.005, 0.009)),
    "retargeting": (SpendSource.MANUAL, (0.6, 1.1), (0.005, 0.008)),
}

MEDIA_CONTACTS = (
    ("Ada Brenner", "TechNews", "SaaS"),
    ("Ben Okafor", "TechNews", "Enterprise software"),
    ("Clara Jensen", "Revenue Weekly", "Sales operations"),
    ("Dario Conti", "Revenue Weekly", "Marketing technology"),
    ("Eva Schulte", "Handelszeit", "Business"),
    ("Farid Nasser", "Handelszeit", "Startups"),
    ("Greta Holm", "Nordic SaaS Review", "SaaS"),
    ("Hugo Martin", "MarTech Today", "Marketing technology"),
    ("Ines Vogel", "MarTech Today", "Analytics"),
    ("Jakob Lund", "The Pipeline Podcast", "Sales"),
    ("Kira Tanaka", "Cloud Insider", "Enterprise IT"),
    ("Luis Ortega", "Cloud Insider", "AI"),
    ("Mara Quinn", "B2B Growth Journal", "Growth"),
    ("Nils Becker", "Gründerblatt", "Startups"),
    ("Olga Petrova", "Analyst Notes", "CRM market"),
)

# (title, status, days ago created, campaign key, embargo days ahead)
RELEASES = (
    ("Northbeam launches multi-touch attribution", ReleaseStatus.DISTRIBUTED, 215, "launch"),
    ("Northbeam raises €18 million Series A", ReleaseStatus.DISTRIBUTED, 95, None),
    ("Northbeam opens its Stockholm office", ReleaseStatus.APPROVED, 12, None),
    ("AI forecast assistant enters public beta", ReleaseStatus.REVIEW, 8, None),
    ("Northbeam passes 500 customers", ReleaseStatus.DRAFT, 5, None),
    ("Partner programme adds 20 consultancies", ReleaseStatus.DRAFT, 2, "partners"),
)

COMPETITORS = ("Acme CRM", "Globex Sales Cloud", "Initech Revenue")
HEADLINES = (
    "Northbeam wants to end the attribution argument",
    "Closing the loop between marketing and sales",
    "Why revenue teams are switching CRMs in 2025",
    "The CRM market heats up",
    "Forecasting without spreadsheets: a hands-on look",
    "Five revenue platforms compared",
    "Attribution tools promise a lot; do they deliver?",
    "Berlin start-up takes on the CRM giants",
)

# (title, kind, days from today (negative: past), owner, persona, stage, campaign key)
CONTENT = (
    (
        "How to switch CRMs without losing history",
        ContentKind.BLOG_POST,
        -118,
        "maya",
        "RevOps lead",
        FunnelStage.AWARENESS,
        "search",
    ),
    (
        "CRM migration checklist",
        ContentKind.WHITEPAPER,
        -112,
        "maya",
        "RevOps lead",
        FunnelStage.CONSIDERATION,
        "search",
    ),
    (
        "The B2B pipeline playbook",
        ContentKind.WHITEPAPER,
        -108,
        "maya",
        "Marketing ops manager",
        FunnelStage.CONSIDERATION,
        "playbook",
    ),
    (
        "Five pipeline stages every team needs",
        ContentKind.BLOG_POST,
        -101,
        "jonas",
        "Sales manager",
        FunnelStage.AWARENESS,
        "playbook",
    ),
    (
        "Customer story: how Fjordline cut forecast error in half",
        ContentKind.CASE_STUDY,
        -95,
        "maya",
        "CRO",
        FunnelStage.DECISION,
        "abm",
    ),
    (
        "Attribution in 90 seconds",
        ContentKind.VIDEO,
        -90,
        "jonas",
        "Head of marketing",
        FunnelStage.AWARENESS,
        "social",
    ),
    (
        "Exit criteria that make forecasts honest",
        ContentKind.BLOG_POST,
        -84,
        "jonas",
        "Sales manager",
        FunnelStage.CONSIDERATION,
        "playbook",
    ),
    (
        "Why your CRM data is lying to you",
        ContentKind.BLOG_POST,
        -77,
        "maya",
        "RevOps lead",
        FunnelStage.AWARENESS,
        "search",
    ),
    (
        "Customer story: Halden Logistics on one shared funnel",
        ContentKind.CASE_STUDY,
        -70,
        "maya",
        "CRO",
        FunnelStage.DECISION,
        "abm",
    ),
    (
        "Retargeting without creeping people out",
        ContentKind.BLOG_POST,
        -63,
        "jonas",
        "Head of marketing",
        FunnelStage.AWARENESS,
        "retargeting",
    ),
    (
        "Multi-touch attribution explained",
        ContentKind.WHITEPAPER,
        -56,
        "maya",
        "Head of marketing",
        FunnelStage.CONSIDERATION,
        "search",
    ),
    (
        "Live demo: closed-loop reporting",
        ContentKind.WEBINAR,
        -49,
        "maya",
        "RevOps lead",
        FunnelStage.DECISION,
        "abm",
    ),
    (
        "Partner spotlight: Brightside Consulting",
        ContentKind.SOCIAL_POST,
        -44,
        "jonas",
        "Partner",
        FunnelStage.AWARENESS,
        "partners",
    ),
    (
        "What a good MQL definition looks like",
        ContentKind.BLOG_POST,
        -38,
        "jonas",
        "Marketing ops manager",
        FunnelStage.CONSIDERATION,
        "playbook",
    ),
    (
        "Newsletter: the quarter-end forecast issue",
        ContentKind.BLOG_POST,
        -31,
        "jonas",
        "Sales manager",
        FunnelStage.CONSIDERATION,
        "newsletter",
    ),
    (
        "Comparing CRM pricing models",
        ContentKind.BLOG_POST,
        -24,
        "maya",
        "CFO",
        FunnelStage.DECISION,
        "search",
    ),
    (
        "Behind the scenes: our product team",
        ContentKind.SOCIAL_POST,
        -18,
        "jonas",
        "Candidate",
        FunnelStage.AWARENESS,
        "social",
    ),
    (
        "Customer story: Kestrel Health's first forecastable quarter",
        ContentKind.CASE_STUDY,
        -12,
        "maya",
        "CRO",
        FunnelStage.DECISION,
        "retargeting",
    ),
    (
        "Pipeline hygiene in 15 minutes a week",
        ContentKind.VIDEO,
        -7,
        "jonas",
        "Sales manager",
        FunnelStage.CONSIDERATION,
        "playbook",
    ),
    (
        "Board-ready revenue reporting",
        ContentKind.BLOG_POST,
        -3,
        "maya",
        "CFO",
        FunnelStage.DECISION,
        "abm",
    ),
    (
        "Forecasting webinar 1: the weekly call",
        ContentKind.WEBINAR,
        5,
        "maya",
        "Sales manager",
        FunnelStage.CONSIDERATION,
        "webinar",
    ),
    (
        "Why forecasts slip in the last week",
        ContentKind.BLOG_POST,
        9,
        "jonas",
        "Sales manager",
        FunnelStage.AWARENESS,
        "webinar",
    ),
    (
        "Forecasting webinar 2: commit versus best case",
        ContentKind.WEBINAR,
        19,
        "maya",
        "Sales manager",
        FunnelStage.CONSIDERATION,
        "webinar",
    ),
    (
        "The RevOps hiring guide",
        ContentKind.WHITEPAPER,
        24,
        "maya",
        "RevOps lead",
        FunnelStage.AWARENESS,
        None,
    ),
    (
        "Customer story: a renewal pipeline that runs itself",
        ContentKind.CASE_STUDY,
        30,
        "maya",
        "CRO",
        FunnelStage.DECISION,
        "abm",
    ),
    (
        "Forecasting webinar 3: a customer's forecast",
        ContentKind.WEBINAR,
        33,
        "maya",
        "Sales manager",
        FunnelStage.DECISION,
        "webinar",
    ),
    (
        "Search ads that sell to RevOps",
        ContentKind.BLOG_POST,
        38,
        "jonas",
        "Head of marketing",
        FunnelStage.AWARENESS,
        "search",
    ),
    (
        "Partner onboarding in one video",
        ContentKind.VIDEO,
        45,
        "jonas",
        "Partner",
        FunnelStage.CONSIDERATION,
        "partners",
    ),
    (
        "Forecasting webinar 4: Q&A with our CRO",
        ContentKind.WEBINAR,
        47,
        "maya",
        "Sales manager",
        FunnelStage.DECISION,
        "webinar",
    ),
    (
        "State of revenue operations report",
        ContentKind.WHITEPAPER,
        58,
        "maya",
        "CRO",
        FunnelStage.AWARENESS,
        None,
    ),
)

PRODUCTS = (
    ("Northbeam Starter", "NB-STARTER", "49.00", "Per seat and month, billed yearly."),
    ("Northbeam Growth", "NB-GROWTH", "89.00", "Per seat and month, with attribution."),
    ("Onboarding package", "NB-ONBOARD", "2500.00", "Data migration and two training days."),
    ("Forecasting workshop", "NB-WORKSHOP", "1200.00", "A half-day workshop for sales managers."),
)

# Paid campaign: (landing page for the form CTA, rep for the meeting CTA, product SKU)
CREATIVES = {
    "search": ("crm-switch-guide", "lena", "NB-STARTER"),
    "abm": ("book-a-demo", "sam", "NB-GROWTH"),
    "retargeting": ("pipeline-playbook", "diego", "NB-WORKSHOP"),
}
BOOKABLE = ("omar", "sam", "tess", "priya", "lena", "diego")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def plan_campaigns(setup: Setup) -> None:
    for key, campaign in setup.campaigns.items():
        plan = PLANS[key]
        Campaign.objects.filter(pk=campaign.pk).update(
            objective=plan.objective,
            audience=plan.audience,
            goal_leads=plan.leads,
            goal_mqls=plan.mqls,
            goal_sqls=plan.sqls,
            goal_pipeline=Decimal(plan.pipeline) if plan.pipeline is not None else None,
            goal_revenue=Decimal(plan.revenue) if plan.revenue is not None else None,
        )


def write_spend(setup: Setup, rng: random.Random) -> int:
    """One row a day per paid campaign, adding up to 72 to 90 % of its budget."""
    today = setup.end.date()
    rows: list[AdSpend] = []
    for key, (source, cpc_range, ctr_range) in SPEND.items():
        campaign = setup.campaigns[key]
        assert campaign.start_date is not None
        last = min(campaign.end_date or today, today - timedelta(days=1))
        days = [
            campaign.start_date + timedelta(days=n)
            for n in range((last - campaign.start_date).days + 1)
        ]
        # Less is spent at weekends; budgets are paced unevenly from day to day.
        weights = [(0.45 if d.weekday() >= 5 else 1.0) * rng.uniform(0.7, 1.3) for d in days]
        total = (campaign.budget * Decimal(str(rng.uniform(0.72, 0.9)))).quantize(CENT)
        scale = total / Decimal(str(sum(weights)))
        amounts = [(scale * Decimal(str(w))).quantize(CENT, ROUND_HALF_UP) for w in weights]
        amounts[-1] += total - sum(amounts)
        for day, amount in zip(days, amounts, strict=True):
            clicks = max(1, round(float(amount) / rng.uniform(*cpc_range)))
            impressions = round(clicks / rng.uniform(*ctr_range))
            rows.append(
                AdSpend(
                    campaign=campaign,
                    date=day,
                    source=source,
                    spend=amount,
                    currency=campaign.currency,
                    impressions=impressions,
                    clicks=clicks,
                )
            )
    rows.sort(key=lambda r: (r.date, r.campaign_id))
    AdSpend.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def write_pr(setup: Setup, rng: random.Random) -> int:
    today = setup.end.date()
    maya = setup.users["maya"]
    contacts: list[MediaContact] = []
    for name, outlet, beat in MEDIA_CONTACTS:
        contact = pr.media_contact_create(
            actor=maya,
            name=name,
            outlet=outlet,
            beat=beat,
            email=f"{name.split()[0].lower()}@{_slug(outlet).replace('-', '')}.example",
            phone=f"+49 30 5550 {rng.randrange(1000, 9999)}",
            owner=maya if len(contacts) % 2 == 0 else setup.users["jonas"],
        )
        contacts.append(contact)
        MediaContact.objects.filter(pk=contact.pk).update(created_at=_at(today, 9) - timedelta(300))
    body = (
        "<p><strong>Berlin</strong> — Northbeam, the revenue-analytics platform for B2B teams, "
        "today announced {what}.</p><ul><li>One funnel from first click to closed deal</li>"
        "<li>Attribution every team can check</li></ul><blockquote>“Marketing and sales finally "
        "look at the same numbers.” — Alex Morgan, CEO</blockquote>"
        '<p>More at <a href="https://www.northbeam.example">northbeam.example</a>.</p>'
    )
    releases: list[PressRelease] = []
    for title, status, days_ago, campaign_key in RELEASES:
        created = _at(today - timedelta(days=days_ago), 9)
        release = pr.press_release_create(
            actor=maya,
            title=title,
            body=body.format(what=title[0].lower() + title[1:]),
            summary=f"Northbeam announces: {title}.",
            campaign=setup.campaigns[campaign_key] if campaign_key else None,
        )
        PressRelease.objects.filter(pk=release.pk).update(created_at=created)
        if status != ReleaseStatus.DRAFT:
            pr.press_release_transition(
                actor=maya,
                release=release,
                to_status=ReleaseStatus.REVIEW,
                at=created + timedelta(days=1),
            )
        if status in (ReleaseStatus.APPROVED, ReleaseStatus.DISTRIBUTED):
            pr.press_release_transition(
                actor=setup.users["admin"],
                release=release,
                to_status=ReleaseStatus.APPROVED,
                at=created + timedelta(days=2),
            )
        if status == ReleaseStatus.DISTRIBUTED:
            pr.press_release_distribute(
                actor=maya,
                release=release,
                recipients=rng.sample(contacts, 8),
                at=created + timedelta(days=5),
            )
        releases.append(release)
    launch, funding = releases[0], releases[1]
    launch_day = today - timedelta(days=210)
    funding_day = today - timedelta(days=90)
    covers: PressRelease | None
    for index in range(40):
        if index < 9:
            day, covers = launch_day + timedelta(days=rng.randrange(0, 20)), launch
        elif index < 15:
            day, covers = funding_day + timedelta(days=rng.randrange(0, 10)), funding
        else:
            day, covers = today - timedelta(days=rng.randrange(1, 360)), None
        about = covers is not None or rng.random() < 0.7
        named = rng.sample(COMPETITORS, rng.choice((0, 0, 1, 1, 2) if about else (1, 2, 3)))
        author = rng.choice(contacts)
        title = rng.choice(HEADLINES)
        pr.coverage_create(
            actor=maya,
            outlet=author.outlet,
            title=title,
            url=f"https://{_slug(author.outlet).replace('-', '')}.example/{day:%Y/%m}/"
            f"{_slug(title)}-{index}",
            published_on=day,
            reach=rng.choice((4_000, 12_000, 35_000, 90_000, 250_000)),
            sentiment=rng.choice(
                (Sentiment.POSITIVE, Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE)
            ),
            about_us=about,
            competitors=named,
            release=covers,
            campaign=setup.campaigns["launch"] if covers is launch else None,
            media_contact=author if index % 3 else None,
        )
    return len(contacts)


def write_content(setup: Setup, rng: random.Random) -> int:
    """The content library, and page views credited to published items of the same campaign."""
    today = setup.end.date()
    items: list[ContentItem] = []
    for title, kind, offset, owner, persona, stage, campaign_key in CONTENT:
        day = today + timedelta(days=offset)
        if offset <= 0:
            status = ContentStatus.PUBLISHED
        elif offset <= 20:
            status = ContentStatus.SCHEDULED
        elif offset <= 40:
            status = rng.choice((ContentStatus.IN_REVIEW, ContentStatus.DRAFT))
        else:
            status = rng.choice((ContentStatus.DRAFT, ContentStatus.IDEA))
        section = {
            ContentKind.BLOG_POST: "blog",
            ContentKind.CASE_STUDY: "customers",
            ContentKind.WHITEPAPER: "resources",
            ContentKind.VIDEO: "videos",
            ContentKind.WEBINAR: "webinars",
            ContentKind.SOCIAL_POST: "social",
        }[kind]
        item = content_item_create(
            actor=setup.users[owner],
            title=title,
            kind=kind,
            status=status,
            owner=setup.users[owner],
            persona=persona,
            funnel_stage=stage,
            campaign=setup.campaigns[campaign_key] if campaign_key else None,
            url=f"{catalog.VENDOR_SITE}/{section}/{_slug(title)}"
            if status != ContentStatus.IDEA
            else "",
            publish_date=day if status != ContentStatus.IDEA else None,
            summary=f"{ContentKind(kind).label} for {persona.lower()}s: {title.lower()}.",
        )
        ContentItem.objects.filter(pk=item.pk).update(
            created_at=_at(min(day, today) - timedelta(days=21), 11)
        )
        items.append(item)
    by_campaign: dict[int, list[ContentItem]] = {}
    for item in items:
        if item.status == ContentStatus.PUBLISHED and item.campaign_id is not None:
            by_campaign.setdefault(item.campaign_id, []).append(item)
    for campaign_id, group in by_campaign.items():
        views = list(
            Touchpoint.objects.filter(
                campaign_id=campaign_id,
                kind=TouchpointKind.PAGE_VIEW,
                content_item=None,
                occurred_at__date__gte=min(i.publish_date for i in group if i.publish_date),
            )
            .order_by("occurred_at", "pk")
            .values_list("pk", "occurred_at")
        )
        credited: dict[int, list[int]] = {}
        for pk, occurred in views:
            live = [i for i in group if i.publish_date and i.publish_date <= occurred.date()]
            if live and rng.random() < 0.45:
                credited.setdefault(rng.choice(live).pk, []).append(pk)
        for item_pk, pks in credited.items():
            Touchpoint.objects.filter(pk__in=pks).update(content_item_id=item_pk)
    return len(items)


def write_ctas(setup: Setup) -> int:
    """Products, bookable reps and one creative per call to action on every paid campaign."""
    admin = setup.users["admin"]
    products = {
        sku: product_create(
            actor=None,
            name=name,
            sku=sku,
            price=Decimal(price),
            currency="EUR",
            description=description,
        )
        for name, sku, price, description in PRODUCTS
    }
    for username in BOOKABLE:
        rep = setup.users[username]
        for weekday in range(5):
            for start, end in ((time(9), time(12)), (time(14), time(17))):
                availability_add(
                    actor=rep,
                    user=rep,
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    slot_minutes=30,
                    time_zone="Europe/Berlin",
                )
    created = 0
    for key, (page_slug, rep_name, sku) in CREATIVES.items():
        campaign = setup.campaigns[key]
        kind = CreativeKind.BANNER if campaign.channel == "display" else CreativeKind.AD
        page = setup.pages[page_slug]
        specs = (
            (f"{page.title} ad", page.cta_label, CtaAction.FORM, page.headline),
            (
                "Meet a specialist",
                "Book a meeting",
                CtaAction.BOOK_MEETING,
                "Talk to a revenue specialist for 30 minutes",
            ),
            (
                f"Buy {products[sku].name}",
                "Buy now",
                CtaAction.BUY_NOW,
                f"{products[sku].name}: start today",
            ),
        )
        for name, label, action, headline in specs:
            creative = creative_create(
                actor=setup.users[campaign.owner.username] if campaign.owner else admin,
                campaign=campaign,
                name=name,
                kind=kind,
                cta_label=label,
                cta_action=action,
                headline=headline,
                landing_page=page,
                booking_user=setup.users[rep_name],
                product=products[sku],
            )
            Creative.objects.filter(pk=creative.pk).update(created_at=campaign.created_at)
            assert creative.link_id is not None  # creative_create always mints the link
            TrackedLink.objects.filter(pk=creative.link_id).update(created_at=campaign.created_at)
            created += 1
    return created


def write_site(setup: Setup) -> None:
    workspace_update(
        actor=setup.users["admin"],
        site_origins=catalog.VENDOR_SITE,
        tracking_requires_consent=False,
    )


def write_marketing(setup: Setup, seed: int) -> dict[str, int]:
    rng = random.Random(seed + 1)
    plan_campaigns(setup)
    counts = {
        "spend days": write_spend(setup, rng),
        "media contacts": write_pr(setup, rng),
        "content items": write_content(setup, rng),
        "creatives": write_ctas(setup),
    }
    write_site(setup)
    return counts
