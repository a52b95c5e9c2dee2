"""Press-release HTML keeps formatting and loses anything that could run script."""

import pytest
from django.template import Context, Template

from revline.pr.html import html_sanitize


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ('<p onclick="steal()">Hi</p>', "<p>Hi</p>"),
        ("<img src=x onerror=alert(1)>", ""),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="data:text/html,<b>x</b>">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ("<style>body{display:none}</style>text", "text"),
        ('<iframe src="https://evil.test"></iframe>ok', "ok"),
        ("<svg><script>alert(1)</script></svg>", ""),
        ('<div style="background:url(javascript:x)">d</div>', "d"),
        ("<!-- <script>x</script> -->ok", "ok"),
        ('<form action="https://evil.test"><input name=p></form>', ""),
    ],
)
def test_script_and_dangerous_markup_are_removed(dirty, clean):
    assert html_sanitize(dirty) == clean


def test_allowed_formatting_is_kept():
    html = (
        "<h2>Launch</h2><p><strong>Bold</strong>, <em>italic</em>, <u>u</u>, <s>s</s>, "
        'H<sub>2</sub>O, x<sup>2</sup>, <a href="https://example.com" title="Site">link</a>, '
        '<a href="mailto:press@example.com">mail</a></p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quote</blockquote>"
        "<h3>Sub</h3><h4>Subsub</h4><pre><code>code</code></pre><hr><br>"
    )
    assert html_sanitize(html) == (
        "<h2>Launch</h2><p><strong>Bold</strong>, <em>italic</em>, <u>u</u>, <s>s</s>, "
        'H<sub>2</sub>O, x<sup>2</sup>, <a href="https://example.com" title="Site" '
        'rel="noopener noreferrer nofollow">link</a>, '
        '<a href="mailto:press@example.com" rel="noopener noreferrer nofollow">mail</a></p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quote</blockquote>"
        "<h3>Sub</h3><h4>Subsub</h4><pre><code>code</code></pre><hr><br>"
    )


def test_text_that_looks_like_markup_stays_escaped():
    assert html_sanitize("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"


def test_the_template_filter_sanitises_again_at_render_time():
    # Given a body that bypassed the service (e.g. written straight to the database)
    template = Template("{% load pr_html %}<div>{{ body|sanitized_html }}</div>")

    # When
    html = template.render(
        Context({"body": '<p>Hi</p><script>alert(1)</script><b onmouseover="x()">b</b>'})
    )

    # Then
    assert html == "<div><p>Hi</p><b>b</b></div>"
    assert template.render(Context({"body": None})) == "<div></div>"
