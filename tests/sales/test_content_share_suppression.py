"""Content shares are one-to-one sales email: no marketing consent is needed, but an address on
the suppression list gets nothing — checked through a real SMTP server."""

import pytest
from django.core.exceptions import ValidationError

from revline.content.models import ContentItem
from revline.email.delivery_services import MARKETING_PURPOSE, suppression_add
from revline.email.models import SuppressionReason
from revline.people.models import TimelineEvent
from revline.people.services import consent_record
from revline.sales.models import Activity, ContentShare
from revline.sales.share_services import SUPPRESSED, content_share_send
from tests.smtp import smtp_sink, use_smtp_sink

from .conftest import at, make_deal

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://crm.example"


@pytest.fixture
def deck(db) -> ContentItem:
    return ContentItem.objects.create(
        title="Pricing deck", kind="whitepaper", url="https://example.com/deck", summary="Prices"
    )


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason",
    [
        SuppressionReason.HARD_BOUNCE,
        SuppressionReason.COMPLAINT,
        SuppressionReason.UNSUBSCRIBED,
        SuppressionReason.MANUAL,
    ],
)
def test_a_suppressed_address_is_refused_and_nothing_is_sent(
    rep_a, deal, ada, deck, settings, reason
):
    suppression_add(address="ADA@acme.example", reason=reason, source="test")

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        with pytest.raises(ValidationError) as refused:
            content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert refused.value.message_dict == {"contact": [SUPPRESSED]}
    assert sink.messages == []
    assert (ContentShare.objects.count(), Activity.objects.count()) == (0, 0)
    assert not TimelineEvent.objects.filter(contact=ada, kind="activity").exists()


@pytest.mark.django_db
def test_no_marketing_consent_is_needed(rep_a, deal, ada, deck, settings):
    consent_record(contact=ada, purpose=MARKETING_PURPOSE, granted=False, source="test")

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert [m.rcpt_tos for m in sink.messages] == [["ada@acme.example"]]
    assert f"https://crm.example/c/{share.token}" in sink.messages[0].text
    assert ContentShare.objects.get() == share


@pytest.mark.django_db
def test_another_address_on_the_list_does_not_block(rep_a, deal, ada, deck, settings):
    suppression_add(address="someone@acme.example", reason="hard_bounce", source="test")

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert [m.rcpt_tos for m in sink.messages] == [["ada@acme.example"]]


@pytest.mark.django_db
def test_the_panel_shows_the_refusal(client, rep_a, deal, ada, deck, settings):
    suppression_add(address="ada@acme.example", reason="complaint", source="test")
    client.force_login(rep_a)

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        response = client.post(
            f"/sales/deals/{deal.pk}/playbook/share/",
            {"content_item": deck.pk, "contact": ada.pk},
            **HX,
        )

    assert response.status_code == 400
    assert "is on the email suppression list" in response.content.decode()
    assert (sink.messages, ContentShare.objects.count()) == ([], 0)
