"""The objection report and the marketing card: numbers from the database, filters, visibility."""

import pytest

from revline.sales.models import CloseReason, ObjectionType
from revline.sales.objection_services import (
    objection_log,
    objection_response_create,
    objection_types_ensure_defaults,
)
from revline.sales.services import deal_close_lost, deal_close_won

from ..conftest import PASSWORD
from .conftest import at, make_deal, stage


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def close(deal, won: bool, day: int):
    kind = "won" if won else "lost"
    reason = CloseReason.objects.filter(kind=kind).first()
    closer = deal_close_won if won else deal_close_lost
    closer(actor=None, deal=deal, reason=reason, at=at(day))


@pytest.fixture
def world(db, pipeline, rep_a, rep_b, manager_a):
    """Team A: 6 closed deals (3 won); price raised on 4 of them (1 won). Team B: 2 lost deals
    with price raised, and 1 won deal without objections."""
    objection_types_ensure_defaults()
    price = ObjectionType.objects.get(name="Price")
    timing = ObjectionType.objects.get(name="Timing")
    roi = objection_response_create(actor=manager_a, objection_type=price, title="ROI")
    discount = objection_response_create(actor=manager_a, objection_type=price, title="Discount")
    proposal = stage(pipeline, "Proposal")
    a_deals = [make_deal(rep_a, f"A{i}", created_at=at(1)) for i in range(6)]
    for i, deal in enumerate(a_deals[:4]):
        objection_log(
            actor=rep_a,
            deal=deal,
            objection_type=price,
            stage=proposal if i else None,
            response=roi if i == 0 else discount,
            outcome="overcome" if i == 0 else "not_overcome",
            raised_at=at(2),
        )
    objection_log(actor=rep_a, deal=a_deals[4], objection_type=timing, raised_at=at(3))
    for i, deal in enumerate(a_deals):
        close(deal, won=i in (0, 4, 5), day=10)
    b_deals = [make_deal(rep_b, f"B{i}", created_at=at(1)) for i in range(3)]
    for deal in b_deals[:2]:
        objection_log(actor=rep_b, deal=deal, objection_type=price, raised_at=at(2))
        close(deal, won=False, day=10)
    close(b_deals[2], won=True, day=10)
    return {"price": price, "timing": timing, "roi": roi, "discount": discount}


def type_row(page, name):
    return next(t for t in page.report.types if page.types[t.type_id].name == name)


def test_admin_sees_every_team(client, admin_user, world):
    response = login(client, admin_user).get("/sales/objections/report/")
    page = response.context["page"]
    price = type_row(page, "Price")
    assert response.status_code == 200
    assert (page.report.closed_deals, page.report.won_deals, page.report.raised) == (9, 4, 7)
    assert (price.raised, price.deals) == (6, 6)
    assert (price.won_with, price.lost_with, price.win_rate_with) == (1, 5, 16.7)
    assert (price.won_without, price.lost_without, price.win_rate_without) == (3, 0, 100.0)
    assert (price.overcome, price.answered) == (1, 4)
    # price came up in Qualification once (the deal's stage then) and in Proposal five times
    assert {page.stage_labels[s]: n for s, n in price.by_stage.items()} == {
        "Qualification": 3,
        "Proposal": 3,
    }
    assert [
        (page.responses[r.response_id].title, r.uses, r.won_after, r.win_rate)
        for r in price.responses
    ] == [
        ("Discount", 3, 0, 0.0),
        ("ROI", 1, 1, 100.0),
    ]
    # price: 1 of 6 closed deals won (enough sample); timing only 1 closed deal
    assert [page.types[t.type_id].name for t in page.worst] == ["Price"]


def test_a_rep_with_team_visibility_sees_only_their_team(client, rep_b, world):
    page = login(client, rep_b).get("/sales/objections/report/").context["page"]
    price = type_row(page, "Price")
    assert (page.report.closed_deals, page.report.won_deals, page.report.raised) == (3, 1, 2)
    assert (price.won_with, price.lost_with, price.won_without, price.lost_without) == (0, 2, 1, 0)
    assert page.worst == []  # 2 closed deals are too few to judge


def test_owner_and_period_filters(client, admin_user, rep_a, world):
    client = login(client, admin_user)
    page = client.get(f"/sales/objections/report/?owner={rep_a.pk}").context["page"]
    assert (page.report.closed_deals, page.report.raised) == (6, 5)
    # objections raised on March 3rd only; the closed deals all closed on the 10th
    page = client.get("/sales/objections/report/?date_from=2025-03-03&date_to=2025-03-03").context[
        "page"
    ]
    assert page.report.raised == 1
    assert type_row(page, "Timing").raised == 1
    assert page.report.closed_deals == 0


def test_a_reversed_period_is_a_400_with_the_reason(client, admin_user, world):
    response = login(client, admin_user).get(
        "/sales/objections/report/?date_from=2025-03-05&date_to=2025-03-01"
    )
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()


def test_the_marketing_card_lists_the_worst_objections(client, marketer, world):
    response = login(client, marketer).get("/sales/objections/for-marketing/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Price" in html
    assert "16.7 %" in html
    assert "Timing" not in html


def test_the_content_library_loads_the_marketing_card(client, marketer, world):
    html = login(client, marketer).get("/content/").content.decode()
    assert 'hx-get="/sales/objections/for-marketing/"' in html
