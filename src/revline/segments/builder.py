"""The segment builder's form: posted rows <-> a definition tree, and how each row is shown.

Rows are posted flat, named by their position in the tree ("c2.1-op" is the op of the first
condition of the group in row 2; "g2-match" is that group's all/any). Adding or removing a row
posts the whole form (`action` = "add:<group>", "group:<group>", "remove:<row>") and the server
renders the builder again; nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from . import definition as defs
from .selectors import BuilderOptions

ROW_KEY = re.compile(r"^([cg])(\d{1,3}(?:\.\d{1,3}){0,3})-(\w{1,20})$")
MAX_ROWS = 200  # a bound on what a request may make us render, above MAX_CONDITIONS on purpose

# Non-field subjects: (type, label, words when true, words when negated)
BEHAVIOURS: dict[str, tuple[str, str, str]] = {
    "tag": ("Tag", "has the tag", "does not have the tag"),
    "consent": ("Consent", "has current consent for", "has no current consent for"),
    "campaign_touched": ("Campaign touched", "touched", "never touched"),
    "campaign_recipient": (
        "Campaign email sent",
        "was sent an email of",
        "was never sent an email of",
    ),
    "email_clicked": ("Campaign email clicked", "clicked an email of", "never clicked an email of"),
    "email_opened": ("Email opened", "opened an email in the last", "has not opened any email in"),
    "page_visits": ("Page visits", "visited pages matching", "did not visit pages matching"),
    "open_deal": ("Open deal", "has an open deal in", "has no open deal in"),
    "form_submitted": ("Form submitted", "submitted", "did not submit"),
}
DEFAULT_SUBJECT = "field:country"


@dataclass
class Row:
    """One condition row as the user typed it (strings), or a nested group."""

    subject: str = DEFAULT_SUBJECT
    op: str = ""
    value: str = ""
    values: list[str] = field(default_factory=list)
    negate: bool = False
    days: str = ""
    min_count: str = ""
    match: str = "all"
    children: list[Row] | None = None  # set for a group

    @property
    def is_group(self) -> bool:
        return self.children is not None


def _subject_spec(subject: str) -> tuple[str, str, defs.FieldSpec | None]:
    """(type, field name, field spec) of a subject like "field:country", "company:size", "tag"."""
    kind, _, name = subject.partition(":")
    if kind == "field" and name in defs.CONTACT_FIELDS:
        return "field", name, defs.CONTACT_FIELDS[name]
    if kind == "company" and name in defs.COMPANY_FIELDS:
        return "company", name, defs.COMPANY_FIELDS[name]
    if subject in BEHAVIOURS:
        return subject, "", None
    return "field", "country", defs.CONTACT_FIELDS["country"]


def _path(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def rows_from_post(data: QueryDict) -> Row:
    """The root group as posted (unknown keys ignored; rows ordered by their posted position)."""
    nodes: dict[tuple[int, ...], dict[str, Any]] = {}
    for key in list(data.keys())[: MAX_ROWS * 8]:
        found = ROW_KEY.match(key)
        if not found:
            continue
        kind, path, name = found.groups()
        path_t = _path(path)
        node = nodes.setdefault(path_t, {"group": False})
        if kind == "g":
            node["group"] = True
            node["match"] = data.get(key, "all")
        elif name == "values":
            node["values"] = [v for v in data.getlist(key)[: defs.MAX_LIST] if v]
        else:
            node[name] = data.get(key, "")[:300]
    root = Row(match=data.get("match", "all"), children=[])
    by_path: dict[tuple[int, ...], Row] = {(): root}
    for path_t in sorted(nodes)[:MAX_ROWS]:
        parent = by_path.get(path_t[:-1])
        if parent is None or parent.children is None:
            continue
        raw = nodes[path_t]
        if raw["group"]:
            row = Row(match=raw.get("match", "all"), children=[])
        else:
            row = Row(
                subject=raw.get("subject", DEFAULT_SUBJECT),
                op=raw.get("op", ""),
                value=raw.get("value", ""),
                values=raw.get("values", []),
                negate=raw.get("negate") == "1",
                days=raw.get("days", ""),
                min_count=raw.get("min_count", ""),
            )
        parent.children.append(row)
        by_path[path_t] = row
    return root


def _find(root: Row, path: tuple[int, ...]) -> Row | None:
    node = root
    for index in path:
        if node.children is None or not 0 <= index < len(node.children):
            return None
        node = node.children[index]
    return node


def apply_action(root: Row, action: str) -> None:
    """Add a condition or a group to a group, or remove a row. Bad actions change nothing."""
    verb, _, where = action.partition(":")
    try:
        path = _path(where) if where else ()
    except ValueError:
        return
    if verb in ("add", "group"):
        group = _find(root, path)
        if group is None or group.children is None:
            return
        if verb == "add":
            group.children.append(Row())
        elif len(path) + 1 < defs.MAX_DEPTH:
            group.children.append(Row(match="any", children=[Row()]))
    elif verb == "remove" and path:
        parent = _find(root, path[:-1])
        if parent is not None and parent.children is not None and path[-1] < len(parent.children):
            del parent.children[path[-1]]


def _condition(row: Row) -> dict[str, Any]:
    kind, name, spec = _subject_spec(row.subject)
    if spec is not None:
        op = row.op if row.op in spec.ops else spec.ops[0]
        condition: dict[str, Any] = {"type": kind, "field": name, "op": op}
        if op == "in":
            condition["value"] = row.values or row.value
        elif op not in defs.NO_VALUE_OPS:
            condition["value"] = row.value
        return condition
    condition = {"type": kind, "negate": row.negate}
    if kind in ("tag", "consent"):
        condition["tag" if kind == "tag" else "purpose"] = row.value
    elif kind in ("campaign_touched", "campaign_recipient", "email_clicked"):
        condition["campaign"] = row.value
    elif kind == "email_opened":
        condition["days"] = row.days
    elif kind == "page_visits":
        condition.update(url_contains=row.value, min_count=row.min_count or "1", days=row.days)
    elif kind == "open_deal":
        condition["stage"] = row.value or None
    elif kind == "form_submitted":
        condition.update(form=row.value, days=row.days or None)
    return condition


def to_definition(root: Row) -> dict[str, Any]:
    def group(row: Row) -> dict[str, Any]:
        return {
            "match": row.match,
            "conditions": [
                group(child) if child.is_group else _condition(child)
                for child in row.children or []
            ],
        }

    return group(root)


def rows_from_definition(definition: Mapping[str, Any]) -> Row:
    """Rows showing a stored (valid) definition."""

    def row(node: Mapping[str, Any]) -> Row:
        if defs.is_group(node):
            return Row(
                match=node.get("match", "all"), children=[row(c) for c in node["conditions"]]
            )
        kind = node["type"]
        if kind in ("field", "company"):
            value = node.get("value")
            return Row(
                subject=f"{kind}:{node['field']}",
                op=node["op"],
                value="" if value is None or isinstance(value, list) else str(value),
                values=[str(v) for v in value] if isinstance(value, list) else [],
            )
        main = {
            "tag": "tag", "consent": "purpose", "campaign_touched": "campaign",
            "campaign_recipient": "campaign", "email_clicked": "campaign",
            "page_visits": "url_contains", "open_deal": "stage", "form_submitted": "form",
        }.get(kind)  # fmt: skip
        value = node.get(main) if main else None
        return Row(
            subject=kind,
            value="" if value is None else str(value),
            negate=bool(node.get("negate")),
            days="" if node.get("days") is None else str(node["days"]),
            min_count=str(node.get("min_count", "")),
        )

    return row(definition) if definition.get("conditions") is not None else Row(children=[])


# --- Presentation -------------------------------------------------------------------------------


@dataclass
class RowView:
    """What the template needs to draw one row."""

    path: str
    label: str
    depth: int
    row: Row
    error: str = ""
    children: list[RowView] = field(default_factory=list)
    # condition rows
    subject: str = ""
    ops: list[tuple[str, str]] = field(default_factory=list)
    op: str = ""
    widget: str = ""  # text, number, date, days, select, multi, none
    choices: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str = ""
    negations: list[tuple[str, str]] = field(default_factory=list)
    can_nest: bool = False


def subject_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        ("Contact", [(f"field:{k}", s.label) for k, s in defs.CONTACT_FIELDS.items()]),
        ("Company", [(f"company:{k}", s.label) for k, s in defs.COMPANY_FIELDS.items()]),
        ("Activity and status", [(k, v[0]) for k, v in BEHAVIOURS.items()]),
    ]


def _field_widget(spec: defs.FieldSpec, op: str, options: BuilderOptions) -> tuple[str, list]:
    if op in defs.NO_VALUE_OPS:
        return "none", []
    if op in defs.DAYS_OPS:
        return "days", []
    if spec.kind == defs.CHOICE:
        labels = dict(_CHOICE_LABELS)
        choices = [(c, labels.get(c, c)) for c in spec.choices]
        return ("multi" if op == "in" else "select"), choices
    if spec.kind == defs.USER:
        return ("multi" if op == "in" else "select"), [(str(pk), n) for pk, n in options.users]
    if spec.kind == defs.NUMBER:
        return "number", []
    if spec.kind == defs.DATE:
        return "date", []
    return "text", []


_CHOICE_LABELS = [
    ("subscriber", "Subscriber"), ("lead", "Lead"), ("mql", "MQL"), ("sal", "SAL"),
    ("sql", "SQL"), ("opportunity", "Opportunity"), ("customer", "Customer"),
    ("evangelist", "Evangelist"), ("disqualified", "Disqualified"), ("recycled", "Recycled"),
    ("1-10", "1–10"), ("11-50", "11–50"), ("51-200", "51–200"), ("201-1000", "201–1,000"),
    ("1001-5000", "1,001–5,000"), ("5001+", "5,001+"),
]  # fmt: skip


def _behaviour_widget(kind: str, options: BuilderOptions) -> tuple[str, list, str]:
    ids = lambda pairs: [(str(pk), name) for pk, name in pairs]  # noqa: E731
    if kind == "tag":
        return "text", [(t, t) for t in options.tags], "tag name"
    if kind == "consent":
        return "text", [(p, p) for p in options.purposes], "purpose, e.g. marketing_email"
    if kind in ("campaign_touched", "campaign_recipient", "email_clicked"):
        return "select", ids(options.campaigns), ""
    if kind == "email_opened":
        return "none", [], ""
    if kind == "page_visits":
        return "text", [], "/pricing"
    if kind == "open_deal":
        return "select", [("", "any stage"), *ids(options.stages)], ""
    if kind == "form_submitted":
        return "select", ids(options.forms), ""
    raise AssertionError(kind)


def build_views(
    root: Row, options: BuilderOptions, errors: Mapping[tuple[int, ...], str] | None = None
) -> list[RowView]:
    errors = errors or {}

    def views(group: Row, path: tuple[int, ...]) -> list[RowView]:
        out = []
        for index, row in enumerate(group.children or []):
            here = (*path, index)
            view = RowView(
                path=".".join(map(str, here)),
                label=defs.path_label(here),
                depth=len(here),
                row=row,
                error=errors.get(here, ""),
            )
            if row.is_group:
                view.children = views(row, here)
                view.can_nest = len(here) + 1 < defs.MAX_DEPTH
            else:
                kind, name, spec = _subject_spec(row.subject)
                view.subject = f"{kind}:{name}" if spec else kind
                if spec is not None:
                    view.ops = [(op, defs.OPS[op]) for op in spec.ops]
                    view.op = row.op if row.op in spec.ops else spec.ops[0]
                    view.widget, view.choices = _field_widget(spec, view.op, options)
                    if spec.kind == defs.CODE:
                        view.placeholder = "DE, FR, …" if view.op == "in" else "DE"
                    elif view.op == "in":
                        view.placeholder = "comma-separated values"
                else:
                    _, yes, no = BEHAVIOURS[kind]
                    view.negations = [("0", yes), ("1", no)]
                    view.widget, view.choices, view.placeholder = _behaviour_widget(kind, options)
            out.append(view)
        return out

    return views(root, ())


def count_rows(root: Row) -> int:
    return sum(count_rows(c) if c.is_group else 1 for c in root.children or [])
