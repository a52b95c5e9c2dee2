"""The deal page: properties, stage bar and history, activities, and the move / close / reopen actions."""

from decimal import Decimal

import pytest

from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get
from revline.people.models import LifecycleStage
from revline.sales.models import Activity, CloseReason, Deal, DealStageChange, DealStatus
from revline.sales.services import deal_close_lost, deal_move_stage, pipeline_create

from .conftest import at, make_deal, stage


def url(deal: Deal, action: str = "") -> str:
    return f"/sales/deals/{deal.pk}/{action + '/' if action else ''}"


@pytest.fixture
def deal(rep_a, pipeline, ada) -> Deal:
    return make_deal(rep_a, "Ada renewal", "12500.5", contact=ada, created_at=at(1))


def reason(kind: str, name: str) -> CloseReason:
    return CloseReason.objects.get(kind=kind, name=name)


def snapshot(deal: Deal) -> tuple:
    deal.refresh_from_db()
    return (
        deal.stage_id,
        deal.status,
        deal.close_note,
        deal.name,
        deal.amount,
        DealStageChange.objects.filter(deal=deal).count(),
        Activity.objects.filter(deal=deal).count(),
    )


@pytest.mark.django_db
def test_detail_shows_properties_links_and_the_stage_bar(client, rep_a, deal, ada, acme):
    client.force_login(rep_a)

    response = client.get(url(deal))

    assert response.status_code == 200
    html = response.content.decode()
    assert "€12,500.50" in html
    assert f'href="/people/contacts/{ada.pk}/"' in html
    assert f'href="/people/companies/{acme.pk}/"' in html
    assert [(s.name, s.state) for s in response.context["page"].steps] == [
        ("Qualification", "current"),
        ("Discovery", ""),
        ("Proposal", ""),
        ("Negotiation", ""),
        ("Won", ""),
        ("Lost", ""),
    ]
    assert 'aria-current="step">Qualification</span>' in html
    assert 'name="stage" value=' in html  # open stages are move buttons
    assert 'name="outcome" value="won"' in html and 'name="outcome" value="lost"' in html
    assert f'href="/sales/deals/{deal.pk}/edit/"' in html


@pytest.mark.django_db
def test_history_shows_the_time_spent_in_each_stage(client, rep_a, deal, pipeline):
    deal_move_stage(actor=rep_a, deal=deal, stage=stage(pipeline, "Proposal"), at=at(3, 15))
    deal_close_lost(actor=rep_a, deal=deal, note="Went with a competitor", at=at(10, 15))
    client.force_login(rep_a)

    response = client.get(url(deal))

    history = response.context["page"].history
    assert [(s.stage, s.duration_label) for s in history] == [
        ("Lost", "—"),
        ("Proposal", "7d"),
        ("Qualification", "2d 6h"),
    ]
    html = response.content.decode()
    assert "Went with a competitor" in html
    assert "Reopen deal" in html
    assert "Close deal" not in html


@pytest.mark.django_db
def test_a_rep_of_another_team_does_not_see_the_deal_by_default(client, rep_b, deal):
    client.force_login(rep_b)

    response = client.get(url(deal))

    assert response.status_code == 404
    assert "Ada renewal" not in response.content.decode()


@pytest.mark.django_db
def test_people_outside_the_deals_team_see_it_without_any_action(client, rep_b, marketer, deal):
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL
    workspace.save()
    for user in (rep_b, marketer):
        client.force_login(user)

        response = client.get(url(deal))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Ada renewal" in html
        assert 'name="stage"' not in html
        assert "Close deal" not in html
        assert "/edit/" not in html
        assert "Log a call" not in html


@pytest.mark.django_db
def test_moving_to_another_open_stage(client, rep_a, deal, pipeline, ada):
    client.force_login(rep_a)
    proposal = stage(pipeline, "Proposal")

    response = client.post(url(deal, "move"), {"stage": proposal.pk})

    assert response.status_code == 302
    assert response["Location"] == url(deal)
    deal.refresh_from_db()
    assert deal.stage == proposal
    change = DealStageChange.objects.filter(deal=deal).first()
    assert (change.from_stage.name, change.to_stage.name, change.changed_by) == (
        "Qualification",
        "Proposal",
        rep_a,
    )
    assert ada.events.filter(kind="deal_stage_changed").count() == 1


@pytest.mark.django_db
def test_a_teammate_may_move_the_deal(client, manager_a, deal, pipeline):
    client.force_login(manager_a)

    response = client.post(url(deal, "move"), {"stage": stage(pipeline, "Discovery").pk})

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage.name == "Discovery"


@pytest.mark.django_db
def test_moving_to_won_or_to_another_pipelines_stage_is_refused(
    client, rep_a, admin_user, deal, pipeline
):
    other = pipeline_create(
        actor=admin_user,
        name="Renewals",
        stages=[("Check-in", 30, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")],
    )
    client.force_login(rep_a)
    before = snapshot(deal)

    for bad in (stage(pipeline, "Won").pk, other.stages.get(name="Check-in").pk, "nope"):
        response = client.post(url(deal, "move"), {"stage": bad})

        assert response.status_code == 400
        assert "Pick one of this pipeline" in response.content.decode()
        assert snapshot(deal) == before


@pytest.mark.django_db
def test_close_won_asks_for_a_reason_and_changes_nothing_without_one(client, rep_a, deal, ada):
    client.force_login(rep_a)
    before = snapshot(deal)

    response = client.post(url(deal, "close"), {"outcome": "won", "reason": "", "note": "  "})

    assert response.status_code == 400
    assert "Pick the reason the deal was won." in response.content.decode()
    assert response.context["close_form"].errors == {
        "reason": ["Pick the reason the deal was won."]
    }
    assert snapshot(deal) == before
    ada.refresh_from_db()
    assert ada.lifecycle_stage == LifecycleStage.OPPORTUNITY


@pytest.mark.django_db
def test_close_won_makes_the_contact_a_customer(client, rep_a, deal, ada):
    client.force_login(rep_a)

    response = client.post(
        url(deal, "close"),
        {
            "outcome": "won",
            "reason": reason("won", "Best product fit").pk,
            "note": "Loved the pilot",
        },
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.close_reason.name, deal.close_note) == (
        DealStatus.WON,
        "Won",
        "Best product fit",
        "Loved the pilot",
    )
    assert deal.closed_at is not None
    ada.refresh_from_db()
    assert ada.lifecycle_stage == LifecycleStage.CUSTOMER


@pytest.mark.django_db
def test_close_lost_keeps_the_contact_an_opportunity(client, rep_a, deal, ada):
    client.force_login(rep_a)

    client.post(
        url(deal, "close"),
        {"outcome": "lost", "reason": reason("lost", "No budget").pk, "note": "Maybe next year"},
    )

    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.close_reason.name, deal.close_note) == (
        DealStatus.LOST,
        "Lost",
        "No budget",
        "Maybe next year",
    )
    ada.refresh_from_db()
    assert ada.lifecycle_stage == LifecycleStage.OPPORTUNITY


@pytest.mark.django_db
def test_a_closed_deal_cannot_be_closed_again_or_moved(client, rep_a, deal, pipeline):
    deal_close_lost(actor=rep_a, deal=deal, note="Budget")
    client.force_login(rep_a)
    before = snapshot(deal)

    closed = client.post(
        url(deal, "close"), {"outcome": "won", "reason": reason("won", "Relationship").pk}
    )
    moved = client.post(url(deal, "move"), {"stage": stage(pipeline, "Proposal").pk})

    assert closed.status_code == 400
    assert "This deal is already closed." in closed.content.decode()
    assert moved.status_code == 400
    assert "This deal is closed. Reopen it first." in moved.content.decode()
    assert snapshot(deal) == before


@pytest.mark.django_db
def test_reopen_puts_the_deal_back_in_the_last_open_stage(client, rep_a, deal):
    deal_close_lost(actor=rep_a, deal=deal, note="Budget")
    client.force_login(rep_a)

    response = client.post(url(deal, "reopen"))

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.close_note, deal.closed_at) == (
        DealStatus.OPEN,
        "Negotiation",
        "",
        None,
    )


@pytest.mark.django_db
def test_logging_an_activity(client, rep_a, deal, ada):
    client.force_login(rep_a)

    response = client.post(
        url(deal, "activities"),
        {
            "kind": "call",
            "subject": "Pricing call",
            "body": "Wants <b>annual</b> billing",
            "occurred_at": "2025-03-04T10:30",
        },
    )

    assert response.status_code == 302
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.subject, activity.contact, activity.created_by) == (
        "call",
        "Pricing call",
        ada,
        rep_a,
    )
    assert activity.occurred_at.isoformat() == "2025-03-04T10:30:00+00:00"
    assert activity.body == "Wants <b>annual</b> billing"


@pytest.mark.django_db
def test_an_activity_needs_a_subject_and_a_known_kind(client, rep_a, deal):
    client.force_login(rep_a)

    response = client.post(url(deal, "activities"), {"kind": "fax", "subject": " "})

    assert response.status_code == 400
    assert set(response.context["activity_form"].errors) == {"kind", "subject"}
    assert Activity.objects.filter(deal=deal).count() == 0


@pytest.mark.django_db
def test_a_rep_of_another_team_gets_403_and_nothing_changes(client, rep_b, deal, pipeline, ada):
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL  # with "team", the deal is not even found
    workspace.save()
    client.force_login(rep_b)
    before = snapshot(deal)
    posts = {
        "move": {"stage": stage(pipeline, "Proposal").pk},
        "close": {"outcome": "won", "note": "Sneaky"},
        "reopen": {},
        "activities": {"kind": "note", "subject": "Sneaky note"},
        "edit": {"name": "Renamed", "amount": "1", "currency": "EUR"},
    }

    for action, data in posts.items():
        response = client.post(url(deal, action), data)

        assert response.status_code == 403, action
    assert client.get(url(deal, "edit")).status_code == 403
    assert snapshot(deal) == before
    ada.refresh_from_db()
    assert ada.lifecycle_stage == LifecycleStage.OPPORTUNITY


@pytest.mark.django_db
def test_a_marketer_cannot_change_a_deal(client, marketer, deal, pipeline):
    client.force_login(marketer)
    before = snapshot(deal)

    response = client.post(url(deal, "close"), {"outcome": "lost", "note": "x"})

    assert response.status_code == 403
    assert snapshot(deal) == before


@pytest.mark.django_db
def test_actions_only_accept_post(client, rep_a, deal, pipeline):
    client.force_login(rep_a)
    before = snapshot(deal)

    for action in ("move", "close", "reopen", "activities"):
        assert (
            client.get(url(deal, action), {"stage": stage(pipeline, "Proposal").pk}).status_code
            == 405
        )
    assert snapshot(deal) == before


@pytest.mark.django_db
def test_unknown_deal_is_404(client, rep_a, pipeline):
    client.force_login(rep_a)

    assert client.get("/sales/deals/999/").status_code == 404
    assert (
        client.post("/sales/deals/999/close/", {"outcome": "won", "note": "x"}).status_code == 404
    )


@pytest.mark.django_db
def test_money_in_another_currency_is_shown_in_that_currency(client, rep_a, pipeline):
    deal = make_deal(rep_a, "Swiss deal", "1500", currency="CHF")
    client.force_login(rep_a)

    html = client.get(url(deal)).content.decode()

    assert "1,500 CHF" in html
    assert deal.amount == Decimal("1500")
