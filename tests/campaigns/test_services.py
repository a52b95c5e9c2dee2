"""The UTM builder's rules and the campaign services that apply them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.campaigns.models import Campaign, Channel
from revline.campaigns.services import (
    CHANNEL_UTM_DEFAULTS,
    campaign_create,
    campaign_update,
    utm_clean,
    utm_complete,
    utm_warnings,
)

BLANK = {"utm_source": "", "utm_medium": "", "utm_campaign": "", "utm_content": "", "utm_term": ""}


@pytest.mark.parametrize(
    ("channel", "source", "medium"),
    [
        (Channel.PAID_SEARCH, "google", "cpc"),
        (Channel.PAID_SOCIAL, "linkedin", "paid_social"),
        (Channel.EMAIL, "newsletter", "email"),
        (Channel.DISPLAY, "display", "banner"),
        (Channel.ORGANIC_SOCIAL, "social", "organic"),
        (Channel.PR, "press", "referral"),
        (Channel.EVENTS, "event", "offline"),
        (Channel.REFERRAL, "referral", "referral"),
        (Channel.PARTNER, "partner", "referral"),
        (Channel.CONTENT, "blog", "organic"),
        (Channel.DIRECT, "", ""),
    ],
)
def test_blank_source_and_medium_get_the_channels_defaults(channel, source, medium):
    values = utm_complete(channel=channel, name="Spring Sale 2025", values=BLANK)

    assert values == {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": "spring-sale-2025",
        "utm_content": "",
        "utm_term": "",
    }


def test_every_channel_has_defaults():
    assert set(CHANNEL_UTM_DEFAULTS) == set(Channel.values)


def test_given_values_are_trimmed_and_lower_cased_never_replaced():
    values = utm_complete(
        channel=Channel.PAID_SEARCH,
        name="Ignored",
        values={
            "utm_source": "  Bing ",
            "utm_medium": "CPC",
            "utm_campaign": " Q2-Push ",
            "utm_content": "Hero-Banner",
            "utm_term": " CRM Software",
        },
    )

    assert values == {
        "utm_source": "bing",
        "utm_medium": "cpc",
        "utm_campaign": "q2-push",
        "utm_content": "hero-banner",
        "utm_term": "crm software",
    }


def test_campaign_slug_drops_accents_and_punctuation_and_fits_the_field():
    assert (
        utm_complete(channel=Channel.EMAIL, name="Éte: “Big” Offer!", values=BLANK)["utm_campaign"]
        == "ete-big-offer"
    )
    assert (
        len(utm_complete(channel=Channel.EMAIL, name="x" * 300, values=BLANK)["utm_campaign"])
        == 100
    )
    assert utm_clean("  ABC  ") == "abc"


def test_consistent_values_give_no_warning():
    values = {**BLANK, "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}

    assert utm_warnings(channel=Channel.PAID_SEARCH, values=values) == []


def test_a_medium_that_does_not_fit_the_channel_is_warned_about():
    values = {**BLANK, "utm_source": "newsletter", "utm_medium": "cpc", "utm_campaign": "spring"}

    warnings = utm_warnings(channel=Channel.EMAIL, values=values)

    assert warnings == [
        "utm_medium “cpc” is unusual for Email campaigns (expected e.g. email or newsletter); "
        "analytics tools may group its visits under another channel."
    ]

    assert len(warnings) == 1
    assert warnings[0].startswith("utm_medium “cpc” is unusual for Email campaigns")


def test_a_shared_utm_campaign_spaces_and_direct_utms_are_warned_about():
    values = {**BLANK, "utm_source": "my source", "utm_medium": "", "utm_campaign": "spring"}

    warnings = utm_warnings(
        channel=Channel.DIRECT, values=values, campaigns_sharing=["Spring launch"]
    )

    assert warnings == [
        "Direct campaigns normally carry no utm_source or utm_medium.",
        "utm_source contains spaces; use - or _ so links stay readable.",
        "utm_campaign “spring” is also used by “Spring launch”; "
        "visits tagged with it cannot be credited reliably.",
    ]


def test_an_empty_utm_campaign_is_warned_about():
    assert utm_warnings(channel=Channel.DIRECT, values=BLANK) == [
        "utm_campaign is empty: visits cannot be matched to this campaign."
    ]


def test_marketer_creates_a_campaign_with_completed_utm_values(marketer):
    campaign = campaign_create(
        actor=marketer,
        name="  Spring Sale ",
        channel=Channel.PAID_SOCIAL,
        budget=Decimal("1200.50"),
        currency="usd",
        utm_medium="CPM",
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 31),
    )

    campaign.refresh_from_db()
    assert campaign.name == "Spring Sale"
    assert campaign.currency == "USD"
    assert (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign) == (
        "linkedin",
        "cpm",
        "spring-sale",
    )


def test_sales_rep_cannot_create_a_campaign(rep_a):
    with pytest.raises(PermissionDenied):
        campaign_create(actor=rep_a, name="Sneaky", channel=Channel.EMAIL)

    assert Campaign.objects.count() == 0


def test_end_before_start_is_rejected_and_nothing_is_stored(marketer):
    with pytest.raises(ValidationError):
        campaign_create(
            actor=marketer,
            name="Backwards",
            channel=Channel.EMAIL,
            start_date=date(2025, 3, 31),
            end_date=date(2025, 3, 1),
        )

    assert Campaign.objects.count() == 0


def test_negative_budget_is_rejected(marketer):
    with pytest.raises(ValidationError) as info:
        campaign_create(actor=marketer, name="Cheap", channel=Channel.EMAIL, budget=Decimal("-1"))

    assert "budget" in info.value.message_dict
    assert Campaign.objects.count() == 0


def test_update_applies_the_utm_rules_again(marketer):
    campaign = campaign_create(actor=marketer, name="Spring", channel=Channel.PAID_SEARCH)

    updated = campaign_update(
        actor=marketer,
        campaign=campaign,
        channel=Channel.EMAIL,
        utm_source="",
        utm_medium="",
        utm_campaign=" Spring-2025 ",
    )

    updated.refresh_from_db()
    assert (updated.channel, updated.utm_source, updated.utm_medium, updated.utm_campaign) == (
        "email",
        "newsletter",
        "email",
        "spring-2025",
    )


def test_rejected_update_leaves_the_campaign_and_the_callers_object_untouched(marketer):
    campaign = campaign_create(
        actor=marketer, name="Spring", channel=Channel.EMAIL, start_date=date(2025, 3, 1)
    )

    with pytest.raises(ValidationError):
        campaign_update(
            actor=marketer, campaign=campaign, name="Renamed", end_date=date(2025, 2, 1)
        )

    assert campaign.name == "Spring"
    campaign.refresh_from_db()
    assert (campaign.name, campaign.end_date) == ("Spring", None)


def test_update_refuses_unknown_fields(marketer):
    campaign = campaign_create(actor=marketer, name="Spring", channel=Channel.EMAIL)

    with pytest.raises(ValidationError):
        campaign_update(actor=marketer, campaign=campaign, created_at=None)


def test_sales_rep_cannot_update_a_campaign(marketer, rep_a):
    campaign = campaign_create(actor=marketer, name="Spring", channel=Channel.EMAIL)

    with pytest.raises(PermissionDenied):
        campaign_update(actor=rep_a, campaign=campaign, name="Hijacked")

    campaign.refresh_from_db()
    assert campaign.name == "Spring"
