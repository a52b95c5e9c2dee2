"""What changed between two quote versions: a pure function on plain snapshots, no ORM."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class LineSnapshot:
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    line_total: Decimal
    product_id: int | None = None

    @property
    def key(self) -> str:
        return f"p{self.product_id}" if self.product_id is not None else f"n{self.name.lower()}"


@dataclass(frozen=True)
class VersionSnapshot:
    number: int
    currency: str
    lines: tuple[LineSnapshot, ...]
    discount_percent: Decimal
    tax_percent: Decimal
    terms: str
    valid_until: date | None
    total: Decimal


@dataclass(frozen=True)
class Change:
    field: str  # a label people read: "Quantity", "Quote discount %", …
    old: object
    new: object


@dataclass(frozen=True)
class LineChange:
    name: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class VersionDiff:
    old_number: int
    new_number: int
    added: tuple[LineSnapshot, ...] = ()
    removed: tuple[LineSnapshot, ...] = ()
    changed: tuple[LineChange, ...] = ()
    quote_changes: tuple[Change, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.quote_changes)


LINE_FIELDS = (
    ("quantity", "Quantity"),
    ("unit_price", "Unit price"),
    ("discount_percent", "Line discount %"),
    ("line_total", "Line total"),
)


def _line_changes(old: LineSnapshot, new: LineSnapshot) -> tuple[Change, ...]:
    changes = [
        Change(label, getattr(old, name), getattr(new, name))
        for name, label in LINE_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]
    if old.name != new.name:
        changes.insert(0, Change("Name", old.name, new.name))
    return tuple(changes)


def version_diff(old: VersionSnapshot, new: VersionSnapshot) -> VersionDiff:
    """Lines are matched by product (or by name, case-insensitively, for free lines); a
    product that appears twice is matched in order of position."""
    unmatched: dict[str, list[LineSnapshot]] = {}
    for line in old.lines:
        unmatched.setdefault(line.key, []).append(line)
    added: list[LineSnapshot] = []
    changed: list[LineChange] = []
    for line in new.lines:
        candidates = unmatched.get(line.key)
        if not candidates:
            added.append(line)
            continue
        previous = candidates.pop(0)
        changes = _line_changes(previous, line)
        if changes:
            changed.append(LineChange(name=line.name, changes=changes))
    removed = [line for lines in unmatched.values() for line in lines]
    removed.sort(key=lambda line: old.lines.index(line))
    quote_fields = [
        ("Currency", old.currency, new.currency),
        ("Quote discount %", old.discount_percent, new.discount_percent),
        ("Tax %", old.tax_percent, new.tax_percent),
        ("Terms", old.terms.strip(), new.terms.strip()),
        ("Valid until", old.valid_until, new.valid_until),
        ("Total", old.total, new.total),
    ]
    return VersionDiff(
        old_number=old.number,
        new_number=new.number,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        quote_changes=tuple(Change(label, a, b) for label, a, b in quote_fields if a != b),
    )
