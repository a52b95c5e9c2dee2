"""Reading ad-platform exports: pure functions, no database."""

from datetime import date
from decimal import Decimal

import pytest

from revline.campaigns import spend_import as p

TODAY = date(2025, 4, 1)

GOOGLE = (
    "Campaign report\n"
    "March 1, 2025 - March 2, 2025\n"
    "Day\tCampaign\tAd group\tCurrency code\tImpr.\tClicks\tCost\n"
    "2025-03-01\tSpring launch\tBrand\tEUR\t1,200\t30\t45.50\n"
    "2025-03-01\tSpring launch\tGeneric\tEUR\t800\t10\t4.50\n"
    "2025-03-02\tSpring launch\tBrand\tEUR\t --\t0\t0.00\n"
    "Total: Account\t\t\t\t2,000\t40\t50.00\n"
)
META = (
    "Reporting starts,Reporting ends,Campaign name,Ad set name,Ad name,Impressions,"
    "Link clicks,Amount spent (EUR)\n"
    "2025-03-01,2025-03-01,Spring launch,Set 1,Video A,2500,41,61.20\n"
    "2025-03-02,2025-03-02,Spring launch,Set 1,Video A,1800,,38.05\n"
)
LINKEDIN = (
    "Campaign Performance Report (in UTC)\n"
    "Report Start: 3/1/2025\n"
    "Report End: 3/2/2025\n"
    "\n"
    '"Start Date (in UTC)","Account Name","Campaign Name","Impressions","Clicks",'
    '"Total Spent","Currency"\n'
    '"3/1/2025","Acme","Spring launch","5000","25","1,234.56","EUR"\n'
    '"3/2/2025","Acme","Spring launch","4100","19","987.10","EUR"\n'
)


def read(text: str | bytes, *, currency: str = "EUR", **options) -> p.ParsedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    table = p.read_table(p.decode(data))
    detected = p.detect_layout(table)
    assert detected is not None
    layout, position = detected
    return p.parse(
        table,
        layout=layout,
        header_position=position,
        options=p.Options(default_currency=currency, **options),
        today=TODAY,
    )


def test_google_ads_utf16_tab_export_with_preamble_and_total_row():
    # Given: Google Ads' "CSV (Excel)" download: UTF-16 with BOM, tab-separated, report title
    # and date range above the header, a Total row below the data.
    data = GOOGLE.encode("utf-16")
    # When
    parsed = read(data)
    # Then
    assert (parsed.layout, parsed.header_line, parsed.summary_rows) == ("google_ads", 3, 1)
    assert parsed.errors == []
    assert parsed.rows == [
        p.SpendRow(
            4, date(2025, 3, 1), "Spring launch", "Brand", Decimal("45.50"), "EUR", 1200, 30
        ),
        p.SpendRow(
            5, date(2025, 3, 1), "Spring launch", "Generic", Decimal("4.50"), "EUR", 800, 10
        ),
        p.SpendRow(6, date(2025, 3, 2), "Spring launch", "Brand", Decimal("0.00"), "EUR", 0, 0),
    ]


def test_meta_ads_manager_takes_the_currency_from_the_spend_header():
    parsed = read(META, currency="USD")

    assert parsed.layout == "meta_ads"
    assert parsed.errors == []
    assert [(r.line, r.day, r.creative, r.spend, r.currency, r.clicks) for r in parsed.rows] == [
        (2, date(2025, 3, 1), "Video A", Decimal("61.20"), "EUR", 41),
        (3, date(2025, 3, 2), "Video A", Decimal("38.05"), "EUR", 0),  # blank clicks read as 0
    ]


def test_meta_rows_that_span_several_days_are_refused():
    text = META.replace("2025-03-01,2025-03-01", "2025-03-01,2025-03-31")

    parsed = read(text)

    assert [r.line for r in parsed.rows] == [3]
    assert parsed.errors == [
        p.RowError(
            2,
            "The row covers 2025-03-01 to 2025-03-31; export one row per day "
            "(break the report down by day)",
        )
    ]


def test_linkedin_campaign_manager_with_us_dates_and_a_preamble():
    parsed = read(LINKEDIN)

    assert (parsed.layout, parsed.header_line) == ("linkedin_ads", 5)
    assert [(r.line, r.day, r.spend, r.impressions) for r in parsed.rows] == [
        (6, date(2025, 3, 1), Decimal("1234.56"), 5000),
        (7, date(2025, 3, 2), Decimal("987.10"), 4100),
    ]


def test_utf8_bom_semicolons_and_decimal_commas():
    text = "\ufeff" + META.replace(",", ";").replace("61.20", "1.061,20").replace("38.05", "38,05")

    parsed = read(text.encode("utf-8"))

    assert parsed.decimal_mark == ","
    assert [r.spend for r in parsed.rows] == [Decimal("1061.20"), Decimal("38.05")]


def test_windows_1252_file_is_read():
    text = META.replace("Video A", "Vidéo € A")

    parsed = read(text.encode("cp1252"))

    assert [r.creative for r in parsed.rows] == ["Vidéo € A", "Vidéo € A"]


@pytest.mark.parametrize(
    ("raw", "mark", "expected"),
    [
        ("1,234.56", ".", Decimal("1234.56")),
        ("1.234,56", ",", Decimal("1234.56")),
        ("€1,234.50", ".", Decimal("1234.50")),
        ("1 234,50 €", ",", Decimal("1234.50")),
        ("USD 12.00", ".", Decimal("12.00")),
        ("12.00EUR", ".", Decimal("12.00")),
        ("1'234.5", ".", Decimal("1234.5")),
        ("--", ".", Decimal("0")),
        ("", ".", Decimal("0")),
        ("(0.00)", ".", Decimal("0.00")),
    ],
)
def test_numbers_with_symbols_and_thousands_separators(raw, mark, expected):
    assert p.parse_number(raw, mark) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-5.00", "is negative"),
        ("(5.00)", "is negative"),
        ("abc", "is not a number"),
        ("1,2,3.4.5", "is not a number"),
        ("12.5.", "is not a number"),
        ("1e5", "is not a number"),
        ("9" * 40, "is too large"),
    ],
)
def test_bad_numbers_say_why(raw, reason):
    with pytest.raises(ValueError, match=reason):
        p.parse_number(raw, ".")


def test_decimal_mark_comes_from_the_first_value_that_proves_it():
    assert p.decimal_mark(["1,234", "12,5"], ",") == ","
    assert p.decimal_mark(["1,234", "1,234,567"], ";") == "."
    assert p.decimal_mark(["1.234"], ";") == ","  # undecided: semicolon files use commas
    assert p.decimal_mark(["1.234"], ",") == "."


def test_every_bad_row_is_listed_with_its_line_and_reason():
    # Given: a Meta export with one good row and a bad value in each other row
    text = (
        "Reporting starts,Campaign name,Impressions,Link clicks,Amount spent (EUR)\n"
        "2025-03-01,Spring launch,100,5,10.00\n"
        "2025-02-30,Spring launch,100,5,10.00\n"
        "2025-03-02,Spring launch,100,5,-10.00\n"
        "2025-03-03,Spring launch,100,5,ten\n"
        "2025-03-04,,100,5,10.00\n"
        f"2025-03-05,{'x' * 201},100,5,10.00\n"
        "2025-03-06,Spring launch,12.5,5,10.00\n"
        "2099-01-01,Spring launch,100,5,10.00\n"
        "1999-12-31,Spring launch,100,5,10.00\n"
    )
    # When
    parsed = read(text)
    # Then
    assert [r.line for r in parsed.rows] == [2]
    assert parsed.errors == [
        p.RowError(3, "Date “2025-02-30” is not a valid date (expected YYYY-MM-DD)"),
        p.RowError(4, "Spend “-10.00” is negative"),
        p.RowError(5, "Spend “ten” is not a number"),
        p.RowError(6, "Campaign is missing"),
        p.RowError(7, "Campaign name is longer than 200 characters"),
        p.RowError(8, "Impressions “12.5” is not a whole number"),
        p.RowError(9, "Date “2099-01-01” is in the future"),
        p.RowError(10, "Date “1999-12-31” is before 2000"),
    ]


def test_unknown_or_missing_currency_is_a_row_error():
    text = LINKEDIN.replace('"987.10","EUR"', '"987.10","EURO"')

    parsed = read(text, currency="")

    assert parsed.errors == [
        p.RowError(7, "Currency: “EURO” is not an ISO 4217 currency code (e.g. EUR, USD, GBP).")
    ]


def test_line_numbers_count_lines_inside_quoted_cells():
    text = (
        "Reporting starts,Campaign name,Impressions,Link clicks,Amount spent (EUR)\n"
        '2025-03-01,"Spring\nlaunch",100,5,10.00\n'
        "2025-03-02,Spring launch,100,5,bad\n"
    )

    parsed = read(text)

    assert [(r.line, r.campaign) for r in parsed.rows] == [(2, "Spring launch")]
    assert parsed.errors == [p.RowError(4, "Spend “bad” is not a number")]


def test_hostile_cells_are_reported_shortened_never_stored():
    text = (
        "Reporting starts,Campaign name,Impressions,Link clicks,Amount spent (EUR)\n"
        f"2025-03-01,Spring launch,100,5,{'9' * 10_000}\n"
        f"<script>alert(1)</script>,Spring launch,100,5,1\n"
    )

    parsed = read(text)

    assert parsed.rows == []
    assert parsed.errors == [
        p.RowError(2, "Spend: value longer than 1,000 characters"),
        p.RowError(3, "Date “<script>alert(1)</script>” is not a valid date (expected YYYY-MM-DD)"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (
            b"PK\x03\x04rest-of-a-zip",
            "This is an Excel workbook, not CSV: export or save it as CSV.",
        ),
        (b"a,b\n\x00\x01,c\n", "The file contains binary data (NUL characters): is it a CSV?"),
        (
            b"x" * (p.MAX_FILE_BYTES + 1),
            "The file is 5.0 MB; the limit is 5 MB. Export a shorter date range.",
        ),
    ],
)
def test_files_that_are_refused_whole(data, message):
    with pytest.raises(p.FileError) as error:
        p.read_table(p.decode(data))
    assert str(error.value) == message


def test_too_many_rows_is_refused():
    text = "Day,Campaign,Impressions,Clicks,Cost\n" + "2025-03-01,A,1,1,1\n" * (p.MAX_ROWS + 21)

    with pytest.raises(p.FileError, match="more than 50,000 rows"):
        p.read_table(text)


def test_unknown_headers_are_not_a_layout_and_get_a_guess():
    table = p.read_table("When,Campaign name,Cost,Whatever\n2025-03-01,A,1,x\n")

    assert p.detect_layout(table) is None
    assert p.generic_header_position(table) == 0
    assert p.guess_generic_columns(table.rows[0][1]) == {"campaign": 1, "spend": 2}


def test_generic_layout_uses_the_chosen_columns_and_date_format():
    table = p.read_table("Kosten;Tag;Kampagne\n1.234,50;03.01.2025;Spring launch\n")

    parsed = p.parse(
        table,
        layout=p.GENERIC,
        header_position=0,
        options=p.Options(default_currency="EUR", date_format="dmy_dot"),
        today=TODAY,
        columns={"spend": 0, "date": 1, "campaign": 2},
    )

    assert parsed.errors == []
    assert parsed.rows == [
        p.SpendRow(2, date(2025, 1, 3), "Spring launch", "", Decimal("1234.50"), "EUR", 0, 0)
    ]


CAMPAIGNS = [
    p.CampaignRef(id=1, name="Spring launch", utm_campaign="spring-launch", currency="EUR"),
    p.CampaignRef(id=2, name="Webinar", utm_campaign="webinar-q2", currency="USD"),
    p.CampaignRef(id=3, name="Twin", utm_campaign="", currency="EUR"),
    p.CampaignRef(id=4, name="twin", utm_campaign="", currency="EUR"),
]


def row(line: int, campaign: str, *, creative: str = "", currency: str = "EUR", spend="10"):
    return p.SpendRow(line, date(2025, 3, 1), campaign, creative, Decimal(spend), currency, 100, 4)


def test_campaign_names_match_by_name_then_utm_campaign():
    assert p.match_campaign("SPRING  launch", CAMPAIGNS) == 1
    assert p.match_campaign("Spring Launch!", CAMPAIGNS) == 1  # its slug is the utm_campaign
    assert p.match_campaign("webinar-q2", CAMPAIGNS) == 2
    assert p.match_campaign("Twin", CAMPAIGNS) is None  # two campaigns: the person chooses
    assert p.match_campaign("Nothing", CAMPAIGNS) is None


def test_resolve_maps_names_checks_currency_and_finds_creatives():
    rows = [
        row(2, "Spring launch", creative="Video A"),
        row(3, "Spring launch", creative="Not a creative"),
        row(4, "Webinar"),  # EUR spend on a USD campaign
        row(5, "Brand search"),
        row(6, "Brand Search"),
        row(7, "Twin"),
        row(8, "Old stuff"),
    ]
    creatives = [p.CreativeRef(id=9, campaign_id=1, name="video a")]

    result = p.resolve(
        rows,
        campaigns=CAMPAIGNS,
        creatives=creatives,
        campaign_map={"twin": 4, "old stuff": p.SKIP},
    )

    assert [(r.line, r.campaign_id, r.creative_id) for r in result.rows] == [
        (2, 1, 9),
        (3, 1, None),
        (7, 4, None),
    ]
    assert result.errors == [
        p.RowError(4, "Spend is in EUR but campaign “Webinar” is in USD"),
        p.RowError(5, "Campaign “Brand search” is not a Revline campaign: choose one for it below"),
        p.RowError(6, "Campaign “Brand Search” is not a Revline campaign: choose one for it below"),
    ]
    assert result.unknown == {"brand search": ("Brand search", 2)}
    assert result.skipped_rows == 1


def test_aggregate_sums_rows_of_the_same_campaign_creative_and_day():
    resolved = p.resolve(
        [row(2, "Spring launch", spend="45.50"), row(3, "Spring launch", spend="4.50")],
        campaigns=CAMPAIGNS,
        creatives=[],
        campaign_map={},
    ).rows

    assert p.aggregate(resolved) == [
        p.Total(
            campaign_id=1,
            creative_id=None,
            day=date(2025, 3, 1),
            currency="EUR",
            spend=Decimal("50.00"),
            impressions=200,
            clicks=8,
            lines=2,
        )
    ]
