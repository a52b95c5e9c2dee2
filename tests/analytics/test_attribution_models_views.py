"""The attribution models page: credits by one model, the model comparison, CSV exports,
the team-only note, and bad filters answered with 400 and the reason."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

URL = "/reports/attribution/models/"
PERIOD = "start=2025-03-01&end=2025-03-31"


def at(day: int) -> datetime:
    return datetime(2025, 3, day, 9, tzinfo=UTC)


@pytest.fixture
def history(db, rep_a, rep_b):
    """ada: Search then Social, won €900 by team A; bob: Social, won €100 by team B;
    cy: Search, never converted."""
    search = Campaign.objects.create(name="Search <b>", channel=Channel.PAID_SEARCH)
    social = Campaign.objects.create(name="=Social", channel=Channel.PAID_SOCIAL)
    for name, path, owner, amount in (
        ("ada", (search, social), rep_a, "900"),
        ("bob", (social,), rep_b, "100"),
        ("cy", (search,), None, None),
    ):
        contact = contact_create(actor=None, email=f"{name}@example.com")
        for day, campaign in enumerate(path, start=2):
            touchpoint_record(
                kind=TouchpointKind.CLICK,
                visitor=None,
                contact=contact,
                campaign=campaign,
                occurred_at=at(day),
            )
        if amount:
            deal = deal_create(
                actor=None,
                owner=owner,
                name=name,
                amount=Decimal(amount),
                contact=contact,
                created_at=at(5),
            )
            deal_close_won(actor=None, deal=deal, note="Fit", at=at(10))
    return search, social


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_credits_by_the_chosen_model(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?{PERIOD}&dimension=campaign&model=first_touch")

    assert response.status_code == 200
    report = response.context["report"]
    assert report.models == ["first_touch"]
    assert [(r.label, r.value["first_touch"]) for r in report.rows] == [
        ("Search <b>", Decimal("900.00")),
        ("=Social", Decimal("100.00")),
    ]
    html = response.content.decode()
    assert "Search &lt;b&gt;" in html and "Search <b>" not in html
    assert "€900" in html and 'id="credits-chart"' in html
    assert 'id="team-only"' not in html
    assert response.context["chart"]["datasets"][0]["data"] == [900.0, 100.0]


def test_defaults_when_no_filter_is_given(client, history, marketer):
    client.force_login(marketer)

    response = client.get(URL)

    form = response.context["form"]
    assert response.status_code == 200
    assert (form.cleaned_data["dimension"], form.cleaned_data["model"]) == ("channel", "linear")
    assert (form.cleaned_data["end"] - form.cleaned_data["start"]).days == 364


def test_comparison_shows_every_model_and_markov_removal_effects(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?{PERIOD}&dimension=channel&view=compare")

    assert response.status_code == 200
    report = response.context["report"]
    assert report.models == [
        "first_touch", "last_touch", "linear", "position_based", "time_decay", "markov", "shapley",
    ]  # fmt: skip
    rows = {r.key: r for r in report.rows}
    assert rows["paid_search"].value["first_touch"] == Decimal("900.00")
    assert rows["paid_social"].value["last_touch"] == Decimal("1000.00")
    assert rows["paid_search"].removal_effect is not None
    html = response.content.decode()
    assert 'id="comparison-chart"' in html and 'id="markov-baseline"' in html
    assert [d["key"] for d in response.context["chart"]["datasets"]] == report.models
    for model in report.models:
        assert sum(r.value[model] for r in report.rows) == Decimal("1000.00")


def test_rep_sees_only_their_teams_deals_and_a_note(client, history, rep_b):
    client.force_login(rep_b)

    response = client.get(f"{URL}?{PERIOD}&dimension=campaign&model=linear")

    report = response.context["report"]
    assert report.team_only
    assert [(r.label, r.value["linear"]) for r in report.rows] == [
        ("=Social", Decimal("100.00")),
        ("Search <b>", Decimal("0.00")),
    ]
    assert 'id="team-only"' in response.content.decode()


def test_credits_csv_export_is_formula_safe(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?{PERIOD}&dimension=campaign&model=last_touch&export=credits")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert rows[0] == ["campaign", "name", "conversions", "revenue_EUR", "share_pct"]
    search, social = history
    assert rows[1:] == [
        [str(social.pk), "'=Social", "2.0000", "1000.00", "100.0"],
        [str(search.pk), "Search <b>", "0.0000", "0.00", "0.0"],
    ]


def test_comparison_csv_export(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?{PERIOD}&dimension=channel&export=compare")

    rows = rows_of(response)
    assert rows[0][:3] == ["channel", "name", "first_touch_conversions"]
    assert rows[0][-1] == "markov_removal_effect"
    assert len(rows[0]) == 2 + 7 + 7 + 1
    assert {r[0] for r in rows[1:]} == {"paid_search", "paid_social"}


def test_empty_period_shows_empty_states(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?start=2024-01-01&end=2024-01-31")

    assert response.status_code == 200
    assert response.context["report"].rows == []
    assert "No won deal with a channel touch in this period." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("start=2025-03-10&end=2025-03-01", "The start date must be on or before the end date."),
        ("start=2020-01-01&end=2025-01-01", "Choose a period of at most three years."),
        ("start=yesterday", "Enter a valid date."),
        ("model=magic", "Select a valid choice. magic is not one of the available choices."),
        ("dimension=weather", "Select a valid choice."),
        ("markov_order=9", "Ensure this value is less than or equal to 3."),
        ("half_life_days=0", "Ensure this value is greater than or equal to 0.1."),
        ("view=pie", "Select a valid choice."),
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, history, marketer, query, reason):
    client.force_login(marketer)

    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert response.context["report"] is None


def test_unknown_export_is_refused(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?export=everything")

    assert response.status_code == 400
    assert "Unknown export" in response.content.decode()


def test_login_required_and_get_only(client, history, marketer):
    anonymous = client.get(URL)
    client.force_login(marketer)
    post = client.post(URL)

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert post.status_code == 405
