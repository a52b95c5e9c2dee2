"""The demo's hand-offs: settings, rules, and a consistent history built through the services."""

import random
from datetime import UTC, datetime, timedelta

from revline.core.demo.handoff import build_handoff
from revline.core.models import Notification, Role, Team
from revline.leads.models import Handoff, LifecycleTransition, RoutingRule
from revline.leads.selectors import lead_settings_get
from revline.people.models import Company, Contact

from ..conftest import make_user

NOW = datetime(2025, 5, 21, tzinfo=UTC)  # a Wednesday, midnight UTC


def _workspace() -> None:
    enterprise = Team.objects.create(name="Enterprise")
    midmarket = Team.objects.create(name="Mid-market")
    make_user("admin", Role.ADMIN)
    make_user("omar", Role.SALES_MANAGER, enterprise)
    make_user("sam", Role.SALES_REP, enterprise)
    make_user("priya", Role.SALES_MANAGER, midmarket)
    make_user("lena", Role.SALES_REP, midmarket)
    make_user("diego", Role.SALES_REP, midmarket)
    countries = ["DE", "GB", "US", "FR"]
    for i in range(60):
        company = Company.objects.create(
            name=f"Company {i}", country=countries[i % 4], industry=["Software", "Retail"][i % 2]
        )
        Contact.objects.create(
            email=f"c{i}@example.com",
            first_name=f"C{i}",
            company=company,
            lifecycle_stage="lead",
            lifecycle_changed_at=NOW - timedelta(days=120),
            fit_score=10 + i % 30,
            engagement_score=20 + i % 50,
        )
    Contact.objects.update(created_at=NOW - timedelta(days=150))


def test_the_demo_hands_off_mqls_with_every_outcome(db):
    _workspace()
    build_handoff(rng=random.Random(7), now=NOW)

    settings = lead_settings_get()
    assert (settings.mql_fit_min, settings.mql_engagement_min) == (20, 40)
    assert settings.notify_by_email is True
    assert list(RoutingRule.objects.values_list("method", flat=True)) == [
        "territory",
        "industry",
        "company_owner",
        "round_robin",
    ]
    handoffs = Handoff.objects.all()
    statuses = {s: handoffs.filter(status=s).count() for s in ("open", "accepted", "rejected")}
    assert statuses["accepted"] > statuses["rejected"] > 0
    assert statuses["open"] >= 4
    assert handoffs.filter(deal__isnull=False).exists()
    breached = handoffs.filter(breached_at__isnull=False, status="open")
    assert breached.count() >= 3
    assert all(h.escalated_to is not None for h in breached)
    escalated = handoffs.filter(escalated_to__isnull=False).count()
    assert Notification.objects.filter(kind="sla_breach").count() == escalated
    # Some open ones still have time left at `now`
    assert handoffs.filter(status="open", due_at__gt=NOW).exists()
    # Everything happened before `now`, and every qualifying contact is past the lead stage
    assert not handoffs.filter(qualified_at__gt=NOW).exists()
    assert not LifecycleTransition.objects.filter(occurred_at__gt=NOW).exists()
    for handoff in handoffs.filter(status="rejected"):
        assert handoff.contact.lifecycle_stage == "recycled"
        assert handoff.reject_reason
    # Every hand-off is routed to an active person (nobody flagged in this workspace)
    assert not handoffs.filter(assigned_to__isnull=True).exists()
