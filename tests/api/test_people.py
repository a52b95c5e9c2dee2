from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from revline.campaigns.models import Campaign, Channel
from revline.people import events
from revline.people.models import Company, ConsentRecord, Contact, TimelineEvent
from revline.people.services import company_create, contact_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

from .conftest import error_fields


@pytest.fixture
def acme(db) -> Company:
    return company_create(actor=None, name="Acme", domain="acme.test", industry="Software")


# --- contacts: create -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_contact_returns_it_normalized(api_as, marketer, rep_a, acme):
    # When
    response = api_as(marketer).post(
        "/contacts",
        {
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "email": "ADA@Example.com",
            "phone": "+44 20 1234",
            "title": "CTO",
            "company_id": acme.pk,
            "country": "gb",
            "owner_id": rep_a.pk,
            "tags": ["VIP", "conference", "vip"],
        },
    )
    # Then
    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get()
    assert body["id"] == contact.pk
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": contact.pk,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 1234",
        "title": "CTO",
        "company": {"id": acme.pk, "name": "Acme"},
        "country": "GB",
        "source": "api",
        "owner": {"id": rep_a.pk, "name": "Rep_A", "email": "rep_a@example.com"},
        "tags": ["conference", "vip"],
        "lifecycle_stage": "subscriber",
        "lifecycle_changed_at": None,
        "fit_score": 0,
        "engagement_score": 0,
        "predicted_probability": None,
        "predicted_tier": "",
    }
    assert contact.email == "ada@example.com"
    assert list(contact.events.values_list("kind", "source", "actor")) == [
        ("contact_created", "api", marketer.pk)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 250 + "@x.io"}, "email"),
        ({"first_name": "A" * 101}, "first_name"),
        ({"first_name": "Ada", "country": "GBR"}, "country"),
        ({"first_name": "Ada", "company_id": "acme"}, "company_id"),
        ({"first_name": "Ada", "tags": ["x" * 51]}, 0),
        ({"first_name": "Ada", "lifecycle_stage": "customer"}, "lifecycle_stage"),
        ({"first_name": "Ada", "id": 99}, "id"),
        ({"first_name": "Ada", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"first_name": 12}, "first_name"),
        ({"first_name": None}, "first_name"),
    ],
)
def test_create_contact_with_a_bad_field_is_422_naming_it(api_as, marketer, body, field):
    # When
    response = api_as(marketer).post("/contacts", body)
    # Then
    assert response.status_code == 422
    assert error_fields(response) == [str(field)]
    assert response.json()["detail"][0]["loc"][:2] == ["body", "payload"]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_create_contact_needs_an_email_or_a_name(api_as, marketer):
    response = api_as(marketer).post("/contacts", {"phone": "123"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "Value error, Give at least an email, a first name or a last name."
    )
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_create_contact_with_a_duplicate_email_is_422_naming_email(api_as, marketer):
    # Given
    contact_create(actor=None, email="ada@example.com", first_name="Ada")
    # When: same address, other case
    response = api_as(marketer).post("/contacts", {"email": "ADA@example.com", "first_name": "X"})
    # Then
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "email"],
                "msg": "A contact with this email already exists.",
                "type": "value_error",
            }
        ]
    }
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ada"]


@pytest.mark.django_db
def test_create_contact_with_an_unknown_company_is_422_naming_company_id(api_as, marketer):
    response = api_as(marketer).post("/contacts", {"first_name": "Ada", "company_id": 999})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "company_id"],
            "msg": "There is no company with id 999.",
            "type": "value_error",
        }
    ]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_create_contact_with_a_deactivated_owner_is_422_naming_owner_id(api_as, marketer, rep_b):
    rep_b.is_active = False
    rep_b.save()
    response = api_as(marketer).post("/contacts", {"first_name": "Ada", "owner_id": rep_b.pk})
    assert response.status_code == 422
    assert error_fields(response) == ["owner_id"]
    assert Contact.objects.count() == 0


# --- contacts: read and list ------------------------------------------------------------------


@pytest.mark.django_db
def test_get_contact(api_as, rep_a, acme):
    contact = contact_create(actor=None, first_name="Ada", email="ada@example.com", company=acme)
    body = api_as(rep_a).get(f"/contacts/{contact.pk}").json()
    assert (body["id"], body["email"], body["company"]) == (
        contact.pk,
        "ada@example.com",
        {"id": acme.pk, "name": "Acme"},
    )


@pytest.mark.django_db
def test_unknown_contact_is_404(api_as, rep_a):
    api = api_as(rep_a)
    assert api.get("/contacts/999").status_code == 404
    assert api.get("/contacts/999").json() == {"detail": "Not Found"}
    assert api.patch("/contacts/999", {"first_name": "X"}).status_code == 404
    assert api.get("/contacts/999/timeline").status_code == 404
    assert api.post("/contacts/999/consents", {"purpose": "x", "granted": True}).status_code == 404


@pytest.fixture
def people(db, rep_a, acme):
    """Three contacts created one day apart: Ada (oldest), Bob, Cy (newest)."""
    ada = contact_create(
        actor=None,
        first_name="Ada",
        last_name="Zeta",
        email="ada@example.com",
        company=acme,
        tags=["vip"],
        owner=rep_a,
    )
    bob = contact_create(actor=None, first_name="Bob", last_name="Young", email="bob@other.test")
    cy = contact_create(
        actor=None, first_name="Cy", last_name="Xu", email="cy@example.com", tags=["vip"]
    )
    base = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    for days, contact in enumerate([ada, bob, cy]):
        Contact.objects.filter(pk=contact.pk).update(created_at=base + timedelta(days=days))
    Contact.objects.filter(pk=bob.pk).update(lifecycle_stage="lead")
    return {"ada": ada, "bob": bob, "cy": cy}


def _ids(response):
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.django_db
def test_list_contacts_newest_first_with_total(api_as, rep_a, people):
    response = api_as(rep_a).get("/contacts")
    assert response.status_code == 200
    assert _ids(response) == [people["cy"].pk, people["bob"].pk, people["ada"].pk]
    assert (response.json()["total"], response.json()["limit"], response.json()["offset"]) == (
        3,
        50,
        0,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "example.com"}, ["cy", "ada"]),
        ({"q": "acme"}, ["ada"]),
        ({"q": "YOUNG"}, ["bob"]),
        ({"lifecycle_stage": "lead"}, ["bob"]),
        ({"tag": "VIP"}, ["cy", "ada"]),
        ({"created_after": "2025-03-02"}, ["cy", "bob"]),
        ({"created_after": "2025-03-02T09:00:01Z"}, ["cy"]),
        ({"sort": "last_name"}, ["cy", "bob", "ada"]),
        ({"sort": "-email"}, ["cy", "bob", "ada"]),
        ({"sort": "created_at"}, ["ada", "bob", "cy"]),
        ({"q": "nobody"}, []),
    ],
)
def test_list_contacts_filters_and_sorts(api_as, rep_a, people, params, expected):
    response = api_as(rep_a).get("/contacts", params)
    assert response.status_code == 200
    assert _ids(response) == [people[name].pk for name in expected]
    assert response.json()["total"] == len(expected)


@pytest.mark.django_db
def test_list_contacts_by_owner_and_company(api_as, rep_a, people, acme):
    api = api_as(rep_a)
    assert _ids(api.get("/contacts", {"owner_id": rep_a.pk})) == [people["ada"].pk]
    assert _ids(api.get("/contacts", {"company_id": acme.pk})) == [people["ada"].pk]


@pytest.mark.django_db
def test_list_contacts_pages_with_limit_and_offset(api_as, rep_a, people):
    response = api_as(rep_a).get("/contacts", {"limit": 1, "offset": 1})
    assert _ids(response) == [people["bob"].pk]
    assert response.json()["total"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "password"}, "sort"),
        ({"lifecycle_stage": "king"}, "lifecycle_stage"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"owner_id": "me"}, "owner_id"),
        ({"created_after": "yesterday"}, "created_after"),
    ],
)
def test_list_contacts_with_a_bad_parameter_is_422_naming_it(api_as, rep_a, params, field):
    response = api_as(rep_a).get("/contacts", params)
    assert response.status_code == 422
    assert error_fields(response) == [field]


# --- contacts: update and delete --------------------------------------------------------------


@pytest.mark.django_db
def test_patch_contact_changes_only_the_fields_sent(api_as, marketer, people):
    # Given
    ada = people["ada"]
    # When
    response = api_as(marketer).patch(
        f"/contacts/{ada.pk}", {"title": "CEO", "company_id": None, "tags": ["Partner"]}
    )
    # Then
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["company"], body["tags"], body["first_name"], body["email"]) == (
        "CEO",
        None,
        ["partner"],
        "Ada",
        "ada@example.com",
    )
    ada.refresh_from_db()
    assert (ada.title, ada.company_id, ada.first_name) == ("CEO", None, "Ada")
    assert list(ada.tags.values_list("name", flat=True)) == ["partner"]


@pytest.mark.django_db
def test_patch_contact_to_a_taken_email_is_422_and_changes_nothing(api_as, marketer, people):
    ada = people["ada"]
    response = api_as(marketer).patch(
        f"/contacts/{ada.pk}", {"first_name": "Changed", "email": "Bob@Other.test"}
    )
    assert response.status_code == 422
    assert error_fields(response) == ["email"]
    ada.refresh_from_db()
    assert (ada.first_name, ada.email) == ("Ada", "ada@example.com")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"email": "nope"}, "email"),
        ({"lifecycle_stage": "customer"}, "lifecycle_stage"),
        ({"owner_id": 9999}, "owner_id"),
    ],
)
def test_patch_contact_with_a_bad_field_is_422_and_changes_nothing(
    api_as, marketer, people, body, field
):
    ada = people["ada"]
    response = api_as(marketer).patch(f"/contacts/{ada.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    ada.refresh_from_db()
    assert (ada.first_name, ada.email, ada.lifecycle_stage, ada.owner_id) == (
        "Ada",
        "ada@example.com",
        "subscriber",
        people["ada"].owner_id,
    )


@pytest.mark.django_db
def test_admin_deletes_a_contact(api_as, admin_user, people):
    response = api_as(admin_user).delete(f"/contacts/{people['ada'].pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Contact.objects.filter(pk=people["ada"].pk).exists()
    assert Contact.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["marketer", "rep_a", "manager_a"])
def test_only_admins_delete_contacts(api_as, request, people, who):
    response = api_as(request.getfixturevalue(who)).delete(f"/contacts/{people['ada'].pk}")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only admins can delete contacts."}
    assert Contact.objects.count() == 3


@pytest.mark.django_db
def test_delete_unknown_contact_is_404(api_as, admin_user):
    assert api_as(admin_user).delete("/contacts/999").status_code == 404


# --- timeline and consents --------------------------------------------------------------------


@pytest.mark.django_db
def test_timeline_merges_touchpoints_and_events_newest_first(api_as, rep_a, people):
    # Given
    ada = people["ada"]
    TimelineEvent.objects.filter(contact=ada).delete()
    campaign = Campaign.objects.create(name="Spring", channel=Channel.PAID_SEARCH)
    t0 = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    click = touchpoint_record(
        kind=TouchpointKind.CLICK, visitor=None, contact=ada, campaign=campaign, occurred_at=t0
    )
    event = events.lifecycle_changed(
        contact=ada,
        from_stage="subscriber",
        to_stage="lead",
        source="form",
        occurred_at=t0 + timedelta(hours=1),
    )
    view = touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=None,
        contact=ada,
        occurred_at=t0 + timedelta(hours=2),
    )
    # When
    response = api_as(rep_a).get(f"/contacts/{ada.pk}/timeline")
    # Then
    assert response.status_code == 200
    assert [(i["type"], i["id"], i["kind"]) for i in response.json()] == [
        ("touchpoint", view.pk, "page_view"),
        ("event", event.pk, "lifecycle_changed"),
        ("touchpoint", click.pk, "click"),
    ]
    assert response.json()[1]["params"] == {
        "from_stage": "subscriber",
        "to_stage": "lead",
        "reason": "",
    }
    assert (response.json()[2]["campaign_id"], response.json()[2]["campaign_name"]) == (
        campaign.pk,
        "Spring",
    )
    assert response.json()[2]["channel"] == "paid_search"
    # And: limit keeps the newest
    limited = api_as(rep_a).get(f"/contacts/{ada.pk}/timeline", {"limit": 2}).json()
    assert [i["id"] for i in limited] == [view.pk, event.pk]


@pytest.mark.django_db
def test_record_consent_appends_a_record(api_as, marketer, people):
    # Given
    ada = people["ada"]
    # When
    response = api_as(marketer).post(
        f"/contacts/{ada.pk}/consents",
        {
            "purpose": "marketing_email",
            "granted": True,
            "source": "crm import",
            "wording": "Send me news",
            "wording_version": "v2",
            "ip_address": "203.0.113.7",
        },
    )
    # Then
    assert response.status_code == 201
    record = ConsentRecord.objects.get()
    body = response.json()
    assert {k: v for k, v in body.items() if k != "recorded_at"} == {
        "id": record.pk,
        "purpose": "marketing_email",
        "status": "granted",
        "source": "crm import",
        "wording": "Send me news",
        "wording_version": "v2",
        "ip_address": "203.0.113.7",
    }
    assert abs(record.recorded_at - timezone.now()) < timedelta(minutes=1)
    assert ada.events.filter(kind="consent_changed").count() == 1
    # And: withdrawing appends, it never edits
    api_as(marketer).post(
        f"/contacts/{ada.pk}/consents", {"purpose": "marketing_email", "granted": False}
    )
    listed = api_as(marketer).get(f"/contacts/{ada.pk}/consents").json()
    assert [(c["status"], c["source"]) for c in listed] == [
        ("withdrawn", "api"),
        ("granted", "crm import"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "", "granted": True}, "purpose"),
        ({"purpose": "x" * 51, "granted": True}, "purpose"),
        ({"purpose": "email", "granted": "perhaps"}, "granted"),
        ({"purpose": "email"}, "granted"),
        ({"purpose": "email", "granted": True, "ip_address": "999.1.1.1"}, "ip_address"),
        (
            {"purpose": "email", "granted": True, "recorded_at": "2020-01-01T00:00:00Z"},
            "recorded_at",
        ),
    ],
)
def test_bad_consent_is_422_and_records_nothing(api_as, marketer, people, body, field):
    response = api_as(marketer).post(f"/contacts/{people['ada'].pk}/consents", body)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert ConsentRecord.objects.count() == 0


# --- companies --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_company(api_as, rep_a):
    response = api_as(rep_a).post(
        "/companies",
        {
            "name": "Globex",
            "domain": "globex.test",
            "size": "51-200",
            "country": "de",
            "tags": ["Target"],
        },
    )
    assert response.status_code == 201
    company = Company.objects.get()
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": company.pk,
        "name": "Globex",
        "domain": "globex.test",
        "industry": "",
        "size": "51-200",
        "country": "DE",
        "phone": "",
        "owner": None,
        "tags": ["target"],
        "contact_count": 0,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "size": "huge"}, "size"),
        ({"name": "X", "owner_id": 12345}, "owner_id"),
    ],
)
def test_bad_company_is_422_naming_the_field(api_as, rep_a, body, field):
    response = api_as(rep_a).post("/companies", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Company.objects.count() == 0


@pytest.mark.django_db
def test_list_get_and_patch_companies(api_as, rep_a, acme, people):
    # Given
    globex = company_create(actor=None, name="Globex", industry="Energy", size="11-50")
    api = api_as(rep_a)
    # When / Then: list, sorted by name, with contact counts
    listed = api.get("/companies").json()
    assert [(c["name"], c["contact_count"]) for c in listed["items"]] == [
        ("Acme", 1),
        ("Globex", 0),
    ]
    assert listed["total"] == 2
    assert _ids(api.get("/companies", {"q": "acme.t"})) == [acme.pk]
    assert _ids(api.get("/companies", {"industry": "energy"})) == [globex.pk]
    assert _ids(api.get("/companies", {"size": "11-50"})) == [globex.pk]
    assert _ids(api.get("/companies", {"sort": "-name"})) == [globex.pk, acme.pk]
    assert api.get(f"/companies/{acme.pk}").json()["domain"] == "acme.test"
    # And: patch changes only what is sent
    response = api.patch(f"/companies/{acme.pk}", {"industry": "Robotics", "owner_id": rep_a.pk})
    assert response.status_code == 200
    assert (response.json()["industry"], response.json()["owner"]["id"]) == ("Robotics", rep_a.pk)
    acme.refresh_from_db()
    assert (acme.name, acme.industry, acme.owner_id) == ("Acme", "Robotics", rep_a.pk)


@pytest.mark.django_db
def test_company_delete_is_for_admins_and_keeps_its_contacts(
    api_as, admin_user, marketer, acme, people
):
    # Given: a marketer may not
    assert api_as(marketer).delete(f"/companies/{acme.pk}").status_code == 403
    assert Company.objects.filter(pk=acme.pk).exists()
    # When
    response = api_as(admin_user).delete(f"/companies/{acme.pk}")
    # Then
    assert response.status_code == 204
    assert not Company.objects.exists()
    people["ada"].refresh_from_db()
    assert people["ada"].company_id is None
    assert api_as(admin_user).get(f"/companies/{acme.pk}").status_code == 404
