"""Record-level visibility per object type (core.visibility), surface by surface."""

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from revline.audit.models import AuditEntry
from revline.core.models import Role
from revline.core.selectors import workspace_summary
from revline.core.services import api_token_issue
from revline.core.visibility import scope_for
from revline.core.workspace import workspace_get, workspace_visibility_update
from revline.people.models import Company, Contact
from revline.people.services import company_create, contact_create
from revline.sales.activity_services import activity_log
from revline.sales.services import deal_create, pipeline_default
from revline.sales.visibility import deals_visible_to
from revline.segments.services import segment_create

from ..conftest import make_user


def set_visibility(**values: str) -> None:
    workspace = workspace_get()
    for kind, value in values.items():
        setattr(workspace, f"{kind}_visibility", value)
    workspace.save()


def csv_names(response: Any) -> list[str]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return sorted(row[1] for row in list(csv.reader(io.StringIO(text)))[1:])


def api_get(client: Any, user: Any, path: str) -> Any:
    token = api_token_issue(user=user, name="t").raw
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def people(rep_a, rep_b, manager_a):
    """One contact per owner (rep A, manager A of the same team, rep B) and one unowned."""
    acme = company_create(actor=None, name="Acme", owner=rep_b)
    return {
        "ann": contact_create(
            actor=None, first_name="Ann", owner=rep_a, company=acme, tags=["vip"]
        ),
        "max": contact_create(actor=None, first_name="Max", owner=manager_a, tags=["vip"]),
        "bob": contact_create(
            actor=None, first_name="Bob", owner=rep_b, company=acme, tags=["vip"]
        ),
        "una": contact_create(actor=None, first_name="Una", tags=["vip"]),
        "acme": acme,
    }


# --- The setting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_defaults_keep_the_old_behaviour():
    workspace = workspace_get()
    assert (workspace.contact_visibility, workspace.company_visibility) == ("all", "all")
    assert (workspace.deal_visibility, workspace.activity_visibility) == ("team", "all")


@pytest.mark.django_db
def test_admins_and_marketers_see_all_whatever_the_setting(admin_user, marketer, rep_a):
    set_visibility(contact="own", company="own", deal="own", activity="own")
    assert [scope_for(u, "contact") for u in (admin_user, marketer, rep_a)] == ["all", "all", "own"]


@pytest.mark.django_db
def test_admin_saves_the_settings_page(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/settings/workspace/")
    assert 'name="contact"' in page.content.decode()

    response = client.post(
        "/settings/workspace/visibility",
        {"contact": "own", "company": "team", "deal": "all", "activity": "own"},
    )

    assert response.status_code == 302
    workspace = workspace_get()
    assert (workspace.contact_visibility, workspace.company_visibility) == ("own", "team")
    assert (workspace.deal_visibility, workspace.activity_visibility) == ("all", "own")
    assert AuditEntry.objects.filter(object_type="core.workspace").count() == 1


@pytest.mark.django_db
def test_unknown_value_is_refused_and_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/settings/workspace/visibility",
        {"contact": "everyone", "company": "team", "deal": "all", "activity": "own"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert workspace_get().company_visibility == "all"


@pytest.mark.django_db
def test_marketer_may_not_change_it(client, marketer):
    client.force_login(marketer)
    response = client.post(
        "/settings/workspace/visibility",
        {"contact": "own", "company": "own", "deal": "own", "activity": "own"},
    )
    assert response.status_code == 403
    assert workspace_get().contact_visibility == "all"


@pytest.mark.django_db
def test_service_refuses_non_admins_and_bad_values(rep_a, admin_user):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        workspace_visibility_update(
            actor=rep_a, contact="own", company="own", deal="own", activity="own"
        )
    with pytest.raises(ValidationError) as error:
        workspace_visibility_update(
            actor=admin_user, contact="mine", company="own", deal="own", activity="own"
        )
    assert list(error.value.message_dict) == ["contact_visibility"]
    assert workspace_get().deal_visibility == "team"


# --- Contacts and companies on pages, exports, API and counts ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "user", "expected"),
    [
        ("all", "rep_a", ["Ann", "Bob", "Max", "Una"]),
        ("team", "rep_a", ["Ann", "Max", "Una"]),
        ("team", "rep_b", ["Bob", "Una"]),
        ("own", "rep_a", ["Ann", "Una"]),
        ("own", "manager_a", ["Max", "Una"]),
        ("own", "marketer", ["Ann", "Bob", "Max", "Una"]),
    ],
)
def test_contact_list_export_api_and_home_follow_the_setting(
    client, people, request, marketer, setting, user, expected
):
    set_visibility(contact=setting)
    viewer = request.getfixturevalue(user)
    client.force_login(viewer)

    listed = client.get("/people/contacts/").context["listing"].page
    exported = csv_names(client.get("/people/contacts/export.csv"))
    api = api_get(client, viewer, "/contacts?limit=100").json()

    assert sorted(c.first_name for c in listed) == expected
    assert exported == expected
    assert sorted(item["first_name"] for item in api["items"]) == expected
    assert workspace_summary(viewer=viewer).contacts == len(expected)


@pytest.mark.django_db
def test_hidden_contact_is_not_found_on_its_page_and_in_the_api(client, people, rep_b):
    set_visibility(contact="own")
    client.force_login(rep_b)
    ann = people["ann"]

    assert client.get(f"/people/contacts/{ann.pk}/").status_code == 404
    assert client.get(f"/people/contacts/{ann.pk}/edit/").status_code == 404
    note = client.post(f"/people/contacts/{ann.pk}/notes/", {"subject": "x", "body": "y"})
    assert note.status_code == 404
    assert api_get(client, rep_b, f"/contacts/{ann.pk}").status_code == 404
    assert api_get(client, rep_b, f"/contacts/{ann.pk}/timeline").status_code == 404
    assert api_get(client, rep_b, f"/contacts/{ann.pk}/consents").status_code == 404
    assert ann.activities.count() == 0  # the refused note was not written
    assert client.get(f"/people/contacts/{people['una'].pk}/").status_code == 200


@pytest.mark.django_db
def test_search_does_not_find_hidden_contacts(client, people, rep_b):
    set_visibility(contact="own")
    client.force_login(rep_b)
    assert list(client.get("/people/contacts/", {"q": "Ann"}).context["listing"].page) == []
    assert api_get(client, rep_b, "/contacts?q=Ann").json()["items"] == []


@pytest.mark.django_db
def test_company_page_lists_and_counts_only_visible_contacts(client, people, rep_b, rep_a):
    set_visibility(contact="own")
    acme = people["acme"]
    client.force_login(rep_b)

    profile = client.get(f"/people/companies/{acme.pk}/").context["profile"]
    api = api_get(client, rep_b, f"/companies/{acme.pk}").json()

    assert [c.first_name for c in profile.contacts] == ["Bob"]
    assert profile.contact_count == 1
    assert api["contact_count"] == 1
    listed = client.get("/people/companies/").context["listing"].page
    assert [c.contact_count for c in listed] == [1]


@pytest.mark.django_db
def test_hidden_company_is_not_listed_exported_or_found(client, people, rep_a):
    set_visibility(company="team")
    acme = people["acme"]
    client.force_login(rep_a)

    assert list(client.get("/people/companies/").context["listing"].page) == []
    assert csv_names(client.get("/people/companies/export.csv")) == []
    assert client.get(f"/people/companies/{acme.pk}/").status_code == 404
    assert api_get(client, rep_a, "/companies").json()["items"] == []
    assert api_get(client, rep_a, f"/companies/{acme.pk}").status_code == 404
    assert workspace_summary(viewer=rep_a).companies == 0


@pytest.mark.django_db
def test_api_refuses_a_hidden_company_as_a_contacts_company(client, people, rep_a):
    set_visibility(company="own")
    token = api_token_issue(user=rep_a, name="t").raw
    response = client.post(
        "/api/v1/contacts",
        {"first_name": "New", "company_id": people["acme"].pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert not Contact.objects.filter(first_name="New").exists()


# --- Segments ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_segment_count_members_and_export_are_narrowed_for_sales_roles(
    client, people, rep_a, marketer
):
    set_visibility(contact="own")
    vip = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    segment = segment_create(actor=None, name="VIPs", definition=vip)

    client.force_login(rep_a)
    detail = client.get(f"/segments/{segment.pk}/").context["detail"]
    assert (detail.count, sorted(c.first_name for c in detail.members)) == (2, ["Ann", "Una"])
    assert csv_names(client.get(f"/segments/{segment.pk}/export.csv")) == ["Ann", "Una"]

    client.force_login(marketer)
    assert client.get(f"/segments/{segment.pk}/").context["detail"].count == 4


# --- Deals and activities ----------------------------------------------------------------------


@pytest.fixture
def deals(rep_a, manager_a, rep_b):
    pipeline_default()
    return {
        name: deal_create(actor=None, owner=owner, name=name, amount=Decimal("100"))
        for name, owner in (("mine", rep_a), ("team", manager_a), ("other", rep_b), ("free", None))
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "expected"),
    [("all", ["free", "mine", "other", "team"]), ("team", ["free", "mine", "team"]),
     ("own", ["free", "mine"])],
)  # fmt: skip
def test_deal_setting_has_three_values(client, deals, rep_a, setting, expected):
    set_visibility(deal=setting)
    assert sorted(d.name for d in deals_visible_to(rep_a)) == expected
    api = api_get(client, rep_a, "/deals?limit=100").json()
    assert sorted(item["name"] for item in api["items"]) == expected


@pytest.mark.django_db
def test_activity_owner_is_assignee_else_author_and_hidden_ones_leave_the_timeline(
    client, people, rep_a, rep_b
):
    set_visibility(activity="own")
    una = people["una"]
    activity_log(actor=rep_b, kind="note", subject="Bob's note", contact=una)
    activity_log(actor=rep_a, kind="note", subject="Ann's note", contact=una)
    client.force_login(rep_a)

    timeline = client.get(f"/people/contacts/{una.pk}/").context["profile"].timeline
    api = api_get(client, rep_a, f"/contacts/{una.pk}/timeline").json()

    assert [i.title for i in timeline if i.activity_id] == ["Note: Ann's note"]
    subjects = [i["params"].get("subject") for i in api if i["kind"] == "activity"]
    assert subjects == ["Ann's note"]


@pytest.mark.django_db
def test_unowned_records_stay_visible_to_a_rep_without_team(client, people):
    loner = make_user("loner", Role.SALES_REP)
    set_visibility(contact="team", company="team")
    client.force_login(loner)
    assert [c.first_name for c in client.get("/people/contacts/").context["listing"].page] == [
        "Una"
    ]
    assert Company.objects.count() == 1
    assert workspace_summary(viewer=loner).companies == 0
