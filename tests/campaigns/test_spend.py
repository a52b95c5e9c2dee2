"""Spend entered by hand: the services' rules and the campaign page's spend form, edit and delete."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.campaigns.models import AdSpend, Campaign, Channel, Creative, CtaAction
from revline.campaigns.services import (
    ad_spend_delete,
    ad_spend_record,
    ad_spend_update,
    campaign_update,
)

DAY = date(2025, 3, 3)


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH, currency="EUR")


def creative_of(campaign: Campaign, name: str = "Ad A") -> Creative:
    return Creative.objects.create(
        campaign=campaign, name=name, cta_label="Go", cta_action=CtaAction.FORM
    )


def spend_rows(campaign: Campaign) -> list[tuple]:
    return list(
        AdSpend.objects.filter(campaign=campaign)
        .order_by("date", "pk")
        .values_list("date", "creative__name", "source", "spend", "impressions", "clicks")
    )


def test_recording_a_day_twice_replaces_it(campaign, marketer):
    # Given
    row, created = ad_spend_record(
        actor=marketer, campaign=campaign, day=DAY, spend=Decimal("10"), impressions=100, clicks=5
    )
    # When
    again, created_again = ad_spend_record(
        actor=marketer, campaign=campaign, day=DAY, spend=Decimal("12.50"), clicks=7
    )
    # Then
    assert (created, created_again, again.pk) == (True, False, row.pk)
    assert spend_rows(campaign) == [(DAY, None, "manual", Decimal("12.50"), 0, 7)]


def test_each_creative_has_its_own_row_per_day(campaign, marketer):
    ad = creative_of(campaign)

    ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("10"))
    ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("4"), creative=ad)

    assert spend_rows(campaign) == [
        (DAY, None, "manual", Decimal("10.00"), 0, 0),
        (DAY, "Ad A", "manual", Decimal("4.00"), 0, 0),
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"currency": "USD"}, {"currency"}),
        ({"currency": "ABC"}, {"currency"}),
        ({"spend": Decimal("-1")}, {"spend"}),
        ({"day": timezone.localdate() + timedelta(days=2)}, {"date"}),
        ({"day": date(1999, 12, 31)}, {"date"}),
    ],
)
def test_bad_spend_is_refused_and_writes_nothing(campaign, marketer, changes, errors):
    data = {"day": DAY, "spend": Decimal("10"), "currency": "EUR", **changes}

    with pytest.raises(ValidationError) as error:
        ad_spend_record(actor=marketer, campaign=campaign, **data)

    assert set(error.value.message_dict) == errors
    assert AdSpend.objects.count() == 0


def test_currency_rule_is_explained(campaign, marketer):
    with pytest.raises(ValidationError) as error:
        ad_spend_record(
            actor=marketer, campaign=campaign, day=DAY, spend=Decimal("1"), currency="usd"
        )

    assert error.value.message_dict == {
        "currency": [
            "This campaign's figures are in EUR; enter the spend in EUR "
            "(Revline does not convert currencies)."
        ]
    }


def test_creative_of_another_campaign_is_refused(campaign, marketer):
    other = Campaign.objects.create(name="Other", channel=Channel.DISPLAY)

    with pytest.raises(ValidationError) as error:
        ad_spend_record(
            actor=marketer,
            campaign=campaign,
            day=DAY,
            spend=Decimal("1"),
            creative=creative_of(other),
        )

    assert error.value.message_dict == {"creative": ["The creative must belong to this campaign."]}
    assert AdSpend.objects.count() == 0


@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_people_cannot_record_change_or_delete_spend(request, campaign, marketer, who):
    user = request.getfixturevalue(who)
    row, _ = ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("5"))

    with pytest.raises(PermissionDenied):
        ad_spend_record(actor=user, campaign=campaign, day=DAY, spend=Decimal("50"))
    with pytest.raises(PermissionDenied):
        ad_spend_update(
            actor=user,
            ad_spend=row,
            day=DAY,
            spend=Decimal("50"),
            currency="EUR",
            impressions=0,
            clicks=0,
            creative=None,
        )
    with pytest.raises(PermissionDenied):
        ad_spend_delete(actor=user, ad_spend=row)

    assert spend_rows(campaign) == [(DAY, None, "manual", Decimal("5.00"), 0, 0)]


def test_moving_a_row_onto_a_day_that_has_one_is_refused(campaign, marketer):
    first, _ = ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("1"))
    ad_spend_record(
        actor=marketer, campaign=campaign, day=DAY + timedelta(days=1), spend=Decimal("2")
    )

    with pytest.raises(ValidationError) as error:
        ad_spend_update(
            actor=marketer,
            ad_spend=first,
            day=DAY + timedelta(days=1),
            spend=Decimal("3"),
            currency="EUR",
            impressions=0,
            clicks=0,
            creative=None,
        )

    assert list(error.value.message_dict) == ["date"]
    assert [r[3] for r in spend_rows(campaign)] == [Decimal("1.00"), Decimal("2.00")]


def test_campaign_currency_is_fixed_once_spend_is_recorded(campaign, marketer):
    ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("1"))

    with pytest.raises(ValidationError) as error:
        campaign_update(actor=marketer, campaign=campaign, currency="USD")

    assert list(error.value.message_dict) == ["currency"]
    campaign.refresh_from_db()
    assert campaign.currency == "EUR"


# ---------------------------------------------------------------- pages


def form_data(**changes) -> dict:
    return {
        "date": "2025-03-03",
        "spend": "120.50",
        "currency": "eur",
        "impressions": "4000",
        "clicks": "80",
        "creative": "",
        **changes,
    }


def test_marketer_records_spend_on_the_campaign_page(client, marketer, campaign):
    client.force_login(marketer)

    response = client.post(f"/campaigns/{campaign.pk}/spend", form_data())

    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/#spend"
    assert spend_rows(campaign) == [(DAY, None, "manual", Decimal("120.50"), 4000, 80)]
    html = client.get(response["Location"]).content.decode()
    assert "Spend for Mar 3, 2025 recorded." in html
    assert '<td class="num">€120.50</td>' in html
    assert '<td class="num">2.00%</td>' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"spend": "-5"}, "spend", "Ensure this value is greater than or equal to 0."),
        ({"spend": "abc"}, "spend", "Enter a number."),
        ({"date": "2025-02-30"}, "date", "Enter a valid date."),
        ({"currency": "<script>"}, "currency", "Ensure this value has at most 3 characters"),
        ({"currency": "XYZ"}, "currency", "“XYZ” is not an ISO 4217 currency code"),
        ({"currency": "USD"}, "currency", "This campaign&#x27;s figures are in EUR"),
        ({"impressions": "1" * 30}, "impressions", "Ensure this value is less than or equal to"),
    ],
)
def test_bad_spend_input_is_a_form_error(client, marketer, campaign, changes, field, message):
    client.force_login(marketer)

    response = client.post(f"/campaigns/{campaign.pk}/spend", form_data(**changes))

    assert response.status_code == 400
    assert field in response.context["spend_form"].errors
    html = response.content.decode()
    assert message in html
    assert "<script>" not in html.split('id="new-spend"')[1].split("</form>")[0]
    assert AdSpend.objects.count() == 0


def test_sales_rep_gets_403_and_nothing_is_written(client, rep_a, campaign, marketer):
    row, _ = ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("5"))
    client.force_login(rep_a)

    assert client.post(f"/campaigns/{campaign.pk}/spend", form_data()).status_code == 403
    assert client.get(f"/campaigns/{campaign.pk}/spend/{row.pk}/edit").status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/spend/{row.pk}/delete").status_code == 403
    assert spend_rows(campaign) == [(DAY, None, "manual", Decimal("5.00"), 0, 0)]


def test_edit_and_delete_a_spend_row(client, marketer, campaign):
    row, _ = ad_spend_record(actor=marketer, campaign=campaign, day=DAY, spend=Decimal("5"))
    client.force_login(marketer)
    url = f"/campaigns/{campaign.pk}/spend/{row.pk}/edit"

    assert client.get(url).context["form"]["spend"].value() == Decimal("5.00")
    response = client.post(url, form_data(spend="7.25", clicks="3"))
    assert response.status_code == 302
    assert spend_rows(campaign) == [(DAY, None, "manual", Decimal("7.25"), 4000, 3)]

    assert client.get(f"/campaigns/{campaign.pk}/spend/{row.pk}/delete").status_code == 405
    assert AdSpend.objects.count() == 1
    response = client.post(f"/campaigns/{campaign.pk}/spend/{row.pk}/delete")
    assert response.status_code == 302
    assert AdSpend.objects.count() == 0


def test_spend_row_of_another_campaign_is_404(client, marketer, campaign):
    other = Campaign.objects.create(name="Other", channel=Channel.DISPLAY)
    row, _ = ad_spend_record(actor=marketer, campaign=other, day=DAY, spend=Decimal("5"))
    client.force_login(marketer)

    assert client.post(f"/campaigns/{campaign.pk}/spend/{row.pk}/delete").status_code == 404
    assert AdSpend.objects.count() == 1


# ---------------------------------------------------------------- campaign plan fields


def test_campaign_form_saves_objective_audience_and_goals(client, marketer):
    from .test_views import VALID

    client.force_login(marketer)

    response = client.post(
        "/campaigns/new",
        {
            **VALID,
            "objective": "pipeline",
            "audience": "CFOs <script>alert(1)</script>",
            "goal_leads": "200",
            "goal_mqls": "50",
            "goal_sqls": "20",
            "goal_pipeline": "100000",
            "goal_revenue": "25000.50",
        },
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.objective, campaign.audience) == ("pipeline", "CFOs <script>alert(1)</script>")
    assert (campaign.goal_leads, campaign.goal_mqls, campaign.goal_sqls) == (200, 50, 20)
    assert (campaign.goal_pipeline, campaign.goal_revenue) == (
        Decimal("100000.00"),
        Decimal("25000.50"),
    )
    html = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "CFOs &lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"goal_leads": "-1"}, "goal_leads"),
        ({"goal_pipeline": "abc"}, "goal_pipeline"),
        ({"objective": "fame"}, "objective"),
        ({"currency": "XXX"}, "currency"),
        ({"audience": "x" * 2001}, "audience"),
    ],
)
def test_bad_plan_fields_are_form_errors(client, marketer, changes, field):
    from .test_views import VALID

    client.force_login(marketer)

    response = client.post("/campaigns/new", {**VALID, **changes})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert Campaign.objects.count() == 0
