"""Unsubscribing: RFC 8058 one-click POSTs, the confirmation page a GET shows, the preference
centre, and that nothing afterwards can mail the address again."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from revline.email import selectors
from revline.email.delivery_services import queued_sends_skip
from revline.email.models import (
    EnrollmentState,
    Send,
    SendState,
    Sequence,
    SequenceTrigger,
    Suppression,
    SuppressionReason,
    Topic,
    TopicOptOut,
)
from revline.people.models import ConsentRecord, TimelineEvent
from revline.people.services import consent_record

from .delivery_factories import make_contact, make_send

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def send(db):
    return make_send(make_contact("Ada.Lovelace@Example.com"))


@pytest.fixture
def provider() -> Client:
    """A mail provider's one-click POST: no cookie, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def one_click(client: Client, token: str):
    return client.post(
        f"/e/u/{token}", data=ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def withdrawn(contact) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(contact=contact, status="withdrawn"))


def test_the_url_names_the_sending_area_builds_links_with(send):
    assert reverse("email_public:unsubscribe", args=[send.token]) == f"/e/u/{send.token}"
    assert reverse("email_public:preferences", args=[send.token]) == f"/e/p/{send.token}"


def test_a_one_click_post_without_cookie_or_csrf_token_unsubscribes_and_answers_200(send, provider):
    sequence = Sequence.objects.create(
        name="Nurture", trigger=SequenceTrigger.FORM_SUBMITTED, is_marketing=True
    )
    enrollment = sequence.enrollments.create(contact=send.contact, entered_at=timezone.now())

    response = one_click(provider, send.token)

    assert response.status_code == 200
    assert "Location" not in response
    assert "You are unsubscribed" in response.content.decode()
    row = Suppression.objects.get()
    assert (row.address, row.reason, row.send_id) == (
        "ada.lovelace@example.com",
        SuppressionReason.UNSUBSCRIBED,
        send.pk,
    )
    assert row.source == "one-click: Spring news"
    send.refresh_from_db()
    assert send.unsubscribed_at is not None
    [record] = withdrawn(send.contact)
    assert (record.purpose, record.ip_address) == ("marketing_email", "127.0.0.1")
    event = TimelineEvent.objects.filter(contact=send.contact, kind="consent_changed").first()
    assert event is not None
    assert event.params == {"purpose": "marketing_email", "status": "withdrawn"}
    assert event.source == "Unsubscribed (one-click) from “Spring news”"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == (EnrollmentState.EXITED, "unsubscribed")


def test_a_second_post_changes_nothing_and_still_answers_200(send, provider):
    one_click(provider, send.token)
    send.refresh_from_db()
    first_at = send.unsubscribed_at

    response = one_click(provider, send.token)

    assert response.status_code == 200
    send.refresh_from_db()
    assert send.unsubscribed_at == first_at
    assert Suppression.objects.count() == 1
    assert len(withdrawn(send.contact)) == 1


def test_a_get_only_shows_the_confirmation_page_and_changes_nothing(send, provider):
    response = provider.get(f"/e/u/{send.token}")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<form method="post" action="/e/u/{send.token}">' in html
    assert "Ada.Lovelace@Example.com" in html
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert not Suppression.objects.exists()
    send.refresh_from_db()
    assert send.unsubscribed_at is None
    assert withdrawn(send.contact) == []


def test_the_confirmation_pages_button_posts_a_plain_form_to_the_same_url(send, provider):
    response = provider.post(f"/e/u/{send.token}", {})

    assert response.status_code == 200
    assert Suppression.objects.get().source == "link: Spring news"


def test_unknown_tokens_get_a_404_page_and_change_nothing(db, provider):
    assert provider.get("/e/u/not-a-token").status_code == 404
    response = one_click(provider, "not-a-token")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert provider.get("/e/p/not-a-token").status_code == 404
    assert not Suppression.objects.exists()


def test_only_get_and_post_are_answered(send, provider):
    assert provider.put(f"/e/u/{send.token}").status_code == 405
    assert not Suppression.objects.exists()


def test_an_unsubscribed_contact_who_consents_again_stays_suppressed(send, provider):
    # Given an unsubscribed person, when an import (or a form without double opt-in) records
    # consent again, the shared selectors the sending and import areas use still refuse them.
    one_click(provider, send.token)
    consent_record(contact=send.contact, purpose="marketing_email", granted=True, source="import")

    assert selectors.suppressed_addresses(["ADA.LOVELACE@example.com", "x@example.com"]) == {
        "ada.lovelace@example.com"
    }
    assert selectors.address_suppressed("Ada.Lovelace@Example.com") is True


# --- Preference centre --------------------------------------------------------------------------


@pytest.fixture
def topics(db):
    return [
        Topic.objects.create(name="Events", description="Meetups and webinars"),
        Topic.objects.create(name="Product news"),
    ]


def test_the_preference_centre_shows_each_topic_checked_unless_left(send, topics, client):
    TopicOptOut.objects.create(contact=send.contact, topic=topics[0])

    response = client.get(f"/e/p/{send.token}")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="topics" value="{topics[0].pk}">' in html
    assert f'name="topics" value="{topics[1].pk}" checked>' in html
    assert "Meetups and webinars" in html
    assert "csrfmiddlewaretoken" in html


def test_saving_preferences_opts_out_of_the_unchecked_topics_only(send, topics, client):
    TopicOptOut.objects.create(contact=send.contact, topic=topics[1])

    response = client.post(f"/e/p/{send.token}", {"topics": [str(topics[1].pk)]})

    assert response.status_code == 200
    assert "Your preferences are saved." in response.content.decode()
    assert list(
        TopicOptOut.objects.filter(contact=send.contact).values_list("topic__name", flat=True)
    ) == ["Events"]
    assert not Suppression.objects.exists()


def test_unsubscribing_from_everything_in_the_preference_centre(send, topics, client):
    response = client.post(f"/e/p/{send.token}", {"unsubscribe_all": "1"})

    assert response.status_code == 200
    assert "You are unsubscribed from all our marketing email" in response.content.decode()
    assert Suppression.objects.get().source == "preference centre: Spring news"
    assert len(withdrawn(send.contact)) == 1


def test_the_preference_centre_post_needs_its_csrf_token(send, topics, provider):
    response = provider.post(f"/e/p/{send.token}", {"unsubscribe_all": "1"})

    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_foreign_topic_ids_are_ignored(send, topics, client):
    client.post(f"/e/p/{send.token}", {"topics": ["999999", "abc", str(topics[0].pk)]})

    assert list(
        TopicOptOut.objects.filter(contact=send.contact).values_list("topic__name", flat=True)
    ) == ["Product news"]


def test_public_pages_are_rate_limited(send, provider, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2
    statuses = [provider.get(f"/e/p/{send.token}").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_unsubscribe_links_have_the_higher_email_limit(send, provider, settings):
    # Mailbox providers fetch unsubscribe links for many recipients from a few addresses
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2
    settings.REVLINE_EMAIL_RATE_LIMIT = 3
    statuses = [provider.get(f"/e/u/{send.token}").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_skipping_queued_sends_leaves_sent_ones_and_other_contacts_alone(send):
    # Given a queued and a sent email to one contact, and a queued one to someone else
    queued = make_send(send.contact, name="Summer news")
    other = make_send(make_contact("grace@example.com", "Grace"), email=queued.email)
    Send.objects.filter(pk__in=[queued.pk, other.pk]).update(state=SendState.QUEUED)

    # When the contact's queued sends are skipped
    skipped = queued_sends_skip(contact=send.contact, reason="Objected to direct marketing")

    # Then only their queued send is, with the reason
    states = {
        pk: (state, reason)
        for pk, state, reason in Send.objects.values_list("pk", "state", "reason")
    }
    assert skipped == 1
    assert states == {
        send.pk: (SendState.SENT, ""),
        queued.pk: (SendState.SKIPPED, "Objected to direct marketing"),
        other.pk: (SendState.QUEUED, ""),
    }
