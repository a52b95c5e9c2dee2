"""Forms embedded on other sites: the iframe page, the script tag, and plain HTML posts back."""

import pytest
from django.test import Client

from revline.content.embed import frame_ancestors, origin_of, post_origin_allowed
from revline.content.models import Form, FormSubmission
from revline.core.workspace import workspace_get
from revline.people.models import ConsentRecord, Contact
from revline.tracking.models import Touchpoint

from .builder_factories import make_form

VALID = {"email": "lin@example.com", "first_name": "Lin", "consent": "on", "website": ""}
SITE = "https://www.example.com"


@pytest.fixture
def form(marketer) -> Form:
    return make_form(marketer)


@pytest.fixture
def strict() -> Client:
    """A browser on another site: no CSRF cookie or token to send."""
    return Client(enforce_csrf_checks=True)


def set_site_origins(text: str) -> None:
    workspace = workspace_get()
    workspace.site_origins = text
    workspace.save()


def test_the_form_page_may_be_framed_by_this_site_and_the_workspace_sites_only(client, form):
    response = client.get(f"/f/{form.embed_key}?utm_source=partner")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    html = response.content.decode()
    assert '<input type="hidden" name="utm_source" value="partner" data-query-param' in html
    assert "csrfmiddlewaretoken" not in html
    assert "revline/form-frame.js" in html

    set_site_origins(f"{SITE}\nhttps://shop.example.com:8443")
    csp = client.get(f"/f/{form.embed_key}")["Content-Security-Policy"]
    assert csp.endswith(
        "frame-ancestors 'self' https://shop.example.com:8443 https://www.example.com"
    )


def test_landing_pages_still_refuse_to_be_framed(client, form):
    from revline.content.models import LandingPage

    LandingPage.objects.create(slug="p", title="P", headline="P", form=form)

    response = client.get("/lp/p")

    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'none'")


def test_unknown_forms_are_404(client, db):
    assert client.get("/f/nope").status_code == 404
    assert client.get("/f/nope.js").status_code == 404
    assert client.post("/f/nope", VALID).status_code == 404
    assert client.get("/f/nope/thanks").status_code == 404


def test_the_embed_script_puts_an_iframe_of_the_form_where_it_is(client, form):
    Form.objects.filter(pk=form.pk).update(embed_key="Key_123abc")
    form.refresh_from_db()

    response = client.get(f"/f/{form.embed_key}.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    script = response.content.decode()
    assert f'var frameUrl = "http://testserver/f/{form.embed_key}";' in script
    assert 'var origin = "http://testserver";' in script
    assert (
        'var names = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];'
        in script
    )
    assert 'frame.title = "Demo request";' in script


def test_the_embed_script_escapes_the_forms_name(client, marketer):
    form = make_form(marketer, name='</script><script>alert("x")</script>')

    script = client.get(f"/f/{form.embed_key}.js").content.decode()

    assert "</script>" not in script
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(\\u0022x\\u0022)" in script


def test_a_plain_html_post_from_another_site_needs_no_csrf_token(strict, form):
    response = strict.post(
        f"/f/{form.embed_key}?utm_source=partner",
        VALID,
        HTTP_ORIGIN="https://anywhere.example",
        REMOTE_ADDR="192.0.2.4",
    )

    assert response.status_code == 302
    assert response["Location"] == f"/f/{form.embed_key}/thanks"
    submission = FormSubmission.objects.get()
    assert (submission.form, submission.landing_page, submission.consent_wording_version) == (
        form,
        None,
        "2025-03",
    )
    assert submission.data["utm_source"] == "partner"
    contact = Contact.objects.get()
    assert (contact.email, contact.source) == ("lin@example.com", f"embedded_form:{form.pk}")
    assert ConsentRecord.objects.get().source == f"embedded_form:{form.pk}"
    assert Touchpoint.objects.get(kind="form_submission").params == {"form": form.pk}
    thanks = strict.get(response["Location"])
    assert "Thanks! We will call you within a day." in thanks.content.decode()
    assert "X-Frame-Options" not in thanks


def test_after_posting_the_visitor_goes_to_the_forms_path_on_this_site(strict, form):
    Form.objects.filter(pk=form.pk).update(redirect_path="/lp/welcome")

    response = strict.post(f"/f/{form.embed_key}", VALID)

    assert response["Location"] == "/lp/welcome"
    iframe = strict.get(f"/f/{form.embed_key}").content.decode()
    assert 'target="_top"' in iframe  # leave the frame for the page on this site


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        ({"HTTP_ORIGIN": SITE}, True),
        ({"HTTP_ORIGIN": "https://WWW.example.com:443"}, True),
        ({"HTTP_REFERER": f"{SITE}/pricing?x=1"}, True),
        ({"HTTP_ORIGIN": "http://testserver"}, True),  # the iframe posts from this site
        ({"HTTP_ORIGIN": "https://evil.example"}, False),
        ({"HTTP_ORIGIN": "https://www.example.com.evil.example"}, False),
        ({"HTTP_ORIGIN": "http://www.example.com"}, False),
        ({"HTTP_ORIGIN": "null"}, False),
        ({"HTTP_REFERER": "https://evil.example/?https://www.example.com"}, False),
        ({}, False),
    ],
)
def test_with_site_origins_only_posts_from_those_sites_are_accepted(
    strict, form, headers, accepted
):
    set_site_origins(SITE)

    response = strict.post(f"/f/{form.embed_key}", VALID, **headers)

    form.refresh_from_db()
    if accepted:
        assert response.status_code == 302
        assert FormSubmission.objects.count() == 1
        assert form.rejected_count == 0
    else:
        assert response.status_code == 403
        assert "only accepts submissions from the websites it is embedded on" in (
            response.content.decode()
        )
        assert FormSubmission.objects.count() == 0
        assert Contact.objects.count() == 0
        assert form.rejected_count == 1


def test_embedded_honeypot_and_rate_limit_refusals_are_counted_not_stored(strict, form, settings):
    response = strict.post(f"/f/{form.embed_key}", {**VALID, "website": "x"})
    assert response.status_code == 400

    settings.REVLINE_PUBLIC_RATE_LIMIT = 1
    strict.post(f"/f/{form.embed_key}", {**VALID, "email": "ok@example.com"})
    limited = strict.post(f"/f/{form.embed_key}", {**VALID, "email": "late@example.com"})

    assert limited.status_code == 429
    form.refresh_from_db()
    assert form.rejected_count == 2
    assert list(Contact.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_an_invalid_embedded_post_shows_the_form_again_with_errors(strict, form):
    response = strict.post(f"/f/{form.embed_key}", {**VALID, "email": "nope"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert FormSubmission.objects.count() == 0
    form.refresh_from_db()
    assert form.rejected_count == 0


def test_origins_helpers():
    assert origin_of("https://WWW.Example.com:443/path?q#f") == "https://www.example.com"
    assert origin_of("http://[::1]:8000/x") == "http://[::1]:8000"
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("//evil.example") is None
    assert origin_of("https://user:pw@example.com/") is None
    assert post_origin_allowed(origin="", referer="", allowed=frozenset(), own=frozenset())
    assert frame_ancestors(frozenset({"https://b.example", "https://a.example"})) == (
        "frame-ancestors 'self' https://a.example https://b.example"
    )


def test_a_view_of_the_embedded_form_is_a_touch_of_the_embedding_page_tied_to_the_submitter(
    strict, form
):
    # When a visitor sees the form embedded on a partner's page, then submits it
    page = "https://partner.example/webinar?utm_source=x"
    shown = strict.get(f"/f/{form.embed_key}?utm_source=partner", HTTP_REFERER=page)
    assert shown.status_code == 200
    view = Touchpoint.objects.get(kind="page_view")
    assert (view.url, view.params, view.utm_source, view.contact) == (
        page,
        {"form": form.pk, "embedded": True},
        "partner",
        None,
    )
    strict.post(f"/f/{form.embed_key}", VALID, HTTP_ORIGIN="https://partner.example")
    # Then the view belongs to the contact the submission created, before the submission
    contact = Contact.objects.get()
    kinds = list(
        Touchpoint.objects.filter(contact=contact)
        .order_by("occurred_at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["page_view", "form_submission"]


def test_an_over_limit_form_view_records_nothing(client, form, settings):
    settings.RATELIMIT_ENABLE = True
    shown = 0
    for _ in range(200):
        response = client.get(f"/f/{form.embed_key}", REMOTE_ADDR="192.0.2.9")
        if response.status_code == 429:
            break
        shown += 1
    assert response.status_code == 429
    # Only the views that were served count; the refused one left no touch
    assert Touchpoint.objects.filter(kind="page_view").count() == shown
