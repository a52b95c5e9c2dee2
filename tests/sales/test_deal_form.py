"""Creating and editing deals, and the contact / company pickers behind the form."""

from datetime import date
from decimal import Decimal

import pytest

from revline.people.models import LifecycleStage
from revline.people.services import company_create, contact_create
from revline.sales.models import Deal
from revline.sales.services import pipeline_create

from .conftest import make_deal, stage

NEW = "/sales/deals/new/"


def valid(**changes) -> dict:
    return {"name": "Ada renewal", "amount": "4200.00", "currency": "eur", **changes}


@pytest.mark.django_db
def test_create_form_starts_in_the_default_pipeline(client, rep_a, pipeline):
    client.force_login(rep_a)

    response = client.get(NEW)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["pipeline"].value() == pipeline.pk
    assert form["currency"].value() == "EUR"
    assert 'hx-get="/sales/lookup/contacts/"' in response.content.decode()


@pytest.mark.django_db
def test_creating_a_deal_for_a_contact(client, rep_a, pipeline, ada, acme):
    client.force_login(rep_a)

    response = client.post(
        NEW,
        valid(
            contact=ada.pk,
            contact_label="Ada Lovelace",
            expected_close_date="2025-09-30",
            stage=stage(pipeline, "Discovery").pk,
            pipeline=pipeline.pk,
        ),
    )

    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal.pk}/"
    assert (deal.name, deal.amount, deal.currency, deal.stage.name, deal.owner) == (
        "Ada renewal",
        Decimal("4200.00"),
        "EUR",
        "Discovery",
        rep_a,
    )
    assert (deal.contact, deal.company, deal.expected_close_date) == (ada, acme, date(2025, 9, 30))
    ada.refresh_from_db()
    assert ada.lifecycle_stage == LifecycleStage.OPPORTUNITY


@pytest.mark.django_db
def test_a_new_deal_without_a_stage_starts_in_the_first_one_and_a_fresh_workspace_gets_a_pipeline(
    client, rep_a
):
    client.force_login(rep_a)

    response = client.post(NEW, valid())

    assert response.status_code == 302
    deal = Deal.objects.get()
    assert (deal.pipeline.name, deal.stage.name) == ("New business", "Qualification")


@pytest.mark.django_db
def test_contact_query_parameter_prefills_contact_and_company(client, rep_a, pipeline, ada, acme):
    client.force_login(rep_a)

    response = client.get(NEW, {"contact": ada.pk})

    form = response.context["form"]
    assert (form["contact"].value(), form["company"].value()) == (ada.pk, acme.pk)
    html = response.content.decode()
    assert f'name="contact" id="id_contact" value="{ada.pk}"' in html
    assert 'value="Ada Lovelace"' in html
    assert f'href="/people/contacts/{ada.pk}/">Cancel' in html
    assert client.get(NEW, {"contact": "x"}).context["form"]["contact"].value() is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"amount": "-1"}, "amount", "Ensure this value is greater than or equal to 0."),
        ({"amount": "abc"}, "amount", "Enter a number."),
        ({"currency": "E1R"}, "currency", "Use a 3-letter currency code, e.g. EUR."),
        ({"expected_close_date": "31/31/2025"}, "expected_close_date", "Enter a valid date."),
        ({"contact": "99999"}, "contact", "Pick a contact from the suggestions."),
        (
            {"contact_label": "Ada"},
            "contact",
            "Pick a contact from the suggestions, or clear the field.",
        ),
        (
            {"company_label": "Acme"},
            "company",
            "Pick a company from the suggestions, or clear the field.",
        ),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_creates_nothing(
    client, rep_a, pipeline, changes, field, error
):
    client.force_login(rep_a)

    response = client.post(NEW, valid(**changes))

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [error]
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_the_stage_must_belong_to_the_chosen_pipeline(client, rep_a, admin_user, pipeline):
    renewals = pipeline_create(
        actor=admin_user,
        name="Renewals",
        stages=[("Check-in", 30, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")],
    )
    client.force_login(rep_a)

    response = client.post(
        NEW, valid(pipeline=pipeline.pk, stage=renewals.stages.get(name="Check-in").pk)
    )
    closing = client.post(NEW, valid(pipeline=pipeline.pk, stage=stage(pipeline, "Won").pk))

    assert response.status_code == 400
    assert response.context["form"].errors["stage"] == [
        "“Check-in” is not a stage of the New business pipeline."
    ]
    assert closing.status_code == 400
    assert "stage" in closing.context["form"].errors
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_a_rep_may_hand_a_deal_only_to_their_own_team(client, rep_a, rep_b, manager_a, pipeline):
    client.force_login(rep_a)

    refused = client.post(NEW, valid(owner=rep_b.pk))
    accepted = client.post(NEW, valid(owner=manager_a.pk))

    assert refused.status_code == 400
    assert "owner" in refused.context["form"].errors
    assert accepted.status_code == 302
    assert list(Deal.objects.values_list("owner__username", flat=True)) == ["manager_a"]


@pytest.mark.django_db
def test_a_marketer_cannot_create_deals(client, marketer, pipeline):
    client.force_login(marketer)

    assert client.get(NEW).status_code == 403
    assert client.post(NEW, valid()).status_code == 403
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_editing_a_deal_saves_only_what_changed(client, rep_a, pipeline, ada, acme):
    deal = make_deal(rep_a, "Old name", "100", contact=ada)
    client.force_login(rep_a)
    form_page = client.get(f"/sales/deals/{deal.pk}/edit/")
    assert form_page.status_code == 200
    assert form_page.context["form"]["name"].value() == "Old name"

    response = client.post(
        f"/sales/deals/{deal.pk}/edit/",
        {
            "name": "New name",
            "amount": "250.5",
            "currency": "USD",
            "contact": ada.pk,
            "company": acme.pk,
            "owner": rep_a.pk,
            "expected_close_date": "",
        },
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.currency, deal.contact, deal.company, deal.owner) == (
        "New name",
        Decimal("250.50"),
        "USD",
        ada,
        acme,
        rep_a,
    )


@pytest.mark.django_db
def test_editing_with_bad_input_changes_nothing(client, rep_a, pipeline):
    deal = make_deal(rep_a, "Keep me", "100")
    client.force_login(rep_a)

    response = client.post(
        f"/sales/deals/{deal.pk}/edit/", {"name": "Changed", "amount": "-5", "currency": "EUR"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "amount": ["Ensure this value is greater than or equal to 0."]
    }
    deal.refresh_from_db()
    assert (deal.name, deal.amount) == ("Keep me", Decimal("100.00"))


@pytest.mark.django_db
def test_contact_lookup_matches_every_word_and_escapes_names(client, rep_a, ada):
    contact_create(
        actor=None,
        first_name="<script>alert(1)</script>",
        last_name="Lovelace",
        email="x@y.example",
    )
    contact_create(actor=None, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    client.force_login(rep_a)

    response = client.get("/sales/lookup/contacts/", {"q": "lovelace acme"})
    everyone = client.get("/sales/lookup/contacts/", {"q": "lovelace"}).content.decode()

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="lookup-item"') == 1
    assert (
        f'data-id="{ada.pk}" data-label="Ada Lovelace" data-company-id="{ada.company_id}"' in html
    )
    assert "<script>" not in everyone
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lovelace" in everyone
    assert client.get("/sales/lookup/contacts/", {"q": ""}).content.decode().strip() == ""
    assert "No matches." in client.get("/sales/lookup/contacts/", {"q": "zzz"}).content.decode()


@pytest.mark.django_db
def test_company_lookup_matches_name_or_domain(client, rep_a, acme):
    company_create(actor=None, name="Initech", domain="initech.example")
    client.force_login(rep_a)

    by_domain = client.get("/sales/lookup/companies/", {"q": "acme.ex"}).content.decode()
    by_name = client.get("/sales/lookup/companies/", {"q": "init"}).content.decode()

    assert f'data-id="{acme.pk}" data-label="Acme Corp"' in by_domain
    assert "Initech" not in by_domain
    assert "Initech" in by_name


@pytest.mark.django_db
def test_lookups_need_a_login(client, ada):
    response = client.get("/sales/lookup/contacts/", {"q": "ada"})

    assert response.status_code == 302
