"""The spend import through its pages: upload → (columns) → preview → commit."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revline.campaigns.models import AdSpend, Campaign, Channel, SpendImport
from revline.campaigns.spend_import import MAX_FILE_BYTES
from revline.core.models import Role

from ..conftest import make_user

GOOGLE = (
    "Campaign report\n"
    "March 1, 2025 - March 2, 2025\n"
    "Day\tCampaign\tAd group\tCurrency code\tImpr.\tClicks\tCost\n"
    "2025-03-01\tSpring launch\tBrand\tEUR\t1,200\t30\t45.50\n"
    "2025-03-01\tSpring launch\tGeneric\tEUR\t800\t10\t4.50\n"
    "2025-03-02\tspring-launch\tBrand\tEUR\t500\t5\t20.00\n"
    "2025-03-02\tBrand Search\tBrand\tEUR\t300\t3\t9.99\n"
    "2025-03-03\tSpring launch\tBrand\tEUR\t300\t3\t-1.00\n"
    "Total: Account\t\t\t\t3,100\t51\t80.00\n"
)


@pytest.fixture
def spring(db) -> Campaign:
    return Campaign.objects.create(
        name="Spring launch",
        channel=Channel.PAID_SEARCH,
        currency="EUR",
        utm_campaign="spring-launch",
    )


@pytest.fixture
def brand(db) -> Campaign:
    return Campaign.objects.create(name="Brand 2025", channel=Channel.PAID_SEARCH, currency="EUR")


def upload(client, text: str | bytes, *, name="report.csv", layout="auto", currency="EUR"):
    data = text.encode("utf-16") if isinstance(text, str) else text
    return client.post(
        "/campaigns/spend/import",
        {
            "file": SimpleUploadedFile(name, data, "text/csv"),
            "layout": layout,
            "currency": currency,
        },
    )


def draft_id(response) -> int:
    """The draft's id from the redirect to its preview (or column-mapping) page."""
    return int(response["Location"].removesuffix("columns").rstrip("/").split("/")[-1])


def stored(campaign: Campaign) -> list[tuple]:
    return list(
        AdSpend.objects.filter(campaign=campaign)
        .order_by("date")
        .values_list("date", "source", "spend", "impressions", "clicks")
    )


def test_preview_lists_good_rows_and_every_bad_row_and_writes_nothing(client, marketer, spring):
    client.force_login(marketer)

    response = upload(client, GOOGLE)

    assert response.status_code == 302
    pk = draft_id(response)
    assert response["Location"] == f"/campaigns/spend/import/{pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    preview = page.context["preview"]
    assert (preview.data_rows, preview.good_lines, preview.summary_rows) == (6, 3, 1)
    assert [(e.line, e.reason) for e in preview.errors] == [
        (7, "Campaign “Brand Search” is not a Revline campaign: choose one for it below"),
        (8, "Spend “-1.00” is negative"),
    ]
    assert [(t.day, t.spend, t.impressions, t.clicks, t.lines) for t in preview.totals] == [
        (date(2025, 3, 1), Decimal("50.00"), 2000, 40, 2),
        (date(2025, 3, 2), Decimal("20.00"), 500, 5, 1),
    ]
    html = page.content.decode()
    assert '<td data-line="7">7</td>' in html
    assert "Commit 2 day figures" in html
    # Nothing is written before commit: the upload is only a draft.
    assert AdSpend.objects.count() == 0
    assert SpendImport.objects.filter(committed_at__isnull=False).count() == 0


def test_commit_writes_the_good_rows_and_records_the_import(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))

    response = client.post(f"/campaigns/spend/import/{pk}/commit")

    assert response.status_code == 302
    assert response["Location"] == "/campaigns/spend/import"
    assert stored(spring) == [
        (date(2025, 3, 1), "google_ads", Decimal("50.00"), 2000, 40),
        (date(2025, 3, 2), "google_ads", Decimal("20.00"), 500, 5),
    ]
    done = SpendImport.objects.get()
    assert (done.layout, done.row_count, done.error_count, done.uploaded_by) == (
        "google_ads",
        2,
        2,
        marketer,
    )
    assert done.file_sha256 == hashlib.sha256(GOOGLE.encode("utf-16")).hexdigest()
    assert "text" not in done.column_map
    assert set(AdSpend.objects.values_list("spend_import", flat=True)) == {done.pk}
    html = client.get("/campaigns/spend/import").content.decode()
    assert "Imported “report.csv”: 2 new day figures, 0 replaced, 2 rows left out." in html


def test_importing_the_same_file_again_replaces_instead_of_doubling(client, marketer, spring):
    client.force_login(marketer)
    client.post(f"/campaigns/spend/import/{draft_id(upload(client, GOOGLE))}/commit")

    # When: the same file is uploaded again
    pk = draft_id(upload(client, GOOGLE))
    page = client.get(f"/campaigns/spend/import/{pk}/")
    # Then: the preview says so before anything happens
    assert page.context["preview"].replaces == 2
    assert 'id="already-imported"' in page.content.decode()
    client.post(f"/campaigns/spend/import/{pk}/commit")
    assert stored(spring) == [
        (date(2025, 3, 1), "google_ads", Decimal("50.00"), 2000, 40),
        (date(2025, 3, 2), "google_ads", Decimal("20.00"), 500, 5),
    ]
    assert SpendImport.objects.filter(committed_at__isnull=False).count() == 2


def test_a_newer_export_replaces_the_figures_of_the_same_days(client, marketer, spring):
    client.force_login(marketer)
    client.post(f"/campaigns/spend/import/{draft_id(upload(client, GOOGLE))}/commit")

    newer = GOOGLE.replace("20.00", "25.00")
    client.post(f"/campaigns/spend/import/{draft_id(upload(client, newer))}/commit")

    assert [row[2] for row in stored(spring)] == [Decimal("50.00"), Decimal("25.00")]


def test_unknown_campaign_names_are_mapped_in_the_preview(client, marketer, spring, brand):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))
    url = f"/campaigns/spend/import/{pk}/"
    form = client.get(url).context["map_form"]
    assert [(key, name, count) for key, name, count, _ in form.rows] == [
        ("brand search", "Brand Search", 1)
    ]

    response = client.post(url, {"map_0": str(brand.pk)})

    assert response.status_code == 302
    preview = client.get(url).context["preview"]
    assert [(e.line, e.reason) for e in preview.errors] == [(8, "Spend “-1.00” is negative")]
    assert AdSpend.objects.count() == 0
    client.post(f"/campaigns/spend/import/{pk}/commit")
    assert stored(brand) == [(date(2025, 3, 2), "google_ads", Decimal("9.99"), 300, 3)]


def test_mapped_names_can_be_skipped(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))
    url = f"/campaigns/spend/import/{pk}/"

    client.post(url, {"map_0": "0"})

    preview = client.get(url).context["preview"]
    assert (preview.skipped_rows, len(preview.errors), preview.unknown) == (1, 1, [])


def test_mapping_to_a_campaign_that_does_not_exist_is_refused(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))

    response = client.post(f"/campaigns/spend/import/{pk}/", {"map_0": "999999"})

    assert response.status_code == 400
    assert SpendImport.objects.get().column_map["campaign_map"] == {}


def test_generic_file_goes_through_the_column_mapping_step(client, marketer, spring):
    client.force_login(marketer)
    text = "Kosten;Tag;Kampagne;Klicks\n1.234,50;03.01.2025;Spring launch;12\n"

    response = upload(client, text.encode("utf-8"), layout="generic")

    pk = SpendImport.objects.get().pk
    assert response["Location"] == f"/campaigns/spend/import/{pk}/columns"
    columns_url = f"/campaigns/spend/import/{pk}/columns"
    assert client.get(f"/campaigns/spend/import/{pk}/")["Location"] == columns_url
    bad = client.post(columns_url, {"col_date": "1", "col_campaign": "2", "date_format": "dmy_dot"})
    assert bad.status_code == 400
    assert "This field is required." in bad.context["form"].errors["col_spend"]
    same = client.post(
        columns_url,
        {"col_date": "1", "col_campaign": "1", "col_spend": "0", "date_format": "dmy_dot"},
    )
    assert same.status_code == 400
    assert same.context["form"].errors["col_campaign"] == ["This column is already used for Date."]

    ok = client.post(
        columns_url,
        {
            "col_date": "1",
            "col_campaign": "2",
            "col_spend": "0",
            "col_clicks": "3",
            "date_format": "dmy_dot",
            "decimal_mark": ",",
        },
    )

    assert ok.status_code == 302
    client.post(f"/campaigns/spend/import/{pk}/commit")
    assert stored(spring) == [(date(2025, 1, 3), "generic", Decimal("1234.50"), 0, 12)]


def test_unrecognised_file_is_offered_the_column_mapping(client, marketer, spring):
    client.force_login(marketer)

    response = upload(client, b"When,What,How much\n2025-03-01,Spring launch,3\n")

    assert response["Location"].endswith("/columns")
    assert SpendImport.objects.get().layout == "generic"


def test_hostile_file_shows_escaped_errors_and_commits_nothing(client, marketer, spring):
    # Given: script payloads in every cell the import reads, and 10,000-character cells
    payload = "<script>alert(1)</script>"
    text = (
        "Reporting starts,Campaign name,Ad name,Impressions,Link clicks,Amount spent (EUR)\n"
        f"{payload},Spring launch,x,1,1,1.00\n"
        f"2025-03-01,{payload},x,1,1,1.00\n"
        f"2025-03-01,Spring launch,x,{payload},1,1.00\n"
        f"2025-03-01,Spring launch,x,1,1,{'9' * 10_000}\n"
        f"2025-03-01,{'A' * 10_000},x,1,1,1.00\n"
        f"2025-03-01,Spring launch,{'<img src=x onerror=alert(1)>' * 400},1,1,1.00\n"
    )
    client.force_login(marketer)

    pk = draft_id(upload(client, text.encode("utf-8"), name=f"{payload}.csv"))
    page = client.get(f"/campaigns/spend/import/{pk}/")

    assert page.status_code == 200
    assert [(e.line, e.reason[:40]) for e in page.context["preview"].errors] == [
        (2, "Date “<script>alert(1)</script>” is not "),
        (3, "Campaign “<script>alert(1)</script>” is "),
        (4, "Impressions “<script>alert(1)</script>” "),
        (5, "Spend: value longer than 1,000 character"),
        (6, "Campaign name is longer than 200 charact"),
        (7, "Ad / creative name is longer than 200 ch"),
    ]
    html = page.content.decode()
    assert payload not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "9" * 1001 not in html
    # Committing a file without a good row writes nothing and says why.
    response = client.post(f"/campaigns/spend/import/{pk}/commit", follow=True)
    assert (
        "No row can be imported: correct the file or map its campaigns."
        in response.content.decode()
    )
    assert AdSpend.objects.count() == 0
    assert SpendImport.objects.get().committed_at is None


@pytest.mark.parametrize(
    ("data", "layout", "field", "message"),
    [
        (b"x" * (MAX_FILE_BYTES + 1), "auto", "file", "the limit is 5 MB"),
        (b"", "auto", "file", "The submitted file is empty."),
        (b"PK\x03\x04zip", "auto", "file", "This is an Excel workbook, not CSV"),
        (
            b"When,What\n2025-03-01,x\n",
            "meta_ads",
            "layout",
            "do not look like a Meta Ads Manager export",
        ),
        (b"Day,Campaign,Impressions,Clicks,Cost\n", "generic", "currency", "is not an ISO 4217"),
    ],
)
def test_refused_uploads_say_why_and_store_nothing(client, marketer, data, layout, field, message):
    client.force_login(marketer)

    response = upload(client, data, layout=layout, currency="ZZZ" if field == "currency" else "EUR")

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert SpendImport.objects.count() == 0


def test_sales_rep_gets_403_everywhere(client, rep_a, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))
    client.force_login(rep_a)

    assert client.get("/campaigns/spend/import").status_code == 403
    assert upload(client, GOOGLE).status_code == 403
    assert client.get(f"/campaigns/spend/import/{pk}/").status_code == 403
    assert client.post(f"/campaigns/spend/import/{pk}/commit").status_code == 403
    assert client.post(f"/campaigns/spend/import/{pk}/discard").status_code == 403
    assert AdSpend.objects.count() == 0
    assert SpendImport.objects.count() == 1


def test_a_draft_belongs_to_its_uploader(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))
    client.force_login(make_user("marketer2", Role.MARKETER))

    assert client.get(f"/campaigns/spend/import/{pk}/").status_code == 404
    assert client.post(f"/campaigns/spend/import/{pk}/commit").status_code == 404
    assert AdSpend.objects.count() == 0


def test_commit_is_post_only_and_happens_once(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))

    assert client.get(f"/campaigns/spend/import/{pk}/commit").status_code == 405
    assert AdSpend.objects.count() == 0
    client.post(f"/campaigns/spend/import/{pk}/commit")
    assert client.post(f"/campaigns/spend/import/{pk}/commit").status_code == 404
    assert [row[2] for row in stored(spring)] == [Decimal("50.00"), Decimal("20.00")]


def test_discard_deletes_the_draft(client, marketer, spring):
    client.force_login(marketer)
    pk = draft_id(upload(client, GOOGLE))

    response = client.post(f"/campaigns/spend/import/{pk}/discard")

    assert response.status_code == 302
    assert SpendImport.objects.count() == 0
    assert AdSpend.objects.count() == 0


def test_column_mapping_page_escapes_the_file_headers(client, marketer, db):
    client.force_login(marketer)
    text = '"<script>alert(1)</script>",When,Cost\n"<img src=x onerror=alert(2)>",2025-03-01,1\n'
    pk = draft_id(upload(client, text.encode("utf-8"), layout="generic"))

    html = client.get(f"/campaigns/spend/import/{pk}/columns").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "1: &lt;script&gt;alert(1)&lt;/script&gt;" in html
