"""The fixed ingredients of the demo workspace: people, names, campaigns, pages and phrases.

The demo's business is "Northbeam", a made-up company selling revenue-analytics software to
other businesses. Every domain and e-mail address ends in the reserved `.example` top-level
domain (RFC 2606), so no message sent from the demo can ever reach a real person.
"""

from dataclasses import dataclass
from decimal import Decimal

from revline.campaigns.models import CampaignStatus, Channel
from revline.core.models import Role
from revline.people.models import CompanySize
from revline.sales.models import StageKind

VENDOR_SITE = "https://www.northbeam.example"
VENDOR_DOMAIN = "northbeam.example"
DEMO_PASSWORD = "revline-demo"  # noqa: S105 (documented, printed by `revline run`)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str | None
    label: str


TEAM_ENTERPRISE = "Enterprise"
TEAM_MIDMARKET = "Mid-market"
TEAMS = (TEAM_ENTERPRISE, TEAM_MIDMARKET)

USERS = (
    DemoUser("admin", "Alex", "Morgan", Role.ADMIN, None, "Admin"),
    DemoUser("maya", "Maya", "Fischer", Role.MARKETER, None, "Marketer"),
    DemoUser("jonas", "Jonas", "Berg", Role.MARKETER, None, "Marketer"),
    DemoUser(
        "omar",
        "Omar",
        "Haddad",
        Role.SALES_MANAGER,
        TEAM_ENTERPRISE,
        "Sales manager, Enterprise team",
    ),
    DemoUser("sam", "Sam", "Okafor", Role.SALES_REP, TEAM_ENTERPRISE, "Sales rep, Enterprise team"),
    DemoUser(
        "tess", "Tess", "Lindqvist", Role.SALES_REP, TEAM_ENTERPRISE, "Sales rep, Enterprise team"
    ),
    DemoUser(
        "priya",
        "Priya",
        "Nair",
        Role.SALES_MANAGER,
        TEAM_MIDMARKET,
        "Sales manager, Mid-market team",
    ),
    DemoUser(
        "lena", "Lena", "Kowalski", Role.SALES_REP, TEAM_MIDMARKET, "Sales rep, Mid-market team"
    ),
    DemoUser(
        "diego", "Diego", "Ramos", Role.SALES_REP, TEAM_MIDMARKET, "Sales rep, Mid-market team"
    ),
)

RENEWAL_STAGES: list[tuple[str, int, str]] = [
    ("Renewal due", 60, StageKind.OPEN),
    ("Terms agreed", 85, StageKind.OPEN),
    ("Renewed", 100, StageKind.WON),
    ("Churned", 0, StageKind.LOST),
]

# How a campaign's touches are recorded: web clicks on tracked links, e-mails, event check-ins
# or visits from press coverage.
WEB, MAIL, EVENT, PRESS = "web", "mail", "event", "press"


@dataclass(frozen=True)
class DemoCampaign:
    key: str
    name: str
    channel: str
    status: str
    start_days_ago: int
    end_days_ago: int | None
    budget: Decimal
    owner: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    description: str
    touch: str
    acquire_weight: int
    nurture_weight: int
    referrer: str


CAMPAIGNS = (
    DemoCampaign(
        "search",
        "Evergreen search: CRM switch",
        Channel.PAID_SEARCH,
        CampaignStatus.ACTIVE,
        420,
        None,
        Decimal("36000.00"),
        "maya",
        "google",
        "cpc",
        "crm-switch",
        "Always-on search ads for people comparing CRMs and looking to migrate.",
        WEB,
        30,
        8,
        "https://www.google.com/",
    ),
    DemoCampaign(
        "abm",
        "LinkedIn ABM: enterprise accounts",
        Channel.PAID_SOCIAL,
        CampaignStatus.COMPLETED,
        250,
        40,
        Decimal("28000.00"),
        "jonas",
        "linkedin",
        "paid_social",
        "abm-enterprise",
        "Sponsored posts aimed at revenue leaders in 400 target accounts.",
        WEB,
        18,
        6,
        "https://www.linkedin.com/",
    ),
    DemoCampaign(
        "playbook",
        "Pipeline Playbook e-book",
        Channel.CONTENT,
        CampaignStatus.ACTIVE,
        300,
        None,
        Decimal("6500.00"),
        "maya",
        "blog",
        "organic",
        "pipeline-playbook",
        "A gated e-book promoted from the blog and search results.",
        WEB,
        20,
        10,
        "https://blog.northbeam.example/",
    ),
    DemoCampaign(
        "newsletter",
        "Monthly newsletter",
        Channel.EMAIL,
        CampaignStatus.ACTIVE,
        420,
        None,
        Decimal("2400.00"),
        "jonas",
        "newsletter",
        "email",
        "monthly-newsletter",
        "Product news and one practical article a month, sent to everyone who opted in.",
        MAIL,
        0,
        40,
        "",
    ),
    DemoCampaign(
        "summit",
        "RevOps Summit booth",
        Channel.EVENTS,
        CampaignStatus.COMPLETED,
        152,
        150,
        Decimal("18000.00"),
        "maya",
        "event",
        "offline",
        "revops-summit",
        "Three days at the RevOps Summit with a booth, a talk and badge scanning.",
        EVENT,
        0,
        0,
        "",
    ),
    DemoCampaign(
        "partners",
        "Partner referral programme",
        Channel.PARTNER,
        CampaignStatus.ACTIVE,
        280,
        None,
        Decimal("9000.00"),
        "jonas",
        "partner",
        "referral",
        "partner-programme",
        "Consultancies that implement Northbeam refer their clients through tracked links.",
        WEB,
        8,
        8,
        "https://partners.northbeam.example/",
    ),
    DemoCampaign(
        "launch",
        "Spring launch press release",
        Channel.PR,
        CampaignStatus.COMPLETED,
        210,
        180,
        Decimal("7500.00"),
        "maya",
        "press",
        "referral",
        "spring-launch",
        "Press release and briefings for the launch of multi-touch attribution.",
        PRESS,
        8,
        2,
        "https://technews.example/",
    ),
    DemoCampaign(
        "retargeting",
        "Retargeting: display",
        Channel.DISPLAY,
        CampaignStatus.ACTIVE,
        200,
        None,
        Decimal("12000.00"),
        "jonas",
        "display",
        "retargeting",
        "retargeting",
        "Display ads shown to visitors who read a landing page but did not sign up.",
        WEB,
        6,
        20,
        "https://ads.example/",
    ),
    DemoCampaign(
        "social",
        "LinkedIn company page",
        Channel.ORGANIC_SOCIAL,
        CampaignStatus.ACTIVE,
        420,
        None,
        Decimal("0.00"),
        "jonas",
        "social",
        "organic",
        "linkedin-organic",
        "Organic posts on the company page: customer stories, product tips, hiring.",
        WEB,
        10,
        8,
        "https://www.linkedin.com/feed/",
    ),
    DemoCampaign(
        "webinar",
        "Forecasting webinar series",
        Channel.EVENTS,
        CampaignStatus.PLANNED,
        -20,
        -60,
        Decimal("5000.00"),
        "maya",
        "webinar",
        "event",
        "forecasting-webinars",
        "Four live sessions on pipeline forecasting, with a customer as guest speaker.",
        EVENT,
        0,
        0,
        "",
    ),
)


@dataclass(frozen=True)
class DemoPage:
    slug: str
    campaign: str
    title: str
    headline: str
    body: str
    cta_label: str


PAGES = (
    DemoPage(
        "crm-switch-guide",
        "search",
        "CRM switch guide",
        "Switch CRMs in a week, not a quarter",
        "Our migration guide walks you through moving contacts, deals and history without "
        "losing a single touchpoint.\n\nIt includes a checklist and a sample project plan.",
        "Get the guide",
    ),
    DemoPage(
        "pipeline-playbook",
        "playbook",
        "Pipeline Playbook",
        "The B2B pipeline playbook",
        "Forty pages on building a pipeline you can forecast: stages, exit criteria and the "
        "reports that matter.",
        "Download the e-book",
    ),
    DemoPage(
        "book-a-demo",
        "abm",
        "Book a demo (ABM)",
        "See Northbeam on your own data",
        "A 30-minute walkthrough of attribution and forecasting, using an anonymised copy of "
        "your pipeline.",
        "Book a demo",
    ),
    DemoPage(
        "revops-summit",
        "summit",
        "RevOps Summit",
        "Meet us at the RevOps Summit",
        "Visit our booth for a live demo and join our talk on closed-loop reporting.",
        "Reserve a meeting",
    ),
)

# (campaign key, label, landing-page slug or a path on the vendor's site, utm_content)
LINKS = (
    ("search", "Ad: migrate in a week", "crm-switch-guide", "ad-migration"),
    ("search", "Ad: pricing", "/pricing", "ad-pricing"),
    ("abm", "Sponsored post: demo", "book-a-demo", "post-demo"),
    ("abm", "Sponsored post: e-book", "pipeline-playbook", "post-ebook"),
    ("playbook", "Blog banner", "pipeline-playbook", "blog-banner"),
    ("playbook", "Search snippet", "pipeline-playbook", "seo-snippet"),
    ("newsletter", "Newsletter: feature article", "/blog/closed-loop-reporting", "article"),
    ("newsletter", "Newsletter: book a demo", "book-a-demo", "cta-demo"),
    ("summit", "Summit: meeting booking", "revops-summit", "booking"),
    ("partners", "Partner directory listing", "book-a-demo", "directory"),
    ("partners", "Partner co-marketing page", "/partners", "co-marketing"),
    ("launch", "Press kit", "/news/spring-launch", "press-kit"),
    ("retargeting", "Banner: read the guide", "crm-switch-guide", "banner-guide"),
    ("retargeting", "Banner: book a demo", "book-a-demo", "banner-demo"),
    ("social", "Post: customer story", "/customers/harbor-freight", "customer-story"),
    ("social", "Post: e-book", "pipeline-playbook", "post-ebook"),
    ("webinar", "Webinar registration", "/webinars/forecasting", "registration"),
)

# fmt: off
FIRST_NAMES = (
    "Aaliyah", "Adam", "Aisha", "Alba", "Ali", "Amelia", "Anders", "Andrea", "Anna", "Arjun",
    "Astrid", "Ben", "Camille", "Carlos", "Chiara", "Chloe", "Daniel", "David", "Elena", "Elif",
    "Emil", "Emma", "Ethan", "Fatima", "Felix", "Finn", "Freya", "Gabriel", "Grace", "Hannah",
    "Hugo", "Ines", "Isabel", "Ivan", "Jakob", "James", "Jana", "Javier", "Julia", "Kai", "Karin",
    "Kenji", "Laura", "Leo", "Lina", "Lucas", "Luca", "Lukas", "Mads", "Marco", "Maria", "Marta",
    "Mateo", "Max", "Mia", "Nadia", "Nils", "Noah", "Nora", "Olivia", "Oscar", "Paul", "Pedro",
    "Petra", "Rafael", "Rosa", "Ruby", "Sara", "Sofia", "Stefan", "Theo", "Thomas", "Valentina",
    "Victor", "Wei", "Yusuf", "Zara", "Zoe", "Malik", "Ingrid",
)
# fmt: on
# fmt: off
LAST_NAMES = (
    "Andersson", "Bakker", "Becker", "Bernard", "Bianchi", "Brown", "Campbell", "Costa", "Dubois",
    "Dumont", "Eriksson", "Fernandez", "Ferrari", "Fischer", "Garcia", "Hansen", "Hartmann",
    "Hoffmann", "Jansen", "Jensen", "Johansson", "Kaya", "Keller", "Klein", "Koch", "Kowalski",
    "Kumar", "Larsen", "Laurent", "Lopez", "Martin", "Meyer", "Moreau", "Murphy", "Nielsen",
    "Novak", "O'Brien", "Olsen", "Patel", "Peeters", "Petit", "Romano", "Rossi", "Ruiz", "Schmidt",
    "Schneider", "Schulz", "Silva", "Smith", "Sousa", "Taylor", "Thomas", "Visser", "Wagner",
    "Walsh", "Weber", "Williams", "Wilson", "Wolf", "Yilmaz", "Zimmermann", "de Vries", "van Dijk",
    "Chen", "Nakamura", "Okafor", "Haddad", "Lindqvist", "Moretti", "Richter",
)
# fmt: on

# fmt: off
BRAND_PREFIXES = (
    "Blue", "North", "Silver", "Bright", "Iron", "Clear", "Summit", "Harbor", "Pine", "Atlas",
    "Red", "Stone", "Oak", "River", "Sun", "Cedar", "Crown", "Swift", "True", "Granite", "Amber",
    "Coral", "Delta", "Echo", "Falcon", "Green", "Lumen", "Maple", "Nova", "Orbit", "Polar",
    "Quartz", "Sage", "Terra", "Vista", "Willow", "Zenith", "Arrow", "Beacon", "Copper",
)
# fmt: on
# fmt: off
BRAND_ROOTS = (
    "peak", "wind", "stone", "field", "bridge", "line", "works", "gate", "leaf", "point", "wave",
    "path", "light", "forge", "crest", "port", "mark", "vale", "ridge", "stream",
)
# fmt: on

# industry -> words that follow the brand in a company name
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "Software": ("Software", "Systems", "Labs", "Cloud"),
    "Logistics": ("Logistics", "Freight", "Shipping"),
    "Healthcare": ("Health", "Care", "Medical"),
    "Manufacturing": ("Manufacturing", "Industries", "Components"),
    "Financial services": ("Capital", "Finance", "Payments"),
    "Retail": ("Retail", "Stores", "Goods"),
    "Education": ("Learning", "Academy", "Education"),
    "Energy": ("Energy", "Power", "Renewables"),
    "Media": ("Media", "Studios", "Publishing"),
    "Professional services": ("Consulting", "Partners", "Advisory"),
    "Hospitality": ("Hotels", "Hospitality", "Travel"),
    "Construction": ("Construction", "Build", "Engineering"),
}

# code, weight, legal forms, phone prefix
COUNTRIES: tuple[tuple[str, int, tuple[str, ...], str], ...] = (
    ("DE", 22, ("GmbH", "AG"), "+49"),
    ("GB", 18, ("Ltd", "plc"), "+44"),
    ("US", 14, ("Inc.", "LLC"), "+1"),
    ("FR", 12, ("SAS", "SA"), "+33"),
    ("NL", 10, ("B.V.",), "+31"),
    ("ES", 8, ("S.L.", "S.A."), "+34"),
    ("SE", 6, ("AB",), "+46"),
    ("IT", 6, ("S.r.l.", "S.p.A."), "+39"),
    ("IE", 4, ("Ltd",), "+353"),
)

SIZES: tuple[tuple[str, int], ...] = (
    (CompanySize.S1_10, 10),
    (CompanySize.S11_50, 25),
    (CompanySize.S51_200, 30),
    (CompanySize.S201_1000, 20),
    (CompanySize.S1001_5000, 10),
    (CompanySize.S5001, 5),
)
ENTERPRISE_SIZES = frozenset({CompanySize.S201_1000, CompanySize.S1001_5000, CompanySize.S5001})
# size -> how many contacts a company of that size tends to have, relative to the others
SIZE_CONTACT_WEIGHT = {
    CompanySize.S1_10: 1,
    CompanySize.S11_50: 2,
    CompanySize.S51_200: 4,
    CompanySize.S201_1000: 7,
    CompanySize.S1001_5000: 10,
    CompanySize.S5001: 12,
}
# size -> new-business deal value range, in thousands
SIZE_DEAL_RANGE = {
    CompanySize.S1_10: (3, 12),
    CompanySize.S11_50: (8, 30),
    CompanySize.S51_200: (18, 60),
    CompanySize.S201_1000: (35, 120),
    CompanySize.S1001_5000: (70, 220),
    CompanySize.S5001: (120, 400),
}
PLANS = ((15000, "Starter"), (50000, "Growth"), (150000, "Scale"), (10**9, "Enterprise"))

# fmt: off
DECISION_TITLES = (
    "Chief Revenue Officer", "VP Sales", "VP Marketing", "Head of Revenue Operations",
    "Chief Marketing Officer", "Sales Director", "Head of Growth", "COO", "CEO",
)
# fmt: on
# fmt: off
OTHER_TITLES = (
    "Marketing Manager", "Demand Generation Manager", "Sales Operations Manager",
    "Account Executive", "Growth Marketer", "Customer Success Manager",
    "Marketing Operations Specialist", "Business Development Representative",
    "Content Marketing Manager", "Procurement Manager", "IT Director", "Data Analyst",
    "Finance Manager", "Product Marketing Manager", "Office Manager",
)
# fmt: on

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
)

WON_REASONS = (
    "Attribution reporting convinced the CMO",
    "Faster onboarding than the incumbent",
    "Within budget after an annual prepayment",
    "Strong references from two peers",
    "Champion carried it through procurement",
    "Forecasting module replaced three spreadsheets",
)
LOST_REASONS = (
    "Chose a competitor with a bundled CPQ",
    "No budget this year",
    "Project postponed to next year",
    "Missing integration with their ERP",
    "Price too high for the seat count",
    "Went silent after the proposal",
    "Decided to stay with the incumbent",
)
RENEWAL_WON_REASONS = ("Renewed with more seats", "Renewed on a two-year term", "Renewed as is")
RENEWAL_LOST_REASONS = (
    "Acquired; moving to the parent company's tools",
    "Budget cut after a reorganisation",
)

# (activity kind, subject, body) by deal stage position; the last group is for closing.
ACTIVITIES = (
    (
        (
            "call",
            "Intro call",
            "Walked through their current reporting. Pain: no view of which campaigns pay off.",
        ),
        (
            "email",
            "Sent the one-pager",
            "Shared the attribution one-pager and two customer stories.",
        ),
    ),
    (
        (
            "meeting",
            "Discovery workshop",
            "Mapped their funnel stages and data sources with the RevOps lead.",
        ),
        (
            "call",
            "Call with the marketing lead",
            "Wants first/last/linear side by side; agreed on a demo.",
        ),
    ),
    (
        (
            "meeting",
            "Demo for the revenue team",
            "Demoed attribution and forecasting on sample data. Good questions on SSO.",
        ),
        ("email", "Proposal sent", "Proposal with two options: annual and two-year term."),
    ),
    (
        (
            "call",
            "Pricing negotiation",
            "Asked for a discount on the second year; offered prepayment terms.",
        ),
        (
            "note",
            "Security review returned",
            "Questionnaire answered; DPA sent to their legal team.",
        ),
    ),
    (
        ("note", "Close summary", "Debrief with the team on what decided the deal."),
        ("call", "Closing call", "Confirmed the decision and next steps with the buyer."),
    ),
)
