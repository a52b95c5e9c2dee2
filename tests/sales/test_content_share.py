"""Sending content to a deal's contact: the email with a tracked link, opens counted on the
public /c/<token> link, and both on the contact's timeline."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from revline.content.models import ContentItem
from revline.core.workspace import workspace_get
from revline.people.models import TimelineEvent
from revline.people.services import contact_create
from revline.sales.models import Activity, ContentShare, DealContact
from revline.sales.share_services import content_share_open, content_share_send

from .conftest import at, make_deal

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://crm.example"


@pytest.fixture
def deck(db) -> ContentItem:
    return ContentItem.objects.create(
        title="Pricing <deck>", kind="whitepaper", url="https://example.com/deck", summary="Prices"
    )


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


@pytest.fixture
def bob(acme):
    return contact_create(
        actor=None, first_name="Bob", last_name="Babbage", email="bob@acme.example"
    )


@pytest.mark.django_db
def test_send_emails_a_tracked_link_and_records_it(rep_a, deal, ada, deck):
    workspace = workspace_get()
    workspace.email_from_name, workspace.email_from_address = "Acme Sales", "sales@acme.example"
    workspace.save()

    share = content_share_send(
        actor=rep_a, deal=deal, contact=ada, content_item=deck, message="As promised.", now=at(3)
    )

    assert len(share.token) == 43
    assert (share.open_count, share.sent_at, share.sent_by) == (0, at(3), rep_a)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@acme.example"]
    assert message.from_email == "Acme Sales <sales@acme.example>"
    assert message.reply_to == ["rep_a@example.com"]
    assert f"https://crm.example/c/{share.token}" in message.body
    assert "As promised." in message.body
    html = message.alternatives[0][0]
    assert "Pricing &lt;deck&gt;" in html and "Pricing <deck>" not in html
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.subject) == ("email", "Sent content: Pricing <deck>")
    event = TimelineEvent.objects.get(contact=ada, kind="activity")
    assert event.params["subject"] == "Sent content: Pricing <deck>"


@pytest.mark.django_db
def test_send_to_a_committee_member(rep_a, deal, bob, deck):
    DealContact.objects.create(deal=deal, contact=bob, role="champion")

    share = content_share_send(actor=rep_a, deal=deal, contact=bob, content_item=deck)

    assert share.contact == bob
    assert mail.outbox[0].to == ["bob@acme.example"]


@pytest.mark.django_db
def test_send_refuses_strangers_no_email_and_other_teams(rep_a, rep_b, deal, bob, deck):
    nomail = contact_create(actor=None, first_name="No", last_name="Mail", email="")
    DealContact.objects.create(deal=deal, contact=nomail, role="user")

    with pytest.raises(ValidationError) as stranger:
        content_share_send(actor=rep_a, deal=deal, contact=bob, content_item=deck)
    with pytest.raises(ValidationError) as no_email:
        content_share_send(actor=rep_a, deal=deal, contact=nomail, content_item=deck)
    with pytest.raises(PermissionDenied):
        content_share_send(actor=rep_b, deal=deal, contact=deal.contact, content_item=deck)

    assert "buying committee" in stranger.value.message_dict["contact"][0]
    assert no_email.value.message_dict["contact"] == ["This contact has no email address."]
    assert (ContentShare.objects.count(), Activity.objects.count(), len(mail.outbox)) == (0, 0, 0)


@pytest.mark.django_db
def test_a_mail_server_failure_leaves_nothing_behind(rep_a, deal, ada, deck, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with pytest.raises(ValidationError):
        content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert (ContentShare.objects.count(), Activity.objects.count()) == (0, 0)
    assert not TimelineEvent.objects.filter(contact=ada, kind="activity").exists()


@pytest.mark.django_db
def test_send_through_a_real_smtp_server(rep_a, deal, ada, deck, settings):
    from tests.smtp import smtp_sink

    with smtp_sink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert [m.rcpt_tos for m in sink.messages] == [["ada@acme.example"]]
    assert f"https://crm.example/c/{share.token}" in sink.messages[0].text


@pytest.mark.django_db
def test_opening_counts_redirects_and_writes_the_timeline(client, rep_a, deal, ada, deck):
    share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    first = client.get(f"/c/{share.token}")
    second = client.get(f"/c/{share.token}")

    assert (first.status_code, first["Location"]) == (302, "https://example.com/deck")
    assert second.status_code == 302
    share.refresh_from_db()
    assert share.open_count == 2
    assert share.first_opened_at is not None and share.first_opened_at <= share.last_opened_at
    opens = TimelineEvent.objects.filter(contact=ada, params__content_share_id=share.pk)
    assert [e.params["subject"] for e in opens] == ["Opened shared content: Pricing <deck>"] * 2


@pytest.mark.django_db
def test_unsafe_or_missing_urls_show_a_page_instead(client, rep_a, deal, ada):
    item = ContentItem.objects.create(title="Guide", kind="whitepaper", url="", summary="<b>Hi</b>")
    share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=item)
    ContentItem.objects.filter(pk=item.pk).update(url="javascript:alert(1)")

    response = client.get(f"/c/{share.token}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Guide</h1>" in html and "&lt;b&gt;Hi&lt;/b&gt;" in html
    assert "javascript:" not in html


@pytest.mark.django_db
def test_unknown_token_is_404_and_counts_nothing(client, rep_a, deal, ada, deck):
    share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    assert client.get("/c/not-a-token").status_code == 404
    assert client.get("/c/" + "x" * 200).status_code == 404
    assert client.post(f"/c/{share.token}").status_code == 405
    assert content_share_open(token="") is None
    share.refresh_from_db()
    assert share.open_count == 0


@pytest.mark.django_db
def test_public_link_is_rate_limited(client, rep_a, deal, ada, deck, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2
    share = content_share_send(actor=rep_a, deal=deal, contact=ada, content_item=deck)

    codes = [client.get(f"/c/{share.token}").status_code for _ in range(3)]

    assert codes[:2] == [302, 302] and codes[2] in (403, 429)
    share.refresh_from_db()
    assert share.open_count == 2


@pytest.mark.django_db
def test_panel_send_and_opened_status(client, rep_a, deal, ada, deck):
    client.force_login(rep_a)

    sent = client.post(
        f"/sales/deals/{deal.pk}/playbook/share/",
        {"content_item": deck.pk, "contact": ada.pk, "message": "Hi"},
        **HX,
    )
    share = ContentShare.objects.get()
    before = sent.content.decode()
    client.get(f"/c/{share.token}")
    after = client.get(f"/sales/deals/{deal.pk}/playbook/").content.decode()

    assert sent.status_code == 200
    assert "Sent “Pricing &lt;deck&gt;” to Ada Lovelace." in before
    assert "Not opened" in before
    assert "Opened" in after and "Not opened" not in after


@pytest.mark.django_db
def test_panel_send_bad_input_and_other_team(client, rep_a, rep_b, deal, ada, bob, deck):
    client.force_login(rep_a)
    stranger = client.post(
        f"/sales/deals/{deal.pk}/playbook/share/",
        {"content_item": deck.pk, "contact": bob.pk},
        **HX,
    )
    no_item = client.post(
        f"/sales/deals/{deal.pk}/playbook/share/", {"content_item": 999, "contact": ada.pk}, **HX
    )
    client.force_login(rep_b)
    other_team = client.post(
        f"/sales/deals/{deal.pk}/playbook/share/",
        {"content_item": deck.pk, "contact": ada.pk},
        **HX,
    )

    assert (stranger.status_code, no_item.status_code, other_team.status_code) == (400, 400, 404)
    assert (ContentShare.objects.count(), len(mail.outbox)) == (0, 0)
