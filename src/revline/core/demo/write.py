"""Store a planned demo in bulk, in the order the services would have written it.

Rows are inserted sorted by time, so primary keys follow history as they would in a workspace
that grew day by day.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model

from revline.content.models import FormSubmission
from revline.leads.models import LifecycleTransition
from revline.people.models import Company, ConsentRecord, Contact, Tag, TimelineEvent
from revline.people.services import tags_from_names
from revline.sales.models import Activity, Deal, DealStageChange
from revline.tracking.models import Touchpoint, Visitor

from .plan import Plan

M = TypeVar("M", bound=Model)
BATCH = 2000
Report = Callable[[str, int, int], None]


def _insert(
    model: type[M], rows: Sequence[M], report: Report | None = None, label: str = ""
) -> None:
    for start in range(0, len(rows), BATCH):
        model._default_manager.bulk_create(rows[start : start + BATCH], batch_size=500)
        if report is not None:
            report(label, min(start + BATCH, len(rows)), len(rows))


def _by_time(rows: list[M], when: Callable[[M], datetime]) -> list[M]:
    # sorted() is stable: rows written at the same moment keep the services' order
    return sorted(rows, key=when)


def _tags(through: Any, owner_field: str, pairs: list[tuple[Any, str]]) -> None:
    tags: dict[str, Tag] = {t.name: t for t in tags_from_names(name for _, name in pairs)}
    seen: set[tuple[int, int]] = set()
    rows = []
    for owner, name in pairs:
        key = (owner.pk, tags[name].pk)
        if key not in seen:
            seen.add(key)
            rows.append(through(**{f"{owner_field}_id": owner.pk, "tag_id": tags[name].pk}))
    through.objects.bulk_create(rows, batch_size=500)


def write_people(plan: Plan, report: Report) -> None:
    """Companies and contacts, with the creation times of their history.

    `created_at` is set automatically on insert; it is then moved back to when the record first
    appeared, the moment its "contact created" timeline event shows.
    """
    _insert(Company, plan.companies)
    for company in plan.companies:
        company.created_at = plan.company_created.get(id(company), company.created_at)
    Company.objects.bulk_update(plan.companies, ["created_at"], batch_size=500)
    _tags(Company.tags.through, "company", plan.company_tags)
    contacts = _by_time(plan.contacts, lambda c: plan.contact_created[id(c)])
    _insert(Contact, contacts, report, "contacts")
    for contact in contacts:
        contact.created_at = plan.contact_created[id(contact)]
    Contact.objects.bulk_update(contacts, ["created_at"], batch_size=500)
    _tags(Contact.tags.through, "contact", plan.contact_tags)


def write_tracking(plan: Plan, report: Report) -> None:
    _insert(Visitor, _by_time(plan.visitors, lambda v: v.first_seen_at))
    _insert(Touchpoint, _by_time(plan.touchpoints, lambda t: t.occurred_at), report, "touchpoints")
    _insert(FormSubmission, _by_time(plan.submissions, lambda s: s.submitted_at))


def write_lifecycle(plan: Plan) -> None:
    _insert(ConsentRecord, _by_time(plan.consents, lambda c: c.recorded_at))
    _insert(LifecycleTransition, _by_time(plan.transitions, lambda t: t.occurred_at))


def write_sales(plan: Plan, report: Report) -> None:
    _insert(Deal, _by_time(plan.deals, lambda d: d.created_at), report, "deals")
    _insert(DealStageChange, _by_time(plan.stage_changes, lambda c: c.changed_at))
    _insert(Activity, _by_time(plan.activities, lambda a: a.occurred_at))


def write_timeline(plan: Plan, report: Report) -> None:
    rows: list[TimelineEvent] = []
    for planned in plan.events:
        event = planned.event
        if planned.activity is not None:
            # people.events.activity_logged puts the activity's id first
            event.params = {"activity_id": planned.activity.pk, **event.params}
        rows.append(event)
    _insert(TimelineEvent, _by_time(rows, lambda e: e.occurred_at), report, "timeline events")
