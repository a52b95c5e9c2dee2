"""The pipeline board: columns with counts and sums, cards, stale deals, filters, drag-and-drop
moves and closes, who may see and move what, and a query count that does not grow with deals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get
from revline.quotes.models import ExchangeRate
from revline.sales.board import MAX_CARDS, close_period_range
from revline.sales.models import (
    CloseReason,
    Competitor,
    Deal,
    DealStageChange,
    DealStatus,
    Pipeline,
    StageKind,
)
from revline.sales.services import deal_close_won, pipeline_create

from .conftest import make_deal, stage

URL = "/sales/board/"
MOVE = "/sales/board/move/"
CLOSE = "/sales/board/close/"


def columns(response) -> dict[str, tuple[int, Decimal, list[str]]]:
    """Stage name -> (count, sum, card names) as the board shows them."""
    return {
        c.stage.name: (c.count, c.amount, [card.deal.name for card in c.cards])
        for c in response.context["board"].columns
    }


def cards(response) -> dict[str, object]:
    return {card.deal.name: card for c in response.context["board"].columns for card in c.cards}


def days_ago(days: int):
    return timezone.now() - timedelta(days=days, hours=1)


@pytest.fixture
def deals(pipeline, rep_a, rep_b, manager_a):
    proposal = stage(pipeline, "Proposal")
    return {
        "alpha": make_deal(rep_a, "Alpha", "1000", created_at=days_ago(3)),
        "beta": make_deal(manager_a, "Beta", "2500.50", stage=proposal, created_at=days_ago(30)),
        "gamma": make_deal(rep_b, "Gamma", "400", stage=proposal, created_at=days_ago(10)),
        "francs": make_deal(rep_a, "Francs", "9000", currency="CHF", created_at=days_ago(1)),
    }


@pytest.mark.django_db
def test_board_shows_one_column_per_stage_with_counts_sums_and_cards(client, admin_user, deals):
    # Given four deals, one of them in a currency without an exchange rate
    client.force_login(admin_user)

    # When an admin opens the board
    response = client.get(URL)

    # Then the open stages come first, then won and lost, each with its numbers
    assert response.status_code == 200
    assert columns(response) == {
        "Qualification": (2, Decimal("1000"), ["Alpha", "Francs"]),
        "Discovery": (0, Decimal("0"), []),
        "Proposal": (2, Decimal("2900.50"), ["Beta", "Gamma"]),
        "Negotiation": (0, Decimal("0"), []),
        "Won": (0, Decimal("0"), []),
        "Lost": (0, Decimal("0"), []),
    }
    board = response.context["board"]
    assert [c.unconverted for c in board.columns] == [1, 0, 0, 0, 0, 0]
    assert (board.open_count, board.open_amount, board.unconverted) == (4, Decimal("3900.50"), 1)
    html = response.content.decode()
    assert "1 deal not converted" in html
    assert "€2,900.50" in html
    assert "9,000 CHF" in html  # the card shows the deal's own currency
    assert f'href="/sales/deals/{deals["beta"].pk}/"' in html


@pytest.mark.django_db
def test_converted_amounts_are_summed_in_the_workspace_currency(client, admin_user, pipeline):
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), valid_from=date(2020, 1, 1))
    make_deal(admin_user, "Dollars", "300", currency="USD")
    make_deal(admin_user, "Euros", "100")
    client.force_login(admin_user)

    response = client.get(URL)

    assert columns(response)["Qualification"][:2] == (2, Decimal("250"))
    assert response.context["board"].unconverted == 0


@pytest.mark.django_db
def test_cards_show_days_in_stage_and_a_stale_flag_past_the_pipeline_limit(
    client, admin_user, pipeline
):
    # Given a pipeline that calls a deal stale after 21 days in one stage
    assert pipeline.stale_after_days == 21
    make_deal(admin_user, "Fresh", created_at=days_ago(2))
    make_deal(admin_user, "Limit", created_at=days_ago(21))
    make_deal(admin_user, "Old", created_at=days_ago(22))
    client.force_login(admin_user)

    response = client.get(URL)

    shown = cards(response)
    assert {name: (c.days_in_stage, c.stale) for name, c in shown.items()} == {
        "Fresh": (2, False),
        "Limit": (21, False),
        "Old": (22, True),
    }
    assert response.context["board"].stale_count == 1
    html = response.content.decode()
    assert html.count('<span class="badge warn" title="More than 21 days in this stage">Stale') == 1
    assert "22 days in stage" in html

    # When the manager lowers the limit to 2 days, two deals are stale
    pipeline.stale_after_days = 2
    pipeline.save()
    response = client.get(URL)
    assert sorted(n for n, c in cards(response).items() if c.stale) == ["Limit", "Old"]


@pytest.mark.django_db
def test_a_column_loads_at_most_50_cards_and_links_to_the_rest(client, admin_user, pipeline):
    for number in range(MAX_CARDS + 3):
        make_deal(admin_user, f"Deal {number:02d}", "10", created_at=days_ago(100 - number))
    client.force_login(admin_user)

    response = client.get(URL)

    qualification = response.context["board"].columns[0]
    assert (qualification.count, qualification.amount) == (53, Decimal("530"))
    # Longest in the stage first
    assert [c.deal.name for c in qualification.cards] == [f"Deal {n:02d}" for n in range(50)]
    assert qualification.hidden == 3
    html = response.content.decode()
    assert (
        f'href="/sales/deals/?pipeline={pipeline.pk}&amp;stage={qualification.stage.pk}'
        '&amp;status=open">+3 more</a>'
    ) in html


@pytest.mark.django_db
def test_the_query_count_is_the_same_with_3_and_with_60_deals(client, manager_a, rep_a, pipeline):
    # Given a manager looking at the board with 3 deals in three stages
    client.force_login(manager_a)
    for name in ("Qualification", "Proposal", "Negotiation"):
        make_deal(rep_a, name, stage=stage(pipeline, name))
    client.get(URL)  # the session and the workspace are loaded once
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200

    # When there are 60 deals, more than a column shows
    for number in range(57):
        name = ("Qualification", "Proposal", "Negotiation", "Discovery")[number % 4]
        make_deal(rep_a, f"More {number}", stage=stage(pipeline, name))
    deal_close_won(actor=None, deal=Deal.objects.get(name="More 0"), note="Signed")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    # Then the board needs exactly as many queries
    assert response.context["board"].open_count == 59
    assert len(many) == len(few)
    assert len(few) <= 12


@pytest.mark.django_db
def test_pipeline_tabs_switch_between_pipelines(client, admin_user, pipeline):
    renewals = pipeline_create(
        actor=None,
        name="Renewals",
        stages=[("Due", 60, "open"), ("Renewed", 100, "won"), ("Churned", 0, "lost")],
    )
    make_deal(admin_user, "Renewal", stage=renewals.stages.get(name="Due"))
    make_deal(admin_user, "New logo")
    client.force_login(admin_user)

    default = client.get(URL)
    other = client.get(URL, {"pipeline": renewals.pk})

    assert default.context["board"].pipeline == pipeline
    assert [name for name, _ in [(k, v) for k, v in columns(other).items()]] == [
        "Due",
        "Renewed",
        "Churned",
    ]
    assert columns(other)["Due"][2] == ["Renewal"]
    html = default.content.decode()
    assert f'<a href="?pipeline={renewals.pk}">Renewals</a>' in html
    assert client.get(URL, {"pipeline": "999"}).status_code == 404


@pytest.mark.django_db
def test_filters_by_owner_team_amount_and_close_period(
    client, admin_user, rep_a, rep_b, pipeline, team_b
):
    today = timezone.localdate()
    this_month = close_period_range("this_month", today)
    next_quarter = close_period_range("next_quarter", today)
    assert this_month and next_quarter
    make_deal(rep_a, "Small now", "100", expected_close_date=this_month[0])
    make_deal(rep_a, "Big now", "5000", expected_close_date=this_month[1])
    make_deal(rep_b, "Later", "700", expected_close_date=next_quarter[0])
    make_deal(rep_b, "Undated", "50")
    client.force_login(admin_user)

    def shown(**params) -> list[str]:
        response = client.get(URL, params)
        assert response.status_code == 200
        return sorted(cards(response))

    assert shown(owner=rep_a.pk) == ["Big now", "Small now"]
    assert shown(team=team_b.pk) == ["Later", "Undated"]
    assert shown(period="this_month") == ["Big now", "Small now"]
    assert shown(period="next_quarter") == ["Later"]
    assert shown(amount_min="100", amount_max="700") == ["Later", "Small now"]
    assert shown(period="custom", close_from=this_month[1].isoformat()) == ["Big now", "Later"]
    # The totals follow the filters
    response = client.get(URL, {"amount_min": "600"})
    assert columns(response)["Qualification"][:2] == (2, Decimal("5700"))


@pytest.mark.django_db
def test_bad_filters_are_reported_and_ignored(client, admin_user, pipeline):
    make_deal(admin_user, "Kept")
    client.force_login(admin_user)

    response = client.get(URL, {"amount_min": "5000", "amount_max": "100", "period": "someday"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The maximum must be at least the minimum." in html
    assert "Select a valid choice." in html
    assert sorted(cards(response)) == []  # amount_min=5000 alone still applies


@pytest.mark.django_db
def test_a_rep_of_another_team_neither_sees_nor_moves_the_deal(client, rep_a, rep_b, pipeline):
    # Given the default visibility (own team only) and a deal of rep_a
    assert workspace_get().deal_visibility == DealVisibility.TEAM
    deal = make_deal(rep_a, "Secret")
    make_deal(rep_b, "Mine")
    client.force_login(rep_b)

    # Then rep_b's board does not show it, nor count it
    response = client.get(URL)
    assert sorted(cards(response)) == ["Mine"]
    assert columns(response)["Qualification"][:2] == (1, Decimal("1000"))

    # And a forged move is refused like a missing deal, and changes nothing
    response = client.post(MOVE, {"deal": deal.pk, "stage": stage(pipeline, "Proposal").pk})
    assert response.status_code == 404
    assert response.content.decode() == "This deal does not exist or is not visible to you."
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"
    assert DealStageChange.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db
def test_a_visible_deal_of_another_team_is_read_only(client, rep_a, rep_b, pipeline):
    # Given a workspace where everyone sees every deal
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL
    workspace.save()
    deal = make_deal(rep_a, "Theirs")
    client.force_login(rep_b)

    # Then rep_b sees the card, but it cannot be dragged
    response = client.get(URL)
    assert cards(response)["Theirs"].can_edit is False
    html = response.content.decode()
    assert f'data-deal="{deal.pk}">' in html  # no data-draggable
    assert "data-draggable" not in html

    # And a move is refused with the reason
    response = client.post(MOVE, {"deal": deal.pk, "stage": stage(pipeline, "Proposal").pk})
    assert (response.status_code, response.content.decode()) == (
        403,
        "You can only change deals of your own team.",
    )
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


@pytest.mark.django_db
def test_moving_a_card_records_the_stage_change_and_answers_the_new_board(
    client, rep_a, manager_a, pipeline
):
    deal = make_deal(rep_a, "Move me", "1200", created_at=days_ago(40))
    client.force_login(manager_a)
    proposal = stage(pipeline, "Proposal")

    response = client.post(
        f"{MOVE}?pipeline={pipeline.pk}", {"deal": deal.pk, "stage": proposal.pk}
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == proposal
    change = DealStageChange.objects.filter(deal=deal).first()
    assert (change.from_stage.name, change.to_stage, change.changed_by) == (
        "Qualification",
        proposal,
        manager_a,
    )
    # The answer is the re-rendered board body, with the new counts and sums
    assert columns(response)["Proposal"] == (1, Decimal("1200"), ["Move me"])
    assert columns(response)["Qualification"][:2] == (0, Decimal("0"))
    assert cards(response)["Move me"].days_in_stage == 0
    assert response.content.decode().startswith('<div id="board-body">')


@pytest.mark.django_db
def test_bad_moves_are_refused_with_a_reason_and_change_nothing(client, admin_user, pipeline):
    deal = make_deal(admin_user, "Stay")
    other = pipeline_create(
        actor=None,
        name="Other",
        stages=[("Elsewhere", 50, "open"), ("W", 100, "won"), ("L", 0, "lost")],
    )
    client.force_login(admin_user)

    def refused(data) -> tuple[int, str]:
        response = client.post(MOVE, data)
        return response.status_code, response.content.decode()

    assert refused({"deal": deal.pk, "stage": stage(pipeline, "Won").pk}) == (
        400,
        "Close the deal as won or lost, with a reason.",
    )
    assert refused({"deal": deal.pk, "stage": other.stages.get(name="Elsewhere").pk}) == (
        400,
        "That stage belongs to another pipeline.",
    )
    assert refused({"deal": deal.pk, "stage": "abc"})[0] == 400
    assert refused({"deal": 987654, "stage": stage(pipeline, "Proposal").pk})[0] == 404
    assert client.get(MOVE).status_code == 405
    deal.refresh_from_db()
    assert (deal.stage.name, DealStageChange.objects.filter(deal=deal).count()) == (
        "Qualification",
        1,
    )


@pytest.mark.django_db
def test_closing_as_won_requires_a_reason(client, rep_a, pipeline):
    deal = make_deal(rep_a, "Almost")
    client.force_login(rep_a)

    response = client.post(CLOSE, {"deal": deal.pk, "outcome": "won", "note": "  "})

    assert (response.status_code, response.content.decode()) == (
        400,
        "Pick a reason, or say why in the note.",
    )
    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.closed_at) == (
        DealStatus.OPEN,
        "Qualification",
        None,
    )


@pytest.mark.django_db
def test_closing_as_won_from_the_board(client, rep_a, pipeline):
    deal = make_deal(rep_a, "Signed", "800")
    reason = CloseReason.objects.filter(kind=StageKind.WON, is_active=True).first()
    client.force_login(rep_a)

    response = client.post(
        CLOSE, {"deal": deal.pk, "outcome": "won", "reason": reason.pk, "note": "Great demo"}
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.close_reason, deal.close_note, deal.lost_to) == (
        DealStatus.WON,
        "Won",
        reason,
        "Great demo",
        None,
    )
    assert DealStageChange.objects.filter(deal=deal, to_stage__name="Won").count() == 1
    assert columns(response)["Won"][:2] == (1, Decimal("800"))
    assert columns(response)["Qualification"][:2] == (0, Decimal("0"))


@pytest.mark.django_db
def test_closing_as_lost_to_a_competitor(client, rep_a, pipeline):
    deal = make_deal(rep_a, "Gone")
    reason = CloseReason.objects.filter(kind=StageKind.LOST).first()
    rival = Competitor.objects.create(name="Rival Inc")
    client.force_login(rep_a)

    response = client.post(
        CLOSE, {"deal": deal.pk, "outcome": "lost", "reason": reason.pk, "lost_to": rival.pk}
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason, deal.lost_to) == (DealStatus.LOST, reason, rival)


@pytest.mark.django_db
def test_close_with_a_reason_of_the_other_kind_or_a_competitor_on_a_win_is_refused(
    client, rep_a, rep_b, pipeline
):
    deal = make_deal(rep_a, "Careful")
    lost_reason = CloseReason.objects.filter(kind=StageKind.LOST).first()
    won_reason = CloseReason.objects.filter(kind=StageKind.WON).first()
    rival = Competitor.objects.create(name="Rival Inc")
    client.force_login(rep_a)

    wrong_kind = client.post(CLOSE, {"deal": deal.pk, "outcome": "won", "reason": lost_reason.pk})
    won_to_rival = client.post(
        CLOSE, {"deal": deal.pk, "outcome": "won", "reason": won_reason.pk, "lost_to": rival.pk}
    )
    client.force_login(rep_b)
    other_team = client.post(CLOSE, {"deal": deal.pk, "outcome": "won", "reason": won_reason.pk})

    assert (wrong_kind.status_code, wrong_kind.content.decode()) == (
        400,
        "That reason is for lost deals.",
    )
    assert (won_to_rival.status_code, won_to_rival.content.decode()) == (
        400,
        "A won deal was not lost to a competitor.",
    )
    assert other_team.status_code == 404
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == (DealStatus.OPEN, None)


@pytest.mark.django_db
def test_dialog_offers_active_reasons_of_each_kind_and_competitors(client, admin_user, pipeline):
    CloseReason.objects.create(kind=StageKind.LOST, name="Retired reason", is_active=False)
    Competitor.objects.create(name="Rival <Inc>")
    client.force_login(admin_user)

    response = client.get(URL)

    choices = response.context["close_choices"]
    assert all(r.kind == StageKind.WON and r.is_active for r in choices.won_reasons)
    assert "Retired reason" not in [r.name for r in choices.lost_reasons]
    html = response.content.decode()
    assert '<dialog class="board-dialog" id="board-close-dialog"' in html
    assert "Rival &lt;Inc&gt;" in html


@pytest.mark.django_db
def test_user_data_on_the_board_is_escaped(client, admin_user, pipeline):
    make_deal(admin_user, "<script>alert(1)</script>")
    client.force_login(admin_user)

    html = client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_board_requires_login_and_the_move_requires_post(client, pipeline):
    assert client.get(URL).status_code == 302
    assert client.post(MOVE, {}).status_code == 302


@pytest.mark.django_db
def test_board_and_list_link_to_each_other_keeping_the_filters(client, admin_user, pipeline):
    client.force_login(admin_user)

    board = client.get(URL, {"owner": admin_user.pk, "amount_min": "10"})
    listing = client.get(
        "/sales/deals/", {"owner": admin_user.pk, "period": "this_month", "sort": "name"}
    )

    assert board.context["list_url"] == (
        f"/sales/deals/?pipeline={pipeline.pk}&owner={admin_user.pk}&amount_min=10"
    )
    assert listing.context["board_url"] == f"/sales/board/?owner={admin_user.pk}&period=this_month"


@pytest.mark.django_db
def test_deal_list_filters_by_amount_and_close_period(client, admin_user, pipeline):
    today = timezone.localdate()
    this_month = close_period_range("this_month", today)
    assert this_month
    make_deal(admin_user, "Cheap", "50", expected_close_date=this_month[0])
    make_deal(admin_user, "Dear", "5000", expected_close_date=this_month[0] - timedelta(days=1))
    client.force_login(admin_user)

    def listed(**params) -> list[str]:
        response = client.get("/sales/deals/", params)
        assert response.status_code == 200
        return sorted(d.name for d in response.context["listing"].page.object_list)

    assert listed(amount_min="100") == ["Dear"]
    assert listed(amount_max="100") == ["Cheap"]
    assert listed(period="this_month") == ["Cheap"]


def test_close_periods():
    assert close_period_range("this_month", date(2025, 12, 15)) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert close_period_range("next_month", date(2025, 12, 15)) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert close_period_range("this_quarter", date(2025, 2, 28)) == (
        date(2025, 1, 1),
        date(2025, 3, 31),
    )
    assert close_period_range("next_quarter", date(2025, 11, 2)) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert close_period_range("custom", date(2025, 11, 2)) is None


@pytest.mark.django_db
def test_pipeline_edit_sets_the_stale_limit(client, manager_a, pipeline):
    client.force_login(manager_a)
    data = {"name": pipeline.name, "stale_after_days": "10"}
    for s in pipeline.stages.all():
        data[f"stage_{s.pk}_name"] = s.name
        if s.kind == StageKind.OPEN:
            data[f"stage_{s.pk}_probability"] = str(s.probability)
    url = f"/sales/pipelines/{pipeline.pk}/edit/"

    assert 'name="stale_after_days" value="21"' in client.get(url).content.decode()
    bad = client.post(url, {**data, "stale_after_days": "0"})
    assert bad.status_code == 400
    assert Pipeline.objects.get(pk=pipeline.pk).stale_after_days == 21
    good = client.post(url, data)
    assert good.status_code == 302
    assert Pipeline.objects.get(pk=pipeline.pk).stale_after_days == 10
