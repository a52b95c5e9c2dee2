"""Demo activities, My day and playbooks: open tasks (some overdue, some due today) and today's
meetings for every rep, playbooks for the default pipeline's open stages, and content sent to
contacts from deals, some of it opened.

Reads the deals, users and content items the demo already holds; stores in bulk. Deterministic
except for share tokens, which must be unguessable.
"""

import random
import secrets
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from revline.content.models import ContentItem, ContentStatus
from revline.core.models import Role, User
from revline.people.models import TimelineEvent, TimelineEventKind
from revline.sales.models import (
    Activity,
    ActivityKind,
    ContentShare,
    Deal,
    DealStatus,
    Pipeline,
    StageKind,
)
from revline.sales.playbook_services import playbook_save

TASKS = [
    (ActivityKind.CALL, "Follow-up call with {contact}"),
    (ActivityKind.TASK, "Send the revised proposal to {contact}"),
    (ActivityKind.EMAIL, "Email {contact} the case study"),
    (ActivityKind.TASK, "Check security questionnaire for {deal}"),
    (ActivityKind.CALL, "Confirm budget with {contact}"),
    (ActivityKind.TASK, "Prepare pricing options for {deal}"),
    (ActivityKind.CALL, "Reference call for {deal}"),
]
MEETINGS = ["Discovery meeting: {deal}", "Product demo for {contact}", "Negotiation call: {deal}"]

PLAYBOOK: dict[int, tuple[list[str], list[str], str]] = {
    # by stage position: (questions, tasks, talk track)
    0: (
        [
            "What problem made you look for a solution now?",
            "Who else is involved in choosing?",
            "Is there a budget set aside this year?",
        ],
        ["Confirm the company size and industry", "Log the lead source"],
        "Open with the problem, not the product. Ask how they handle it today and what it "
        "costs them. Keep it to 20 minutes and agree on a discovery meeting.",
    ),
    1: (
        [
            "What does success look like in six months?",
            "Which tools do you use today, and what is missing?",
            "Who signs off, and how does buying work at your company?",
            "What happens if you do nothing?",
        ],
        ["Map the buying committee on the deal", "Book the demo with the champion"],
        "Listen more than you talk. Summarise their pains in their words and check you got "
        "them right; that summary becomes the demo agenda.",
    ),
    2: (
        ["Does the proposal cover every requirement you listed?", "Any blockers on legal or IT?"],
        ["Send the proposal within 48 hours of the demo", "Plan the decision date"],
        "Anchor on the value agreed in discovery before you show the price. Offer two options, "
        "never three.",
    ),
    3: (
        ["What would stop you from signing this month?", "Who needs to see the final terms?"],
        ["Get the order form to procurement", "Agree on the kick-off date"],
        "Trade, do not give: every discount buys something (a longer term, a case study, an "
        "earlier signature). Escalate discounts above the threshold early.",
    ),
}


def _local(now: datetime, day_offset: int, hour: int) -> datetime:
    local = timezone.localtime(now) + timedelta(days=day_offset)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _contact_name(deal: Deal) -> str:
    return str(deal.contact) if deal.contact else (deal.company.name if deal.company else "them")


def build_activities(*, rng: random.Random, now: datetime) -> None:
    sellers = list(
        User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER]).order_by(
            "username"
        )
    )
    admin = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True)).order_by("pk").first()
    _plan_activities(rng=rng, now=now, sellers=sellers)
    _write_playbooks(rng=rng, admin=admin)
    _write_shares(rng=rng, now=now)


def _plan_activities(*, rng: random.Random, now: datetime, sellers: list[User]) -> None:
    rows: list[Activity] = []
    for user in sellers:
        deals = list(
            Deal.objects.filter(owner=user, status=DealStatus.OPEN)
            .select_related("contact", "company")
            .order_by("pk")[:12]
        )
        if not deals:
            continue
        # (day offset, hour): two overdue, three today, three coming up
        slots = [(-rng.randint(2, 6), 10), (-1, 15), (0, 9), (0, 13), (0, 16)]
        slots += [(rng.randint(1, 7), rng.choice((10, 11, 14))) for _ in range(3)]
        for day_offset, hour in slots:
            deal = rng.choice(deals)
            kind, subject = rng.choice(TASKS)
            due = _local(now, day_offset, hour)
            rows.append(
                Activity(
                    kind=kind,
                    subject=subject.format(contact=_contact_name(deal), deal=deal.name)[:200],
                    deal=deal,
                    contact=deal.contact,
                    company=deal.company,
                    created_by=user,
                    assigned_to=user,
                    occurred_at=due,
                    due_at=due,
                    remind_at=due - timedelta(minutes=15) if due > now else None,
                    reminded_at=None,
                )
            )
        for hour in rng.sample([10, 11, 14, 15], k=rng.randint(1, 2)):
            deal = rng.choice(deals)
            due = _local(now, 0, hour)
            rows.append(
                Activity(
                    kind=ActivityKind.MEETING,
                    subject=rng.choice(MEETINGS).format(
                        contact=_contact_name(deal), deal=deal.name
                    )[:200],
                    deal=deal,
                    contact=deal.contact,
                    company=deal.company,
                    created_by=user,
                    assigned_to=user,
                    occurred_at=due,
                    due_at=due,
                )
            )
    Activity.objects.bulk_create(rows)


def _write_playbooks(*, rng: random.Random, admin: User | None) -> None:
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None or admin is None:
        return
    content = list(
        ContentItem.objects.filter(status=ContentStatus.PUBLISHED).exclude(url="").order_by("title")
    )
    stages = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position")
    for index, stage in enumerate(stages):
        questions, tasks, talk_track = PLAYBOOK[min(index, max(PLAYBOOK))]
        playbook_save(
            actor=admin,
            stage=stage,
            talk_track=talk_track,
            questions=questions,
            tasks=tasks,
            content=rng.sample(content, k=min(len(content), rng.randint(2, 3))),
        )


def _write_shares(*, rng: random.Random, now: datetime) -> None:
    deals = list(
        Deal.objects.filter(status=DealStatus.OPEN, contact__isnull=False, owner__isnull=False)
        .exclude(contact__email="")
        .select_related("contact", "company", "owner")
        .order_by("pk")[:40]
    )
    content = list(
        ContentItem.objects.filter(status=ContentStatus.PUBLISHED).exclude(url="").order_by("pk")
    )
    if not deals or not content:
        return
    shares: list[ContentShare] = []
    for deal in rng.sample(deals, k=min(len(deals), 12)):
        sent_at = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        opens = rng.choice((0, 0, 1, 2, 4))
        latest = now - timedelta(minutes=5)
        first = min(sent_at + timedelta(hours=rng.randint(1, 30)), latest) if opens else None
        last = min(first + timedelta(days=opens - 1), latest) if first else None
        shares.append(
            ContentShare(
                deal=deal,
                contact=deal.contact,
                content_item=rng.choice(content),
                token=secrets.token_urlsafe(32),
                sent_by=deal.owner,
                sent_at=sent_at,
                open_count=opens,
                first_opened_at=first,
                last_opened_at=last,
            )
        )
    ContentShare.objects.bulk_create(shares)
    activities = [
        Activity(
            kind=ActivityKind.EMAIL,
            subject=f"Sent content: {s.content_item.title}"[:200],
            deal=s.deal,
            contact=s.contact,
            company=s.deal.company if s.deal else None,
            created_by=s.sent_by,
            occurred_at=s.sent_at,
        )
        for s in shares
    ]
    Activity.objects.bulk_create(activities)
    events = [
        TimelineEvent(
            contact=s.contact,
            kind=TimelineEventKind.ACTIVITY,
            source="sales",
            actor=s.sent_by,
            deal=s.deal,
            occurred_at=s.sent_at,
            params={
                "activity_id": a.pk,
                "activity_kind": ActivityKind.EMAIL,
                "subject": a.subject,
                "body": "",
            },
        )
        for s, a in zip(shares, activities, strict=True)
    ]
    events += [
        TimelineEvent(
            contact=s.contact,
            kind=TimelineEventKind.ACTIVITY,
            source="sales",
            deal=s.deal,
            occurred_at=s.first_opened_at,
            params={
                "activity_kind": ActivityKind.EMAIL,
                "subject": f"Opened shared content: {s.content_item.title}",
                "body": "",
                "content_share_id": s.pk,
            },
        )
        for s in shares
        if s.first_opened_at is not None
    ]
    TimelineEvent.objects.bulk_create(events)
