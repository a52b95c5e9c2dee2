"""A small workspace history for predictive scoring: VPs who viewed /pricing mostly bought."""

from datetime import UTC, datetime, timedelta

from revline.leads.models import LifecycleTransition
from revline.people.models import Company, Contact, LifecycleStage
from revline.tracking.models import Touchpoint, TouchpointKind

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def history_build(*, vps: int = 40, analysts: int = 40, buyers: int = 30) -> dict[str, list]:
    """`vps` VPs and `analysts` analysts created 200 days ago; every VP viewed /pricing three
    times before the first reference date (NOW - 180 days) and the first `buyers` VPs became
    customers 150 days ago, as did 2 analysts. Returns the contacts by group."""
    company = Company.objects.create(name="Acme", industry="Software", size="51-200")
    created = NOW - timedelta(days=200)
    groups: dict[str, list] = {"buyers": [], "vps": [], "analysts": [], "analyst_buyers": []}
    contacts = []
    for i in range(vps + analysts):
        vp = i < vps
        contacts.append(
            Contact(
                email=f"p{i}@acme.test",
                first_name=f"P{i}",
                title="VP Marketing" if vp else "Data Analyst",
                company=company,
                country="DE",
                lifecycle_stage=LifecycleStage.LEAD,
            )
        )
    Contact.objects.bulk_create(contacts)
    Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(created_at=created)
    touches = []
    converted = []
    for i, contact in enumerate(contacts):
        vp = i < vps
        for day in (195, 192, 190) if vp else ():
            touches.append(
                Touchpoint(
                    kind=TouchpointKind.PAGE_VIEW,
                    contact=contact,
                    occurred_at=NOW - timedelta(days=day),
                    url="https://acme.test/pricing",
                )
            )
        touches.append(
            Touchpoint(
                kind=TouchpointKind.EMAIL_OPEN,
                contact=contact,
                occurred_at=NOW - timedelta(days=185),
            )
        )
        if (vp and i < buyers) or (not vp and i - vps < 2):
            converted.append(contact)
            groups["buyers" if vp else "analyst_buyers"].append(contact)
        else:
            groups["vps" if vp else "analysts"].append(contact)
    Touchpoint.objects.bulk_create(touches)
    LifecycleTransition.objects.bulk_create(
        LifecycleTransition(
            contact=contact,
            from_stage=LifecycleStage.LEAD,
            to_stage=LifecycleStage.CUSTOMER,
            occurred_at=NOW - timedelta(days=150),
            cause="deal",
        )
        for contact in converted
    )
    Contact.objects.filter(pk__in=[c.pk for c in converted]).update(
        lifecycle_stage=LifecycleStage.CUSTOMER
    )
    return groups
