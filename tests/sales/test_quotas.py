"""The quotas page and service: who sets whose quota, and bad input changing nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.sales.models import Quota
from revline.sales.quota_services import QuotaEntry, quotas_save

URL = "/sales/quotas/"
D = Decimal


def cell(user, start: str) -> str:
    return f"amount-{user.pk}-{start}"


def stored() -> list[tuple[str, str, date, Decimal]]:
    return [
        (q.user.username, q.period, q.period_start, q.amount)
        for q in Quota.objects.select_related("user").order_by("user__username", "period_start")
    ]


@pytest.mark.django_db
def test_manager_sets_monthly_quotas_for_their_team(client, manager_a, rep_a, rep_b):
    client.force_login(manager_a)

    page = client.get(URL, {"year": 2025})
    response = client.post(
        URL,
        {
            "year": "2025",
            "period": "month",
            cell(rep_a, "2025-01-01"): "25000",
            cell(rep_a, "2025-02-01"): " 27500.50 ",
            cell(rep_a, "2025-03-01"): "",
        },
    )

    assert [row.user.username for row in page.context["grid"].rows] == ["manager_a", "rep_a"]
    assert [row.editable for row in page.context["grid"].rows] == [True, True]
    assert response.status_code == 302
    assert response["Location"] == "/sales/quotas/?year=2025&period=month"
    assert stored() == [
        ("rep_a", "month", date(2025, 1, 1), D("25000.00")),
        ("rep_a", "month", date(2025, 2, 1), D("27500.50")),
    ]


@pytest.mark.django_db
def test_manager_cannot_set_a_quota_for_another_team(client, manager_a, rep_a, rep_b):
    client.force_login(manager_a)

    response = client.post(
        URL,
        {
            "year": "2025",
            "period": "month",
            cell(rep_a, "2025-01-01"): "1000",
            cell(rep_b, "2025-01-01"): "1000",
        },
    )

    assert response.status_code == 403
    assert stored() == []


@pytest.mark.django_db
def test_negative_or_malformed_amounts_are_refused_and_nothing_is_stored(
    client, admin_user, rep_a, rep_b
):
    client.force_login(admin_user)

    response = client.post(
        URL,
        {
            "year": "2025",
            "period": "quarter",
            cell(rep_a, "2025-01-01"): "-5",
            cell(rep_a, "2025-04-01"): "12k",
            cell(rep_a, "2025-07-01"): "1.005",
            cell(rep_b, "2025-01-01"): "9000",
        },
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert response.context["errors"] == {
        cell(rep_a, "2025-01-01"): "A quota cannot be negative.",
        cell(rep_a, "2025-04-01"): "Enter an amount such as 25000 or 25000.50.",
        cell(rep_a, "2025-07-01"): "Use at most two decimal places.",
    }
    assert "Nothing was saved: 3 cells need a fix." in content
    assert 'value="12k"' in content  # what was typed stays in the form
    assert stored() == []


@pytest.mark.django_db
def test_a_cell_outside_the_year_is_refused(client, admin_user, rep_a):
    client.force_login(admin_user)

    response = client.post(
        URL, {"year": "2025", "period": "month", cell(rep_a, "2025-01-15"): "100"}
    )

    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert stored() == []


@pytest.mark.django_db
def test_an_empty_cell_removes_the_quota(client, admin_user, rep_a):
    Quota.objects.create(user=rep_a, period="month", period_start=date(2025, 5, 1), amount=D(10))
    client.force_login(admin_user)

    client.post(URL, {"year": "2025", "period": "month", cell(rep_a, "2025-05-01"): ""})

    assert stored() == []


@pytest.mark.django_db
def test_a_rep_reads_only_their_own_quota_and_cannot_set_it(client, rep_a, manager_a):
    Quota.objects.create(user=rep_a, period="month", period_start=date(2025, 1, 1), amount=D(900))
    Quota.objects.create(
        user=manager_a, period="month", period_start=date(2025, 1, 1), amount=D(700)
    )
    client.force_login(rep_a)

    page = client.get(URL, {"year": "2025"})
    response = client.post(
        URL, {"year": "2025", "period": "month", cell(rep_a, "2025-01-01"): "99999"}
    )

    rows = page.context["grid"].rows
    assert [(r.user.username, r.editable) for r in rows] == [("rep_a", False)]
    assert rows[0].cells[0].amount == D("900.00")
    assert page.context["grid"].can_edit is False
    assert b'name="amount-' not in page.content
    assert response.status_code == 403
    assert Quota.objects.get(user=rep_a).amount == D("900.00")


@pytest.mark.django_db
def test_quota_grid_shows_won_revenue_and_attainment(client, admin_user, rep_a, pipeline):
    from datetime import datetime

    from django.utils import timezone

    from revline.sales.services import deal_close_won

    from .conftest import make_deal

    Quota.objects.create(
        user=rep_a, period="quarter", period_start=date(2025, 1, 1), amount=D(4000)
    )
    deal = make_deal(rep_a, "Won", "1000")
    deal_close_won(
        actor=None,
        deal=deal,
        note="ok",
        at=timezone.make_aware(datetime(2025, 2, 10, 12)),
    )
    client.force_login(admin_user)

    grid = client.get(URL, {"year": "2025", "period": "quarter"}).context["grid"]

    row = next(r for r in grid.rows if r.user == rep_a)
    assert [label for _, label in grid.columns] == ["Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"]
    assert (row.cells[0].won, row.cells[0].attainment) == (D("1000"), D("25"))
    assert (row.total_quota, row.total_won) == (D("4000"), D("1000"))


@pytest.mark.django_db
def test_service_checks_permission_before_writing_and_period_starts(manager_a, rep_a, rep_b):
    with pytest.raises(PermissionDenied):
        quotas_save(
            actor=manager_a,
            period="month",
            entries=[
                QuotaEntry(user=rep_a, period_start=date(2025, 1, 1), amount=D(1)),
                QuotaEntry(user=rep_b, period_start=date(2025, 1, 1), amount=D(1)),
            ],
        )
    with pytest.raises(ValidationError) as error:
        quotas_save(
            actor=manager_a,
            period="quarter",
            entries=[QuotaEntry(user=rep_a, period_start=date(2025, 2, 1), amount=D(1))],
        )

    assert error.value.messages == ["2025-02-01 is not the first day of a quarter."]
    assert stored() == []
    assert (
        quotas_save(
            actor=manager_a,
            period="quarter",
            entries=[QuotaEntry(user=rep_a, period_start=date(2025, 4, 1), amount=D(1))],
        )
        == 1
    )
