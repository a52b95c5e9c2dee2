"""Record visibility in the places a hidden contact or company could still show: form choice
lists, the deal page, the company's activity panel, filter options and API answers."""

from decimal import Decimal

import pytest

from revline.core.services import api_token_issue
from revline.feedback.models import FeedbackItem
from revline.people.models import Contact
from revline.people.services import company_create, contact_create
from revline.sales.activity_services import activity_log
from revline.sales.models import Deal, DealContact
from revline.sales.services import deal_contact_add, deal_create

from .test_visibility import set_visibility

HIDDEN_CONTACT = "A contact of another team"
HIDDEN_COMPANY = "A company of another team"


@pytest.fixture
def world(rep_a, rep_b):
    """Under contacts/companies "own": rep A's Vera at Visco, rep B's Hilda at Hidco, and a deal
    of rep A on Hilda and Hidco, with Hilda on its committee."""
    set_visibility(contact="own", company="own")
    visco = company_create(actor=None, name="Visco", owner=rep_a, industry="Retail", country="DE")
    hidco = company_create(actor=None, name="Hidco", owner=rep_b, industry="Mining", country="NO")
    vera = contact_create(
        actor=None, first_name="Vera", email="vera@visco.example", owner=rep_a, company=visco
    )
    hilda = contact_create(
        actor=None, first_name="Hilda", email="hilda@hidco.example", owner=rep_b, company=hidco
    )
    deal = deal_create(
        actor=None, name="Big one", amount=Decimal("100"), contact=hilda, company=hidco, owner=rep_a
    )
    deal_contact_add(actor=rep_a, deal=deal, contact=hilda, role="champion")
    return {"visco": visco, "hidco": hidco, "vera": vera, "hilda": hilda, "deal": deal}


def api_get(client, user, path):
    token = api_token_issue(user=user, name="t").raw
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


def api_post(client, user, path, body):
    token = api_token_issue(user=user, name="t").raw
    return client.post(
        f"/api/v1{path}",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


# --- Choice lists in forms ---------------------------------------------------------------------


@pytest.mark.django_db
def test_new_deal_refuses_a_hidden_contact_and_company(client, world, rep_a):
    client.force_login(rep_a)
    response = client.post(
        "/sales/deals/new/",
        {
            "name": "Sneaky",
            "contact": world["hilda"].pk,
            "company": world["hidco"].pk,
            "amount": "10",
            "currency": "EUR",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["contact"] == ["Pick a contact from the suggestions."]
    assert errors["company"] == ["Pick a company from the suggestions."]
    assert not Deal.objects.filter(name="Sneaky").exists()


@pytest.mark.django_db
def test_new_deal_accepts_a_visible_contact(client, world, rep_a):
    client.force_login(rep_a)
    response = client.post(
        "/sales/deals/new/",
        {"name": "Fine", "contact": world["vera"].pk, "amount": "10", "currency": "EUR"},
    )
    assert response.status_code == 302
    assert Deal.objects.get(name="Fine").contact == world["vera"]


@pytest.mark.django_db
def test_new_deal_from_a_hidden_contact_is_not_prefilled(client, world, rep_a):
    client.force_login(rep_a)
    page = client.get(f"/sales/deals/new/?contact={world['hilda'].pk}").content.decode()
    assert "Hilda" not in page
    assert "Hidco" not in page


@pytest.mark.django_db
def test_editing_a_deal_keeps_its_hidden_contact_without_naming_it(client, world, rep_a):
    deal = world["deal"]
    client.force_login(rep_a)
    page = client.get(f"/sales/deals/{deal.pk}/edit/").content.decode()
    assert "Hilda" not in page and "Hidco" not in page
    assert HIDDEN_CONTACT in page and HIDDEN_COMPANY in page

    response = client.post(
        f"/sales/deals/{deal.pk}/edit/",
        {
            "name": "Renamed",
            "contact": world["hilda"].pk,
            "company": world["hidco"].pk,
            "amount": "100",
            "currency": "EUR",
            "owner": rep_a.pk,
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.contact_id, deal.company_id) == (
        "Renamed",
        world["hilda"].pk,
        world["hidco"].pk,
    )


@pytest.mark.django_db
def test_lookups_offer_only_visible_records(client, world, rep_a):
    client.force_login(rep_a)
    contacts = client.get("/sales/lookup/contacts/", {"q": "hilda"}).content.decode()
    by_company = client.get("/sales/lookup/contacts/", {"q": "hidco"}).content.decode()
    companies = client.get("/sales/lookup/companies/", {"q": "co"}).content.decode()
    assert "Hilda" not in contacts and "Hilda" not in by_company
    assert "Visco" in companies and "Hidco" not in companies


@pytest.mark.django_db
def test_committee_add_refuses_a_hidden_contact(client, world, rep_a, rep_b):
    hidden = contact_create(actor=None, first_name="Hank", owner=rep_b)
    deal = world["deal"]
    client.force_login(rep_a)
    response = client.post(
        f"/sales/deals/{deal.pk}/committee/",
        {"member-contact": hidden.pk, "member-role": "influencer"},
    )
    assert response.status_code == 400
    assert response.context["member_form"].errors["contact"] == [
        "Pick a contact from the suggestions."
    ]
    assert not DealContact.objects.filter(contact=hidden).exists()


@pytest.mark.django_db
def test_contact_form_refuses_a_hidden_company(client, world, rep_a):
    client.force_login(rep_a)
    page = client.get("/people/contacts/new/").content.decode()
    assert "Visco" in page and "Hidco" not in page

    response = client.post(
        "/people/contacts/new/",
        {"first_name": "Nina", "email": "nina@example.com", "company": world["hidco"].pk},
    )
    assert response.status_code == 400
    assert "company" in response.context["form"].errors
    assert not Contact.objects.filter(first_name="Nina").exists()


@pytest.mark.django_db
def test_feedback_form_refuses_hidden_records(client, world, rep_a):
    client.force_login(rep_a)
    response = client.post(
        "/research/feedback/new/",
        {"text": "Too pricey", "contact": world["hilda"].pk, "company": world["hidco"].pk},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["contact"] == [f"There is no contact with id {world['hilda'].pk}."]
    assert errors["company"] == [f"There is no company with id {world['hidco'].pk}."]
    assert FeedbackItem.objects.count() == 0


# --- The deal page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_deal_page_does_not_name_hidden_contact_or_company(client, world, rep_a):
    deal = world["deal"]
    client.force_login(rep_a)
    page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "Hilda" not in page
    assert "hilda@hidco.example" not in page
    assert "Hidco" not in page
    assert f"/people/contacts/{world['hilda'].pk}/" not in page
    assert f"/people/companies/{world['hidco'].pk}/" not in page
    assert HIDDEN_CONTACT in page and HIDDEN_COMPANY in page


@pytest.mark.django_db
def test_deal_page_names_them_for_whoever_may_see_them(client, world, admin_user):
    client.force_login(admin_user)
    page = client.get(f"/sales/deals/{world['deal'].pk}/").content.decode()
    assert "Hilda" in page and "Hidco" in page
    assert HIDDEN_CONTACT not in page


# --- Company page activity panel ---------------------------------------------------------------


@pytest.mark.django_db
def test_company_activity_panel_leaves_out_hidden_contacts(client, world, rep_a, rep_b):
    visco = world["visco"]
    ghost = contact_create(actor=None, first_name="Ghost", owner=rep_b, company=visco)
    activity_log(actor=rep_a, kind="call", subject="Called the ghost", contact=ghost)
    activity_log(actor=rep_a, kind="call", subject="Called Vera", contact=world["vera"])
    client.force_login(rep_a)
    panel = client.get(f"/sales/companies/{visco.pk}/activities/").content.decode()
    assert "Called Vera" in panel
    assert "Called the ghost" not in panel


# --- Filter options ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_company_filters_offer_values_of_visible_companies_only(client, world, rep_a):
    client.force_login(rep_a)
    page = client.get("/people/companies/").content.decode()
    assert ">Retail<" in page and ">DE<" in page
    assert "Mining" not in page and ">NO<" not in page


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_deal_does_not_name_hidden_contact_or_company(client, world, rep_a):
    deal = world["deal"]
    body = api_get(client, rep_a, f"/deals/{deal.pk}").json()
    assert body["contact"] == {"id": world["hilda"].pk, "name": HIDDEN_CONTACT, "email": ""}
    assert body["company"] == {"id": world["hidco"].pk, "name": HIDDEN_COMPANY}
    committee = api_get(client, rep_a, f"/deals/{deal.pk}/committee").json()
    items = committee["items"] if isinstance(committee, dict) else committee
    assert [m["contact"]["name"] for m in items] == [HIDDEN_CONTACT]


@pytest.mark.django_db
def test_api_names_them_for_an_admin(client, world, admin_user):
    body = api_get(client, admin_user, f"/deals/{world['deal'].pk}").json()
    assert body["contact"] == {
        "id": world["hilda"].pk,
        "name": "Hilda",
        "email": "hilda@hidco.example",
    }
    assert body["company"]["name"] == "Hidco"


@pytest.mark.django_db
def test_api_refuses_hidden_contact_on_a_new_deal_and_committee(client, world, rep_a):
    response = api_post(
        client, rep_a, "/deals", {"name": "Sneaky", "amount": "5", "contact_id": world["hilda"].pk}
    )
    assert response.status_code == 422
    assert not Deal.objects.filter(name="Sneaky").exists()

    other = deal_create(actor=None, name="Other", amount=Decimal("1"), owner=rep_a)
    response = api_post(
        client,
        rep_a,
        f"/deals/{other.pk}/committee",
        {"contact_id": world["hilda"].pk, "role": "champion"},
    )
    assert response.status_code == 422
    assert not other.committee.exists()
