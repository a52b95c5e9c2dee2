"""The email renderer: personalisation in a sandbox, blocks, sanitising, CSS inlining, text part."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from revline.core.models import Role
from revline.email.rendering import (
    Footer,
    RenderError,
    body_html,
    contact_context,
    render_email,
    render_string,
    sample_context,
    template_syntax_check,
    workspace_name_clear,
)
from revline.people.models import Company, Contact

from ..conftest import make_user


@dataclass
class Content:
    subject: str = "Hello"
    preheader: str = ""
    body_format: str = "blocks"
    blocks: list[dict[str, Any]] = field(default_factory=list)
    html: str = ""


@pytest.fixture(autouse=True)
def _fresh_workspace_name():
    workspace_name_clear()


FOOTER = Footer(
    postal_address="Revline GmbH\nMain Street 1\n10115 Berlin",
    unsubscribe_url="https://crm.example/e/u/tok123",
    preferences_url="https://crm.example/e/p/tok123",
)
CONTEXT: dict[str, object] = {
    "contact": {"first_name": "Ada", "email": "ada@example.com", "company": {"name": "Acme"}},
    "workspace": {"name": "Revline"},
}


def test_personalisation_fills_subject_preheader_and_body():
    content = Content(
        subject='Hi {{ contact.first_name|default:"there" }}, news for {{ contact.company.name }}',
        preheader="Only for {{ contact.email }}",
        blocks=[{"type": "text", "text": 'Dear {{ contact.first_name|default:"friend" }}'}],
    )

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert rendered.subject == "Hi Ada, news for Acme"
    assert "Only for ada@example.com</div>" in rendered.html
    assert "Dear Ada</p>" in rendered.html
    assert rendered.text == "Dear Ada\n"


@pytest.mark.django_db
def test_default_filter_applies_for_an_empty_value():
    content = Content(subject='Hi {{ contact.first_name|default:"there" }}')

    rendered = render_email(content=content, context=contact_context(None), footer=None)

    assert rendered.subject == "Hi there"


def test_contact_data_is_escaped_in_html_but_not_in_the_subject():
    context = {"contact": {"first_name": "<script>alert(1)</script>"}}
    content = Content(
        subject="Hi {{ contact.first_name }}",
        blocks=[{"type": "heading", "text": "Hi {{ contact.first_name }}"}],
    )

    rendered = render_email(content=content, context=context, footer=None)

    assert rendered.subject == "Hi <script>alert(1)</script>"
    assert "<script" not in rendered.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in rendered.html


def test_script_typed_into_a_block_is_text_not_markup():
    content = Content(blocks=[{"type": "text", "text": "<script>alert(1)</script><b>x</b>"}])

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert "<script" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in rendered.html


def test_markup_in_a_template_string_literal_is_sanitised():
    # Django treats string literals in a template as safe; the rendered body is cleaned again.
    content = Content(
        body_format="html",
        html='<p>{{ contact.nothing|default:"<img src=x onerror=alert(1)>" }}</p>',
    )

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert "onerror" not in rendered.html
    assert "alert(1)" not in rendered.html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% load static %}", "Unknown or forbidden tag on line 1: 'load'."),
        ('{% include "base.html" %}', "Unknown or forbidden tag on line 1: 'include'."),
        ('{% extends "base.html" %}', "Unknown or forbidden tag on line 1: 'extends'."),
        ("{% debug %}", "Unknown or forbidden tag on line 1: 'debug'."),
        ('{% ssi "/etc/passwd" %}', "Unknown or forbidden tag on line 1: 'ssi'."),
        ('{% url "home" %}', "Unknown or forbidden tag on line 1: 'url'."),
        ("{% csrf_token %}", "Unknown or forbidden tag on line 1: 'csrf_token'."),
        ("{{ contact.first_name|safe }}", "Unknown or forbidden filter: 'safe'"),
        ("{{ contact|pprint }}", "Unknown or forbidden filter: 'pprint'"),
        (
            "{{ contact.__class__ }}",
            "Variables and attributes may not begin with underscores: 'contact.__class__'",
        ),
        (
            "{{ contact.__class__.__mro__ }}",
            "Variables and attributes may not begin with underscores: 'contact.__class__.__mro__'",
        ),
        ("{% autoescape off %}x{% endautoescape %}", "Only {% autoescape on %} is allowed."),
        (
            "{% if contact.first_name %}unclosed",
            "Unclosed tag on line 1: 'if'. Looking for one of: elif, else, endif.",
        ),
    ],
)
def test_the_sandbox_refuses_what_could_reach_files_code_or_the_database(source, message):
    with pytest.raises(RenderError) as error:
        template_syntax_check(source)
    assert str(error.value) == message


def test_the_context_holds_plain_values_only(db):
    owner = make_user("owner", Role.SALES_REP)
    company = Company.objects.create(name="Acme")
    contact = Contact.objects.create(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        title="CTO",
        country="GB",
        company=company,
        owner=owner,
    )

    context = contact_context(contact)

    assert context == {
        "contact": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
            "title": "CTO",
            "country": "GB",
            "company": {"name": "Acme"},
            "owner": {"first_name": "Owner", "full_name": "Owner", "email": "owner@example.com"},
        },
        "workspace": {"name": "Revline"},
    }

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return value is None or isinstance(value, str | int)

    assert plain(context)


def test_a_context_cannot_reach_the_class_of_a_contact(db):
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    context = contact_context(contact)

    # Whatever a template tries, it only sees strings: no model, manager or query.
    assert (
        render_string(
            "{{ contact.objects }}{{ contact.pk }}{{ contact.save }}", context, autoescape=True
        )
        == ""
    )
    assert render_string("{{ contact.first_name.upper }}", context, autoescape=True) == "ADA"
    with pytest.raises(RenderError):
        render_string("{{ contact._meta }}", context, autoescape=True)


def test_loops_are_capped_and_nesting_is_limited():
    context = {"items": list(range(1000))}

    output = render_string("{% for i in items %}x{% endfor %}", context, autoescape=False)

    assert output == "x" * 100
    with pytest.raises(RenderError) as error:
        template_syntax_check(
            "{% for a in items %}{% for b in items %}{% for c in items %}"
            "{% endfor %}{% endfor %}{% endfor %}"
        )
    assert str(error.value) == "Loops may be nested at most 2 deep."


def test_allowed_filters_and_tags_work():
    context = {"contact": {"first_name": "ada", "company": {"name": "Acme Corporation"}}}
    source = (
        "{{ contact.first_name|capfirst }} {{ contact.first_name|upper }} "
        "{{ contact.company.name|truncatechars:6 }} {{ contact.company.name|lower|title }} "
        "{% with n=contact.first_name|length %}{{ n }}{% endwith %} "
        "{% if contact.first_name %}yes{% else %}no{% endif %}{# hidden #}"
    )

    assert (
        render_string(source, context, autoescape=True) == "Ada ADA Acme … Acme Corporation 3 yes"
    )


def test_blocks_render_into_an_email_safe_layout():
    content = Content(
        blocks=[
            {"type": "heading", "text": "Big news"},
            {
                "type": "text",
                "text": "First **bold** and [our site](https://example.com/a?b=1&c=2)\n\nSecond",
            },
            {"type": "button", "label": "Book a demo", "url": "https://example.com/demo"},
            {
                "type": "image",
                "src": "https://cdn.example.com/a.png",
                "alt": "Team",
                "href": "https://example.com/team",
            },
            {"type": "divider"},
            {"type": "spacer"},
        ]
    )

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert 'class="rl-container"' in rendered.html
    assert 'width="600"' in rendered.html
    assert "<strong>bold</strong>" in rendered.html
    assert 'href="https://example.com/a?b=1&amp;c=2"' in rendered.html
    assert 'href="https://example.com/demo"' in rendered.html
    assert 'src="https://cdn.example.com/a.png" alt="Team"' in rendered.html
    assert rendered.text == (
        "Big news\n\nFirst bold and our site (https://example.com/a?b=1&c=2)\n\nSecond\n\n"
        "Book a demo (https://example.com/demo)\nTeam (https://example.com/team)\n"
    )


def test_a_javascript_url_in_a_block_never_reaches_the_email():
    content = Content(
        blocks=[
            {"type": "button", "label": "Click", "url": "javascript:alert(1)"},
            {"type": "image", "src": "javascript:alert(1)", "alt": "x"},
            {
                "type": "image",
                "src": "https://x.example/i.png",
                "alt": "y",
                "href": "JaVaScRiPt:alert(1)",
            },
            {"type": "text", "text": "[x](javascript:alert(1))"},
        ]
    )

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert '="javascript' not in rendered.html.lower()
    assert "Click" not in rendered.html
    assert "[x](javascript:alert(1))</p>" in rendered.html  # left as plain text, not a link


def test_html_format_is_sanitised_and_its_css_inlined():
    content = Content(
        body_format="html",
        html=(
            "<style>.lead { color: #ff0000; }</style>"
            '<p class="lead" onclick="steal()">Hello {{ contact.first_name }}</p>'
            "<script>alert(1)</script><iframe src='https://evil.example'></iframe>"
            "<a href='javascript:alert(1)'>bad</a><form action='https://x'><input></form>"
        ),
    )

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert 'style="color: #ff0000;">Hello Ada</p>' in rendered.html
    assert "onclick" not in rendered.html
    assert "<script" not in rendered.html
    assert "<iframe" not in rendered.html
    assert "<form" not in rendered.html
    assert "javascript" not in rendered.html
    assert ".lead" not in rendered.html


def test_body_html_keeps_personalisation_tags_for_later():
    assert body_html(Content(blocks=[{"type": "heading", "text": 'A & {{ x|default:"y" }}'}])) == (
        '<h1 style="margin:0 0 16px 0;font-size:24px;line-height:1.3;font-weight:700;'
        'color:#1f2937;">A &amp; {{ x|default:"y" }}</h1>'
    )


def test_the_footer_carries_the_postal_address_and_the_unsubscribe_links():
    content = Content(blocks=[{"type": "text", "text": "Body"}])

    rendered = render_email(content=content, context=CONTEXT, footer=FOOTER)

    assert "Revline GmbH<br>Main Street 1<br>10115 Berlin" in rendered.html
    assert 'href="https://crm.example/e/u/tok123"' in rendered.html
    assert 'href="https://crm.example/e/p/tok123"' in rendered.html
    assert rendered.text == (
        "Body\n\nRevline\n\nRevline GmbH\nMain Street 1\n10115 Berlin\n\n"
        "Unsubscribe (https://crm.example/e/u/tok123) · "
        "Manage preferences (https://crm.example/e/p/tok123)\n"
    )


def test_without_a_footer_there_is_no_unsubscribe_link():
    rendered = render_email(
        content=Content(blocks=[{"type": "text", "text": "Body"}]), context=CONTEXT, footer=None
    )

    assert "Unsubscribe" not in rendered.html


def test_the_preheader_is_hidden_in_html_and_absent_from_text():
    content = Content(preheader="Sneak peek", blocks=[{"type": "text", "text": "Body"}])

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert 'style="display:none;' in rendered.html
    assert "Sneak peek</div>" in rendered.html
    assert "Sneak peek" not in rendered.text


def test_subject_is_one_line_and_capped():
    content = Content(subject="Hi\r\nBcc: victim@example.com {{ contact.first_name }}" + "x" * 400)

    rendered = render_email(content=content, context=CONTEXT, footer=None)

    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert len(rendered.subject) == 300
    assert rendered.subject.startswith("Hi Bcc: victim@example.com Ada")


def test_broken_syntax_raises_a_render_error_naming_the_problem():
    content = Content(subject="Hi {{ contact.first_name|nosuchfilter }}")

    with pytest.raises(RenderError) as error:
        render_email(content=content, context=CONTEXT, footer=None)

    assert str(error.value) == "Unknown or forbidden filter: 'nosuchfilter'"


@pytest.mark.django_db
def test_the_sample_context_has_every_variable():
    context = sample_context()

    rendered = render_string(
        "{{ contact.first_name }} {{ contact.full_name }} {{ contact.company.name }} "
        "{{ contact.owner.full_name }} {{ workspace.name }}",
        context,
        autoescape=True,
    )

    assert rendered == "Alex Alex Sample Example GmbH Sam Seller Revline"


def test_text_that_looks_like_markup_stays_as_typed_in_the_text_part():
    # Given a contact whose company name is written like HTML entities
    content = Content(blocks=[{"type": "text", "text": "For {{ contact.company.name }}"}])
    context = {"contact": {"company": {"name": "&lt;b&gt; &amp; Co"}}, "workspace": {"name": ""}}
    # When rendered
    rendered = render_email(content=content, context=context, footer=None)
    # Then the text part reads what was typed, and the HTML shows it as text
    assert rendered.text == "For &lt;b&gt; &amp; Co\n"
    assert "For &amp;lt;b&amp;gt; &amp;amp; Co</p>" in rendered.html


def test_template_parts_give_the_shape_of_text_and_variables_only():
    from revline.email.rendering import render_variables, template_parts

    source = 'Hi {{ contact.first_name|default:"there" }}, from {{ workspace.name }}.'
    assert template_parts(source) == ["Hi ", None, ", from ", None, "."]
    assert template_parts("{% if x %}y{% endif %}") is None
    assert template_parts("no variables") == ["no variables"]
    values = render_variables(source, {"contact": {"first_name": "<Ann>"}, "workspace": {"name": "A&B"}},
                              autoescape=True)  # fmt: skip
    assert values == ["&lt;Ann&gt;", "A&amp;B"]
