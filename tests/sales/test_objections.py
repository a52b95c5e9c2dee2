"""The objection library and objections on a deal: services, the deal panel and its permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.content.models import ContentItem
from revline.sales.models import Deal, Objection, ObjectionResponse, ObjectionType
from revline.sales.objection_services import (
    objection_log,
    objection_response_create,
    objection_type_create,
    objection_types_ensure_defaults,
)
from revline.sales.services import deal_move_stage

from ..conftest import PASSWORD
from .conftest import make_deal, stage

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep_a, pipeline) -> Deal:
    return make_deal(rep_a, "Acme platform")


@pytest.fixture
def price(db) -> ObjectionType:
    objection_types_ensure_defaults()
    return ObjectionType.objects.get(name="Price")


@pytest.fixture
def roi(price, manager_a) -> ObjectionResponse:
    return objection_response_create(
        actor=manager_a, objection_type=price, title="Show the ROI", body="Payback in 4 months."
    )


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


# ---------------------------------------------------------------- library


def test_defaults_are_seeded_once_and_never_come_back_after_a_rename(db, manager_a):
    assert objection_types_ensure_defaults() == 8
    assert list(ObjectionType.objects.values_list("name", flat=True)) == [
        "Price",
        "Budget",
        "Timing",
        "Competitor",
        "Authority",
        "Need",
        "Trust",
        "Product fit",
    ]
    ObjectionType.objects.filter(name="Price").update(name="Cost")
    assert objection_types_ensure_defaults() == 0
    assert ObjectionType.objects.count() == 8
    assert not ObjectionType.objects.filter(name="Price").exists()


def test_library_page_seeds_defaults_and_shows_counts(client, rep_a, deal, price):
    objection_log(actor=rep_a, deal=deal, objection_type=price, buyer_words="Too pricey")
    response = login(client, rep_a).get("/sales/objections/")
    assert response.status_code == 200
    rows = {item.name: item for item in response.context["listing"].page}
    assert (rows["Price"].raised, rows["Price"].deals) == (1, 1)
    assert rows["Timing"].raised == 0
    assert b"New objection type" not in response.content  # reps read only


def test_library_search_and_status_filter(client, rep_a, price):
    ObjectionType.objects.filter(name="Trust").update(is_active=False)
    client = login(client, rep_a)
    names = [t.name for t in client.get("/sales/objections/?q=pric").context["listing"].page]
    assert names == ["Price"]
    retired = client.get("/sales/objections/?status=inactive").context["listing"].page
    assert [t.name for t in retired] == ["Trust"]


def test_a_marketer_creates_a_type_with_linked_content_and_a_response(client, marketer, db):
    guide = ContentItem.objects.create(title="Pricing guide", kind="guide")
    client = login(client, marketer)
    response = client.post(
        "/sales/objections/new/",
        {
            "name": "Security",
            "description": "Data worries",
            "content": [guide.pk],
            "position": 5,
            "is_active": "on",
        },
    )
    created = ObjectionType.objects.get(name="Security")
    assert response.status_code == 302
    assert list(created.content.all()) == [guide]
    response = client.post(
        f"/sales/objections/{created.pk}/responses/new/",
        {"title": "Share the SOC 2 report", "body": "Send it with the DPA."},
    )
    assert response.status_code == 302
    assert list(created.responses.values_list("title", flat=True)) == ["Share the SOC 2 report"]


def test_a_duplicate_type_name_is_refused(client, manager_a, price):
    response = login(client, manager_a).post(
        "/sales/objections/new/", {"name": "price", "position": 0}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert ObjectionType.objects.filter(name__iexact="price").count() == 1


def test_a_rep_cannot_edit_the_library(client, rep_a, price):
    client = login(client, rep_a)
    assert client.post("/sales/objections/new/", {"name": "X", "position": 0}).status_code == 403
    response = client.post(f"/sales/objections/{price.pk}/responses/new/", {"title": "Y"})
    assert response.status_code == 403
    assert not ObjectionType.objects.filter(name="X").exists()
    assert price.responses.count() == 0
    with pytest.raises(PermissionDenied):
        objection_type_create(actor=rep_a, name="Z")


def test_a_manager_edits_and_retires_a_response(client, manager_a, roi):
    response = login(client, manager_a).post(
        f"/sales/objections/responses/{roi.pk}/edit/", {"title": "ROI in numbers", "body": ""}
    )
    roi.refresh_from_db()
    assert response.status_code == 302
    assert (roi.title, roi.is_active) == ("ROI in numbers", False)


# ---------------------------------------------------------------- on a deal


def test_logging_defaults_to_the_deal_stage_and_checks_the_response_type(rep_a, deal, price, roi):
    objection = objection_log(actor=rep_a, deal=deal, objection_type=price, response=roi)
    assert (objection.stage_id, objection.outcome, objection.logged_by) == (
        deal.stage_id,
        "open",
        rep_a,
    )
    timing = ObjectionType.objects.get(name="Timing")
    with pytest.raises(ValidationError):
        objection_log(actor=rep_a, deal=deal, objection_type=timing, response=roi)
    assert Objection.objects.count() == 1


def test_the_panel_lists_objections_with_help_and_a_form(client, rep_a, deal, price, roi):
    objection_log(
        actor=rep_a, deal=deal, objection_type=price, buyer_words="<b>Too pricey</b>", response=roi
    )
    response = login(client, rep_a).get(f"/sales/deals/{deal.pk}/objections/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the deal page
    assert 'id="deal-objections"' in html
    assert "&lt;b&gt;Too pricey&lt;/b&gt;" in html
    assert "Payback in 4 months." in html  # the recommended answer, inline
    assert "Log an objection" in html


def test_the_panel_opened_directly_is_a_full_page(client, rep_a, deal, price):
    response = login(client, rep_a).get(f"/sales/deals/{deal.pk}/objections/")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_logging_through_htmx_re_renders_the_panel(client, rep_a, deal, price, roi):
    deal_move_stage(actor=rep_a, deal=deal, stage=stage(deal.pipeline, "Proposal"))
    response = login(client, rep_a).post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {
            "objection_type": price.pk,
            "buyer_words": "Your rival is 20 % cheaper",
            "stage": deal.stage_id,
            "response": roi.pk,
            "response_notes": "Walked through the ROI sheet",
            "outcome": "overcome",
        },
        **HTMX,
    )
    objection = Objection.objects.get()
    assert response.status_code == 200
    assert "Your rival is 20 % cheaper" in response.content.decode()
    assert (objection.stage.name, objection.response, objection.outcome) == (
        "Proposal",
        roi,
        "overcome",
    )


def test_a_response_of_another_type_is_refused_with_a_field_error(client, rep_a, deal, price, roi):
    timing = ObjectionType.objects.get(name="Timing")
    response = login(client, rep_a).post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {
            "objection_type": timing.pk,
            "stage": deal.stage_id,
            "response": roi.pk,
            "outcome": "open",
        },
        **HTMX,
    )
    assert response.status_code == 200  # htmx swaps only 2xx: the errors show in place
    assert "Select a valid choice" in response.content.decode()
    assert Objection.objects.count() == 0


def test_a_plain_post_redirects_to_the_deal_and_bad_input_is_a_400(client, rep_a, deal, price):
    client = login(client, rep_a)
    response = client.post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {"objection_type": price.pk, "stage": deal.stage_id, "outcome": "open"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal.pk}/"
    response = client.post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {"objection_type": price.pk, "stage": deal.stage_id, "outcome": "maybe"},
    )
    assert response.status_code == 400
    assert Objection.objects.count() == 1


def test_updating_the_outcome(client, rep_a, deal, price, roi):
    objection = objection_log(actor=rep_a, deal=deal, objection_type=price)
    prefix = f"o{objection.pk}"
    response = login(client, rep_a).post(
        f"/sales/deals/{deal.pk}/objections/{objection.pk}/",
        {
            f"{prefix}-outcome": "not_overcome",
            f"{prefix}-response": roi.pk,
            f"{prefix}-response_notes": "They still want 30 % off",
        },
        **HTMX,
    )
    objection.refresh_from_db()
    assert response.status_code == 200
    assert (objection.outcome, objection.response, objection.response_notes) == (
        "not_overcome",
        roi,
        "They still want 30 % off",
    )
    assert "Not overcome" in response.content.decode()


def test_response_options_follow_the_chosen_type(client, rep_a, price, roi):
    response = login(client, rep_a).get(
        f"/sales/objections/response-options/?objection_type={price.pk}"
    )
    html = response.content.decode()
    assert f'<option value="{roi.pk}">Show the ROI</option>' in html
    assert 'hx-swap-oob="true"' in html
    empty = client.get("/sales/objections/response-options/?objection_type=abc").content.decode()
    assert '<option value="">None / my own words</option>' in empty
    assert "Show the ROI" not in empty


def test_another_team_cannot_see_or_log_on_the_deal(client, rep_b, deal, price):
    client = login(client, rep_b)
    assert client.get(f"/sales/deals/{deal.pk}/objections/", **HTMX).status_code == 404
    response = client.post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {"objection_type": price.pk, "stage": deal.stage_id, "outcome": "open"},
    )
    assert response.status_code == 404
    assert Objection.objects.count() == 0


def test_a_marketer_sees_the_panel_but_cannot_log(client, marketer, rep_a, deal, price):
    objection_log(actor=rep_a, deal=deal, objection_type=price, buyer_words="Too pricey")
    client = login(client, marketer)
    html = client.get(f"/sales/deals/{deal.pk}/objections/", **HTMX).content.decode()
    assert "Too pricey" in html
    assert "Log an objection" not in html
    response = client.post(
        f"/sales/deals/{deal.pk}/objections/log/",
        {"objection_type": price.pk, "stage": deal.stage_id, "outcome": "open"},
    )
    assert response.status_code == 403
    assert Objection.objects.count() == 1
    with pytest.raises(PermissionDenied):
        objection_log(actor=marketer, deal=deal, objection_type=price)
