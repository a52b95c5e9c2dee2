"""The customer-value report: purchase histories from won deals, acquisition campaigns, deal
visibility, the page and its CSV exports."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from revline.analytics import clv_selectors
from revline.analytics.clv_selectors import customer_value_report
from revline.campaigns.models import Campaign, Channel
from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get
from revline.people.services import contact_create
from revline.sales.services import deal_close_lost, deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

START = datetime(2025, 1, 1, 12, tzinfo=UTC)
AS_OF = date(2025, 6, 30)
URL = "/reports/customer-value/"


def _won(contact, amount: str, at: datetime, owner=None):
    deal = deal_create(
        actor=None,
        owner=owner,
        name="Order",
        amount=Decimal(amount),
        contact=contact,
        created_at=at,
    )
    return deal_close_won(actor=None, deal=deal, note="Bought", at=at)


def _touch(contact, campaign, at: datetime) -> None:
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=None,
        contact=contact,
        campaign=campaign,
        occurred_at=at,
    )


@pytest.fixture
def shop(db):
    """30 customers: 15 first touched by Search, 10 by Webinar, 5 by no campaign. Customer i
    first buys on day i % 10 for €100; i % 3 == 0 buys again after 14 and 35 days, i % 3 == 1
    after 21 days (repeat purchases worth 50 + i)."""
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    webinar = Campaign.objects.create(name="Webinar", channel=Channel.EVENTS)
    contacts = []
    for i in range(30):
        contact = contact_create(actor=None, email=f"c{i}@example.com", first_name=f"C{i}")
        first = START + timedelta(days=i % 10)
        campaign = search if i < 15 else webinar if i < 25 else None
        if campaign is not None:
            _touch(contact, campaign, first - timedelta(days=3))
        _won(contact, "100", first)
        repeats = (14, 35) if i % 3 == 0 else (21,) if i % 3 == 1 else ()
        for days in repeats:
            _won(contact, str(50 + i), first + timedelta(days=days))
        contacts.append(contact)
    return {"search": search, "webinar": webinar, "contacts": contacts}


# --- purchase histories ---------------------------------------------------------------------


@pytest.mark.django_db
def test_summary_counts_repeat_purchases_recency_and_age_in_the_chosen_unit(shop):
    # Given customer 3: €100 on Jan 4, then €53 on Jan 18 and Feb 8; plus a lost deal and a
    # second won deal on Feb 8, which merges into that day's purchase
    contact = shop["contacts"][3]
    _won(contact, "7", START + timedelta(days=3 + 35, hours=3))
    lost = deal_create(actor=None, name="Lost", amount=Decimal("999"), contact=contact)
    deal_close_lost(actor=None, deal=lost, note="No", at=START + timedelta(days=50))

    # When the calibration summary is taken in weeks and in days
    histories = clv_selectors.purchase_histories(viewer=None, as_of=AS_OF)
    weeks = {
        s.contact_id: s
        for s in clv_selectors.calibration_summary(histories, as_of=AS_OF, unit="week")
    }
    days = {
        s.contact_id: s
        for s in clv_selectors.calibration_summary(histories, as_of=AS_OF, unit="day")
    }

    # Then x counts the repeat days, t_x and T run from the first purchase, m averages repeats
    summary = weeks[contact.pk]
    assert summary.first_purchase == date(2025, 1, 4)
    assert (summary.x, summary.t_x, summary.T) == (2, 5.0, 177 / 7)
    assert summary.m == pytest.approx((53 + 53 + 7) / 2)
    assert summary.revenue == Decimal("213.00")
    assert (days[contact.pk].x, days[contact.pk].t_x, days[contact.pk].T) == (2, 35.0, 177.0)
    # and a one-time buyer has x = 0, t_x = 0
    assert (weeks[shop["contacts"][2].pk].x, weeks[shop["contacts"][2].pk].t_x) == (0, 0.0)
    assert len(weeks) == 30


@pytest.mark.django_db
def test_purchases_after_the_end_of_the_history_are_left_out(shop):
    histories = clv_selectors.purchase_histories(viewer=None, as_of=date(2025, 1, 5))

    summaries = clv_selectors.calibration_summary(histories, as_of=date(2025, 1, 5), unit="day")

    # Customers 0-4 and 10-14, 20-24 first bought by Jan 5; none bought again by then
    assert len(summaries) == 15
    assert {s.x for s in summaries} == {0}


@pytest.mark.django_db
def test_acquisition_is_the_first_campaign_touch_before_the_first_purchase(shop):
    # Given customer 26 (no campaign before buying) touched by Search only after buying, and
    # customer 0 (Search) touched by Webinar later still
    late, search_customer = shop["contacts"][26], shop["contacts"][0]
    _touch(late, shop["search"], START + timedelta(days=20))
    _touch(search_customer, shop["webinar"], START + timedelta(days=5))

    found = clv_selectors.acquisition_campaigns(
        {late.pk: START + timedelta(days=6), search_customer.pk: START}
    )

    assert found == {search_customer.pk: shop["search"].pk}


# --- the report -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_fits_the_models_and_averages_value_by_campaign_and_channel(shop, marketer):
    report = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )

    assert report.error == ""
    assert (report.customers, report.repeat_customers, report.cohort_customers) == (30, 20, 30)
    assert report.fit is not None and report.fit.params.unit == "week"
    assert report.spend_fit is not None and report.spend_fit.n_customers == 20
    assert [(r.label, r.customers) for r in sorted(report.by_campaign, key=lambda r: r.label)] == [
        ("No campaign", 5),
        ("Search", 15),
        ("Webinar", 10),
    ]
    assert sorted((r.label, r.customers) for r in report.by_channel) == [
        ("Events", 10),
        ("No campaign", 5),
        ("Paid search", 15),
    ]
    search = next(r for r in report.by_campaign if r.label == "Search")
    members = [p for p in report.predictions if p.campaign_id == shop["search"].pk]
    assert search.avg_value == Decimal(str(round(sum(p.value for p in members) / 15, 2)))
    assert search.avg_revenue_to_date == Decimal(
        str(sum(p.summary.revenue for p in members) / 15)
    ).quantize(Decimal("0.01"))
    # Every one-time buyer is certainly still active in BG/NBD terms; values are positive
    assert {p.p_alive for p in report.predictions if p.summary.x == 0} == {1.0}
    assert all(p.value > 0 for p in report.predictions)
    assert report.by_campaign == sorted(report.by_campaign, key=lambda r: (-r.avg_value, r.label))


@pytest.mark.django_db
def test_report_cohort_filter_narrows_the_tables_not_the_fit(shop, marketer):
    everyone = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )
    cohort = customer_value_report(
        viewer=marketer,
        as_of=AS_OF,
        unit="week",
        horizon=52,
        annual_discount_rate=0.1,
        acquired_from=date(2025, 1, 1),
        acquired_to=date(2025, 1, 2),
    )

    # Customers 0, 1, 10, 11, 20, 21 first bought on Jan 1 or 2
    assert cohort.cohort_customers == 6
    assert cohort.fit == everyone.fit
    assert sorted((r.label, r.customers) for r in cohort.by_campaign) == [
        ("Search", 4),
        ("Webinar", 2),
    ]


@pytest.mark.django_db
def test_report_refuses_a_history_of_too_few_customers(db, marketer):
    for i in range(5):
        contact = contact_create(actor=None, email=f"few{i}@example.com")
        _won(contact, "10", START)
        _won(contact, "10", START + timedelta(days=7))

    report = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )

    assert report.fit is None
    assert report.by_campaign == []
    assert report.error == (
        "Only 5 customers with a purchase: the model needs at least 20 to estimate how often "
        "customers buy and when they stop."
    )


@pytest.mark.django_db
def test_sales_reps_value_only_the_customers_of_deals_they_may_see(shop, rep_a, rep_b, marketer):
    # Given team visibility and ten more customers whose deals rep_b (team B) owns
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.TEAM
    workspace.save()
    for i in range(10):
        contact = contact_create(actor=None, email=f"b{i}@example.com")
        _won(contact, "80", START, owner=rep_b)
        _won(contact, "80", START + timedelta(days=10), owner=rep_b)

    as_rep_a = customer_value_report(
        viewer=rep_a, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )
    as_marketer = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )

    assert (as_rep_a.customers, as_rep_a.team_only) == (30, True)
    assert (as_marketer.customers, as_marketer.team_only) == (40, False)


# --- the page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_shows_parameters_tables_and_chart_data(shop, marketer):
    client = Client()
    client.force_login(marketer)

    response = client.get(URL, {"as_of": "2025-06-30", "unit": "week", "horizon": "26"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="clv-params"' in html
    assert 'id="clv-campaigns"' in html and 'id="clv-channels"' in html
    assert 'id="clv-data"' in html
    assert "next <strong>26 weeks</strong>" in html
    assert 'id="clv-error"' not in html
    # thirty customers fit, but the page says the estimates are uncertain
    assert "The fit rests on 30 customers: estimates from fewer than 200 are uncertain." in html
    assert response.context["report"].horizon == 26.0


@pytest.mark.django_db
def test_page_explains_why_no_model_was_fitted(db, marketer):
    client = Client()
    client.force_login(marketer)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Only 0 customers with a purchase" in html
    assert 'id="clv-params"' not in html
    assert client.get(URL, {"export": "campaigns"}).status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"unit": "month"}, "unit", "Select a valid choice"),
        ({"unit": "week", "horizon": "600"}, "horizon", "At most 520 weeks"),
        ({"unit": "day", "horizon": "0"}, "horizon", "greater than or equal to 1"),
        ({"discount": "150"}, "discount", "less than or equal to 100"),
        ({"as_of": "1800-01-01"}, "as_of", "between 2000 and 2100"),
    ],
)
def test_bad_settings_get_a_field_error(shop, marketer, params, field, message):
    client = Client()
    client.force_login(marketer)

    response = client.get(URL, params)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])


@pytest.mark.django_db
def test_page_requires_login(db):
    response = Client().get(URL)

    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.django_db
def test_csv_exports_of_both_tables_and_of_every_customer(shop, marketer):
    client = Client()
    client.force_login(marketer)
    query = {"as_of": "2025-06-30", "unit": "week", "horizon": "52"}

    campaigns = client.get(URL, {**query, "export": "campaigns"})
    channels = client.get(URL, {**query, "export": "channels"})
    customers = client.get(URL, {**query, "export": "customers"})

    def lines(response):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        return b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()

    campaign_lines = lines(campaigns)
    assert campaign_lines[0] == (
        "campaign,customers,avg_predicted_value,total_predicted_value,"
        "avg_expected_purchases_next_52_weeks,avg_p_alive,avg_revenue_to_date,currency"
    )
    assert sorted(line.split(",")[0] for line in campaign_lines[1:]) == [
        "No campaign",
        "Search",
        "Webinar",
    ]
    assert sorted(line.split(",")[0] for line in lines(channels)[1:]) == [
        "Events",
        "No campaign",
        "Paid search",
    ]
    customer_lines = lines(customers)
    assert customer_lines[0].startswith(
        "contact_id,contact,first_purchase,acquisition_campaign,acquisition_channel,"
        "repeat_purchases_x,recency_t_x_weeks,age_T_weeks,"
    )
    assert len(customer_lines) == 31
    first = next(line for line in customer_lines if line.split(",")[1] == "C3")
    assert first.split(",")[2:6] == ["2025-01-04", "Search", "paid_search", "2"]


@pytest.mark.django_db
def test_fits_are_reused_for_the_same_histories_and_redone_after_a_new_purchase(
    shop, marketer, monkeypatch
):
    first = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )

    def refuse(*args, **kwargs):
        raise clv_selectors.clv.ClvDataError("the optimiser ran again")

    monkeypatch.setattr(clv_selectors.clv, "bgnbd_fit", refuse)
    again = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )
    assert again.error == ""
    assert again.fit == first.fit and again.spend_fit == first.spend_fit

    _won(shop["contacts"][1], "75", START + timedelta(days=60))
    changed = customer_value_report(
        viewer=marketer, as_of=AS_OF, unit="week", horizon=52, annual_discount_rate=0.1
    )
    assert changed.error == "the optimiser ran again"
