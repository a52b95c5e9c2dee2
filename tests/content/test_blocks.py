"""Page-builder blocks: schema validation, naming the broken block, and HTML sanitising. Pure."""

import pytest
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString

from revline.content.blocks import (
    MAX_BLOCKS,
    blocks_for_render,
    clean_blocks,
    cta_href,
    editor_schema,
    link_tokens_in,
    sanitize_html,
    site_path_error,
    validate_blocks,
)

HERO = {"type": "hero", "headline": "Grow faster", "subheading": "", "background": "dark"}


def errors_of(raw, *, has_form=True, link_tokens=None) -> list[str]:
    return clean_blocks(raw, has_form=has_form, link_tokens=link_tokens)[1]


def test_every_block_type_is_cleaned_to_its_fields():
    raw = [
        {"type": "hero", "headline": "  Grow faster  "},
        {"type": "text", "html": "<p>Hello <strong>there</strong></p>"},
        {"type": "image", "url": "https://cdn.example/a.png", "alt": "A chart"},
        {"type": "cta", "label": "Talk to us", "target": "form"},
        {"type": "form", "heading": "Get the guide"},
        {"type": "testimonial", "quote": "It works.", "name": "Ada"},
        {"type": "features", "title": "Why", "items": ["Fast", " ", "Simple "]},
    ]

    blocks = validate_blocks(raw, has_form=True)

    assert blocks == [
        {"type": "hero", "headline": "Grow faster", "subheading": "", "background": "brand"},
        {"type": "text", "html": "<p>Hello <strong>there</strong></p>"},
        {"type": "image", "url": "https://cdn.example/a.png", "alt": "A chart", "caption": ""},
        {"type": "cta", "label": "Talk to us", "target": "form", "path": "", "link": ""},
        {"type": "form", "heading": "Get the guide"},
        {"type": "testimonial", "quote": "It works.", "name": "Ada", "role": ""},
        {"type": "features", "title": "Why", "items": ["Fast", "Simple"]},
    ]


def test_feature_items_may_be_given_as_lines_of_text():
    blocks = validate_blocks(
        [{"type": "features", "title": "Why", "items": "Fast\n\nSimple"}], has_form=False
    )

    assert blocks[0]["items"] == ["Fast", "Simple"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            [HERO, {"type": "marquee"}],
            "Block 2: unknown block type “marquee” (use one of: hero, text, image, cta, form, testimonial, features).",
        ),
        (
            [{"headline": "x"}],
            "Block 1: unknown block type “None” (use one of: hero, text, image, cta, form, testimonial, features).",
        ),
        (["hero"], "Block 1: must be an object with a “type”."),
        ([{**HERO, "onclick": "alert(1)"}], "Block 1 (Hero): unknown field “onclick”."),
        ([{"type": "hero", "headline": ""}], "Block 1 (Hero): “Headline” is required."),
        (
            [{"type": "hero", "headline": "x" * 201}],
            "Block 1 (Hero): “Headline” is too long (200 characters at most).",
        ),
        ([{"type": "hero", "headline": 5}], "Block 1 (Hero): “Headline” must be text."),
        (
            [{**HERO, "background": "red; position:fixed"}],
            "Block 1 (Hero): “Background” has an unknown choice “red; position:fixed”.",
        ),
        (
            [HERO, {"type": "image", "url": "http://cdn.example/a.png", "alt": "A"}],
            "Block 2 (Image): The image address must be a full https:// address.",
        ),
        (
            [{"type": "image", "url": "javascript:alert(1)", "alt": "A"}],
            "Block 1 (Image): The image address must be a full https:// address.",
        ),
        (
            [{"type": "image", "url": "data:image/png;base64,AAAA", "alt": "A"}],
            "Block 1 (Image): The image address must be a full https:// address.",
        ),
        (
            [{"type": "image", "url": "https://user:pw@cdn.example/a.png", "alt": "A"}],
            "Block 1 (Image): Image addresses with a user name or password are not allowed.",
        ),
        (
            [{"type": "image", "url": "https://cdn.example/a.png", "alt": ""}],
            "Block 1 (Image): “Alt text” is required.",
        ),
        (
            [{"type": "text", "html": "<script>alert(1)</script>"}],
            "Block 1 (Text): “Text” is required.",
        ),
        (
            [{"type": "features", "title": "Why", "items": []}],
            "Block 1 (Feature list): “Features” needs at least one line.",
        ),
        (
            [{"type": "features", "title": "Why", "items": ["x"] * 13}],
            "Block 1 (Feature list): “Features” has more than 12 lines.",
        ),
        (
            [{"type": "features", "title": "Why", "items": [1, 2]}],
            "Block 1 (Feature list): “Features” must be a list of lines of text.",
        ),
        (
            [{"type": "cta", "label": "Go", "target": "path", "path": "javascript:alert(1)"}],
            "Block 1 (Button): Enter a path on this site that starts with a single /, e.g. /lp/thank-you.",
        ),
        (
            [{"type": "cta", "label": "Go", "target": "path", "path": "//evil.example"}],
            "Block 1 (Button): Enter a path on this site that starts with a single /, e.g. /lp/thank-you.",
        ),
        (
            [{"type": "cta", "label": "Go", "target": "url"}],
            "Block 1 (Button): “Goes to” has an unknown choice “url”.",
        ),
        (
            [{"type": "cta", "label": "Go", "target": "link", "link": ""}],
            "Block 1 (Button): choose the tracked link the button opens.",
        ),
        ({"type": "hero"}, "Blocks must be a list."),
    ],
)
def test_invalid_blocks_are_refused_with_a_message_naming_the_block(raw, message):
    assert errors_of(raw) == [message]


def test_every_problem_is_reported_at_once_and_validate_raises_them_all():
    raw = [HERO, {"type": "hero"}, {"type": "nope"}]

    with pytest.raises(ValidationError) as caught:
        validate_blocks(raw, has_form=False)

    assert caught.value.messages == [
        "Block 2 (Hero): “Headline” is required.",
        "Block 3: unknown block type “nope” (use one of: hero, text, image, cta, form, testimonial, features).",
    ]


def test_too_many_blocks_are_refused():
    assert errors_of([HERO] * (MAX_BLOCKS + 1)) == [
        f"A page has at most {MAX_BLOCKS} blocks; this one has {MAX_BLOCKS + 1}."
    ]


def test_form_block_and_form_button_need_the_pages_form():
    raw = [{"type": "form"}, {"type": "cta", "label": "Sign up", "target": "form"}]

    assert errors_of(raw, has_form=False) == [
        "Block 1 (Form): choose the page's form first.",
        "Block 2 (Button): the button goes to the page's form, but none is chosen.",
    ]
    assert errors_of(raw, has_form=True) == []


def test_button_to_a_tracked_link_must_name_an_active_one():
    raw = [{"type": "cta", "label": "Go", "target": "link", "link": "tok123", "path": "/kept?"}]

    assert link_tokens_in(raw) == {"tok123"}
    assert errors_of(raw, link_tokens=set()) == [
        "Block 1 (Button): the tracked link does not exist or is inactive."
    ]
    blocks, errors = clean_blocks(raw, has_form=False, link_tokens={"tok123"})
    assert errors == []
    assert blocks[0]["path"] == ""  # the other target's field is cleared
    assert cta_href(blocks[0]) == "/t/c/tok123"


def test_button_hrefs():
    assert cta_href({"target": "form", "path": "", "link": ""}) == "#form"
    assert cta_href({"target": "path", "path": "/lp/pricing", "link": ""}) == "/lp/pricing"


@pytest.mark.parametrize(
    ("html", "clean"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ('<p onclick="alert(1)" style="position:fixed">Hi</p>', "<p>Hi</p>"),
        ('<img src="x" onerror="alert(1)"><p>Hi</p>', "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener">x</a>'),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', '<a rel="noopener">x</a>'),
        ('<a href="/relative">x</a>', '<a rel="noopener">x</a>'),
        ('<a href="//evil.example">x</a>', '<a rel="noopener">x</a>'),
        (
            '<a href="https://example.com" target="_blank" rel="opener">x</a>',
            '<a href="https://example.com" rel="noopener">x</a>',
        ),
        (
            '<a href="mailto:hi@example.com">mail</a>',
            '<a href="mailto:hi@example.com" rel="noopener">mail</a>',
        ),
        (
            "<h2>T</h2><h3>S</h3><ul><li><em>a</em></li></ul><ol><li>b</li></ol>",
            "<h2>T</h2><h3>S</h3><ul><li><em>a</em></li></ul><ol><li>b</li></ol>",
        ),
        ("<h1>Big</h1><iframe src='https://evil.example'></iframe><style>p{}</style>", "Big"),
        (
            '<svg><script>alert(1)</script></svg><math><mi xlink:href="javascript:alert(1)">x</mi></math>',
            "",
        ),
        ('<p class="x" id="y" data-a="b">Hi</p>', "<p>Hi</p>"),
    ],
)
def test_rich_text_keeps_only_the_allow_list(html, clean):
    assert sanitize_html(html) == clean


def test_text_blocks_are_stored_sanitised():
    blocks = validate_blocks(
        [
            {
                "type": "text",
                "html": '<p style="color:red" onmouseover="x()">Hi<script>x()</script></p>',
            }
        ],
        has_form=False,
    )

    assert blocks == [{"type": "text", "html": "<p>Hi</p>"}]


def test_render_sanitises_again_drops_invalid_blocks_and_marks_only_rich_text_safe():
    stored = [
        {
            "type": "text",
            "html": '<p>Hi</p><img src=x onerror="alert(1)">',
        },  # edited behind our back
        {"type": "image", "url": "javascript:alert(1)", "alt": "x"},
        {"type": "hero", "headline": "<b>Bold</b>"},
    ]

    rendered = blocks_for_render(stored, has_form=False)

    assert [b["type"] for b in rendered] == ["text", "hero"]
    assert rendered[0]["html"] == "<p>Hi</p>"
    assert isinstance(rendered[0]["html"], SafeString)
    assert not isinstance(rendered[1]["headline"], SafeString)


def test_a_page_with_a_form_but_no_form_block_gets_the_form_at_the_end():
    assert [b["type"] for b in blocks_for_render([HERO], has_form=True)] == ["hero", "form"]
    assert [b["type"] for b in blocks_for_render([HERO], has_form=False)] == ["hero"]
    assert blocks_for_render([], has_form=True) == []


@pytest.mark.parametrize(
    "value",
    [
        "",
        "https://evil.example/",
        "http://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "lp/thanks",
        "/\tjavascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "/with space",
        "/x\x00",
        "http:/evil.example",
        "/" + "a" * 300,
    ],
)
def test_hostile_paths_are_refused(value):
    assert site_path_error(value) is not None


@pytest.mark.parametrize("value", ["/", "/lp/thanks", "/lp/thanks?from=form#top", "/%2F%2Fevil"])
def test_paths_on_this_site_are_accepted(value):
    assert site_path_error(value) is None


def test_editor_schema_lists_block_types_with_their_fields_and_link_choices():
    schema = editor_schema([("tok1", "Spring · Search ad")])

    assert [t["type"] for t in schema["types"]] == [
        "hero",
        "text",
        "image",
        "cta",
        "form",
        "testimonial",
        "features",
    ]
    cta = next(t for t in schema["types"] if t["type"] == "cta")
    link = next(f for f in cta["fields"] if f["name"] == "link")
    assert link["choices"] == [["tok1", "Spring · Search ad"]]
    assert schema["max_blocks"] == MAX_BLOCKS
