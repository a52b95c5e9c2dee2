"""Landing page form: identify the visitor, merge by email, attach history, store consent, make a lead."""

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import FormSubmission, LandingPage
from revline.leads.models import LifecycleTransition
from revline.people.models import ConsentRecord, Contact, LifecycleStage
from revline.people.services import contact_create
from revline.tracking.models import Touchpoint
from revline.tracking.services import link_create

VALID = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "Grace@Example.com",
    "company_name": "Navy",
    "title": "Rear Admiral",
    "consent": "on",
}


@pytest.fixture
def page(db) -> LandingPage:
    campaign = Campaign.objects.create(
        name="Webinar",
        channel=Channel.EVENTS,
        utm_source="event",
        utm_medium="offline",
        utm_campaign="webinar",
    )
    return LandingPage.objects.create(
        slug="webinar",
        title="Webinar",
        headline="Join the <b>webinar</b>",
        body="First paragraph.\n\nSecond paragraph.",
        campaign=campaign,
    )


def test_page_renders_headline_as_text_and_records_a_page_view(client, page):
    response = client.get("/lp/webinar?utm_source=event&utm_medium=offline&utm_campaign=webinar")

    assert response.status_code == 200
    assert "Join the &lt;b&gt;webinar&lt;/b&gt;" in response.content.decode()
    view = Touchpoint.objects.get()
    assert (view.kind, view.campaign, view.utm_campaign) == ("page_view", page.campaign, "webinar")
    assert view.contact is None


def test_unpublished_or_unknown_page_is_404(client, page):
    LandingPage.objects.filter(pk=page.pk).update(is_published=False)

    assert client.get("/lp/webinar").status_code == 404
    assert client.get("/lp/nope").status_code == 404
    assert Touchpoint.objects.count() == 0


def test_submission_creates_a_lead_with_consent_and_attaches_earlier_touchpoints(
    client, page, marketer
):
    link = link_create(
        actor=marketer, campaign=page.campaign, destination_url="https://example.com/lp/webinar"
    )
    client.get(f"/t/c/{link.token}")
    client.get("/lp/webinar")

    response = client.post("/lp/webinar", VALID, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert response["Location"] == "/lp/webinar/thanks"
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.last_name, contact.title) == (
        "grace@example.com",
        "Grace",
        "Hopper",
        "Rear Admiral",
    )
    assert contact.company.name == "Navy"
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    assert list(
        contact.touchpoints.order_by("occurred_at", "pk").values_list("kind", flat=True)
    ) == ["click", "page_view", "form_submission"]
    consent = ConsentRecord.objects.get()
    assert (consent.purpose, consent.status, consent.wording_version, consent.ip_address) == (
        "marketing_email",
        "granted",
        "v1",
        "203.0.113.9",
    )
    assert consent.wording == page.consent_wording
    transition = LifecycleTransition.objects.get()
    assert (transition.from_stage, transition.to_stage, transition.cause) == (
        "subscriber",
        "lead",
        "form",
    )


def test_submission_without_consent_stores_no_consent(client, page):
    client.post("/lp/webinar", {**VALID, "consent": ""})

    assert Contact.objects.count() == 1
    assert ConsentRecord.objects.count() == 0


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"website": "http://spam.example"}, "website"),
    ],
)
def test_invalid_submission_shows_field_errors_and_stores_nothing(client, page, bad, field):
    response = client.post("/lp/webinar", {**VALID, **bad})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Contact.objects.count() == 0
    assert FormSubmission.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert Touchpoint.objects.filter(kind="form_submission").count() == 0


def test_submitting_twice_creates_one_contact(client, page):
    client.post("/lp/webinar", VALID)
    client.post("/lp/webinar", {**VALID, "email": "GRACE@example.COM"})

    assert Contact.objects.count() == 1
    assert FormSubmission.objects.count() == 2
    assert LifecycleTransition.objects.count() == 1


def test_existing_contact_is_merged_by_email_and_not_overwritten(client, page):
    existing = contact_create(actor=None, email="grace@example.com", first_name="G.", title="")

    client.post("/lp/webinar", VALID)

    existing.refresh_from_db()
    assert Contact.objects.count() == 1
    assert existing.first_name == "G."
    assert existing.title == "Rear Admiral"


def test_a_customer_is_not_moved_back_to_lead(client, page):
    customer = contact_create(actor=None, email="grace@example.com")
    Contact.objects.filter(pk=customer.pk).update(lifecycle_stage=LifecycleStage.CUSTOMER)

    client.post("/lp/webinar", VALID)

    customer.refresh_from_db()
    assert customer.lifecycle_stage == LifecycleStage.CUSTOMER
    assert LifecycleTransition.objects.count() == 0


def test_other_visitors_touchpoints_are_not_attached(client, page, marketer):
    from django.test import Client

    other = Client()
    other.get("/lp/webinar")

    client.post("/lp/webinar", VALID)

    assert Touchpoint.objects.filter(contact__isnull=True).count() == 1


def test_form_without_csrf_token_is_rejected(page):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/lp/webinar", VALID)

    assert response.status_code == 403
    assert Contact.objects.count() == 0
