"""The campaign renderer (PreparedEmail): the same messages as render_email, built faster."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from revline.email.rendering import Footer, RenderError, render_email
from revline.email.send_render import PreparedEmail

BLOCKS = [
    {"type": "heading", "text": 'Spring update for {{ contact.company.name|default:"you" }}'},
    {"type": "text", "text": 'Hi {{ contact.first_name|default:"there" }},\n\nRead [our news]'
     "(https://www.example.com/news?a=1&b=2) today, {{ contact.full_name }}."},
    {"type": "button", "label": "Book a demo", "url": "https://www.example.com/demo"},
]  # fmt: skip
FOOTER = Footer(
    "Acme GmbH\nMain Street 1",
    "https://crm.example/e/u/Tok-en_1",
    "https://crm.example/e/p/Tok-en_1",
)


@dataclass
class Content:
    subject: str = "Hi {{ contact.first_name }}"
    preheader: str = ""
    body_format: str = "blocks"
    blocks: list[dict[str, Any]] = field(default_factory=lambda: list(BLOCKS))
    html: str = ""


def context(first: str = "Ann", last: str = "Lee", company: str = "Acme") -> dict[str, object]:
    return {
        "contact": {
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}".strip(),
            "email": "ann@example.com",
            "company": {"name": company},
        },
        "workspace": {"name": "Acme"},
    }


CONTEXTS = [
    context(),
    context("", "", ""),
    context("Zoë & <Co>", 'O"Brien', "A > B & 'C'"),
    context("Ann\xa0Marie", "  ", "x"),
    context("lt;", "Lee", "&amp;"),
]


def uses_skeleton(prepared: PreparedEmail) -> bool:
    skeletons = list(prepared._skeletons.values())
    assert len(skeletons) == 1
    return skeletons[0] is not None


@pytest.mark.parametrize(
    "content",
    [
        Content(),
        Content(subject="Tips & <tricks> for {{ contact.first_name }}", preheader="For {{ contact.company.name }}"),
        Content(body_format="html", html="<p>Hi {{ contact.first_name|upper }}</p><pre>{{ contact.last_name }}</pre>"),
        Content(body_format="html", html="<table><tr><td>{{ contact.first_name }}</td></tr></table>"),
    ],
)  # fmt: skip
def test_text_and_variables_render_from_the_skeleton_exactly_as_render_email(content):
    # Given content made of text and variables only
    prepared = PreparedEmail.prepare(content)
    for values in CONTEXTS:
        # When rendered for ordinary, empty and hostile values
        fast = prepared.render(values, FOOTER)
        reference = render_email(content=content, context=values, footer=FOOTER)
        # Then subject and HTML are byte-identical to the reference renderer
        assert (fast.subject, fast.html) == (reference.subject, reference.html)
        assert fast.text.split() == reference.text.split()
    # And the shared skeleton was used, not the per-contact path
    assert uses_skeleton(prepared)


def test_hostile_values_are_escaped_in_the_skeleton():
    prepared = PreparedEmail.prepare(Content())
    rendered = prepared.render(context("<script>alert(1)</script>", "Lee", "Acme"), FOOTER)
    assert uses_skeleton(prepared)
    assert "<script" not in rendered.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in rendered.html


@pytest.mark.parametrize(
    "html",
    [
        "<p>{% if contact.first_name %}Hi {{ contact.first_name }}{% endif %}</p>",  # a tag
        '<p><a href="https://x.example/?n={{ contact.first_name }}">link</a></p>',  # an attribute
        "<style>p { color: red; }</style><p>{{ contact.first_name }}</p>",
    ],
)
def test_content_the_skeleton_cannot_hold_renders_per_contact_identically(html):
    content = Content(body_format="html", html=html)
    prepared = PreparedEmail.prepare(content)
    for values in CONTEXTS:
        fast = prepared.render(values, FOOTER)
        reference = render_email(content=content, context=values, footer=FOOTER)
        assert (fast.subject, fast.html) == (reference.subject, reference.html)
    if "{%" in html or "href" in html:
        assert not uses_skeleton(prepared)


def test_markup_from_a_template_literal_is_sanitised_for_that_contact():
    # Given a default that is markup (Django treats template literals as safe)
    content = Content(
        body_format="html",
        html='<p>{{ contact.first_name|default:"<img src=x onerror=alert(1)><b>friend</b>" }}</p>',
    )
    prepared = PreparedEmail.prepare(content)
    # When a contact without a first name gets it, the per-contact path sanitises it
    empty = prepared.render(context(""), FOOTER)
    assert "onerror" not in empty.html and "<b>friend</b>" in empty.html
    assert empty.html == render_email(content=content, context=context(""), footer=FOOTER).html
    # And contacts with a name still come from the skeleton
    named = prepared.render(context("Ann"), FOOTER)
    assert uses_skeleton(prepared)
    assert "<p>Ann</p>" in named.html


def test_a_variable_that_fails_fails_the_render_with_the_same_reason():
    content = Content(body_format="html", html="<p>{{ contact.first_name|first }}</p>")
    prepared = PreparedEmail.prepare(content)
    values = context("Ann")
    values["contact"]["first_name"] = 7  # type: ignore[index]
    with pytest.raises(RenderError) as fast:
        prepared.render(values, FOOTER)
    with pytest.raises(RenderError) as reference:
        render_email(content=content, context=values, footer=FOOTER)
    assert str(fast.value) == str(reference.value)
