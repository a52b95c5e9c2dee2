"""Page-builder blocks: the schema, server-side validation and HTML sanitising. Pure: no ORM.

A landing page's `blocks` is a JSON list of objects, each with a `type` and that type's fields.
Everything a user writes is checked here on save and again on render, so a block edited behind
the app's back (admin, API, database) still cannot carry script into a visitor's browser.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe

MAX_BLOCKS = 30
MAX_RICH_TEXT = 20_000
MAX_FEATURES = 12
FORM_ANCHOR = "form"

# Rich text allow-list: anything else (script, style, img, iframe, event handlers, style
# attributes, classes) is removed; link targets must be absolute http(s) or mailto addresses.
RICH_TEXT_TAGS = frozenset({"p", "br", "h2", "h3", "strong", "em", "ul", "ol", "li", "a"})
RICH_TEXT_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = ("http://", "https://", "mailto:")

PALETTE: dict[str, str] = {
    "brand": "Indigo",
    "dark": "Midnight",
    "light": "Mist",
    "white": "White",
    "green": "Forest",
}

CTA_TARGETS: dict[str, str] = {
    "form": "The page's form",
    "path": "A page on this site",
    "link": "A tracked link",
}

_https_url = URLValidator(schemes=["https"])


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    # text · textarea · richtext · choice · image_url · path · link · lines
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass(frozen=True)
class BlockSpec:
    type: str
    label: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)


BLOCKS: dict[str, BlockSpec] = {
    spec.type: spec
    for spec in (
        BlockSpec(
            "hero",
            "Hero",
            (
                FieldSpec("headline", "Headline", required=True),
                FieldSpec("subheading", "Subheading", "textarea", max_length=500),
                FieldSpec("background", "Background", "choice", choices=tuple(PALETTE.items())),
            ),
        ),
        BlockSpec(
            "text",
            "Text",
            (
                FieldSpec(
                    "html",
                    "Text",
                    "richtext",
                    required=True,
                    max_length=MAX_RICH_TEXT,
                    help="HTML: p, h2, h3, strong, em, ul, ol, li and a href=https://…",
                ),
            ),
        ),
        BlockSpec(
            "image",
            "Image",
            (
                FieldSpec(
                    "url",
                    "Image address",
                    "image_url",
                    required=True,
                    max_length=2000,
                    help="https:// only",
                ),
                FieldSpec(
                    "alt",
                    "Alt text",
                    required=True,
                    max_length=300,
                    help="What the image shows, for screen readers",
                ),
                FieldSpec("caption", "Caption", max_length=300),
            ),
        ),
        BlockSpec(
            "cta",
            "Button",
            (
                FieldSpec("label", "Button label", required=True, max_length=60),
                FieldSpec("target", "Goes to", "choice", choices=tuple(CTA_TARGETS.items())),
                FieldSpec(
                    "path", "Path on this site", "path", max_length=300, help="e.g. /lp/pricing"
                ),
                FieldSpec("link", "Tracked link", "link", max_length=64),
            ),
        ),
        BlockSpec("form", "Form", (FieldSpec("heading", "Heading above the form"),)),
        BlockSpec(
            "testimonial",
            "Testimonial",
            (
                FieldSpec("quote", "Quote", "textarea", required=True, max_length=1000),
                FieldSpec("name", "Name", required=True, max_length=100),
                FieldSpec("role", "Role and company", max_length=150),
            ),
        ),
        BlockSpec(
            "features",
            "Feature list",
            (
                FieldSpec("title", "Title", required=True),
                FieldSpec(
                    "items",
                    "Features",
                    "lines",
                    required=True,
                    help=f"One per line, up to {MAX_FEATURES}",
                ),
            ),
        ),
    )
}


def _keep_safe_href(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and not value.strip().lower().startswith(LINK_SCHEMES):
        return None
    return value


def sanitize_html(html: str) -> str:
    """Rich text reduced to the allow-list; links get rel="noopener"."""
    return nh3.clean(
        html,
        tags=set(RICH_TEXT_TAGS),
        attributes={tag: set(names) for tag, names in RICH_TEXT_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
        attribute_filter=_keep_safe_href,
    ).strip()


def _has_unsafe_characters(value: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value) or "\\" in value


def site_path_error(value: str) -> str | None:
    """Why `value` is not a path on this site, or None when it is one.

    Only "/something" passes: no scheme, no host, no "//", no backslash, no whitespace or
    control characters, so a browser can never read it as another site's address.
    """
    if not value:
        return "Enter a path that starts with /."
    if len(value) > 300:
        return "The path is too long (300 characters at most)."
    if _has_unsafe_characters(value):
        return "The path may not contain spaces, backslashes or control characters."
    if not value.startswith("/") or value.startswith("//"):
        return "Enter a path on this site that starts with a single /, e.g. /lp/thank-you."
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not url_has_allowed_host_and_scheme(value, None):
        return "Enter a path on this site, not an address of another site."
    return None


def image_url_error(value: str) -> str | None:
    if _has_unsafe_characters(value):
        return "The image address may not contain spaces, backslashes or control characters."
    try:
        _https_url(value)
    except ValidationError:
        return "The image address must be a full https:// address."
    parts = urlsplit(value)
    if parts.username or parts.password:
        return "Image addresses with a user name or password are not allowed."
    return None


@dataclass
class _Checker:
    has_form: bool
    link_tokens: Collection[str] | None
    errors: list[str] = field(default_factory=list)


def _clean_value(spec: FieldSpec, raw: object, where: str, checker: _Checker) -> Any:
    """One field's clean value, or None after recording an error."""
    if spec.kind == "lines":
        return _clean_lines(spec, raw, where, checker)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        checker.errors.append(f"{where}: “{spec.label}” must be text.")
        return None
    value = raw if spec.kind == "richtext" else raw.strip()
    if spec.kind == "choice":
        value = value or spec.choices[0][0]
        if value not in dict(spec.choices):
            checker.errors.append(f"{where}: “{spec.label}” has an unknown choice “{value}”.")
            return None
        return value
    if len(value) > spec.max_length:
        checker.errors.append(
            f"{where}: “{spec.label}” is too long ({spec.max_length} characters at most)."
        )
        return None
    if spec.kind == "richtext":
        value = sanitize_html(value)
    if spec.required and not value:
        checker.errors.append(f"{where}: “{spec.label}” is required.")
        return None
    if value and spec.kind == "image_url" and (message := image_url_error(value)):
        checker.errors.append(f"{where}: {message}")
        return None
    return value


def _clean_lines(spec: FieldSpec, raw: object, where: str, checker: _Checker) -> list[str] | None:
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        checker.errors.append(f"{where}: “{spec.label}” must be a list of lines of text.")
        return None
    items = [item.strip() for item in raw if item.strip()]
    if spec.required and not items:
        checker.errors.append(f"{where}: “{spec.label}” needs at least one line.")
        return None
    if len(items) > MAX_FEATURES:
        checker.errors.append(f"{where}: “{spec.label}” has more than {MAX_FEATURES} lines.")
        return None
    if any(len(item) > spec.max_length for item in items):
        checker.errors.append(
            f"{where}: each line of “{spec.label}” is {spec.max_length} characters at most."
        )
        return None
    return items


def _check_cta(block: dict[str, Any], where: str, checker: _Checker) -> None:
    """The button's target must exist; fields of the other targets are cleared."""
    target = block["target"]
    if target == "form" and not checker.has_form:
        checker.errors.append(f"{where}: the button goes to the page's form, but none is chosen.")
    if target == "path" and (message := site_path_error(block["path"])):
        checker.errors.append(f"{where}: {message}")
    if target == "link":
        if not block["link"]:
            checker.errors.append(f"{where}: choose the tracked link the button opens.")
        elif checker.link_tokens is not None and block["link"] not in checker.link_tokens:
            checker.errors.append(f"{where}: the tracked link does not exist or is inactive.")
    for other in ("path", "link"):
        if other != target:
            block[other] = ""


def _clean_block(raw: object, number: int, checker: _Checker) -> dict[str, Any] | None:
    where = f"Block {number}"
    if not isinstance(raw, Mapping):
        checker.errors.append(f"{where}: must be an object with a “type”.")
        return None
    kind = raw.get("type")
    spec = BLOCKS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        known = ", ".join(BLOCKS)
        checker.errors.append(f"{where}: unknown block type “{kind}” (use one of: {known}).")
        return None
    where = f"Block {number} ({spec.label})"
    known_fields = {f.name for f in spec.fields}
    unknown = sorted(str(key) for key in raw if key != "type" and key not in known_fields)
    if unknown:
        checker.errors.append(f"{where}: unknown field “{unknown[0]}”.")
        return None
    errors_before = len(checker.errors)
    block: dict[str, Any] = {"type": spec.type}
    for spec_field in spec.fields:
        block[spec_field.name] = _clean_value(spec_field, raw.get(spec_field.name), where, checker)
    if len(checker.errors) > errors_before:
        return None
    if spec.type == "form" and not checker.has_form:
        checker.errors.append(f"{where}: choose the page's form first.")
        return None
    if spec.type == "cta":
        _check_cta(block, where, checker)
    return None if len(checker.errors) > errors_before else block


def clean_blocks(
    raw: object, *, has_form: bool, link_tokens: Collection[str] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The valid blocks (normalised and sanitised) and one message per problem, naming the block.

    `link_tokens` are the tracked links a button may open; None skips that check (rendering).
    """
    if raw is None or raw == "":
        return [], []
    if not isinstance(raw, list):
        return [], ["Blocks must be a list."]
    checker = _Checker(has_form=has_form, link_tokens=link_tokens)
    if len(raw) > MAX_BLOCKS:
        return [], [f"A page has at most {MAX_BLOCKS} blocks; this one has {len(raw)}."]
    cleaned = [_clean_block(item, number, checker) for number, item in enumerate(raw, start=1)]
    return [block for block in cleaned if block is not None], checker.errors


def validate_blocks(
    raw: object, *, has_form: bool, link_tokens: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The cleaned blocks; raises ValidationError listing every problem when any block is wrong."""
    blocks, errors = clean_blocks(raw, has_form=has_form, link_tokens=link_tokens)
    if errors:
        raise ValidationError(errors)
    return blocks


def link_tokens_in(raw: object) -> set[str]:
    """Tracked-link tokens that button blocks refer to (to look up before validating)."""
    if not isinstance(raw, list):
        return set()
    return {
        item["link"]
        for item in raw
        if isinstance(item, Mapping)
        and item.get("type") == "cta"
        and isinstance(item.get("link"), str)
    }


def cta_href(block: Mapping[str, Any]) -> str:
    if block["target"] == "path":
        return str(block["path"])
    if block["target"] == "link":
        return f"/t/c/{block['link']}"
    return f"#{FORM_ANCHOR}"


def blocks_for_render(raw: object, *, has_form: bool) -> list[dict[str, Any]]:
    """Blocks ready for the template: invalid ones dropped, rich text sanitised and marked safe.

    A page with a form but no form block gets one at the end, so its form is never lost.
    """
    blocks, _errors = clean_blocks(raw, has_form=has_form)
    rendered = [_for_render(block) for block in blocks]
    if has_form and rendered and not any(block["type"] == "form" for block in rendered):
        rendered.append({"type": "form", "heading": ""})
    return rendered


def _for_render(block: dict[str, Any]) -> dict[str, Any]:
    if block["type"] == "text":
        # Sanitised by nh3 with the allow-list above just now: the only markup left is allowed.
        return {**block, "html": _safe(block["html"])}
    if block["type"] == "cta":
        return {**block, "href": cta_href(block)}
    return block


def _safe(sanitised: str) -> SafeString:
    return mark_safe(sanitised)  # noqa: S308


def editor_schema(link_choices: list[tuple[str, str]]) -> dict[str, Any]:
    """Block types and their fields for the editor script (given to it through json_script)."""
    types = []
    for spec in BLOCKS.values():
        fields = []
        for spec_field in spec.fields:
            choices = link_choices if spec_field.kind == "link" else list(spec_field.choices)
            fields.append(
                {
                    "name": spec_field.name,
                    "label": spec_field.label,
                    "kind": spec_field.kind,
                    "required": spec_field.required,
                    "max_length": spec_field.max_length,
                    "choices": [[value, label] for value, label in choices],
                    "help": spec_field.help,
                }
            )
        types.append({"type": spec.type, "label": spec.label, "fields": fields})
    return {"types": types, "max_blocks": MAX_BLOCKS}
