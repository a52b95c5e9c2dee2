"""Forms of the template editor, the test send and the email settings; the block rows posted by
the editor (block-<n>-<field>) and the add/move/remove actions on them."""

from typing import Any

from django import forms
from django.http import QueryDict

from .models import TemplateFormat
from .rendering import MAX_BLOCKS, MAX_SOURCE
from .template_blocks import BLOCK_TYPES, new_block
from .template_services import MAX_NAME, MAX_PREHEADER, MAX_SUBJECT


class TemplateForm(forms.Form):
    # Lengths are checked by the service (with the count), so over-long input gets a clear error.
    name = forms.CharField(label="Name", max_length=MAX_NAME * 4)
    subject = forms.CharField(
        label="Subject",
        max_length=MAX_SUBJECT * 4,
        help_text='Personalise with {{ contact.first_name|default:"there" }}.',
    )
    preheader = forms.CharField(
        label="Preheader",
        required=False,
        max_length=MAX_PREHEADER * 4,
        help_text="The preview line inbox lists show after the subject.",
    )
    body_format = forms.ChoiceField(
        label="Body",
        choices=TemplateFormat.choices,
        initial=TemplateFormat.BLOCKS,
        widget=forms.RadioSelect,
    )
    html = forms.CharField(
        label="HTML",
        required=False,
        max_length=MAX_SOURCE * 2,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code-input"}),
        help_text="Body content only. Allowed: common text and table tags, inline style "
        "attributes and <style> blocks (inlined on send). Scripts, forms and event handlers are "
        "removed.",
    )


class TestSendForm(forms.Form):
    to_address = forms.CharField(label="Send a test to", max_length=254)
    preview_contact = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class EmailSettingsForm(forms.Form):
    from_name = forms.CharField(label="Sender name", required=False, max_length=400)
    from_address = forms.CharField(
        label="Sender address",
        required=False,
        max_length=254,
        help_text="The From address of marketing email. Blank uses the server's default.",
    )
    postal_address = forms.CharField(
        label="Postal address",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Printed in the footer of every marketing email, as the law requires.",
    )


def blocks_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """The block rows as posted, in order; rows of unknown type are kept for the error."""
    try:
        count = min(int(data.get("block_count", "0")), MAX_BLOCKS + 1)
    except ValueError:
        count = 0
    blocks: list[dict[str, Any]] = []
    for index in range(max(count, 0)):
        kind = data.get(f"block-{index}-type", "")
        spec = BLOCK_TYPES.get(kind)
        if spec is None:
            blocks.append({"type": kind})
            continue
        blocks.append(
            {"type": kind, **{f.name: data.get(f"block-{index}-{f.name}", "") for f in spec.fields}}
        )
    return blocks


def blocks_apply_action(blocks: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """add:<type> · up:<n> · down:<n> · remove:<n>; anything else changes nothing."""
    verb, _, arg = action.partition(":")
    blocks = list(blocks)
    if verb == "add" and arg in BLOCK_TYPES and len(blocks) < MAX_BLOCKS:
        blocks.append(new_block(arg))
        return blocks
    try:
        index = int(arg)
    except ValueError:
        return blocks
    if not 0 <= index < len(blocks):
        return blocks
    if verb == "remove":
        del blocks[index]
    elif verb == "up" and index > 0:
        blocks[index - 1], blocks[index] = blocks[index], blocks[index - 1]
    elif verb == "down" and index < len(blocks) - 1:
        blocks[index + 1], blocks[index] = blocks[index], blocks[index + 1]
    return blocks


def block_rows(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the editor template needs per block: its index, label and fields with values."""
    rows = []
    for index, block in enumerate(blocks):
        spec = BLOCK_TYPES.get(str(block.get("type", "")))
        rows.append(
            {
                "index": index,
                "type": block.get("type", ""),
                "label": spec.label if spec else "Unknown block",
                "fields": [
                    {
                        "name": f"block-{index}-{f.name}",
                        "id": f"id_block-{index}-{f.name}",
                        "label": f.label,
                        "kind": f.kind,
                        "required": f.required,
                        "max_length": f.max_length,
                        "help": f.help,
                        "value": block.get(f.name, ""),
                    }
                    for f in (spec.fields if spec else ())
                ],
            }
        )
    return rows
