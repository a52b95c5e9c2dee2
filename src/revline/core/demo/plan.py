"""The demo's history, simulated in memory from one seeded random generator.

Nothing here queries the database: the planner builds unsaved model instances shaped exactly
as the services would have saved them (the same fields, parameters and timeline events, in the
order the services write them). write.py then stores them in bulk.

Every person follows a believable journey: anonymous visits from campaigns, a form on a landing
page (or an import, or a salesperson adding them), consent, lifecycle stages, and for some a
deal that moves through its pipeline and is won or lost. Times are offsets back from
`setup.end` (midnight UTC at the start of the demo's "today"), so nothing lies in the future.
"""

import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from revline.campaigns.models import Campaign
from revline.content.models import FormSubmission
from revline.core.models import Role, User
from revline.leads.models import LifecycleTransition, TransitionCause
from revline.people.models import (
    Company,
    ConsentRecord,
    ConsentStatus,
    Contact,
    LifecycleStage,
    TimelineEvent,
    TimelineEventKind,
)
from revline.sales.models import Activity, Deal, DealStageChange, DealStatus, Stage, StageKind
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink, Visitor
from revline.tracking.services import UTM_KEYS, link_utm_values, redirect_url

from . import catalog
from .catalog import MAIL, PRESS, WEB
from .setup import Setup, click_url, page_url

DAY = 86400.0
HISTORY_DAYS = 360
S = LifecycleStage
RANK = {S.SUBSCRIBER: 0, S.LEAD: 1, S.MQL: 2, S.SAL: 3, S.SQL: 4, S.OPPORTUNITY: 5, S.CUSTOMER: 6}

# Where people come from: a form on a landing page, a newsletter import (who may fill in a form
# later), a badge scan at the summit, or a salesperson typing them in.
FORM, NEWSLETTER, SUMMIT, MANUAL = "form", "newsletter", "summit", "manual"
DEAL = "deal"
MODE_WEIGHTS: dict[str, dict[str, float]] = {
    S.SUBSCRIBER: {NEWSLETTER: 1},
    S.LEAD: {FORM: 70, NEWSLETTER: 12, SUMMIT: 10, MANUAL: 8},
    S.MQL: {FORM: 65, NEWSLETTER: 15, SUMMIT: 10, MANUAL: 10},
    S.SAL: {FORM: 65, NEWSLETTER: 15, SUMMIT: 10, MANUAL: 10},
    S.SQL: {FORM: 65, NEWSLETTER: 15, SUMMIT: 10, MANUAL: 10},
    DEAL: {FORM: 60, NEWSLETTER: 10, SUMMIT: 10, MANUAL: 20},
    "renewal": {FORM: 75, MANUAL: 25},  # their story needs the whole year
}
# shares of the people without a deal, by final stage; the rest stay subscribers
STAGE_SHARES = ((S.SQL, 0.04), (S.SAL, 0.03), (S.MQL, 0.16), (S.LEAD, 0.43))
# (min, max) later interactions after the contact exists
NURTURE_SESSIONS = {
    S.SUBSCRIBER: (0, 3),
    S.LEAD: (0, 3),
    S.MQL: (2, 5),
    S.SAL: (3, 6),
    S.SQL: (3, 6),
    DEAL: (4, 9),
}
LANDING_PAGE_WEIGHTS = {
    "crm-switch-guide": 35,
    "pipeline-playbook": 30,
    "book-a-demo": 25,
    "revops-summit": 10,
}
NEWSLETTER_IMPORT_AGES = tuple(range(350, 10, -30))
NEWSLETTER_CONSENT = ("Sign-up form on northbeam.example: monthly newsletter", "signup-v1")
SUMMIT_CONSENT = ("I agree that Northbeam may e-mail me after the RevOps Summit.", "summit-v1")
CONSENT_PURPOSE = "marketing_email"
IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges, never real clients
PR_ARTICLE = "https://technews.example/northbeam-launches-multi-touch-attribution"
PAGE_CAMPAIGN = {page.slug: page.campaign for page in catalog.PAGES}


@dataclass(frozen=True)
class DemoSize:
    companies: int
    contacts: int
    touchpoints: int
    deals: int

    @classmethod
    def scaled(cls, scale: float) -> "DemoSize":
        """The full demo at scale 1; smaller scales keep every kind of record (for tests)."""
        companies = max(4, round(300 * scale))
        return cls(
            companies=companies,
            contacts=max(companies * 2, round(2000 * scale)),
            touchpoints=max(300, round(20000 * scale)),
            deals=max(8, round(300 * scale)),
        )


@dataclass(frozen=True)
class DealPlan:
    outcome: str  # a DealStatus
    renewal: str | None = None  # the outcome of the renewal deal, for customers who get one


@dataclass(frozen=True)
class Slot:
    company: Company
    goal: str  # the final lifecycle stage, or DEAL
    deal: DealPlan | None = None


@dataclass
class PlannedEvent:
    """A timeline event; an activity's event gets the activity's id once that is written."""

    event: TimelineEvent
    activity: Activity | None = None


@dataclass
class Plan:
    companies: list[Company] = field(default_factory=list)
    company_created: dict[int, datetime] = field(default_factory=dict)  # id(company) -> when
    company_tags: list[tuple[Company, str]] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    contact_created: dict[int, datetime] = field(default_factory=dict)  # id(contact) -> when
    contact_tags: list[tuple[Contact, str]] = field(default_factory=list)
    visitors: list[Visitor] = field(default_factory=list)
    touchpoints: list[Touchpoint] = field(default_factory=list)
    submissions: list[FormSubmission] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    transitions: list[LifecycleTransition] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    stage_changes: list[DealStageChange] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    events: list[PlannedEvent] = field(default_factory=list)


@dataclass
class _Person:
    contact: Contact
    company: Company
    owner: User
    created: datetime
    visitor: Visitor | None = None
    identified_at: datetime | None = None  # their web visits carry their visitor from then on
    consent: list[tuple[datetime, datetime | None]] = field(default_factory=list)


@dataclass
class _Story:
    steps: dict[str, float] = field(default_factory=dict)
    path: list[Stage] = field(default_factory=list)
    deal_days: list[float] = field(default_factory=list)
    renewal_path: list[Stage] = field(default_factory=list)
    renewal_days: list[float] = field(default_factory=list)
    span: float = 0.0


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class Planner:
    def __init__(self, *, setup: Setup, size: DemoSize, seed: int) -> None:
        self.rng = random.Random(seed)
        self.setup = setup
        self.size = size
        self.end = setup.end
        self.plan = Plan()
        self.emails: set[str] = set()
        self.people: list[_Person] = []
        self.brands: dict[int, str] = {}  # id(company) -> its name without the legal form
        self.open_stages = [s for s in setup.stages if s.kind == StageKind.OPEN]
        self.renewal_open = [s for s in setup.renewal_stages if s.kind == StageKind.OPEN]
        self.closing = {
            setup.pipeline.pk: self._closing_stages(setup.stages),
            setup.renewals.pk: self._closing_stages(setup.renewal_stages),
        }
        self.campaign_keys = {c.pk: key for key, c in setup.campaigns.items()}
        summit = setup.specs["summit"]
        self.summit_start = self.ago(summit.start_days_ago)
        self.summit_end = self.ago((summit.end_days_ago or 0) - 1)
        self.marketer = setup.users[setup.specs["newsletter"].owner]
        # computed once: (UTM values, tracked URL, landing URL with UTM values) of each link
        self.link_urls = {
            link.pk: (link_utm_values(link), click_url(link), redirect_url(link))
            for links in setup.links.values()
            for link in links
        }
        self.page_urls = {slug: page_url(slug) for slug in setup.pages}

    @staticmethod
    def _closing_stages(stages: list[Stage]) -> dict[str, Stage]:
        return {
            DealStatus.WON: next(s for s in stages if s.kind == StageKind.WON),
            DealStatus.LOST: next(s for s in stages if s.kind == StageKind.LOST),
        }

    # ---- small helpers ------------------------------------------------------------------

    def weighted(self, options: Mapping[str, float]) -> str:
        keys = list(options)
        return self.rng.choices(keys, weights=[options[k] for k in keys])[0]

    def ago(self, days: float) -> datetime:
        return self.end - timedelta(seconds=round(days * DAY))

    def later(self, at: datetime, seconds: float) -> datetime:
        return at + timedelta(seconds=round(seconds))

    def between(self, start: datetime, stop: datetime) -> datetime:
        span = max(0.0, (stop - start).total_seconds())
        return start + timedelta(seconds=round(self.rng.uniform(0, span)))

    def active(self, key: str, at: datetime) -> bool:
        spec = self.setup.specs[key]
        start = self.ago(spec.start_days_ago)
        stop = self.end if spec.end_days_ago is None else self.ago(spec.end_days_ago - 1)
        if key == "summit":  # the booth is promoted for six weeks before the event
            start -= timedelta(days=42)
        return start <= at < stop

    def event(
        self,
        contact: Contact,
        kind: str,
        at: datetime,
        source: str,
        *,
        actor: User | None = None,
        deal: Deal | None = None,
        activity: Activity | None = None,
        **params: Any,
    ) -> None:
        """What people.events writes: one typed row on the contact's timeline."""
        row = TimelineEvent(
            contact=contact,
            kind=kind,
            occurred_at=at,
            source=source,
            actor=actor,
            deal=deal,
            params=params,
        )
        self.plan.events.append(PlannedEvent(row, activity))

    # ---- companies ----------------------------------------------------------------------

    def companies(self) -> None:
        rng = self.rng
        taken: set[tuple[str, str]] = set()
        countries = {code: (legal, phone) for code, _, legal, phone in catalog.COUNTRIES}
        country_weights = {code: float(weight) for code, weight, _, _ in catalog.COUNTRIES}
        size_weights = {str(size): float(weight) for size, weight in catalog.SIZES}
        while len(self.plan.companies) < self.size.companies:
            brand = rng.choice(catalog.BRAND_PREFIXES) + rng.choice(catalog.BRAND_ROOTS)
            industry = rng.choice(list(catalog.INDUSTRIES))
            word = rng.choice(catalog.INDUSTRIES[industry])
            if (brand, word) in taken:
                continue
            taken.add((brand, word))
            country = self.weighted(country_weights)
            legal, phone = countries[country]
            size = self.weighted(size_weights)
            enterprise = size in catalog.ENTERPRISE_SIZES
            team = catalog.TEAM_ENTERPRISE if enterprise else catalog.TEAM_MIDMARKET
            members = self.setup.team_members(team)
            weights = [1 if m.role == Role.SALES_MANAGER else 3 for m in members]
            company = Company(
                name=f"{brand} {word} {rng.choice(legal)}",
                domain=f"{brand.lower()}-{word.lower()}.example",
                industry=industry,
                size=size,
                country=country,
                phone=f"{phone} {rng.randint(20, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                owner=rng.choices(members, weights=weights)[0],
            )
            self.brands[id(company)] = f"{brand} {word}"
            self.plan.companies.append(company)
            if enterprise and rng.random() < 0.35:
                self.plan.company_tags.append((company, "target-account"))

    # ---- who becomes what ---------------------------------------------------------------

    def deal_plans(self) -> list[DealPlan]:
        total = self.size.deals
        renewals = max(1, round(total * 0.10))
        won, lost = round(total * 0.25), round(total * 0.20)
        renewed, churned = round(renewals * 0.4), round(renewals * 0.15)
        new_business = total - renewals
        # every renewal belongs to a customer whose new-business deal was won
        new_won, new_lost = won - renewed, lost - churned
        if new_won < renewals or new_won + new_lost > new_business:
            raise ValueError("The demo is too small for its mix of deals.")
        plans = (
            [DealPlan(DealStatus.WON, DealStatus.WON)] * renewed
            + [DealPlan(DealStatus.WON, DealStatus.LOST)] * churned
            + [DealPlan(DealStatus.WON, DealStatus.OPEN)] * (renewals - renewed - churned)
            + [DealPlan(DealStatus.WON)] * (new_won - renewals)
            + [DealPlan(DealStatus.LOST)] * new_lost
            + [DealPlan(DealStatus.OPEN)] * (new_business - new_won - new_lost)
        )
        self.rng.shuffle(plans)
        return plans

    def slots(self) -> list[Slot]:
        rng = self.rng
        companies = self.plan.companies
        weights = [catalog.SIZE_CONTACT_WEIGHT[c.size] for c in companies]  # type: ignore[index]
        extra = self.size.contacts - len(companies)
        members = [*companies, *rng.choices(companies, weights=weights, k=extra)]
        # Weighted sampling without replacement (Efraimidis-Spirakis): buyers sit more often in
        # bigger companies.
        keys = [rng.random() ** (1.0 / catalog.SIZE_CONTACT_WEIGHT[m.size]) for m in members]  # type: ignore[index]
        order = sorted(range(len(members)), key=lambda i: -keys[i])
        plans = self.deal_plans()
        slots = [Slot(members[i], DEAL, plan) for i, plan in zip(order, plans, strict=False)]
        rest = order[len(plans) :]
        rng.shuffle(rest)
        start = 0
        for stage, share in STAGE_SHARES:
            count = round(len(rest) * share)
            slots.extend(Slot(members[i], stage) for i in rest[start : start + count])
            start += count
        slots.extend(Slot(members[i], S.SUBSCRIBER) for i in rest[start:])
        rng.shuffle(slots)
        return slots

    # ---- people -------------------------------------------------------------------------

    def new_person(self, slot: Slot, mode: str, created: datetime) -> _Person:
        rng = self.rng
        company = slot.company
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        f, la = _ascii(first), _ascii(last)
        patterns = [f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la[0]}", f"{f}.{la[0]}", f"{f}_{la}"]
        if company.size in ("1-10", "11-50"):
            patterns.insert(0, f)
        patterns += [f"{f}.{la}{n}" for n in range(2, 100)]
        email = next(e for p in patterns if (e := f"{p}@{company.domain}") not in self.emails)
        self.emails.add(email)
        senior = slot.goal == DEAL or (slot.goal in (S.SAL, S.SQL) and rng.random() < 0.6)
        title = rng.choice(catalog.DECISION_TITLES if senior else catalog.OTHER_TITLES)
        phone = f"{company.phone[:-4]}{rng.randint(1000, 9999)}" if mode == MANUAL or senior else ""
        assert company.owner is not None
        contact = Contact(
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            title=title,
            company=company,
            country=company.country,
            source={NEWSLETTER: "import", SUMMIT: "import", MANUAL: "manual"}.get(mode, ""),
        )
        person = _Person(contact=contact, company=company, owner=company.owner, created=created)
        self.people.append(person)
        self.plan.contacts.append(contact)
        self.plan.contact_created[id(contact)] = created
        return person

    def advance(
        self,
        person: _Person,
        to_stage: str,
        at: datetime,
        cause: str,
        actor: User | None,
        reason: str,
    ) -> None:
        """What leads.services.lifecycle_advance records, when the move is forward."""
        contact = person.contact
        from_stage = contact.lifecycle_stage
        if RANK[S(to_stage)] <= RANK.get(S(from_stage), 0):
            return
        contact.lifecycle_stage = to_stage
        contact.lifecycle_changed_at = at
        self.plan.transitions.append(
            LifecycleTransition(
                contact=contact,
                from_stage=from_stage,
                to_stage=to_stage,
                occurred_at=at,
                cause=cause,
                actor=actor,
                reason=reason,
            )
        )
        self.event(
            contact,
            TimelineEventKind.LIFECYCLE_CHANGED,
            at,
            cause,
            actor=actor,
            from_stage=from_stage,
            to_stage=to_stage,
            reason=reason,
        )

    def consent(
        self, person: _Person, at: datetime, source: str, wording: str, version: str, ip: str | None
    ) -> None:
        """What people.services.consent_record stores; a few people unsubscribe later."""
        contact = person.contact
        self.plan.consents.append(
            ConsentRecord(
                contact=contact,
                purpose=CONSENT_PURPOSE,
                status=ConsentStatus.GRANTED,
                recorded_at=at,
                source=source,
                wording=wording,
                wording_version=version,
                ip_address=ip,
            )
        )
        self.event(
            contact,
            TimelineEventKind.CONSENT_CHANGED,
            at,
            source,
            purpose=CONSENT_PURPOSE,
            status=ConsentStatus.GRANTED,
        )
        withdrawn = None
        if self.rng.random() < 0.06 and at < self.ago(8):
            withdrawn = self.between(self.later(at, 7 * DAY), self.ago(0.5))
            self.plan.consents.append(
                ConsentRecord(
                    contact=contact,
                    purpose=CONSENT_PURPOSE,
                    status=ConsentStatus.WITHDRAWN,
                    recorded_at=withdrawn,
                    source="unsubscribe",
                )
            )
            self.event(
                contact,
                TimelineEventKind.CONSENT_CHANGED,
                withdrawn,
                "unsubscribe",
                purpose=CONSENT_PURPOSE,
                status=ConsentStatus.WITHDRAWN,
            )
        person.consent.append((at, withdrawn))

    def may_email(self, person: _Person, at: datetime) -> bool:
        return any(start <= at and (stop is None or at < stop) for start, stop in person.consent)

    # ---- touchpoints --------------------------------------------------------------------

    def touch(
        self,
        kind: str,
        at: datetime,
        campaign: Campaign,
        *,
        visitor: Visitor | None,
        contact: Contact | None,
        utm: dict[str, str],
        link: TrackedLink | None = None,
        url: str = "",
        referrer: str = "",
        agent: str = "",
        params: dict[str, object] | None = None,
    ) -> None:
        """The row tracking.services.touchpoint_record writes."""
        self.plan.touchpoints.append(
            Touchpoint(
                kind=kind,
                occurred_at=at,
                visitor=visitor,
                contact=contact,
                campaign=campaign,
                link=link,
                channel=campaign.channel,
                url=url[:2000],
                referrer=referrer[:2000],
                user_agent=agent[:500],
                params=params or {},
                **{k: str(utm.get(k, ""))[:100] for k in UTM_KEYS},
            )
        )

    def new_visitor(self, at: datetime) -> Visitor:
        visitor = Visitor(
            id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            first_seen_at=at,
            last_seen_at=at,
        )
        self.plan.visitors.append(visitor)
        return visitor

    @staticmethod
    def campaign_utm(campaign: Campaign) -> dict[str, str]:
        values = {k: getattr(campaign, k) for k in ("utm_source", "utm_medium", "utm_campaign")}
        return {k: v for k, v in values.items() if v}

    def web_visit(
        self,
        key: str,
        at: datetime,
        visitor: Visitor,
        contact: Contact | None,
        link: TrackedLink | None = None,
    ) -> None:
        """A click on one of the campaign's tracked links, then the landing page it leads to
        (tracking.services.click_record, then content.services.page_view_record)."""
        rng = self.rng
        campaign, spec = self.setup.campaigns[key], self.setup.specs[key]
        agent = rng.choice(catalog.USER_AGENTS)
        if spec.touch == PRESS:
            self.touch(
                TouchpointKind.PR_VISIT,
                at,
                campaign,
                visitor=visitor,
                contact=contact,
                utm=self.campaign_utm(campaign),
                url=catalog.VENDOR_SITE + "/news/spring-launch",
                referrer=PR_ARTICLE,
                agent=agent,
            )
            return
        link = link or rng.choice(self.setup.links[key])
        utm, tracked, landing = self.link_urls[link.pk]
        self.touch(
            TouchpointKind.CLICK,
            at,
            campaign,
            visitor=visitor,
            contact=contact,
            utm=utm,
            link=link,
            url=tracked,
            referrer=spec.referrer,
            agent=agent,
        )
        slug = self.setup.link_slugs.get(link.pk)
        if slug is not None:
            self.touch(
                TouchpointKind.PAGE_VIEW,
                self.later(at, rng.uniform(1, 20)),
                campaign,
                visitor=visitor,
                contact=contact,
                utm=utm,
                url=landing,
                referrer=spec.referrer,
                agent=agent,
                params={"landing_page": slug},
            )

    def pick_campaign(self, at: datetime, *, acquire: bool, kinds: Sequence[str]) -> str | None:
        options: dict[str, float] = {}
        for spec in catalog.CAMPAIGNS:
            weight = spec.acquire_weight if acquire else spec.nurture_weight
            if weight and spec.touch in kinds and self.active(spec.key, at):
                options[spec.key] = weight
        return self.weighted(options) if options else None

    def mail(self, person: _Person, at: datetime) -> None:
        """A newsletter opened, and sometimes clicked (as the e-mail app records them)."""
        rng = self.rng
        campaign = self.setup.campaigns["newsletter"]
        agent = rng.choice(catalog.USER_AGENTS)
        self.touch(
            TouchpointKind.EMAIL_OPEN,
            at,
            campaign,
            visitor=None,
            contact=person.contact,
            utm=self.campaign_utm(campaign),
            agent=agent,
        )
        if rng.random() < 0.35:
            link = rng.choice(self.setup.links["newsletter"])
            self.touch(
                TouchpointKind.EMAIL_CLICK,
                self.later(at, rng.uniform(20, 3600)),
                campaign,
                visitor=None,
                contact=person.contact,
                utm=self.link_urls[link.pk][0],
                link=link,
                url=self.link_urls[link.pk][1],
                agent=agent,
            )

    def attend_summit(self, person: _Person, at: datetime) -> None:
        campaign = self.setup.campaigns["summit"]
        self.touch(
            TouchpointKind.EVENT_ATTENDANCE,
            at,
            campaign,
            visitor=None,
            contact=person.contact,
            utm=self.campaign_utm(campaign),
            params={"event": "RevOps Summit"},
        )
        self.plan.contact_tags.append((person.contact, "revops-summit"))

    def nurture(self, person: _Person, at: datetime) -> None:
        """One later interaction: an e-mail if they agreed, or a visit if we know their browser."""
        kinds = [MAIL] if self.may_email(person, at) else []
        if (
            person.visitor is not None
            and person.identified_at is not None
            and at >= person.identified_at
        ):
            kinds += [WEB, PRESS]
        key = self.pick_campaign(at, acquire=False, kinds=kinds) if kinds else None
        if key is None:
            return
        if self.setup.specs[key].touch == MAIL:
            self.mail(person, at)
        elif person.visitor is not None:
            self.web_visit(key, at, person.visitor, person.contact)

    def form_visit(
        self, person: _Person, submitted: datetime, window: float, *, creates: bool
    ) -> None:
        """Anonymous visits, then a landing-page form: what content.services.form_submit does.

        `creates` says whether the form creates the contact (else it finds the existing one).
        """
        rng = self.rng
        contact = person.contact
        visitor = self.new_visitor(submitted)
        visits = rng.choice((0, 0, 1, 1, 2)) if window > 0 else 0
        earlier = sorted(
            self.between(self.later(submitted, -window * DAY), submitted) for _ in range(visits)
        )
        for index, moment in enumerate(earlier):
            key = self.pick_campaign(moment, acquire=index == 0, kinds=[WEB, PRESS])
            if key is not None:
                self.web_visit(key, self.later(moment, -900), visitor, contact)
        pages = {
            slug: weight
            for slug, weight in LANDING_PAGE_WEIGHTS.items()
            if self.active(PAGE_CAMPAIGN[slug], submitted)
        }
        slug = self.weighted(pages) if pages else "crm-switch-guide"
        page = self.setup.pages[slug]
        arrivals = [
            link
            for key, links in self.setup.links.items()
            for link in links
            if self.setup.link_slugs.get(link.pk) == slug and self.active(key, submitted)
        ]
        arrived = self.later(submitted, -rng.uniform(60, 600))
        agent = rng.choice(catalog.USER_AGENTS)
        if arrivals and rng.random() < 0.85:
            link = rng.choice(arrivals)
            key = self.campaign_keys[link.campaign_id]
            self.web_visit(key, arrived, visitor, contact, link)
            utm, _, url = self.link_urls[link.pk]
            campaign = self.setup.campaigns[key]
        else:  # typed the address, or came from an untagged search result
            utm, url = {}, self.page_urls[slug]
            campaign = self.setup.campaigns[PAGE_CAMPAIGN[slug]]
            self.touch(
                TouchpointKind.PAGE_VIEW,
                arrived,
                campaign,
                visitor=visitor,
                contact=contact,
                utm=utm,
                url=url,
                agent=agent,
                params={"landing_page": slug},
            )
        source = f"landing_page:{slug}"
        if creates:
            contact.source = source
            self.event(contact, TimelineEventKind.CONTACT_CREATED, submitted, source)
        visitor.contact = contact
        person.visitor, person.identified_at = visitor, submitted
        consented = rng.random() < 0.8
        ip = f"{rng.choice(IP_PREFIXES)}.{rng.randint(1, 254)}"
        if consented:
            self.consent(
                person, submitted, source, page.consent_wording, page.consent_wording_version, ip
            )
        company = contact.company
        self.plan.submissions.append(
            FormSubmission(
                landing_page=page,
                contact=contact,
                visitor=visitor,
                submitted_at=submitted,
                ip_address=ip,
                data={
                    "email": contact.email,
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "company": company.name if company else "",
                    "title": contact.title,
                    "phone": "",
                    "consent": consented,
                },
            )
        )
        self.touch(
            TouchpointKind.FORM_SUBMISSION,
            submitted,
            campaign,
            visitor=visitor,
            contact=contact,
            utm=utm,
            url=url,
            referrer=url,
            agent=agent,
            params={"landing_page": slug},
        )
        self.advance(
            person,
            S.LEAD,
            submitted,
            TransitionCause.FORM,
            None,
            f"Submitted the form on /lp/{slug}",
        )

    # ---- deals --------------------------------------------------------------------------

    def deal_path(self, outcome: str, open_stages: list[Stage]) -> list[Stage]:
        """The open stages a deal passes through, first to last; middle ones are sometimes skipped."""
        rng = self.rng
        last = len(open_stages) - 1
        if outcome == DealStatus.WON:
            final = last
        else:
            weights = [30, 28, 24, 18] if outcome == DealStatus.OPEN else [20, 30, 30, 20]
            final = rng.choices(range(last + 1), weights=weights[: last + 1])[0]
        return [
            s
            for i, s in enumerate(open_stages[: final + 1])
            if i in (0, final) or rng.random() > 0.15
        ]

    def deal(
        self,
        person: _Person,
        *,
        name: str,
        amount: Decimal,
        path: list[Stage],
        times: list[datetime],
        outcome: str,
        reasons: Sequence[str],
    ) -> Deal:
        """What sales.services.deal_create, deal_move_stage, deal_close_* and activity_log record.

        `times` holds when the deal was opened, then when it entered each later stage (the last
        one being won or lost for a closed deal).
        """
        rng = self.rng
        owner, contact = person.owner, person.contact
        created = times[0]
        closed = outcome != DealStatus.OPEN
        if closed:
            expected = times[-1] + timedelta(days=rng.randint(-10, 10))
        else:
            # About one open deal in five is expected within the next ten days, so that the
            # forecast and the dashboard's "closing this period" have something on any demo day.
            soon = rng.random() < 0.2
            expected = self.end + timedelta(
                days=rng.randint(1, 10) if soon else rng.randint(7, 120)
            )
        deal = Deal(
            name=name,
            pipeline=path[0].pipeline,
            stage=path[0],
            contact=contact,
            company=person.company,
            amount=amount,
            amount_base=amount,
            currency=settings.CURRENCY,
            owner=owner,
            expected_close_date=expected.date(),
            stage_changed_at=created,
            created_at=created,
        )
        self.plan.deals.append(deal)
        self.plan.stage_changes.append(
            DealStageChange(
                deal=deal, from_stage=None, to_stage=path[0], changed_at=created, changed_by=owner
            )
        )
        money: dict[str, Any] = {
            "deal_name": name,
            "amount": str(amount),
            "currency": deal.currency,
        }
        self.event(
            contact,
            TimelineEventKind.DEAL_CREATED,
            created,
            "sales",
            actor=owner,
            deal=deal,
            **money,
        )
        self.advance(
            person, S.OPPORTUNITY, created, TransitionCause.DEAL, owner, "A deal was opened"
        )
        targets = path[1:] + ([self.closing[deal.pipeline.pk][outcome]] if closed else [])
        for stage, at in zip(targets, times[1:], strict=True):
            previous = deal.stage
            self.plan.stage_changes.append(
                DealStageChange(
                    deal=deal, from_stage=previous, to_stage=stage, changed_at=at, changed_by=owner
                )
            )
            self.event(
                contact,
                TimelineEventKind.DEAL_STAGE_CHANGED,
                at,
                "sales",
                actor=owner,
                deal=deal,
                deal_name=name,
                from_stage=previous.name,
                to_stage=stage.name,
            )
            deal.stage, deal.stage_changed_at = stage, at
        groups = catalog.ACTIVITIES
        for index, stage in enumerate(path):
            if rng.random() < 0.65:
                left = times[index + 1] if index + 1 < len(times) else self.ago(0.1)
                kind, subject, body = rng.choice(groups[min(stage.position, len(groups) - 2)])
                self.activity(person, deal, self.between(times[index], left), kind, subject, body)
        if closed:
            closed_at = times[-1]
            if rng.random() < 0.7:
                kind, subject, body = rng.choice(groups[-1])
                self.activity(
                    person,
                    deal,
                    self.later(closed_at, 60 * rng.randint(10, 240)),
                    kind,
                    subject,
                    body,
                )
            reason = rng.choice(reasons)
            deal.status, deal.closed_at, deal.close_note = outcome, closed_at, reason
            won = outcome == DealStatus.WON
            self.event(
                contact,
                TimelineEventKind.DEAL_WON if won else TimelineEventKind.DEAL_LOST,
                closed_at,
                "sales",
                actor=owner,
                deal=deal,
                reason=reason,
                **money,
            )
            if won:
                self.advance(
                    person, S.CUSTOMER, closed_at, TransitionCause.DEAL, owner, "A deal was won"
                )
        return deal

    def activity(
        self, person: _Person, deal: Deal | None, at: datetime, kind: str, subject: str, body: str
    ) -> None:
        at = min(at, self.ago(0.05))
        activity = Activity(
            kind=kind,
            subject=subject,
            body=body,
            deal=deal,
            contact=person.contact,
            occurred_at=at,
            created_by=person.owner,
        )
        self.plan.activities.append(activity)
        self.event(
            person.contact,
            TimelineEventKind.ACTIVITY,
            at,
            "sales",
            actor=person.owner,
            deal=deal,
            activity=activity,
            activity_kind=kind,
            subject=subject,
            body=body[:2000],
        )

    def amount(self, company: Company) -> Decimal:
        low, high = catalog.SIZE_DEAL_RANGE[company.size]  # type: ignore[index]
        return Decimal(self.rng.randint(low * 2, high * 2) * 500).quantize(Decimal("0.01"))

    # ---- the whole story of one person --------------------------------------------------

    def milestones(self, slot: Slot, mode: str) -> _Story:
        """Days after the contact's creation of each lifecycle step and of each deal move."""
        rng = self.rng
        top = S.SQL if slot.goal == DEAL else S(slot.goal)
        story = _Story()
        t = 0.0
        if mode == NEWSLETTER and RANK[top] >= RANK[S.LEAD]:
            t += rng.uniform(10, 150)
            story.steps["form"] = t
        if RANK[top] >= RANK[S.MQL] and not (mode == MANUAL and rng.random() < 0.5):
            t += rng.uniform(2, 40)
            story.steps["mql"] = t
        if top == S.SAL or (RANK[top] > RANK[S.SAL] and rng.random() < 0.7):
            t += rng.uniform(0.5, 5)
            story.steps["sal"] = t
        if RANK[top] >= RANK[S.SQL]:
            t += rng.uniform(1, 14)
            story.steps["sql"] = t
        plan = slot.deal
        if plan is not None:
            story.path = self.deal_path(plan.outcome, self.open_stages)
            t += rng.uniform(0.3, 6)
            story.deal_days.append(t)
            for _ in range(len(story.path) - 1 + (plan.outcome != DealStatus.OPEN)):
                t += rng.uniform(4, 21)
                story.deal_days.append(t)
            if plan.renewal is not None:
                story.renewal_path = self.deal_path(plan.renewal, self.renewal_open)
                t += rng.uniform(150, 200)
                story.renewal_days.append(t)
                for _ in range(len(story.renewal_path) - 1 + (plan.renewal != DealStatus.OPEN)):
                    t += rng.uniform(5, 25)
                    story.renewal_days.append(t)
        story.span = t
        return story

    def place(self, slot: Slot, mode: str, span: float, window: float) -> tuple[float, float]:
        """How many days ago the contact was created, and by how much to squeeze its story."""
        rng = self.rng
        if mode == SUMMIT:
            fixed: float | None = self.setup.specs["summit"].start_days_ago - rng.uniform(0.1, 2.5)
        elif mode == NEWSLETTER:
            fitting = [a for a in NEWSLETTER_IMPORT_AGES if a - 1 >= span] or [
                NEWSLETTER_IMPORT_AGES[0]
            ]
            fixed = rng.choice(fitting) - rng.uniform(0.2, 0.6)
        else:
            fixed = None
        oldest = fixed if fixed is not None else HISTORY_DAYS - window
        squeeze = min(1.0, (oldest - 0.5) * 0.97 / span) if span > 0 else 1.0
        span *= squeeze
        if fixed is not None:
            return fixed, squeeze
        plan = slot.deal
        recent = (plan is not None and plan.outcome == DealStatus.OPEN) or (
            plan is None and slot.goal in (S.MQL, S.SAL, S.SQL)
        )
        newest = span + 0.5
        if recent:
            oldest = min(oldest, span + 75)
        return rng.uniform(newest, max(newest, oldest)), squeeze

    def person(self, slot: Slot) -> None:
        rng = self.rng
        plan = slot.deal
        weights = MODE_WEIGHTS[
            "renewal" if plan is not None and plan.renewal is not None else slot.goal
        ]
        mode = self.weighted(weights)
        story = self.milestones(slot, mode)
        steps = story.steps
        window = rng.choice((0.0, 0.0, 3.0, 10.0, 30.0)) if mode == FORM else 0.0
        age, squeeze = self.place(slot, mode, story.span, window)
        created = self.ago(age)

        def when(days: float) -> datetime:
            return self.later(created, days * squeeze * DAY)

        person = self.new_person(slot, mode, created)
        contact, owner = person.contact, person.owner
        if mode == FORM:
            self.form_visit(person, created, window, creates=True)
        elif mode == NEWSLETTER:
            self.event(
                contact, TimelineEventKind.CONTACT_CREATED, created, "import", actor=self.marketer
            )
            self.consent(person, created, "import:newsletter-signups", *NEWSLETTER_CONSENT, None)
            self.plan.contact_tags.append((contact, "newsletter"))
        elif mode == SUMMIT:
            self.event(
                contact, TimelineEventKind.CONTACT_CREATED, created, "import", actor=self.marketer
            )
            self.advance(
                person,
                S.LEAD,
                created,
                TransitionCause.IMPORT,
                self.marketer,
                "Badge scan at the RevOps Summit",
            )
            if rng.random() < 0.7:
                self.consent(person, created, "import:revops-summit", *SUMMIT_CONSENT, None)
            self.attend_summit(person, created)
        else:
            contact.owner = owner
            self.event(contact, TimelineEventKind.CONTACT_CREATED, created, "manual", actor=owner)
            self.advance(
                person,
                S.LEAD,
                created,
                TransitionCause.PERSON,
                owner,
                "Added by sales after an outbound call",
            )
        if "form" in steps:
            self.form_visit(
                person, when(steps["form"]), rng.choice((0.0, 5.0, 20.0)), creates=False
            )
        if "mql" in steps:
            score = rng.randint(60, 92)
            self.advance(
                person,
                S.MQL,
                when(steps["mql"]),
                TransitionCause.SCORE,
                None,
                f"Lead score {score} reached the MQL threshold of 60",
            )
        if "sal" in steps:
            contact.owner = owner
            self.advance(
                person,
                S.SAL,
                when(steps["sal"]),
                TransitionCause.PERSON,
                owner,
                "Accepted by sales",
            )
            if plan is None and slot.goal == S.SAL and rng.random() < 0.5:
                self.activity(
                    person,
                    None,
                    self.later(when(steps["sal"]), rng.uniform(0.2, 2) * DAY),
                    "email",
                    "Follow-up e-mail",
                    "Sent two time slots for an intro call.",
                )
        if "sql" in steps:
            contact.owner = owner
            qualified = when(steps["sql"])
            if plan is None and rng.random() < 0.6:
                self.activity(
                    person,
                    None,
                    self.later(qualified, -rng.uniform(1, 48) * 3600),
                    "call",
                    "Qualification call",
                    "Confirmed the need, the budget and who decides.",
                )
            self.advance(
                person,
                S.SQL,
                qualified,
                TransitionCause.PERSON,
                owner,
                "Qualified: need, budget and timeline confirmed",
            )
        closed_at = None
        if plan is not None:
            closed_at = self.deals_of(person, plan, story, when)
        low, high = NURTURE_SESSIONS[slot.goal]
        for _ in range(rng.randint(low, high)):
            if closed_at is not None and rng.random() < 0.85:
                moment = self.between(created, closed_at)
            else:
                moment = self.between(created, self.ago(0.05))
            self.nurture(person, moment)
        if (
            mode != SUMMIT
            and slot.goal != S.SUBSCRIBER
            and created < self.summit_start
            and rng.random() < 0.1
        ):
            self.attend_summit(
                person, self.between(self.summit_start, self.summit_end - timedelta(hours=12))
            )

    def deals_of(
        self, person: _Person, plan: DealPlan, story: _Story, when: Callable[[float], datetime]
    ) -> datetime | None:
        """Open the person's deal (and its renewal); returns when the new-business deal closed."""
        rng = self.rng
        amount = self.amount(person.company)
        tier = next(label for limit, label in catalog.PLANS if amount <= limit)
        seats = max(3, int(amount) // rng.randint(700, 1100))
        brand = self.brands[id(person.company)]
        won = plan.outcome == DealStatus.WON
        deal = self.deal(
            person,
            name=f"{brand}: {tier} plan, {seats} seats",
            amount=amount,
            path=story.path,
            times=[when(d) for d in story.deal_days],
            outcome=plan.outcome,
            reasons=catalog.WON_REASONS if won else catalog.LOST_REASONS,
        )
        if won and rng.random() < 0.5:
            self.plan.contact_tags.append((person.contact, "champion"))
        if plan.renewal is None:
            return deal.closed_at
        renewed = plan.renewal == DealStatus.WON
        factor = Decimal(rng.randint(90, 130)) / 100
        self.deal(
            person,
            name=f"{brand}: annual renewal",
            amount=((amount * factor / 100).quantize(Decimal("1")) * 100).quantize(Decimal("0.01")),
            path=story.renewal_path,
            times=[when(d) for d in story.renewal_days],
            outcome=plan.renewal,
            reasons=catalog.RENEWAL_WON_REASONS if renewed else catalog.RENEWAL_LOST_REASONS,
        )
        return None  # customers who renew keep engaging all year

    # ---- visitors who never said who they are -------------------------------------------

    def anonymous(self) -> None:
        rng = self.rng
        target = self.size.touchpoints
        while len(self.plan.touchpoints) < target:
            first = self.ago(rng.uniform(0.2, HISTORY_DAYS))
            visitor = self.new_visitor(first)
            for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
                moment = (
                    first
                    if index == 0
                    else self.between(first, min(self.ago(0.1), first + timedelta(days=30)))
                )
                key = self.pick_campaign(moment, acquire=index == 0, kinds=[WEB, PRESS])
                if key is not None:
                    self.web_visit(key, moment, visitor, None)
        # the last visit may overshoot the exact count
        del self.plan.touchpoints[target:]

    def finish(self) -> None:
        """Visitors' first and last sightings follow their touches; unused visitors go."""
        seen: dict[int, list[datetime]] = {}
        for tp in self.plan.touchpoints:
            if tp.visitor is not None:
                seen.setdefault(id(tp.visitor), []).append(tp.occurred_at)
        self.plan.visitors = [v for v in self.plan.visitors if id(v) in seen]
        for visitor in self.plan.visitors:
            times = seen[id(visitor)]
            visitor.first_seen_at, visitor.last_seen_at = min(times), max(times)
        for person in self.people:
            known = self.plan.company_created.get(id(person.company))
            if known is None or person.created < known:
                self.plan.company_created[id(person.company)] = person.created

    def build(self) -> Plan:
        self.companies()
        for slot in self.slots():
            self.person(slot)
        if len(self.plan.touchpoints) > self.size.touchpoints:
            raise ValueError("The demo's contacts alone exceed its touchpoint count.")
        self.anonymous()
        self.finish()
        return self.plan
