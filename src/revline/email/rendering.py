"""Email content: blocks or HTML -> a personalised, CSS-inlined HTML document and its text part.

Personalisation uses Django template syntax (`{{ contact.first_name|default:"there" }}`) in a
sandbox: a dedicated engine with no loaders (so include/extends cannot read files), no template
libraries (so `{% load %}` does not exist), an allow-list of filters and tags, and a context of
plain values (never a model instance, so nothing can reach the database). Whatever a template
renders is sanitised again with nh3 before it becomes part of an email, because Django treats
string literals written in a template as safe HTML.

Pure apart from `contact_context`, which reads the workspace name.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import css_inline
import nh3
from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import Parser, TextNode, Token, VariableNode, tag_re

if TYPE_CHECKING:
    from revline.people.models import Contact

MAX_SOURCE = 100_000
MAX_OUTPUT = 1_000_000
MAX_SUBJECT = 300
MAX_LOOP_ITEMS = 100
MAX_LOOP_DEPTH = 2
MAX_BLOCKS = 50
CONTAINER_WIDTH = 600

ALLOWED_FILTERS = (
    "default",
    "upper",
    "lower",
    "title",
    "capfirst",
    "date",
    "truncatechars",
    "truncatewords",
    "yesno",
    "length",
    "first",
    "last",
    "join",
    "slice",
)
ALLOWED_TAGS = ("if", "with", "now", "comment", "spaceless", "verbatim")
URL_SCHEMES = ("http://", "https://", "mailto:")

# What may survive in an email body (the stored HTML of an HTML template, and every rendered
# body). No script, forms, frames, objects or event handlers; links only to http(s)/mailto/tel.
BODY_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "center", "code", "div", "em", "font", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span",
        "strong", "style", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
_COMMON_ATTRIBUTES = {"style", "align", "valign", "width", "height", "bgcolor", "class", "dir"}
BODY_ATTRIBUTES: dict[str, set[str]] = {
    "*": _COMMON_ATTRIBUTES,
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "border"},
    "table": {"role", "border", "cellpadding", "cellspacing"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color", "face", "size"},
}
BODY_URL_SCHEMES = {"http", "https", "mailto", "tel"}

FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif"
BRAND = "#4f46e5"
INK = "#1f2937"
MUTED = "#6b7280"


class EmailContent(Protocol):
    """What EmailTemplate and Email have in common."""

    subject: str
    preheader: str
    body_format: str
    blocks: Any
    html: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


class RenderError(Exception):
    """A template that cannot be rendered; the message says why, for a person to fix it."""


@dataclass(frozen=True)
class Footer:
    postal_address: str
    unsubscribe_url: str
    preferences_url: str


# --- the sandbox ----------------------------------------------------------------------------

register = Library()

for _name in ALLOWED_FILTERS:
    register.filter(_name, defaultfilters.register.filters[_name])
for _name in ALLOWED_TAGS:
    register.tag(_name, defaulttags.register.tags[_name])


class _CappedSequence:
    """Wraps a for loop's sequence so that a loop never runs more than MAX_LOOP_ITEMS times."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def resolve(self, context: Context, ignore_failures: bool = False) -> Any:
        values = self.inner.resolve(context, ignore_failures=ignore_failures)
        if values is None or isinstance(values, Mapping):
            return values
        try:
            return list(islice(values, MAX_LOOP_ITEMS))
        except TypeError:
            return values


@register.tag("for")
def _do_for(parser: Parser, token: Token) -> Any:
    depth = getattr(parser, "_revline_for_depth", 0) + 1
    if depth > MAX_LOOP_DEPTH:
        raise TemplateSyntaxError(f"Loops may be nested at most {MAX_LOOP_DEPTH} deep.")
    parser._revline_for_depth = depth  # type: ignore[attr-defined]
    try:
        node = defaulttags.do_for(parser, token)
    finally:
        parser._revline_for_depth = depth - 1  # type: ignore[attr-defined]
    node.sequence = _CappedSequence(node.sequence)  # type: ignore[assignment]
    return node


@register.tag("autoescape")
def _do_autoescape(parser: Parser, token: Token) -> Any:
    # Turning escaping off would let a contact's own data (a name typed into a public form)
    # become markup in an email.
    if token.split_contents()[1:] != ["on"]:
        raise TemplateSyntaxError("Only {% autoescape on %} is allowed.")
    return defaulttags.autoescape(parser, token)


class _SandboxEngine(Engine):
    default_builtins: ClassVar[list[str]] = []  # none of Django's: only this module's list


_ENGINE = _SandboxEngine(
    dirs=[],
    app_dirs=False,
    loaders=[],
    libraries={},
    builtins=["revline.email.rendering"],
    debug=False,
    string_if_invalid="",
)

_LINE_NOISE = re.compile(r"\s*Did you forget to register or load this tag\?")


def _friendly(exc: Exception) -> str:
    message = _LINE_NOISE.sub("", str(exc)).strip()
    message = message.replace("Invalid block tag", "Unknown or forbidden tag")
    message = message.replace("Invalid filter", "Unknown or forbidden filter")
    return message or exc.__class__.__name__


@lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """The sandboxed template for `source`, compiled once per process (RenderError if invalid)."""
    if len(source) > MAX_SOURCE:
        raise RenderError(f"The template is longer than {MAX_SOURCE} characters.")
    try:
        return Template(source, engine=_ENGINE)
    except TemplateSyntaxError as exc:
        raise RenderError(_friendly(exc)) from exc
    except RecursionError as exc:
        raise RenderError("The template is nested too deeply.") from exc


def template_syntax_check(source: str) -> None:
    """Raise RenderError if `source` is not a template the sandbox accepts."""
    compile_template(source)


def render_string(source: str, context: Mapping[str, object], *, autoescape: bool) -> str:
    """Render one template string in the sandbox; RenderError says what went wrong."""
    if "{" not in source:
        return source
    template = compile_template(source)
    try:
        output = template.render(Context(dict(context), autoescape=autoescape))
    except RenderError:
        raise
    except Exception as exc:  # a filter choking on odd data fails this render, nothing more
        raise RenderError(f"The template failed to render: {_friendly(exc)}") from exc
    if len(output) > MAX_OUTPUT:
        raise RenderError("The rendered email is too large.")
    return output


def template_parts(source: str) -> list[str | None] | None:
    """The shape of a template made only of text and variables: its text pieces in order, with
    None where a variable goes. None when it has tags (if, for, …), whose output has no fixed
    shape. RenderError if it does not compile."""
    if "{" not in source:
        return [source]
    parts: list[str | None] = []
    for node in compile_template(source).nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
        elif isinstance(node, VariableNode):
            parts.append(None)
        else:
            return None
    return parts


def render_variables(source: str, context: Mapping[str, object], *, autoescape: bool) -> list[str]:
    """What each variable of a `template_parts` template renders to for `context`, in order:
    the same values, errors and size limit as `render_string` of the whole template."""
    if "{" not in source:
        return []
    template = compile_template(source)
    nodes = template.nodelist
    ctx = Context(dict(context), autoescape=autoescape)
    try:
        with ctx.render_context.push_state(template), ctx.bind_template(template):
            values = [
                str(node.render_annotated(ctx)) for node in nodes if isinstance(node, VariableNode)
            ]
    except RenderError:
        raise
    except Exception as exc:  # as in render_string
        raise RenderError(f"The template failed to render: {_friendly(exc)}") from exc
    size = sum(len(node.s) for node in nodes if isinstance(node, TextNode))
    if size + sum(len(value) for value in values) > MAX_OUTPUT:
        raise RenderError("The rendered email is too large.")
    return values


# --- context ---------------------------------------------------------------------------------


class _WorkspaceNameMemo:
    value: str = ""
    expires: float = 0.0


def _workspace_name() -> str:
    # Read per process every few seconds: a send renders thousands of contexts in a row.
    now = time.monotonic()
    if now >= _WorkspaceNameMemo.expires:
        from revline.core.workspace import workspace_get

        _WorkspaceNameMemo.value = workspace_get().name
        _WorkspaceNameMemo.expires = now + 5.0
    return _WorkspaceNameMemo.value


def workspace_name_clear() -> None:
    """Forget the memo (tests, and after the workspace is renamed in this process)."""
    _WorkspaceNameMemo.expires = 0.0


def _full_name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def contact_context(contact: Contact | None) -> dict[str, object]:
    """The personalisation variables: plain values only (str/int/None, nested dicts).

    Reads contact.company and contact.owner: select_related them when rendering many contacts.
    With no contact every value is empty, so `|default:` applies.
    """
    if contact is None:
        workspace = {"name": _workspace_name()}
        return {
            "contact": {
                "first_name": "",
                "last_name": "",
                "full_name": "",
                "email": "",
                "title": "",
                "country": "",
                "company": {"name": ""},
                "owner": {"first_name": "", "full_name": "", "email": ""},
            },
            "workspace": workspace,
        }
    company = contact.company if contact.company_id else None
    owner = contact.owner if contact.owner_id else None
    return contact_context_from_values(
        ContactValues(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            title=contact.title,
            country=contact.country,
            company_name=company.name if company else "",
            owner_first_name=owner.first_name if owner else "",
            owner_last_name=owner.last_name if owner else "",
            owner_email=owner.email if owner else "",
        )
    )


@dataclass(frozen=True)
class ContactValues:
    """The contact fields personalisation reads, as a query returns them (sending reads these
    for a whole chunk in one query instead of loading model instances)."""

    first_name: str
    last_name: str
    email: str
    title: str
    country: str
    company_name: str
    owner_first_name: str
    owner_last_name: str
    owner_email: str


def contact_context_from_values(values: ContactValues) -> dict[str, object]:
    """`contact_context` for a contact given as plain values."""
    return {
        "contact": {
            "first_name": values.first_name,
            "last_name": values.last_name,
            "full_name": _full_name(values.first_name, values.last_name),
            "email": values.email,
            "title": values.title,
            "country": values.country,
            "company": {"name": values.company_name},
            "owner": {
                "first_name": values.owner_first_name,
                # as User.get_full_name()
                "full_name": _full_name(values.owner_first_name, values.owner_last_name),
                "email": values.owner_email,
            },
        },
        "workspace": {"name": _workspace_name()},
    }


SAMPLE_CONTACT: dict[str, object] = {
    "first_name": "Alex",
    "last_name": "Sample",
    "full_name": "Alex Sample",
    "email": "alex.sample@example.com",
    "title": "Head of Marketing",
    "country": "DE",
    "company": {"name": "Example GmbH"},
    "owner": {"first_name": "Sam", "full_name": "Sam Seller", "email": "sam@example.com"},
}


def sample_context() -> dict[str, object]:
    """A made-up contact for previews when no real one is chosen."""
    return {"contact": dict(SAMPLE_CONTACT), "workspace": {"name": _workspace_name()}}


# --- blocks ------------------------------------------------------------------------------------


def _escape_keeping_tags(text: str) -> str:
    """HTML-escape text but leave {{ }} / {% %} / {# #} intact, so personalisation still works;
    what those tags produce is escaped (or sanitised) when the template renders."""
    out: list[str] = []
    position = 0
    for match in tag_re.finditer(text):
        out.append(html_lib.escape(text[position : match.start()], quote=True))
        out.append(match.group(0))
        position = match.end()
    out.append(html_lib.escape(text[position:], quote=True))
    return "".join(out)


def url_allowed(url: str) -> bool:
    """Absolute http(s) or mailto links only (a javascript: or data: URL is refused)."""
    value = url.strip()
    lowered = value.lower()
    return (
        bool(value)
        and lowered.startswith(URL_SCHEMES)
        and not any(ch.isspace() and ch != " " for ch in value)
        and len(lowered) > len("mailto:")
    )


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(
    r"\[([^\]\n]+)\]\(((?:https?://|mailto:)(?:\{\{[^}]*\}\}|[^\s)])+)\)", re.IGNORECASE
)


def _inline_markup(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _LINK.sub(
        lambda m: (
            f'<a href="{m.group(2)}" style="color:{BRAND};text-decoration:underline;">'
            f"{m.group(1)}</a>"
        ),
        escaped,
    )


def _text_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    style = f"margin:0 0 16px 0;font-size:16px;line-height:1.6;color:{INK};"
    return "".join(
        f'<p style="{style}">'
        + "<br>".join(_inline_markup(_escape_keeping_tags(line)) for line in p.strip().split("\n"))
        + "</p>"
        for p in paragraphs
    )


def _attr(value: object) -> str:
    return _escape_keeping_tags(str(value or "").strip())


def _block_html(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "heading":
        return (
            f'<h1 style="margin:0 0 16px 0;font-size:24px;line-height:1.3;font-weight:700;'
            f'color:{INK};">{_escape_keeping_tags(str(block.get("text", "")))}</h1>'
        )
    if kind == "text":
        return _text_html(str(block.get("text", "")))
    if kind == "button":
        url = str(block.get("url", ""))
        if not url_allowed(url):
            return ""
        return (
            '<table role="presentation" border="0" cellpadding="0" cellspacing="0" '
            'style="margin:8px 0 24px 0;"><tr>'
            f'<td bgcolor="{BRAND}" style="border-radius:6px;background:{BRAND};">'
            f'<a href="{_attr(url)}" style="display:inline-block;padding:12px 24px;'
            f"font-size:16px;font-weight:600;color:#ffffff;text-decoration:none;"
            f'border-radius:6px;">{_escape_keeping_tags(str(block.get("label", "")))}</a>'
            "</td></tr></table>"
        )
    if kind == "image":
        src = str(block.get("src", ""))
        if not src.lower().startswith(("https://", "http://")):
            return ""
        image = (
            f'<img src="{_attr(src)}" alt="{_attr(block.get("alt", ""))}" width="536" '
            'style="display:block;width:100%;max-width:536px;height:auto;border:0;">'
        )
        href = str(block.get("href", "") or "")
        if href and url_allowed(href):
            image = f'<a href="{_attr(href)}">{image}</a>'
        return f'<div style="margin:0 0 16px 0;">{image}</div>'
    if kind == "divider":
        return '<hr style="border:0;border-top:1px solid #e5e7eb;margin:24px 0;">'
    if kind == "spacer":
        return '<div style="height:24px;line-height:24px;font-size:1px;">&nbsp;</div>'
    return ""


def blocks_html(blocks: object) -> str:
    """Blocks -> email-safe HTML (still a template: personalisation tags are kept)."""
    if not isinstance(blocks, list):
        return ""
    return "".join(
        _block_html(block) for block in blocks[:MAX_BLOCKS] if isinstance(block, Mapping)
    )


def _keep_body_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src" and not value.lower().startswith(("https://", "http://")):
        return None
    return value


def sanitize_body(html: str) -> str:
    """The body HTML allow-list (used on save for HTML templates and on every render)."""
    return nh3.clean(
        html,
        tags=set(BODY_TAGS),
        clean_content_tags={"script"},
        attributes=BODY_ATTRIBUTES,
        url_schemes=set(BODY_URL_SCHEMES),
        attribute_filter=_keep_body_url,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def body_html(content: EmailContent) -> str:
    """The body before personalisation: blocks rendered to HTML, or the stored HTML sanitised."""
    if content.body_format == "html":
        return sanitize_body(content.html or "")
    return blocks_html(content.blocks)


# --- the document ------------------------------------------------------------------------------

_INLINER = css_inline.CSSInliner(
    keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False
)

_BASE_CSS = f"""
body {{ margin: 0; padding: 0; }}
a {{ color: {BRAND}; }}
img {{ border: 0; }}
@media only screen and (max-width: 620px) {{
  .rl-container {{ width: 100% !important; }}
  .rl-body {{ padding: 24px 20px !important; }}
}}
"""


def footer_html(footer: Footer, workspace_name: str) -> str:
    """The legal footer row: sender, postal address, unsubscribe and preference links."""
    address = "<br>".join(html_lib.escape(line) for line in footer.postal_address.splitlines())
    style = f"font-size:12px;line-height:1.6;color:{MUTED};"
    link = f"color:{MUTED};text-decoration:underline;"
    return (
        f'<tr><td class="rl-footer" align="center" style="padding:24px 32px;{style}">'
        + (
            f'<p style="margin:0 0 8px 0;">{html_lib.escape(workspace_name)}</p>'
            if workspace_name
            else ""
        )
        + (f'<p style="margin:0 0 8px 0;">{address}</p>' if address else "")
        + '<p style="margin:0;">'
        f'<a href="{html_lib.escape(footer.unsubscribe_url)}" style="{link}">Unsubscribe</a>'
        " &middot; "
        f'<a href="{html_lib.escape(footer.preferences_url)}" style="{link}">'
        "Manage preferences</a></p></td></tr>"
    )


def document_html(*, subject: str, preheader: str, body: str, footer: str) -> str:
    """The whole email document around an already personalised and sanitised body."""
    hidden = (
        '<div data-preheader="1" style="display:none;font-size:1px;line-height:1px;'
        'max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">'
        f"{html_lib.escape(preheader)}</div>"
        if preheader
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_lib.escape(subject)}</title><style>{_BASE_CSS}</style></head>"
        f'<body style="margin:0;padding:0;background:#f3f4f6;font-family:{FONT};">'
        f"{hidden}"
        '<table role="presentation" width="100%" border="0" cellpadding="0" cellspacing="0" '
        'style="background:#f3f4f6;"><tr><td align="center" style="padding:24px 12px;">'
        f'<table role="presentation" class="rl-container" width="{CONTAINER_WIDTH}" border="0" '
        f'cellpadding="0" cellspacing="0" style="width:{CONTAINER_WIDTH}px;max-width:100%;">'
        f'<tr><td class="rl-body" style="background:#ffffff;border-radius:8px;padding:32px;'
        f'font-family:{FONT};font-size:16px;line-height:1.6;color:{INK};">{body}</td></tr>'
        f"{footer}</table></td></tr></table></body></html>"
    )


def inline_css(document: str) -> str:
    """The document with its <style> rules moved into style attributes, for email clients."""
    try:
        return _INLINER.inline(document)
    except Exception as exc:  # css_inline rejects some malformed CSS
        raise RenderError(f"The CSS could not be inlined: {exc}") from exc


def one_line(value: str, limit: int) -> str:
    """Whitespace collapsed to single spaces, cut at `limit` (subjects and preheaders)."""
    return " ".join(value.split())[:limit]


def html_to_text(document: str) -> str:
    """The plain-text part: what a reader sees, links kept as "label (url)"."""
    import lxml.html
    from inscriptis import Inscriptis
    from inscriptis.model.config import ParserConfig

    tree = lxml.html.document_fromstring(document)
    for hidden in tree.xpath("//*[@data-preheader]|//style|//title"):
        hidden.drop_tree()
    for hidden in tree.xpath("//*[contains(translate(@style, ' ', ''), 'display:none')]"):
        hidden.drop_tree()
    # Email tables are layout, not data: as blocks they read the same and convert ~5x faster.
    for element in tree.xpath("//table|//thead|//tbody|//tfoot|//tr|//td|//th"):
        element.tag = "div"
    for element in tree.xpath("//*[@style or @align]"):
        element.attrib.pop("style", None)
        element.attrib.pop("align", None)  # centred footers would come out indented
    for anchor in tree.xpath("//a[@href]"):
        href = anchor.get("href", "").strip()
        if not href.lower().startswith(URL_SCHEMES):
            continue
        label = " ".join(anchor.text_content().split())
        if not label:
            label = " ".join(
                alt for alt in (img.get("alt", "").strip() for img in anchor.iter("img")) if alt
            )
        target = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
        for child in list(anchor):
            anchor.remove(child)
        anchor.text = f"{label} ({target})" if label and label != target else target
    # Inscriptis unescapes the text it is given once more: a contact named "&lt;b&gt;" would
    # read "<b>". Escaping "&" first makes that second pass give back the text as it is.
    for node in tree.iter():
        if node.text:
            node.text = node.text.replace("&", "&amp;")
        if node.tail:
            node.tail = node.tail.replace("&", "&amp;")
    text = Inscriptis(tree, ParserConfig(display_images=False)).get_text()
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_email(
    *, content: EmailContent, context: dict[str, object], footer: Footer | None
) -> RenderedEmail:
    """Personalise `content` for `context` and build the message parts.

    Raises RenderError for a template that does not compile or render. The footer (postal
    address, unsubscribe and preference links) is added whenever one is given, which every
    marketing email must do.
    """
    subject = one_line(render_string(content.subject or "", context, autoescape=False), MAX_SUBJECT)
    preheader = one_line(render_string(content.preheader or "", context, autoescape=False), 500)
    body = sanitize_body(render_string(body_html(content), context, autoescape=True))
    workspace = context.get("workspace")
    workspace_name = str(workspace.get("name", "")) if isinstance(workspace, Mapping) else ""
    document = document_html(
        subject=subject,
        preheader=preheader,
        body=body,
        footer=footer_html(footer, workspace_name) if footer is not None else "",
    )
    inlined = inline_css(document)
    return RenderedEmail(subject=subject, html=inlined, text=html_to_text(inlined))


def template_sources(content: EmailContent) -> Iterable[tuple[str, str]]:
    """(field label, template source) pairs, for checking every part of an email on save."""
    yield "Subject", content.subject or ""
    yield "Preheader", content.preheader or ""
    yield "Body", body_html(content)
