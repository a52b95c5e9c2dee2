"""@mentions in notes: parsing, notifying colleagues, highlighting."""

from decimal import Decimal

import pytest
from django.urls import reverse

from revline.core.models import Notification
from revline.leads.mentions import mention_names, render_mentions
from revline.people.models import Contact
from revline.sales.activity_services import activity_log
from revline.sales.services import deal_create


@pytest.fixture
def ada(db) -> Contact:
    return Contact.objects.create(first_name="Ada", last_name="Lovelace", email="ada@acme.test")


def test_mention_names_are_lower_cased_unique_and_skip_email_addresses():
    text = "Hi @Maya and @rep_a. Mail ada@example.com, ping (@maya) again; @first.last-2!"

    assert mention_names(text) == ["maya", "rep_a", "first.last-2"]


def test_render_mentions_escapes_and_highlights_only_known_names():
    html = render_mentions("<b>@Maya</b> & @ghost", {"maya"})

    assert html == '&lt;b&gt;<span class="mention">@Maya</span>&lt;/b&gt; &amp; @ghost'


def test_a_note_notifies_the_mentioned_active_user(ada, marketer, rep_a):
    activity_log(
        actor=marketer,
        kind="note",
        subject="Call recap",
        body="@REP_A she wants a demo",
        contact=ada,
    )

    notification = Notification.objects.get()
    assert (
        notification.user,
        notification.kind,
        notification.text,
        notification.url,
        notification.actor,
    ) == (
        rep_a,
        "mention",
        "Marketer mentioned you on Ada Lovelace: @REP_A she wants a demo",
        f"/people/contacts/{ada.pk}/",
        marketer,
    )


def test_unknown_inactive_and_own_names_notify_nobody(ada, marketer, rep_b):
    rep_b.is_active = False
    rep_b.save(update_fields=["is_active"])

    activity_log(
        actor=marketer,
        kind="note",
        subject="Recap",
        body="@nobody @rep_b @marketer see this",
        contact=ada,
    )

    assert Notification.objects.count() == 0


def test_other_kinds_of_activity_do_not_notify(ada, marketer, rep_a):
    activity_log(actor=marketer, kind="call", subject="Called", body="@rep_a", contact=ada)

    assert Notification.objects.count() == 0


def test_a_note_on_a_deal_links_to_the_deal_and_skips_who_cannot_see_it(
    ada, rep_a, rep_b, manager_a
):
    deal = deal_create(actor=rep_a, name="Ada deal", amount=Decimal("100"), contact=ada)

    activity_log(
        actor=rep_a, kind="note", subject="Pricing", body="@rep_b @manager_a thoughts?", deal=deal
    )

    notification = Notification.objects.get()
    assert (notification.user, notification.url) == (
        manager_a,
        reverse("sales:deal", args=[deal.pk]),
    )
    assert notification.text == "Rep_A mentioned you on Ada deal: @rep_b @manager_a thoughts?"


def test_long_notes_are_cut_in_the_notification(ada, marketer, rep_a):
    activity_log(
        actor=marketer, kind="note", subject="Long", body="@rep_a " + "x" * 300, contact=ada
    )

    text = Notification.objects.get().text
    assert text.endswith("x…")
    assert len(text) == len("Marketer mentioned you on Ada Lovelace: ") + 120


def test_the_contact_page_note_form_notifies_and_highlights_the_mention(
    client, ada, marketer, rep_a
):
    client.force_login(marketer)

    response = client.post(
        f"/people/contacts/{ada.pk}/notes/", {"body": "Ask @rep_a about <script>x</script>"}
    )

    assert response.status_code == 302
    assert Notification.objects.get().user == rep_a
    html = client.get(f"/people/contacts/{ada.pk}/").content.decode()
    assert 'Ask <span class="mention">@rep_a</span> about &lt;script&gt;x&lt;/script&gt;' in html
    assert "<script>x</script>" not in html
