"""Property: whatever the users, teams, owners and workspace settings, no listing, count or
export shows a record its reader may not see, and none leaves out a record they may see.

The expected sets come from the rule as written in docs/permissions.md, computed here in plain
Python (not with core.visibility), and are compared with what the pages, the API, the CSV
exports and the counts actually return.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revline.core.models import Role, Team, User
from revline.core.selectors import workspace_summary
from revline.core.services import api_token_issue
from revline.core.workspace import workspace_get
from revline.people.models import Company, Contact
from revline.people.selectors import company_profile
from revline.sales.activity_selectors import activity_for
from revline.sales.models import Activity, Deal
from revline.sales.services import deal_create, pipeline_default
from revline.sales.visibility import deals_visible_to

ROLES = [Role.ADMIN, Role.MARKETER, Role.SALES_REP, Role.SALES_MANAGER]
SCOPES = ["all", "team", "own"]
WHEN = datetime(2025, 3, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    users: list[tuple[str, int | None]]  # role, team index (0, 1) or None
    contacts: list[tuple[int | None, int | None]]  # owner index, company index
    companies: list[int | None]  # owner index
    deals: list[int | None]  # owner index
    activities: list[tuple[int | None, int | None, int | None]]  # assignee, author, deal
    setting: dict[str, str]


@st.composite
def worlds(draw: Any) -> World:
    users = draw(
        st.lists(
            st.tuples(st.sampled_from(ROLES), st.one_of(st.none(), st.integers(0, 1))),
            min_size=1,
            max_size=4,
        )
    )
    owner = st.one_of(st.none(), st.integers(0, len(users) - 1))
    companies = draw(st.lists(owner, max_size=4))
    company = st.one_of(st.none(), st.integers(0, len(companies) - 1)) if companies else st.none()
    contacts = draw(st.lists(st.tuples(owner, company), max_size=6))
    deals = draw(st.lists(owner, max_size=3))
    deal = st.one_of(st.none(), st.integers(0, len(deals) - 1)) if deals else st.none()
    activities = draw(st.lists(st.tuples(owner, owner, deal), max_size=5))
    kinds = ("contact", "company", "deal", "activity")
    setting = {kind: draw(st.sampled_from(SCOPES)) for kind in kinds}
    return World(users, contacts, companies, deals, activities, setting)


# --- The rule, independently ---------------------------------------------------------------------


def may_see(viewer: User, owner: User | None, scope: str) -> bool:
    if viewer.role in (Role.ADMIN, Role.MARKETER) or scope == "all" or owner is None:
        return True
    if owner.pk == viewer.pk:
        return True
    return scope == "team" and viewer.team_id is not None and owner.team_id == viewer.team_id


def may_see_activity(viewer: User, activity: Activity, scope: dict[str, str]) -> bool:
    owner = activity.assigned_to or activity.created_by
    if not may_see(viewer, owner, scope["activity"]):
        return False
    return activity.deal is None or may_see(viewer, activity.deal.owner, scope["deal"])


# --- What the app shows --------------------------------------------------------------------------


def csv_ids(response: Any) -> set[int]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {int(row[0]) for row in list(csv.reader(io.StringIO(text)))[1:]}


def page_ids(response: Any) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["listing"].page}


def api_ids(client: Client, token: str, path: str) -> set[int]:
    response = client.get(f"/api/v1{path}?limit=100", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


def build(world: World) -> tuple[list[User], list[Contact], list[Company], list[Deal], list[Any]]:
    teams = [Team.objects.create(name=f"T{i}") for i in range(2)]
    users = [
        User.objects.create(
            username=f"u{i}",
            email=f"u{i}@example.com",
            role=role,
            team=teams[team] if team is not None else None,
        )
        for i, (role, team) in enumerate(world.users)
    ]

    def user(index: int | None) -> User | None:
        return users[index] if index is not None else None

    companies = [
        Company.objects.create(name=f"Co{i}", owner=user(o)) for i, o in enumerate(world.companies)
    ]
    contacts = [
        Contact.objects.create(
            first_name=f"C{i}",
            email=f"c{i}@example.com",
            owner=user(o),
            company=companies[c] if c is not None else None,
        )
        for i, (o, c) in enumerate(world.contacts)
    ]
    pipeline_default()
    deals = [
        deal_create(actor=None, owner=user(o), name=f"D{i}", amount=Decimal("100"))
        for i, o in enumerate(world.deals)
    ]
    activities = [
        Activity.objects.create(
            subject=f"A{i}",
            occurred_at=WHEN,
            assigned_to=user(a),
            created_by=user(b),
            deal=deals[d] if d is not None else None,
        )
        for i, (a, b, d) in enumerate(world.activities)
    ]
    workspace = workspace_get()
    for kind, value in world.setting.items():
        setattr(workspace, f"{kind}_visibility", value)
    workspace.save()
    return users, contacts, companies, deals, activities


def check_viewer(viewer: User, world: World, records: tuple[Any, ...]) -> None:
    _, contacts, companies, deals, activities = records
    scope = world.setting
    seen_contacts = {c.pk for c in contacts if may_see(viewer, c.owner, scope["contact"])}
    seen_companies = {c.pk for c in companies if may_see(viewer, c.owner, scope["company"])}
    seen_deals = {d.pk for d in deals if may_see(viewer, d.owner, scope["deal"])}
    seen_activities = {a.pk for a in activities if may_see_activity(viewer, a, scope)}

    client = Client()
    client.force_login(viewer)
    token = api_token_issue(user=viewer, name="property").raw

    # Pages, their CSV exports and the API list exactly the visible records.
    assert page_ids(client.get("/people/contacts/")) == seen_contacts
    assert page_ids(client.get("/people/companies/")) == seen_companies
    assert csv_ids(client.get("/people/contacts/export.csv")) == seen_contacts
    assert csv_ids(client.get("/people/companies/export.csv")) == seen_companies
    assert api_ids(client, token, "/contacts") == seen_contacts
    assert api_ids(client, token, "/companies") == seen_companies
    assert api_ids(client, token, "/deals") == seen_deals

    # Record pages and API reads answer 404 for the hidden ones.
    for contact in contacts:
        expected = 200 if contact.pk in seen_contacts else 404
        assert client.get(f"/people/contacts/{contact.pk}/").status_code == expected
        api = client.get(f"/api/v1/contacts/{contact.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.status_code == expected
    for company in companies:
        expected = 200 if company.pk in seen_companies else 404
        assert client.get(f"/people/companies/{company.pk}/").status_code == expected
        if company.pk in seen_companies:
            # The company page lists (and counts) only its visible contacts.
            profile = company_profile(company=company, viewer=viewer)
            mine = {c.pk for c in contacts if c.company_id == company.pk}
            assert {c.pk for c in profile.contacts} == mine & seen_contacts
            assert profile.contact_count == len(mine & seen_contacts)

    # Counts and the other readers.
    summary = workspace_summary(viewer=viewer)
    assert summary.contacts == len(seen_contacts)
    assert summary.companies == len(seen_companies)
    assert summary.open_deals == len(seen_deals)
    assert {c.pk for c in summary.recent_contacts} <= seen_contacts
    assert set(deals_visible_to(viewer).values_list("pk", flat=True)) == seen_deals
    shown = {a.pk for a in activities if activity_for(user=viewer, pk=a.pk) is not None}
    assert shown == seen_activities


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_every_listing_count_and_export_shows_exactly_the_visible_records(world: World) -> None:
    # Each example runs in its own savepoint, rolled back, so examples do not see each other.
    with transaction.atomic():
        records = build(world)
        for viewer in records[0]:
            check_viewer(viewer, world, records)
        transaction.set_rollback(True)
