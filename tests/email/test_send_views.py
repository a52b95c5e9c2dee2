"""The campaign email pages, the report, and the public open pixel and click redirect."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from revline.campaigns.models import Campaign
from revline.email import send_services as services
from revline.email.models import Email, EmailLink, EmailStatus, Send, SendClick, SendState
from revline.email.send_selectors import email_report
from revline.leads.models import LifecycleTransition
from revline.people.models import Contact
from revline.people.selectors import contact_timeline
from revline.tracking.models import Touchpoint, TouchpointKind
from tests.conftest import PASSWORD
from tests.email.test_send_services import make_contact, make_email


@pytest.fixture
def marketer_client(client, marketer):
    client.login(username="marketer", password=PASSWORD)
    return client


def sent_email(marketer, django_capture_on_commit_callbacks, **extra) -> Email:
    make_contact(1), make_contact(2), make_contact(3, consent=False)
    campaign = Campaign.objects.create(name="Spring", channel="email")
    email = make_email(marketer, campaign=campaign, **extra)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send_now(actor=marketer, email=email)
    email.refresh_from_db()
    return email


def test_list_shows_emails_with_rates_and_filters_by_status(
    marketer_client, marketer, django_capture_on_commit_callbacks
):
    sent = sent_email(marketer, django_capture_on_commit_callbacks)
    Email.objects.create(name="Draft idea", subject="Later")
    Send.objects.filter(to_address="ann1@example.com").update(first_opened_at=timezone.now())
    page = marketer_client.get(reverse("email:emails"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Spring news" in body and "Draft idea" in body
    assert "50.0 %" in body  # 1 of 2 delivered opened
    only_sent = marketer_client.get(reverse("email:emails"), {"status": "sent"}).content.decode()
    assert "Spring news" in only_sent and "Draft idea" not in only_sent
    assert sent.status == EmailStatus.SENT
    empty = marketer_client.get(reverse("email:emails"), {"q": "nothing like this"})
    assert "No emails match these filters." in empty.content.decode()


def test_create_form_saves_a_draft_with_workspace_sender(marketer_client, marketer):
    email = make_email(marketer)  # creates template, segment, workspace
    response = marketer_client.post(
        reverse("email:email_create"),
        {"name": "Launch", "template": email.template_id, "segment": email.segment_id,
         "rate_per_minute": "300"},
    )  # fmt: skip
    created = Email.objects.get(name="Launch")
    assert response.status_code == 302
    assert response["Location"] == reverse("email:email_detail", args=[created.pk])
    assert (created.status, created.subject, created.from_email, created.rate_per_minute) == (
        EmailStatus.DRAFT, "Hi {{ contact.first_name }}", "news@acme.example", 300,
    )  # fmt: skip


def test_create_with_bad_input_shows_errors_and_saves_nothing(marketer_client, marketer):
    make_email(marketer)
    response = marketer_client.post(
        reverse("email:email_create"), {"name": "", "template": "999", "rate_per_minute": "-1"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "template", "rate_per_minute"}
    assert Email.objects.count() == 1


def test_sales_rep_cannot_create_or_send(client, rep_a, marketer):
    email = make_email(marketer)
    client.login(username="rep_a", password=PASSWORD)
    assert client.get(reverse("email:email_create")).status_code == 403
    assert client.post(reverse("email:email_send_now", args=[email.pk])).status_code == 403
    email.refresh_from_db()
    assert email.status == EmailStatus.DRAFT
    # but may read the report
    assert client.get(reverse("email:email_detail", args=[email.pk])).status_code == 200


def test_send_now_is_post_only(marketer_client, marketer):
    email = make_email(marketer)
    assert marketer_client.get(reverse("email:email_send_now", args=[email.pk])).status_code == 405
    email.refresh_from_db()
    assert email.status == EmailStatus.DRAFT


def test_schedule_in_the_past_is_refused_with_a_field_error(marketer_client, marketer):
    email = make_email(marketer)
    past = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = marketer_client.post(reverse("email:email_schedule", args=[email.pk]),
                                    {"scheduled_at": past})  # fmt: skip
    assert response.status_code == 400
    assert response.context["schedule_form"].errors == {
        "scheduled_at": ["Choose a time in the future."]
    }
    email.refresh_from_db()
    assert email.status == EmailStatus.DRAFT


def test_schedule_then_cancel(marketer_client, marketer):
    email = make_email(marketer)
    later = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = marketer_client.post(reverse("email:email_schedule", args=[email.pk]),
                                    {"scheduled_at": later})  # fmt: skip
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == EmailStatus.SCHEDULED
    assert email.scheduled_at.strftime("%Y-%m-%dT%H:%M") == later
    marketer_client.post(reverse("email:email_cancel", args=[email.pk]))
    email.refresh_from_db()
    assert (email.status, email.scheduled_at) == (EmailStatus.DRAFT, None)


def test_open_pixel_records_open_touchpoint_and_timeline(
    client, marketer, django_capture_on_commit_callbacks
):
    email = sent_email(marketer, django_capture_on_commit_callbacks)
    send = Send.objects.get(to_address="ann1@example.com")
    # When the pixel is fetched twice
    first = client.get(f"/e/o/{send.token}.gif")
    client.get(f"/e/o/{send.token}.gif")
    # Then it is a GIF, the send counts two opens and one first-open time
    assert first.status_code == 200 and first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a")
    send.refresh_from_db()
    assert send.open_count == 2 and send.first_opened_at is not None
    opens = Touchpoint.objects.filter(kind=TouchpointKind.EMAIL_OPEN)
    assert (
        list(opens.values_list("contact_id", "campaign_id"))
        == [(send.contact_id, email.campaign_id)] * 2
    )
    # And the timeline shows the send and the opens
    titles = [item.title for item in contact_timeline(contact=send.contact)]
    assert titles.count("Email open · Spring") == 2
    assert "Email sent: Spring news" in titles


def test_click_redirects_only_to_the_stored_url_and_records_it(
    client, marketer, django_capture_on_commit_callbacks
):
    sent_email(marketer, django_capture_on_commit_callbacks)
    send = Send.objects.get(to_address="ann2@example.com")
    link = EmailLink.objects.get(url="https://www.example.com/demo")
    response = client.get(f"/e/c/{send.token}/{link.pk}?next=https://evil.example")
    assert response.status_code == 302
    assert response["Location"] == "https://www.example.com/demo"
    send.refresh_from_db()
    assert (send.click_count, send.first_clicked_at is not None) == (1, True)
    assert send.first_opened_at is not None
    assert SendClick.objects.filter(send=send, link=link).count() == 1
    assert (
        Touchpoint.objects.filter(kind=TouchpointKind.EMAIL_CLICK, contact=send.contact).count()
        == 1
    )


def test_unknown_tokens_and_foreign_links_are_404_and_record_nothing(
    client, marketer, django_capture_on_commit_callbacks
):
    sent_email(marketer, django_capture_on_commit_callbacks)
    send = Send.objects.get(to_address="ann1@example.com")
    other = Email.objects.create(name="Other", subject="x")
    foreign = EmailLink.objects.create(email=other, url="https://evil.example/")
    assert client.get("/e/o/AAAAAAAAAAAAAAAAAAAAAAAA.gif").status_code == 404
    assert client.get("/e/o/bad!token.gif").status_code == 404
    assert client.get(f"/e/c/{send.token}/{foreign.pk}").status_code == 404
    assert client.get("/e/c/AAAAAAAAAAAAAAAAAAAAAAAA/1").status_code == 404
    assert SendClick.objects.count() == 0
    assert Touchpoint.objects.count() == 0
    send.refresh_from_db()
    assert (send.open_count, send.click_count) == (0, 0)


def test_report_counts_delivery_engagement_and_influence(
    marketer_client, marketer, django_capture_on_commit_callbacks
):
    from revline.sales.models import Deal, DealStatus, Pipeline, Stage

    email = sent_email(marketer, django_capture_on_commit_callbacks)
    ann = Send.objects.get(to_address="ann1@example.com")
    bob = Send.objects.get(to_address="ann2@example.com")
    link = EmailLink.objects.get(url="https://www.example.com/demo")
    services.send_click_record(send=ann, link_id=link.pk, info=services.RequestInfo())
    services.send_click_record(send=ann, link_id=link.pk, info=services.RequestInfo())
    Send.objects.filter(pk=bob.pk).update(state=SendState.BOUNCED, bounced_at=timezone.now())
    later = timezone.now() + timedelta(hours=1)
    LifecycleTransition.objects.create(contact=ann.contact, from_stage="subscriber",
                                       to_stage="lead", occurred_at=later, cause="form")  # fmt: skip
    pipeline = Pipeline.objects.create(name="Sales")
    stage = Stage.objects.create(pipeline=pipeline, name="Won", position=1, probability=100)
    Deal.objects.create(name="Ann deal", pipeline=pipeline, stage=stage, contact=ann.contact,
                        amount=Decimal("1200.00"), currency="EUR", status=DealStatus.WON,
                        closed_at=later, stage_changed_at=later, created_at=later)  # fmt: skip
    report = email_report(email)
    assert (report.segment_size, report.skipped, report.stats.recipients) == (3, 1, 2)
    assert (report.stats.handed_over, report.stats.bounced, report.stats.delivered) == (2, 1, 1)
    assert (report.stats.opened, report.stats.clicked, report.clicks_total) == (1, 1, 2)
    assert report.stats.click_rate == 100.0
    assert report.leads_influenced == 1
    assert report.revenue == [("EUR", Decimal("1200.00"))]
    assert next((r.url, r.clicks, r.unique) for r in report.links) == (
        "https://www.example.com/demo",
        2,
        1,
    )
    assert report.skip_reasons == [("No consent to marketing email", 1)]
    page = marketer_client.get(reverse("email:email_detail", args=[email.pk]))
    assert page.status_code == 200
    assert "send-chart-data" in page.content.decode()


def test_progress_partial_polls_while_sending(marketer_client, marketer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_contact(1), make_contact(2)
    email = make_email(marketer)
    services.email_send_now(actor=marketer, email=email)
    Send.objects.filter(to_address="ann1@example.com").update(state=SendState.SENT)
    body = marketer_client.get(reverse("email:email_progress", args=[email.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert "1 of 2 handled (50 %), 1 to go." in body


def test_contact_page_lists_email_events(
    marketer_client, marketer, django_capture_on_commit_callbacks
):
    sent_email(marketer, django_capture_on_commit_callbacks)
    contact = Contact.objects.get(email="ann1@example.com")
    page = marketer_client.get(reverse("people:contact", args=[contact.pk]))
    assert "Email sent: Spring news" in page.content.decode()
