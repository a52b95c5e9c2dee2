"""Build a form and a landing page from blocks in the UI, publish it, and submit it on a phone;
embed the form on another site by script tag and by plain HTML."""

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import Browser, Page, expect

from revline.content.models import Form, FormSubmission, LandingPage
from revline.core.workspace import workspace_get
from revline.people.models import Contact, LifecycleStage
from revline.tracking.services import UTM_KEYS

from ..conftest import PASSWORD
from ..content.builder_factories import make_form

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
EMAIL = "mae@jemison.example"
CONSENT = "I agree to receive marketing emails. I can unsubscribe at any time."
SHOTS = os.environ.get("REVLINE_SCREENSHOTS", "")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def set_site_origins(text: str) -> None:
    workspace = workspace_get()
    workspace.site_origins = text
    workspace.save()


def add_block(page: Page, kind: str) -> None:
    page.get_by_label("Block type").select_option(label=kind)
    page.get_by_role("button", name="Add block").click()


def test_marketer_builds_and_publishes_a_page_that_works_on_a_phone(
    page: Page, live_server, log_in, marketer, chromium_browser: Browser, page_errors
):
    # Given a marketer signed in
    log_in("marketer", PASSWORD)

    # When they build a form: the email field comes with it, they add a required first name
    page.goto("/forms/new")
    page.get_by_label("Name").fill("Demo request")
    page.get_by_label("Button label").fill("Book my demo")
    page.get_by_label("Thank-you message").fill("Thanks! We will call you today.")
    page.get_by_role("button", name="Create form").click()
    expect(page.get_by_role("heading", name="Demo request")).to_be_visible()
    add_field = page.locator("#add-field")
    add_field.get_by_label("Label").fill("First name")
    add_field.get_by_label("Key").fill("first_name")
    add_field.get_by_label("Required").check()
    add_field.get_by_role("button", name="Add field").click()
    expect(page.locator(".field-table tbody tr")).to_have_count(2)

    # And a landing page from blocks, watching the live preview follow their typing
    page.goto("/pages/new")
    editor = page.locator("#page-form")
    editor.get_by_label("Title").fill("Spring demo")
    editor.get_by_label("Slug").fill("spring-demo")
    editor.get_by_label("Headline").fill("Spring demo")
    editor.get_by_label("Form", exact=True).select_option(label="Demo request")
    add_block(page, "Hero")
    hero = page.locator(".block-card").nth(0)
    hero.get_by_label("Headline").fill("Close more deals this spring")
    hero.get_by_label("Background").select_option(label="Midnight")
    preview = page.locator("#page-preview")
    expect(preview.get_by_role("heading", name="Close more deals this spring")).to_be_visible()
    add_block(page, "Feature list")
    features = page.locator(".block-card").nth(1)
    features.get_by_label("Title").fill("Why teams switch")
    features.get_by_label("Features").fill("One record per person\nReports that add up")
    add_block(page, "Button")
    page.locator(".block-card").nth(2).get_by_label("Button label").fill("Get my demo")
    add_block(page, "Form")
    page.locator(".block-card").nth(3).get_by_label("Heading above the form").fill("Book it")
    expect(preview.get_by_text("Reports that add up")).to_be_visible()
    expect(preview.get_by_role("button", name="Book my demo")).to_be_disabled()
    page.get_by_role("button", name="Move block 2 up").click()
    expect(page.locator(".block-card").nth(0)).to_contain_text("Feature list")
    page.get_by_role("button", name="Move block 1 down").click()
    page.get_by_role("button", name="Phone").click()
    shot(page, "page-builder")
    page.get_by_role("button", name="Create page").click()

    # Then the page is saved, published, with its blocks in order
    expect(page.get_by_role("heading", name=re.compile("Spring demo"))).to_be_visible()
    saved = LandingPage.objects.get(slug="spring-demo")
    assert [b["type"] for b in saved.blocks] == ["hero", "features", "cta", "form"]
    assert saved.form == Form.objects.get(name="Demo request")
    assert saved.is_published

    # When a visitor opens it on a phone, from a newsletter link
    phone = chromium_browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    visitor = phone.new_page()
    visitor.on("pageerror", lambda error: page_errors.append(str(error)))
    visitor.goto("/lp/spring-demo?utm_source=newsletter&utm_medium=email")

    # Then it fits the screen in one column with large tap targets
    expect(visitor.get_by_role("heading", name="Close more deals this spring")).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    email_box = visitor.get_by_label("Work email").bounding_box()
    name_box = visitor.get_by_label("First name").bounding_box()
    assert email_box and name_box
    assert email_box["x"] == name_box["x"]  # stacked, not side by side
    assert name_box["y"] > email_box["y"]
    assert email_box["height"] >= 44
    cta = visitor.get_by_role("link", name="Get my demo").bounding_box()
    assert cta and cta["height"] >= 48 and cta["width"] > PHONE["width"] * 0.8

    # When they tap the button, fill in the form and submit
    visitor.get_by_role("link", name="Get my demo").tap()
    expect(visitor).to_have_url(re.compile(r"#form$"))
    visitor.get_by_label("Work email").fill(EMAIL)
    visitor.get_by_label("First name").fill("Mae")
    visitor.get_by_label(CONSENT).check()
    shot(visitor, "phone-form")
    visitor.get_by_role("button", name="Book my demo").tap()

    # Then they see the form's thank-you message, and the lead exists with its campaign source
    expect(visitor.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(visitor.get_by_text("Thanks! We will call you today.")).to_be_visible()
    contact = Contact.objects.get(email=EMAIL)
    assert (contact.first_name, contact.lifecycle_stage) == ("Mae", LifecycleStage.LEAD)
    submission = FormSubmission.objects.get(contact=contact)
    assert (submission.data["utm_source"], submission.data["utm_medium"]) == ("newsletter", "email")
    assert submission.consent_wording_version == "v1"
    assert page_errors == []
    phone.close()


@dataclass
class CustomerSite:
    """The customer's own website: a real server on another origin, serving one page."""

    url: str
    html: str = ""


@pytest.fixture
def customer_site() -> Iterator[CustomerSite]:
    site = CustomerSite(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<!doctype html><title>Pricing</title><h1>Pricing</h1>{site.html}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def script_tag(live_server, form: Form) -> str:
    return f'<script src="{live_server.url}/f/{form.embed_key}.js" async></script>'


def test_the_script_tag_embed_shows_the_form_on_another_site_and_submits(
    page: Page, live_server, marketer, customer_site, page_errors
):
    # Given a form, its script tag on the customer's website, and that site listed as an origin
    form = make_form(marketer)
    set_site_origins(customer_site.url)
    customer_site.html = script_tag(live_server, form)

    # When a visitor opens the customer's page from a campaign link and sends the form
    page.goto(f"{customer_site.url}/pricing?utm_source=partner&utm_campaign=spring")
    frame = page.frame_locator("iframe")
    frame.get_by_label("Work email").fill("kim@example.com")
    frame.get_by_label("First name").fill("Kim")
    frame.get_by_role("button", name="Request my demo").click()

    # Then the frame thanks them, and the lead carries the page's UTM values
    expect(frame.get_by_text("Thanks! We will call you within a day.")).to_be_visible()
    submission = FormSubmission.objects.get()
    assert (submission.landing_page, submission.contact.email) == (None, "kim@example.com")
    assert (submission.data["utm_source"], submission.data["utm_campaign"]) == (
        "partner",
        "spring",
    )
    assert page_errors == []


def test_a_site_that_is_not_listed_cannot_frame_the_form(
    page: Page, live_server, marketer, customer_site
):
    # Given a form whose workspace lists only someone else's site
    form = make_form(marketer)
    set_site_origins("https://someone-else.example")
    customer_site.html = script_tag(live_server, form)

    # When an unlisted site embeds it, then the browser refuses to show the form in the frame
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(f"{customer_site.url}/pricing")
    expect(page.locator("iframe")).to_have_count(1)
    assert page.frames[-1].query_selector("input[name=email]") is None


def test_the_plain_html_embed_posts_back_across_sites(
    page: Page, live_server, marketer, customer_site, settings
):
    # Given the plain HTML snippet of a form on the customer's site
    settings.BASE_URL = live_server.url
    form = make_form(marketer)
    set_site_origins(customer_site.url)
    customer_site.html = render_to_string(
        "content/form_snippet.html",
        {
            "form": form,
            "fields": list(form.fields.order_by("position")),
            "utm_keys": UTM_KEYS,
            "action": f"{live_server.url}/f/{form.embed_key}",
        },
    )

    # When a visitor fills it in and sends it
    page.goto(f"{customer_site.url}/pricing?utm_medium=referral")
    page.get_by_label("Work email").fill("ola@example.com")
    page.get_by_label("First name").fill("Ola")
    page.get_by_label("Your role").select_option("Sales")
    page.get_by_role("button", name="Request my demo").click()

    # Then they land on the form's thank-you page here, and the lead is stored once
    expect(page.get_by_text("Thanks! We will call you within a day.")).to_be_visible()
    submission = FormSubmission.objects.get()
    assert (submission.data["utm_medium"], submission.data["role"]) == ("referral", "Sales")
    assert Contact.objects.get().email == "ola@example.com"


XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


def test_hostile_blocks_and_labels_never_run_on_the_page_or_in_the_preview(
    page: Page, log_in, marketer, dialogs, page_errors
):
    # Given a page and form whose every text was written by an attacker
    form = make_form(marketer, name=XSS, submit_label=XSS[:36], consent_wording=XSS)
    form.fields.filter(name="company").update(label=XSS)
    LandingPage.objects.create(
        slug="hostile",
        title=XSS,
        headline=XSS,
        form=form,
        blocks=[
            {"type": "hero", "headline": XSS, "subheading": XSS},
            {"type": "text", "html": f"<p>ok</p>{XSS}<a href='javascript:window.__xss=1'>x</a>"},
            {"type": "testimonial", "quote": XSS, "name": XSS, "role": XSS},
            {"type": "features", "title": XSS, "items": [XSS]},
            {"type": "cta", "label": XSS, "target": "form"},
        ],
    )

    # When a visitor opens it and follows its links
    page.goto("/lp/hostile")
    expect(page.get_by_text("ok", exact=True)).to_be_visible()
    expect(page.locator("h1")).to_have_text(XSS)
    page.locator("a", has_text="x").click()

    # Then nothing ran
    assert page.evaluate("window.__xss") is None

    # Nor in the editor's live preview or on the form's page
    log_in("marketer", PASSWORD)
    page.goto(f"/pages/{LandingPage.objects.get(slug='hostile').pk}/edit")
    expect(page.locator("#page-preview h1")).to_have_text(XSS)
    assert page.evaluate("window.__xss") is None
    page.goto(f"/forms/{form.pk}/")
    expect(page.locator("h1")).to_have_text(XSS)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page_errors == []
