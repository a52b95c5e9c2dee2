"""Public landing pages built from blocks, with a builder form: render, submit, refuse spam."""

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import Form, FormSubmission, LandingPage
from revline.leads.models import LifecycleTransition
from revline.people.models import ConsentRecord, Contact, LifecycleStage
from revline.tracking.models import Touchpoint

from .builder_factories import CONSENT, make_form

VALID = {
    "email": "Grace@Example.com",
    "first_name": "Grace",
    "company": "Navy",
    "role": "Sales",
    "newsletter": "on",
    "consent": "on",
    "website": "",
}
BLOCKS = [
    {"type": "hero", "headline": "Ship <faster>", "subheading": "For teams", "background": "dark"},
    {
        "type": "text",
        "html": '<p>Hello<script>alert("x")</script> <a href="javascript:alert(1)">x</a></p>',
    },
    {"type": "image", "url": "https://cdn.example/shot.png", "alt": 'Dashboard "shot"'},
    {"type": "cta", "label": "Book a demo", "target": "form"},
    {"type": "testimonial", "quote": "Works <well>", "name": "Ada", "role": "CTO"},
    {"type": "features", "title": "Why", "items": ["Fast", "<i>Safe</i>"]},
    {"type": "form", "heading": "Request a demo"},
]


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        name="Spring", channel=Channel.PAID_SEARCH, utm_source="google", utm_campaign="spring"
    )


@pytest.fixture
def form(marketer) -> Form:
    return make_form(marketer)


@pytest.fixture
def page(form, campaign) -> LandingPage:
    return LandingPage.objects.create(
        slug="demo",
        title="Demo",
        headline="Classic headline",
        blocks=BLOCKS,
        form=form,
        campaign=campaign,
    )


def test_blocks_render_in_order_escaped_and_sanitised(client, page):
    response = client.get("/lp/demo")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Ship &lt;faster&gt;</h1>" in html
    assert 'class="lp-block lp-hero-block lp-bg-dark"' in html
    assert '<div class="lp-inner lp-prose"><p>Hello <a rel="noopener">x</a></p></div>' in html
    assert '<img src="https://cdn.example/shot.png" alt="Dashboard &quot;shot&quot;"' in html
    assert '<a class="lp-button" href="#form">Book a demo</a>' in html
    assert "“Works &lt;well&gt;”" in html
    assert "<li>&lt;i&gt;Safe&lt;/i&gt;</li>" in html
    assert '<section class="lp-block lp-form-block" id="form">' in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert (
        html.index("Ship &lt;faster&gt;")
        < html.index("Request a demo")
        < html.index("Request my demo")
    )
    assert "Classic headline" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp


def test_the_builder_form_has_its_fields_hidden_utm_consent_and_honeypot(client, page):
    html = client.get(
        "/lp/demo?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    ).content.decode()

    for name in ("email", "first_name", "company", "role", "newsletter", "consent"):
        assert f'name="{name}"' in html
    assert '<input type="hidden" name="utm_source" value="google" data-query-param' in html
    assert '<input type="hidden" name="utm_medium" value="cpc" data-query-param' in html
    assert '<input type="hidden" name="utm_term" data-query-param' in html
    assert CONSENT in html
    assert '<div class="lp-hp" aria-hidden="true">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "revline/form-fill.js" in html


def test_submission_creates_a_lead_storing_utm_values_and_the_consent_version(client, page, form):
    client.get("/lp/demo?utm_source=google&utm_campaign=spring")

    response = client.post(
        "/lp/demo?utm_source=google&utm_campaign=spring",
        {**VALID, "utm_source": "linkedin", "utm_content": "banner"},
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 302
    assert response["Location"] == "/lp/demo/thanks"
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.company.name) == (
        "grace@example.com",
        "Grace",
        "Navy",
    )
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    submission = FormSubmission.objects.get()
    assert (submission.form, submission.landing_page, submission.consent_wording_version) == (
        form,
        page,
        "2025-03",
    )
    assert submission.data == {
        "email": "Grace@Example.com",
        "first_name": "Grace",
        "company": "Navy",
        "role": "Sales",
        "newsletter": True,
        "utm_source": "linkedin",
        "utm_campaign": "spring",
        "utm_content": "banner",
        "consent": True,
    }
    assert submission.ip_address == "203.0.113.7"
    consent = ConsentRecord.objects.get()
    assert (consent.wording, consent.wording_version, consent.source) == (
        CONSENT,
        "2025-03",
        "landing_page:demo",
    )
    touch = Touchpoint.objects.get(kind="form_submission")
    assert (touch.contact, touch.utm_source, touch.utm_content, touch.params) == (
        contact,
        "linkedin",
        "banner",
        {"landing_page": "demo", "form": form.pk},
    )
    assert list(
        contact.touchpoints.order_by("occurred_at", "pk").values_list("kind", flat=True)
    ) == ["page_view", "form_submission"]
    assert (
        client.get("/lp/demo/thanks")
        .content.decode()
        .count("Thanks! We will call you within a day.")
        == 1
    )


def test_utm_values_come_from_the_address_when_the_hidden_fields_are_empty(client, page):
    client.post("/lp/demo?utm_source=google&utm_medium=cpc", VALID)

    assert FormSubmission.objects.get().data["utm_source"] == "google"
    assert Touchpoint.objects.get(kind="form_submission").utm_medium == "cpc"


def test_without_consent_no_consent_is_stored_and_no_version(client, page):
    client.post("/lp/demo", {**VALID, "consent": ""})

    submission = FormSubmission.objects.get()
    assert (submission.consent_wording_version, submission.data["consent"]) == ("", False)
    assert ConsentRecord.objects.count() == 0


def test_a_form_with_a_redirect_path_sends_the_visitor_there(client, page, form):
    Form.objects.filter(pk=form.pk).update(redirect_path="/lp/next-steps")

    response = client.post("/lp/demo", VALID)

    assert response.status_code == 302
    assert response["Location"] == "/lp/next-steps"


def test_a_hostile_redirect_path_stored_behind_the_apps_back_is_not_followed(client, page, form):
    Form.objects.filter(pk=form.pk).update(redirect_path="//evil.example/phish")

    response = client.post("/lp/demo", VALID)

    assert response["Location"] == "/lp/demo/thanks"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"role": "CEO"}, "role"),
        ({"email": "<script>alert(1)</script>@x.y"}, "email"),
    ],
)
def test_invalid_submissions_show_errors_and_store_nothing(client, page, form, change, field):
    response = client.post("/lp/demo", {**VALID, **change})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "<script>alert(1)" not in response.content.decode()
    assert Contact.objects.count() == 0
    assert FormSubmission.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert Touchpoint.objects.filter(kind="form_submission").count() == 0
    form.refresh_from_db()
    assert form.rejected_count == 0


def test_a_filled_honeypot_is_counted_and_not_stored(client, page, form):
    response = client.post("/lp/demo", {**VALID, "website": "http://spam.example"})

    assert response.status_code == 400
    form.refresh_from_db()
    assert form.rejected_count == 1
    assert Contact.objects.count() == 0
    assert FormSubmission.objects.count() == 0
    assert LifecycleTransition.objects.count() == 0


def test_over_the_rate_limit_submissions_are_counted_and_not_stored(client, page, form, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2
    client.post("/lp/demo", VALID, REMOTE_ADDR="198.51.100.1")
    client.post("/lp/demo", {**VALID, "email": "b@example.com"}, REMOTE_ADDR="198.51.100.1")

    response = client.post(
        "/lp/demo", {**VALID, "email": "c@example.com"}, REMOTE_ADDR="198.51.100.1"
    )
    other_ip = client.post(
        "/lp/demo", {**VALID, "email": "d@example.com"}, REMOTE_ADDR="198.51.100.2"
    )

    assert response.status_code == 429
    assert "Too many submissions from your network" in response.content.decode()
    assert other_ip.status_code == 302
    form.refresh_from_db()
    assert form.rejected_count == 1
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "b@example.com",
        "d@example.com",
        "grace@example.com",
    ]


def test_a_page_without_blocks_but_with_a_form_shows_the_classic_layout_with_it(client, page):
    LandingPage.objects.filter(pk=page.pk).update(blocks=[])

    html = client.get("/lp/demo").content.decode()

    assert "<h1>Classic headline</h1>" in html
    assert "Request my demo" in html
    assert 'name="role"' in html


def test_a_page_with_blocks_but_no_form_block_shows_the_form_last(client, page):
    LandingPage.objects.filter(pk=page.pk).update(blocks=BLOCKS[:1])

    html = client.get("/lp/demo").content.decode()

    assert (
        html.index("Ship &lt;faster&gt;") < html.index('id="form"') < html.index("Request my demo")
    )


def test_blocks_edited_behind_the_apps_back_cannot_carry_script(client, page):
    LandingPage.objects.filter(pk=page.pk).update(
        blocks=[
            {"type": "text", "html": "<img src=x onerror=alert(1)><p>ok</p>"},
            {"type": "image", "url": "javascript:alert(1)", "alt": "x"},
            {"type": "cta", "label": "Go", "target": "path", "path": "javascript:alert(1)"},
            {"type": "hero", "headline": "<script>alert(1)</script>", "background": 'x" onload="y'},
        ]
    )

    html = client.get("/lp/demo").content.decode()

    assert "<p>ok</p>" in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "<script>alert(1)</script>" not in html
    assert 'onload="y' not in html


def test_the_thanks_page_of_a_builder_page_shows_the_forms_message(client, page):
    response = client.get("/lp/demo/thanks")

    assert response.status_code == 200
    assert "Thanks! We will call you within a day." in response.content.decode()


def test_a_form_that_lost_its_email_field_refuses_submissions_without_a_crash(client, page, form):
    form.fields.filter(name="email").delete()  # behind the app's back: the builder refuses this

    response = client.post("/lp/demo", VALID)

    assert response.status_code == 400
    assert "An email address is required." in response.content.decode()
    assert Contact.objects.count() == 0
    assert FormSubmission.objects.count() == 0
