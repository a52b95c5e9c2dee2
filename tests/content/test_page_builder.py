"""Page builder in the landing-page management: blocks saved validated, live preview, roles."""

import json

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import LandingPage
from revline.tracking.models import Touchpoint, TrackedLink
from revline.tracking.services import link_create

from .builder_factories import make_form

PAGE = {
    "title": "Spring demo",
    "slug": "spring-demo",
    "headline": "See Revline",
    "body": "",
    "form": "",
    "cta_label": "Get in touch",
    "success_message": "Thanks!",
    "campaign": "",
    "consent_purpose": "marketing_email",
    "consent_wording": "I agree.",
    "consent_wording_version": "v1",
    "is_published": "on",
}
BLOCKS = [
    {"type": "hero", "headline": "Grow", "subheading": "", "background": "brand"},
    {"type": "text", "html": '<p onclick="x()">Hi<script>alert(1)</script></p>'},
    {"type": "form", "heading": "Talk to us"},
]


def post_page(client, url, *, blocks, **changes):
    return client.post(url, {**PAGE, "blocks": json.dumps(blocks), **changes})


def test_marketer_builds_a_page_from_blocks_with_a_form(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)

    response = post_page(client, "/pages/new", blocks=BLOCKS, form=form.pk)

    page = LandingPage.objects.get()
    assert response.status_code == 302
    assert page.form == form
    assert page.blocks == [
        {"type": "hero", "headline": "Grow", "subheading": "", "background": "brand"},
        {"type": "text", "html": "<p>Hi</p>"},
        {"type": "form", "heading": "Talk to us"},
    ]
    html = client.get("/lp/spring-demo").content.decode()
    assert "<h1>Grow</h1>" in html
    assert "Request my demo" in html


@pytest.mark.parametrize(
    ("blocks", "changes", "message"),
    [
        (
            [BLOCKS[0], {"type": "video", "url": "https://x.example"}],
            {},
            "Block 2: unknown block type “video” (use one of: hero, text, image, cta, form, testimonial, features).",
        ),
        ([BLOCKS[2]], {}, "Block 1 (Form): choose the page&#x27;s form first."),
        (
            [{"type": "image", "url": "http://x.example/a.png", "alt": "a"}],
            {},
            "Block 1 (Image): The image address must be a full https:// address.",
        ),
        (
            [{"type": "cta", "label": "Go", "target": "path", "path": "https://evil.example"}],
            {},
            "Block 1 (Button): Enter a path on this site that starts with a single /, e.g. /lp/thank-you.",
        ),
    ],
)
def test_invalid_blocks_are_refused_naming_the_block_and_nothing_is_saved(
    client, marketer, blocks, changes, message
):
    client.force_login(marketer)

    response = post_page(client, "/pages/new", blocks=blocks, **changes)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert LandingPage.objects.count() == 0


def test_blocks_that_are_not_json_are_refused(client, marketer):
    client.force_login(marketer)

    response = client.post("/pages/new", {**PAGE, "blocks": "[{'type': 'hero'"})

    assert response.status_code == 400
    assert response.context["form"].errors["blocks"] == ["Enter a valid JSON."]
    assert LandingPage.objects.count() == 0


def test_blocks_nested_too_deep_are_refused_not_crashed_on(client, marketer):
    client.force_login(marketer)
    deep = "[" * 100_000 + "]" * 100_000

    response = client.post("/pages/new", {**PAGE, "blocks": deep})
    preview = client.post("/pages/preview", {**PAGE, "blocks": deep})

    assert response.status_code == 400
    assert response.context["form"].errors["blocks"] == ["Enter a valid JSON."]
    assert "Blocks: the JSON is not valid." in preview.content.decode()
    assert LandingPage.objects.count() == 0


def test_a_refused_edit_keeps_the_stored_blocks(client, marketer):
    page = LandingPage.objects.create(slug="keep", title="Keep", headline="K", blocks=BLOCKS[:1])
    client.force_login(marketer)

    response = post_page(
        client, f"/pages/{page.pk}/edit", blocks=[{"type": "hero"}], slug="keep", title="Changed"
    )

    assert response.status_code == 400
    page.refresh_from_db()
    assert (page.title, page.blocks) == ("Keep", BLOCKS[:1])


def test_a_button_may_open_an_active_tracked_link_only(client, marketer):
    campaign = Campaign.objects.create(name="Spring", channel=Channel.EMAIL)
    link = link_create(actor=marketer, campaign=campaign, destination_url="https://example.com/")
    button = {"type": "cta", "label": "Read", "target": "link", "link": link.token}
    client.force_login(marketer)

    assert post_page(client, "/pages/new", blocks=[button]).status_code == 302
    assert 'href="/t/c/' + link.token + '"' in client.get("/lp/spring-demo").content.decode()

    TrackedLink.objects.filter(pk=link.pk).update(is_active=False)
    response = post_page(client, "/pages/new", blocks=[button], slug="second")
    assert response.status_code == 400
    assert "Block 1 (Button): the tracked link does not exist or is inactive." in (
        response.content.decode()
    )


def test_the_editor_page_carries_the_block_schema_and_the_live_preview(client, marketer):
    page = LandingPage.objects.create(slug="p", title="P", headline="H", blocks=BLOCKS[:1])
    client.force_login(marketer)

    html = client.get(f"/pages/{page.pk}/edit").content.decode()

    assert '<script id="block-schema" type="application/json">' in html
    assert 'id="block-editor"' in html
    assert 'hx-post="/pages/preview"' in html
    assert "revline/page-builder.js" in html
    assert "[{&quot;type&quot;: &quot;hero&quot;" in html


def test_preview_renders_unsaved_blocks_like_the_public_page_and_stores_nothing(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)
    blocks = [*BLOCKS, {"type": "hero"}]

    response = client.post(
        "/pages/preview", {**PAGE, "blocks": json.dumps(blocks), "form": str(form.pk)}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Grow</h1>" in html
    assert '<div class="lp-inner lp-prose"><p>Hi</p></div>' in html
    assert "Request my demo" in html
    assert 'id="preview_email"' in html
    assert " disabled>" in html
    assert "Block 4 (Hero): “Headline” is required." in html
    assert "<script>alert(1)" not in html
    assert LandingPage.objects.count() == 0
    assert Touchpoint.objects.count() == 0


def test_preview_of_a_page_without_blocks_shows_the_classic_layout(client, marketer):
    client.force_login(marketer)

    response = client.post("/pages/preview", {**PAGE, "headline": "<i>Hi</i>", "blocks": ""})

    html = response.content.decode()
    assert "<h1>&lt;i&gt;Hi&lt;/i&gt;</h1>" in html
    assert 'id="preview_first_name"' in html


def test_preview_tolerates_junk(client, marketer):
    client.force_login(marketer)

    response = client.post("/pages/preview", {"blocks": "{not json", "form": "9" * 30})

    assert response.status_code == 200
    assert "Blocks: the JSON is not valid." in response.content.decode()


def test_sales_reps_cannot_preview_or_build_pages(client, rep_a):
    client.force_login(rep_a)

    assert client.post("/pages/preview", {**PAGE, "blocks": "[]"}).status_code == 403
    assert client.get("/pages/preview").status_code == 405
    assert post_page(client, "/pages/new", blocks=BLOCKS[:1]).status_code == 403
    assert LandingPage.objects.count() == 0
