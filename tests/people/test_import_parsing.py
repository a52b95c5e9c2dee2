"""Reading and checking import files: encodings, delimiters, headers, rows. No database."""

import codecs
import re
import threading

import pytest
from openpyxl import Workbook

from revline.people import import_parsing as parsing
from revline.people.import_parsing import ImportFileError, RowError


def write(tmp_path, data: bytes, name: str = "f.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


TEXT = "Email,Name\nzoë@example.com,Zoë Ærø\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with a BOM
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_detect_encoding(tmp_path, data, encoding):
    # Given a file in some encoding, when it is detected, then the encoding is named
    assert parsing.detect_encoding(write(tmp_path, data)) == encoding


def test_detect_encoding_reads_past_the_sample(tmp_path):
    # Given UTF-8 for 100 kB and then one Windows-1252 byte
    data = b"Email\n" + b"a@example.com\n" * 8000 + "é\n".encode("cp1252")
    # Then the whole file is judged, not only its start
    assert parsing.detect_encoding(write(tmp_path, data)) == "cp1252"


def test_binary_file_is_refused(tmp_path):
    with pytest.raises(ImportFileError, match="does not look like a text"):
        parsing.detect_encoding(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"))


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("email\nx@y.z\n", ","),
    ],
)
def test_sniff_delimiter(sample, delimiter):
    assert parsing.sniff_delimiter(sample) == delimiter


@pytest.mark.parametrize(
    ("first_row", "message"),
    [
        ("", "first row is blank"),
        ("Email,,Name", "Column 2 has no name"),
        ("Email,Name,email", "Two columns are named “email” (columns 1 and 3)"),
        ("ann@example.com,Ann", "The first row looks like data"),
    ],
)
def test_bad_headers_are_refused_with_a_reason(tmp_path, first_row, message):
    path = write(tmp_path, f"{first_row}\nann@example.com,Ann,x\n".encode())
    with pytest.raises(ImportFileError, match=re.escape(message)):
        parsing.read_headers(path, "f.csv")


def test_trailing_empty_header_cells_are_dropped(tmp_path):
    path = write(tmp_path, b"Email,Name,,\na@b.co,A,,\n")
    assert parsing.read_headers(path, "f.csv") == ["Email", "Name"]


def test_file_format():
    assert parsing.file_format("x.CSV") == "csv"
    assert parsing.file_format("x.xlsx") == "xlsx"
    with pytest.raises(ImportFileError, match=r"Old Excel files \(\.xls\)"):
        parsing.file_format("x.xls")
    with pytest.raises(ImportFileError, match="Upload a CSV file"):
        parsing.file_format("x.exe")


def test_suggest_mapping_from_header_names():
    headers = ["E-mail", "First Name", "SURNAME", "Company", "Tags", "Opt-in", "Notes", "Mail"]
    assert parsing.suggest_mapping("contacts", headers) == {
        "E-mail": "email",
        "First Name": "first_name",
        "SURNAME": "last_name",
        "Company": "company",
        "Tags": "tag",
        "Opt-in": "consent",
        "Notes": "",
        "Mail": "",  # email is taken by the first column
    }
    assert parsing.suggest_mapping("companies", ["Company", "Website", "Employees"]) == {
        "Company": "name",
        "Website": "domain",
        "Employees": "size",
    }


def test_mapping_errors():
    headers = ["A", "B", "C"]
    assert parsing.mapping_errors("contacts", headers, {"A": "email", "B": "tag", "C": "tag"}) == []
    assert parsing.mapping_errors("contacts", headers, {"A": "first_name", "B": "first_name"}) == [
        "Columns “A” and “B” are both mapped to First name; choose one.",
        "Map a column to Email: every row needs one.",
    ]
    assert parsing.mapping_errors("companies", headers, {"A": "name", "B": "consent"}) == [
        "Column “B”: “consent” is not something it can be imported as."
    ]


PLAN = parsing.compile_plan(
    "contacts",
    ["Email", "First", "Country", "Stage", "Tags", "Consent", "Notes"],
    {"Email": "email", "First": "first_name", "Country": "country", "Stage": "lifecycle_stage",
     "Tags": "tag", "Consent": "consent", "Notes": ""},
)  # fmt: skip


def test_clean_row_normalises_values():
    row = parsing.clean_row(
        PLAN, 7, [" Ann@Example.COM ", "Ann", "de", "MQL", "VIP, Partner;;", "Yes", "ignored"]
    )
    assert row.line == 7
    assert row.values == {
        "email": "ann@example.com",
        "first_name": "Ann",
        "country": "DE",
        "lifecycle_stage": "mql",
    }
    assert row.tags == ["vip", "partner"]
    assert row.consent is True
    assert row.key == "ann@example.com"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["not-an-email"], "Email: invalid email address “not-an-email”"),
        ([""], "Email: empty, every row needs one"),
        (["a@b.co", "x" * 101], "First: longer than 100 characters (101)"),
        (["a@b.co", "", "Germany"], "Country: bad country code “Germany”: use two letters"),
        (["a@b.co", "", "", "hot lead"], "Stage: unknown lifecycle stage “hot lead”"),
        (["a@b.co", "", "", "", "", "maybe"], "Consent: not a yes/no answer “maybe”"),
        (["a@b.co", "", "", "", "t" * 51], "Tags: tag “" + "t" * 51 + "” is longer than 50"),
        (["a@b.co", "A\x00"], "First: contains a NUL character"),
        (["a@b.co", 'A",b\n3'], "First: contains a line break (a quote never closed?)"),
        (["a@b.co", "", "", "", "", "", "", "extra"], "8 values but the first row names 7"),
    ],
)
def test_clean_row_says_what_is_wrong(cells, reason):
    with pytest.raises(RowError) as info:
        parsing.clean_row(PLAN, 2, cells)
    assert str(info.value).startswith(reason)


def test_clean_row_pads_short_rows_and_accepts_empty_extra_cells():
    row = parsing.clean_row(PLAN, 2, ["a@b.co"])
    assert row.values == {"email": "a@b.co"}
    row = parsing.clean_row(PLAN, 2, ["a@b.co", "", "", "", "", "", "", "", ""])
    assert row.values == {"email": "a@b.co"}


def test_company_rows():
    plan = parsing.compile_plan(
        "companies", ["Name", "Web", "Size"], {"Name": "name", "Web": "domain", "Size": "size"}
    )
    row = parsing.clean_row(plan, 2, ["Acme", "https://www.Acme.com/about", "11–50"])
    assert row.values == {"name": "Acme", "domain": "acme.com", "size": "11-50"}
    assert row.key == "domain:acme.com"
    with pytest.raises(RowError, match="Web: not a domain name “acme”"):
        parsing.clean_row(plan, 2, ["Acme", "acme", ""])
    with pytest.raises(RowError, match="Size: unknown company size “huge”"):
        parsing.clean_row(plan, 2, ["Acme", "", "huge"])


def test_open_rows_streams_csv_with_line_numbers(tmp_path):
    # Given a semicolon file with a quoted semicolon and a blank line
    path = write(tmp_path, b'Email;Name\n"a@b.co";"Doe; Ann"\n\nc@d.co;Carl\n')
    with parsing.open_rows(path, "f.csv") as rows:
        assert rows.headers == ["Email", "Name"]
        assert list(rows.stream) == [(2, ["a@b.co", "Doe; Ann"]), (4, ["c@d.co", "Carl"])]


def test_open_rows_stops_at_a_quote_that_never_closes(tmp_path):
    # Given a quote opened on line 3 and never closed, with more than a field's worth after it
    body = 'Email,Name\na@b.co,Ann\nc@d.co,"Carl\n' + "x@y.co,Xavier\n" * 10_000
    path = write(tmp_path, body.encode())
    with parsing.open_rows(path, "f.csv") as rows:
        stream = rows.stream
        assert next(stream) == (2, ["a@b.co", "Ann"])
        with pytest.raises(parsing.UnreadableRest) as info:
            next(stream)
    assert info.value.line == 3
    assert "the rest was not read" in str(info.value)


def test_open_rows_reads_xlsx(tmp_path):
    # Given a workbook with numbers, empty cells and a blank row
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Phone", "Name"])
    sheet.append(["a@b.co", 4915112345678, "Ann"])
    sheet.append([None, None, None])
    sheet.append(["c@d.co", None, "Carl"])
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    with parsing.open_rows(path, "f.xlsx") as rows:
        assert rows.headers == ["Email", "Phone", "Name"]
        assert list(rows.stream) == [
            (2, ["a@b.co", "4915112345678", "Ann"]),
            (4, ["c@d.co", "", "Carl"]),
        ]


def test_broken_xlsx_is_refused(tmp_path):
    path = write(tmp_path, b"PK\x03\x04 not really a zip", "f.xlsx")
    with pytest.raises(ImportFileError, match="not a readable Excel workbook"):
        parsing.read_headers(path, "f.xlsx")


# --- Reading ahead -------------------------------------------------------------------------------


def test_read_ahead_gives_every_item_in_order():
    with parsing.read_ahead(iter(range(50)), depth=2) as items:
        assert list(items) == list(range(50))


def test_read_ahead_raises_the_producers_error_after_the_items_before_it():
    def broken():
        yield 1
        yield 2
        raise OSError("disk gone")

    received = []
    with pytest.raises(OSError, match="disk gone"), parsing.read_ahead(broken()) as items:
        for item in items:
            received.append(item)
    assert received == [1, 2]


def test_leaving_read_ahead_early_stops_the_thread():
    # Given a producer that could go on forever
    produced = []

    def endless():
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1

    # When the consumer leaves after two items
    with parsing.read_ahead(endless(), depth=1) as items:
        assert [next(items), next(items)] == [0, 1]
    # Then the thread has stopped (the block waits for it): it was at most a few items ahead,
    # and produces nothing more
    count = len(produced)
    assert count <= 5
    assert not any(t.name == "import-read-ahead" for t in threading.enumerate())
    assert len(produced) == count
