"""What changed between two quote versions (pure)."""

from datetime import date
from decimal import Decimal

from revline.quotes.diff import Change, LineSnapshot, VersionSnapshot, version_diff

D = Decimal


def line(name, qty="1", price="100", disc="0", product_id=None) -> LineSnapshot:
    total = (D(qty) * D(price) * (100 - D(disc)) / 100).quantize(D("0.01"))
    return LineSnapshot(name, D(qty), D(price), D(disc), total, product_id)


def version(number, lines, **kwargs) -> VersionSnapshot:
    values = {
        "currency": "EUR",
        "discount_percent": D("0"),
        "tax_percent": D("19"),
        "terms": "Net 30",
        "valid_until": date(2025, 4, 30),
        "total": D("100"),
    }
    values.update(kwargs)
    return VersionSnapshot(number=number, lines=tuple(lines), **values)


def test_identical_versions_have_no_changes():
    v1 = version(1, [line("Seats", product_id=1)])

    diff = version_diff(v1, version(2, [line("Seats", product_id=1)]))

    assert diff.is_empty
    assert (diff.old_number, diff.new_number) == (1, 2)


def test_added_removed_and_changed_lines_are_matched_by_product():
    old = version(1, [line("Seats", "10", "50", product_id=1), line("Onboarding", product_id=2)])
    new = version(
        2,
        [
            line("Seats (annual)", "12", "45", "10", product_id=1),
            line("Premium support", "1", "300", product_id=3),
        ],
    )

    diff = version_diff(old, new)

    assert [x.name for x in diff.added] == ["Premium support"]
    assert [x.name for x in diff.removed] == ["Onboarding"]
    assert len(diff.changed) == 1
    assert diff.changed[0].name == "Seats (annual)"
    assert diff.changed[0].changes == (
        Change("Name", "Seats", "Seats (annual)"),
        Change("Quantity", D("10"), D("12")),
        Change("Unit price", D("50"), D("45")),
        Change("Line discount %", D("0"), D("10")),
        Change("Line total", D("500.00"), D("486.00")),
    )


def test_free_lines_are_matched_by_name_ignoring_case():
    old = version(1, [line("Travel costs", "1", "200")])
    new = version(2, [line("travel costs", "1", "150")])

    diff = version_diff(old, new)

    assert diff.added == () and diff.removed == ()
    assert diff.changed[0].changes[1:] == (
        Change("Unit price", D("200"), D("150")),
        Change("Line total", D("200.00"), D("150.00")),
    )


def test_a_product_twice_is_matched_in_order():
    old = version(1, [line("Seat", "1", product_id=1), line("Seat", "2", product_id=1)])
    new = version(2, [line("Seat", "1", product_id=1)])

    diff = version_diff(old, new)

    assert diff.changed == ()
    assert [x.quantity for x in diff.removed] == [D("2")]


def test_quote_level_changes_are_listed():
    old = version(1, [])
    new = version(
        2,
        [],
        discount_percent=D("15"),
        tax_percent=D("20"),
        terms="Net 45",
        valid_until=date(2025, 5, 31),
        total=D("85"),
    )

    diff = version_diff(old, new)

    assert diff.quote_changes == (
        Change("Quote discount %", D("0"), D("15")),
        Change("Tax %", D("19"), D("20")),
        Change("Terms", "Net 30", "Net 45"),
        Change("Valid until", date(2025, 4, 30), date(2025, 5, 31)),
        Change("Total", D("100"), D("85")),
    )


def test_whitespace_only_terms_edits_are_not_changes():
    diff = version_diff(version(1, [], terms="Net 30\n"), version(2, [], terms="Net 30"))

    assert diff.is_empty
