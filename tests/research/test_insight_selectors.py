"""The insight numbers counted in SQL on the hand-built market of conftest.py."""

from datetime import date
from decimal import Decimal

import pytest

from revline.research.insight_selectors import market_insights
from revline.research.services import persona_create

INDUSTRY = {"type": "company", "field": "industry", "op": "eq"}


def by_key(report, dimension):
    table = next(t for t in report.tables if t.key == dimension)
    return table, {row.facts.key: row for row in table.rows}


@pytest.mark.django_db
def test_industry_numbers_match_the_hand_worked_table(market, admin_user):
    # When an admin (who sees every deal) opens the insights
    report = market_insights(viewer=admin_user)
    table, rows = by_key(report, "industry")
    # Then each industry has the numbers worked out in conftest.py
    summary = {
        key: (
            r.facts.contacts, r.facts.customers, r.conversion_rate, r.facts.deals, r.facts.won,
            r.facts.lost, r.win_rate, r.avg_won_deal, r.median_cycle_days,
            r.revenue_per_customer,
        )
        for key, r in rows.items()
    }  # fmt: skip
    assert summary == {
        "Software": (6, 1, 16.7, 1, 0, 1, 0.0, None, None, None),
        "Retail": (2, 1, 50.0, 2, 1, 1, 50.0, Decimal("2000.00"), 10.0, Decimal("2000.00")),
        "Energy": (1, 1, 100.0, 4, 3, 1, 75.0, Decimal("20000.00"), 40.0, Decimal("60000.00")),
        "": (1, 1, 100.0, 1, 1, 0, 100.0, Decimal("4000.00"), 20.0, Decimal("4000.00")),
    }
    assert [r.facts.label for r in table.rows] == ["Software", "Retail", "Energy", "Unknown"]
    overall = report.overall
    assert (overall.facts.contacts, overall.facts.deals, overall.facts.won) == (10, 8, 5)
    assert (overall.conversion_rate, overall.win_rate) == (40.0, 62.5)
    assert overall.avg_won_deal == Decimal("13200.00")  # 66,000 / 5
    assert overall.revenue_per_customer == Decimal("22000.00")  # 66,000 / 3 customers
    assert overall.median_cycle_days == 30.0  # of 10, 20, 30, 40, 60
    # And the flags: Software is large (6 >= 2 x 1.5) with 1/6 deals per contact <= 0.4;
    # Energy is small with 20,000 per won deal >= 1.5 x 13,200 over 4 closed deals
    assert table.median_contacts == 1.5
    assert {k for k, r in rows.items() if r.under_served} == {"Software"}
    assert {k for k, r in rows.items() if r.profitable} == {"Energy"}


@pytest.mark.django_db
def test_size_country_and_lead_source_groups(market, admin_user):
    report = market_insights(viewer=admin_user)
    _, sizes = by_key(report, "size")
    assert {k: (r.facts.label, r.facts.contacts, r.facts.deals) for k, r in sizes.items()} == {
        "51-200": ("51–200", 6, 1),
        "1-10": ("1–10", 2, 2),
        "5001+": ("5,001+", 1, 4),
        "": ("Unknown", 1, 1),
    }
    _, countries = by_key(report, "country")
    assert {k: (r.facts.contacts, r.facts.deals, r.facts.won) for k, r in countries.items()} == {
        "DE": (5, 1, 0),
        "FR": (3, 2, 1),
        "US": (1, 4, 3),
        "GB": (1, 1, 1),
    }
    # e1's first CAMPAIGN touch was the events campaign (an earlier plain page view is not one)
    _, sources = by_key(report, "source")
    assert {k: (r.facts.label, r.facts.contacts, r.facts.deals) for k, r in sources.items()} == {
        "": ("Unknown", 7, 2),
        "events": ("Events", 1, 4),
        "paid_search": ("Paid search", 1, 1),
        "import": ("Import", 1, 1),
    }


@pytest.mark.django_db
def test_personas_may_overlap_and_no_persona_holds_the_rest(market, admin_user):
    # Given two personas that share s1 (a VP at the software company)
    software = persona_create(
        actor=None, name="Software teams",
        definition={"conditions": [{**INDUSTRY, "value": "Software"}]},
    )  # fmt: skip
    vps = persona_create(
        actor=None, name="VPs",
        definition={"conditions": [{"type": "field", "field": "title", "op": "contains",
                                    "value": "vp"}]},
    )  # fmt: skip
    # When
    _, rows = by_key(market_insights(viewer=admin_user), "persona")
    # Then
    assert {k: (r.facts.label, r.facts.contacts, r.facts.deals, r.facts.won) for k, r in
            rows.items()} == {
        str(software.pk): ("Software teams", 6, 1, 0),
        str(vps.pk): ("VPs", 2, 5, 3),  # s1 (1 lost) and e1 (3 won, 1 lost)
        "none": ("No persona", 3, 3, 2),  # r1, r2, u1
    }  # fmt: skip
    assert rows[str(vps.pk)].avg_won_deal == Decimal("20000.00")


@pytest.mark.django_db
def test_a_rep_counts_only_the_deals_they_may_see(market, rep_a):
    # Given e1's won deals belong to rep_b of the other team (team-only visibility by default)
    _, rows = by_key(market_insights(viewer=rep_a), "industry")
    energy = rows["Energy"]
    # Then rep_a sees e1 as a contact and their unowned lost deal, but not the three wins
    assert (energy.facts.contacts, energy.facts.deals, energy.facts.won) == (1, 1, 0)
    assert energy.avg_won_deal is None


@pytest.mark.django_db
def test_the_date_range_selects_contacts_by_creation(market, admin_user):
    report = market_insights(viewer=admin_user, start=date(2025, 1, 1), end=date(2025, 3, 1))
    _, rows = by_key(report, "industry")
    assert "" not in rows  # u1 was created in December 2024
    assert (report.overall.facts.contacts, report.overall.facts.deals) == (9, 7)
    empty = market_insights(viewer=admin_user, start=date(2025, 3, 2))
    assert (empty.overall.facts.contacts, empty.overall.facts.deals) == (0, 0)
    assert all(t.rows == [] for t in empty.tables)


@pytest.mark.django_db
def test_predicted_customer_value_needs_enough_customers(market, admin_user):
    # Three customers with one purchase day each cannot fit the model: the page says why
    report = market_insights(viewer=admin_user, predict=True)
    assert report.predicted is False
    assert report.prediction_note.startswith("No prediction: ")
    assert all(r.avg_predicted_value is None for t in report.tables for r in t.rows)
