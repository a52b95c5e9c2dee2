"""The forecast page: period figures, reps and quotas, calibration, backtest, category edits."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from revline.sales.forecast import add_months, period_bounds, period_label
from revline.sales.forecast_services import deal_forecast_category_set
from revline.sales.models import Deal, Quota
from revline.sales.services import deal_close_won

from .conftest import make_deal, stage

URL = "/sales/forecast/"
D = Decimal


def moment(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def month() -> tuple[date, date]:
    return period_bounds("month", timezone.localdate())


@pytest.fixture
def deals(pipeline, admin_user, rep_a, rep_b, manager_a, month):
    start, _ = month
    last_start = add_months(start, -1)
    created = moment(add_months(start, -2), 9)
    commit = make_deal(
        rep_a,
        "A commit",
        "2000",
        stage=stage(pipeline, "Negotiation"),
        expected_close_date=start + timedelta(days=3),
        created_at=created,
    )
    won = make_deal(rep_a, "A won", "1000", expected_close_date=start, created_at=created)
    deal_close_won(actor=None, deal=won, note="Signed", at=moment(start))
    best = make_deal(
        rep_b,
        "B best",
        "4000",
        stage=stage(pipeline, "Proposal"),
        expected_close_date=start + timedelta(days=1),
        created_at=created,
    )
    plain = make_deal(
        manager_a,
        "M pipeline",
        "800",
        stage=stage(pipeline, "Discovery"),
        expected_close_date=start + timedelta(days=2),
        created_at=created,
    )
    old = make_deal(
        rep_a,
        "Old win",
        "600",
        stage=stage(pipeline, "Proposal"),
        expected_close_date=last_start + timedelta(days=9),
        created_at=created,
    )
    deal_close_won(actor=None, deal=old, note="Signed", at=moment(last_start + timedelta(days=9)))
    deal_forecast_category_set(actor=admin_user, deal=commit, category="commit")
    deal_forecast_category_set(actor=admin_user, deal=best, category="best_case")
    Quota.objects.create(user=rep_a, period="month", period_start=start, amount=D("4000"))
    Quota.objects.create(user=rep_b, period="month", period_start=start, amount=D("8000"))
    return {"commit": commit, "won": won, "best": best, "plain": plain, "old": old}


@pytest.mark.django_db
def test_forecast_of_this_month_for_an_admin(client, admin_user, deals, rep_a, rep_b):
    client.force_login(admin_user)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.context["page"]
    total = page.forecast.total
    assert (total.won, total.commit, total.best_case, total.pipeline) == (
        D("1000"),
        D("3000"),
        D("7000"),
        D("6800"),
    )
    assert total.weighted_configured == D("3700.00")  # 2000·.75 + 4000·.5 + 800·.25
    # Two won deals of history: (2 + 10·p0) / 12 → (2000·9.5 + 4000·7 + 800·4.5) / 12
    assert total.weighted_calibrated == D("4216.67")
    assert (page.forecast.quota, page.forecast.attainment) == (D("12000"), D("8.3"))
    reps = {row.user.username: row for row in page.reps}
    assert (reps["rep_a"].quota, reps["rep_a"].attainment, reps["rep_a"].bar) == (
        D("4000"),
        D("25.0"),
        25,
    )
    assert (reps["rep_b"].attainment, reps["rep_b"].figures.best_case) == (D("0.0"), D("4000"))
    assert [d.deal.name for d in page.deals] == ["B best", "M pipeline", "A commit", "A won"]
    assert [(c.stage.name, c.reached, c.won) for c in page.calibration] == [
        ("Qualification", 2, 2),
        ("Discovery", 2, 2),
        ("Proposal", 2, 2),
        ("Negotiation", 2, 2),
    ]
    content = response.content.decode()
    assert "€3,700" in content and "€4,216.67" in content


@pytest.mark.django_db
def test_backtest_on_the_page_replays_last_month(client, admin_user, deals, month):
    client.force_login(admin_user)

    page = client.get(URL).context["page"]

    assert len(page.backtest.periods) == 6
    last = page.backtest.periods[-1]
    assert last.label == period_label("month", add_months(month[0], -1))
    # "Old win" was open in Proposal at the start of last month and won during it.
    assert (last.deals, last.forecast_configured, last.forecast_calibrated, last.actual) == (
        1,
        D("300.00"),
        D("300.00"),
        D("600"),
    )
    assert (last.ape_configured, page.backtest.mape_configured) == (D("50.0"), D("50.0"))
    assert b'id="backtest-chart"' in client.get(URL).content


@pytest.mark.django_db
def test_owner_filter_narrows_figures_and_quota(client, admin_user, deals, rep_a):
    client.force_login(admin_user)

    page = client.get(URL, {"owner": rep_a.pk}).context["page"]

    assert (page.forecast.total.won, page.forecast.total.commit) == (D("1000"), D("3000"))
    assert (page.forecast.quota, page.forecast.attainment) == (D("4000"), D("25.0"))


@pytest.mark.django_db
def test_a_rep_of_another_team_sees_only_their_teams_numbers(client, rep_b, deals):
    client.force_login(rep_b)

    response = client.get(URL)

    page = response.context["page"]
    assert [d.deal.name for d in page.deals] == ["B best"]
    total = page.forecast.total
    assert (total.won, total.commit, total.best_case) == (0, 0, D("4000"))
    # No visible closed deal: calibrated = configured.
    assert total.weighted_calibrated == total.weighted_configured == D("2000.00")
    assert [c.reached for c in page.calibration] == [0, 0, 0, 0]
    assert [r.user.username for r in page.reps] == ["rep_b"]
    assert page.forecast.quota == D("8000")
    assert "A commit" not in response.content.decode()


@pytest.mark.django_db
def test_custom_period_and_bad_dates(client, admin_user, deals, month):
    client.force_login(admin_user)
    start, _ = month

    ok = client.get(
        URL,
        {
            "period": "custom",
            "start": start.isoformat(),
            "end": (start + timedelta(days=1)).isoformat(),
        },
    )
    bad = client.get(URL, {"period": "custom", "start": "2025-03-10", "end": "2025-03-01"})

    page = ok.context["page"]
    assert [d.deal.name for d in page.deals] == ["B best", "A won"]
    assert (page.forecast.quota, page.forecast.attainment) == (None, None)
    assert bad.status_code == 400
    assert "The start date must be on or before the end date." in bad.content.decode()


@pytest.mark.django_db
def test_rep_puts_a_deal_of_their_team_in_commit(client, rep_a, deals):
    client.force_login(rep_a)
    deal = deals["plain"]  # manager_a's, same team

    response = client.post(
        f"/sales/forecast/deals/{deal.pk}/category/",
        {"forecast_category": "commit", "next": "/sales/forecast/?period=next_month"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/sales/forecast/?period=next_month"
    deal.refresh_from_db()
    assert deal.forecast_category == "commit"


@pytest.mark.django_db
def test_category_change_is_refused_for_another_teams_deal(client, rep_b, deals):
    client.force_login(rep_b)
    deal = deals["commit"]

    response = client.post(
        f"/sales/forecast/deals/{deal.pk}/category/", {"forecast_category": "omitted"}
    )

    assert response.status_code == 404
    assert Deal.objects.get(pk=deal.pk).forecast_category == "commit"


@pytest.mark.django_db
def test_marketer_sees_the_deal_but_cannot_change_its_category(client, marketer, deals):
    client.force_login(marketer)
    deal = deals["commit"]

    page = client.get(URL).context["page"]
    response = client.post(
        f"/sales/forecast/deals/{deal.pk}/category/", {"forecast_category": "omitted"}
    )

    assert [row.can_edit for row in page.deals] == [False, False, False, False]
    assert response.status_code == 403
    assert Deal.objects.get(pk=deal.pk).forecast_category == "commit"


@pytest.mark.django_db
def test_bad_category_closed_deal_get_and_foreign_next_are_refused(client, admin_user, deals):
    client.force_login(admin_user)
    url = f"/sales/forecast/deals/{deals['commit'].pk}/category/"

    bad = client.post(url, {"forecast_category": "maybe"})
    closed = client.post(
        f"/sales/forecast/deals/{deals['won'].pk}/category/", {"forecast_category": "omitted"}
    )
    get = client.get(url)
    outside = client.post(url, {"forecast_category": "best_case", "next": "https://evil.test/"})

    assert (bad.status_code, closed.status_code, get.status_code) == (400, 400, 405)
    assert "closed" in closed.content.decode()
    assert Deal.objects.get(pk=deals["won"].pk).forecast_category == "pipeline"
    assert outside["Location"] == "/sales/forecast/"
    assert Deal.objects.get(pk=deals["commit"].pk).forecast_category == "best_case"


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_few_and_many_deals(
    client, admin_user, pipeline, deals, rep_a, month
):
    client.force_login(admin_user)
    client.get(URL)  # warm up per-process memos (workspace)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(15):
        deal = make_deal(
            rep_a,
            f"More {n}",
            "100",
            stage=stage(pipeline, "Proposal"),
            expected_close_date=month[0] + timedelta(days=n % 5),
        )
        if n % 3 == 0:
            deal_close_won(actor=None, deal=deal, note="ok", at=moment(month[0]))

    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert len(response.context["page"].deals) == 19
    assert len(many.captured_queries) == len(few.captured_queries)
