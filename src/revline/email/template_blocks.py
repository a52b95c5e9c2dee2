"""Email blocks: the schema and its validation. Pure: no ORM.

An email template's `blocks` is a JSON list of objects, each with a `type` and that type's
fields. Rendering (rendering.blocks_html) checks URLs again, so blocks written behind the app's
back (admin, API, database) still cannot carry a javascript: link into an email.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .rendering import MAX_BLOCKS, RenderError, template_syntax_check, url_allowed


@dataclass(frozen=True)
class BlockField:
    name: str
    label: str
    kind: str = "text"  # text · textarea · url · image_url
    required: bool = False
    max_length: int = 200
    help: str = ""


@dataclass(frozen=True)
class BlockType:
    type: str
    label: str
    fields: tuple[BlockField, ...] = field(default_factory=tuple)


BLOCK_TYPES: dict[str, BlockType] = {
    spec.type: spec
    for spec in (
        BlockType("heading", "Heading", (BlockField("text", "Heading", required=True),)),
        BlockType(
            "text",
            "Text",
            (
                BlockField(
                    "text",
                    "Text",
                    "textarea",
                    required=True,
                    max_length=5000,
                    help="A blank line starts a new paragraph. **bold**, [label](https://…)",
                ),
            ),
        ),
        BlockType(
            "button",
            "Button",
            (
                BlockField("label", "Label", required=True, max_length=100),
                BlockField("url", "Link", "url", required=True, max_length=2000),
            ),
        ),
        BlockType(
            "image",
            "Image",
            (
                BlockField("src", "Image URL", "image_url", required=True, max_length=2000),
                BlockField("alt", "Alternative text", max_length=200),
                BlockField("href", "Link (optional)", "url", max_length=2000),
            ),
        ),
        BlockType("divider", "Divider"),
        BlockType("spacer", "Spacer"),
    )
}


def new_block(kind: str) -> dict[str, Any]:
    spec = BLOCK_TYPES[kind]
    return {"type": kind, **{f.name: "" for f in spec.fields}}


def _field_error(spec: BlockField, value: str) -> str | None:
    if spec.required and not value:
        return f"{spec.label} is required."
    if len(value) > spec.max_length:
        return f"{spec.label} is longer than {spec.max_length} characters."
    if not value:
        return None
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        return f"{spec.label} contains control characters."
    if spec.kind == "url" and not url_allowed(value):
        return f"{spec.label} must start with https://, http:// or mailto:."
    if spec.kind == "image_url" and not value.lower().startswith(("https://", "http://")):
        return f"{spec.label} must start with https:// or http://."
    try:
        template_syntax_check(value)
    except RenderError as exc:
        return f"{spec.label}: {exc}"
    return None


def clean_blocks(raw: object) -> tuple[list[dict[str, Any]], list[str]]:
    """(the blocks with only known fields, stripped; every problem found, numbered by block)."""
    if not isinstance(raw, list):
        return [], ["Blocks must be a list."]
    errors: list[str] = []
    if len(raw) > MAX_BLOCKS:
        errors.append(f"An email has at most {MAX_BLOCKS} blocks.")
    cleaned: list[dict[str, Any]] = []
    for number, block in enumerate(raw[:MAX_BLOCKS], start=1):
        if not isinstance(block, Mapping) or block.get("type") not in BLOCK_TYPES:
            errors.append(f"Block {number}: unknown block type.")
            continue
        spec = BLOCK_TYPES[str(block["type"])]
        item: dict[str, Any] = {"type": spec.type}
        for field_spec in spec.fields:
            value = block.get(field_spec.name, "")
            value = value.strip() if isinstance(value, str) else ""
            if error := _field_error(field_spec, value):
                errors.append(f"Block {number} ({spec.label.lower()}): {error}")
            item[field_spec.name] = value
        cleaned.append(item)
    return cleaned, errors
