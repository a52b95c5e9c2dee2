"""`revline attribution FILE` and `revline journeys export`."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from revline.analytics.engine import PathRow
from revline.analytics.engine.journeys_io import read_paths
from revline.analytics.journeys import workspace_journeys
from revline.campaigns.models import Campaign, Channel
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.services import touchpoint_record

HEADER = "path;total_conversions;total_conversion_value;total_null\n"
CLASSIC = HEADER + "C1 > C2 > C3;1;100;0\nC1;0;0;1\nC2>C3;0;0;1\n"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "journeys.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_output_has_every_model_and_the_markov_removal_effects(tmp_path):
    out, _ = run("attribution", write(tmp_path, CLASSIC), "--json")

    document = json.loads(out)
    assert list(document) == [
        "first_touch",
        "last_touch",
        "linear",
        "position_based",
        "markov",
        "shapley",
        "removal_effects",
    ]
    assert document["markov"]["C1"] == {
        "conversions": pytest.approx(0.2),
        "value": pytest.approx(20),
    }
    assert document["markov"]["C3"] == {
        "conversions": pytest.approx(0.4),
        "value": pytest.approx(40),
    }
    assert document["removal_effects"] == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert document["first_touch"]["C1"] == {"conversions": 1.0, "value": 100.0}


def test_models_order_and_separator_options(tmp_path):
    text = CLASSIC.replace(";", "\t")

    out, _ = run("attribution", write(tmp_path, text), "--sep", "\\t", "--models", "shapley",
                 "--json")  # fmt: skip
    second, _ = run(
        "attribution", write(tmp_path, HEADER + "A>B;1;10;0\nC>B;0;0;1\n", "o2.csv"),
        "--models", "markov", "--order", "2", "--json",
    )  # fmt: skip

    assert list(json.loads(out)) == ["shapley"]
    assert json.loads(out)["shapley"]["C2"]["conversions"] == pytest.approx(1 / 3)
    assert json.loads(second)["removal_effects"] == pytest.approx({"A": 1, "B": 1, "C": 0})


def test_table_output_names_each_model_and_its_credits(tmp_path):
    out, _ = run("attribution", write(tmp_path, CLASSIC), "--models", "markov,linear")

    lines = out.splitlines()
    assert lines[0] == "3 paths: 1.00 conversions worth 100.00, 2.00 without conversion"
    assert "Markov chain (order 1)" in lines
    assert "Linear" in lines
    markov_at = lines.index("Markov chain (order 1)")
    assert lines[markov_at + 2].split() == ["C2", "0.40", "40.00", "40.0%", "1.0000"]
    assert lines[markov_at + 4].split() == ["C1", "0.20", "20.00", "20.0%", "0.5000"]
    assert "  conversion probability from start: 0.333333" in lines


def test_progress_line_on_stderr_for_large_files(tmp_path):
    text = HEADER + "A > B;1;10;2\n" * 25

    _, err = run("attribution", write(tmp_path, text), "--progress-every", "10", "--json")

    assert "read 10 rows" in err
    assert "read 20 rows" in err
    assert "read 25 rows, attributing" in err


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (HEADER + "A;1;10;0\nB;1;x;0\n", [], "line 3: total_conversion_value 'x' is not a number"),
        (HEADER + "A;1;10;0\nB;-1;0;0\n", [], "line 3: total_conversions is negative (-1)"),
        (HEADER + "A;1;10;0\n ;1;0;0\n", [], "line 3: empty path"),
        (HEADER + "A>>B;1;0;0\n", [], "line 2: empty channel name in path 'A>>B'"),
        (HEADER + "A;1;10;0\nB,1,0,0\n", [], "line 3: expected 4 fields separated by ';', found 1 "
                                             "(inconsistent separator: it contains ',')"),
        (HEADER + "A;1;10\n", [], "line 2: expected 4 fields separated by ';', found 3"),
        (HEADER.replace(";", ","), [], "line 1: no ';' separator in the header; the file seems "
                                        "to use ',': pass --sep"),
        ("path;conversions;value;null\n", [], "line 1: the header must name the columns"),
        ("", [], "line 1: the file is empty"),
        (HEADER + "A;inf;10;0\n", [], "line 2: total_conversions 'inf' is not a finite number"),
        (CLASSIC, ["--models", "markov,magic"], "unknown model(s): magic"),
        (CLASSIC, ["--models", "time_decay"], "time_decay needs the time of each touch"),
        (CLASSIC, ["--sep", "::"], "--sep must be one character"),
        (CLASSIC, ["--order", "0"], "--order must be 1 or more"),
    ],
)  # fmt: skip
def test_bad_files_and_options_name_the_problem(tmp_path, text, args, message):
    path = write(tmp_path, text)

    with pytest.raises(CommandError) as raised:
        run("attribution", path, *args)

    assert message in str(raised.value)
    if message.startswith("line"):
        assert str(raised.value).startswith(f"{path}: {message}")


def test_a_file_without_conversions_is_a_clear_error(tmp_path):
    path = write(tmp_path, HEADER + "A>B;0;0;5\nB;0;0;2\n")

    with pytest.raises(CommandError) as raised:
        run("attribution", path)

    assert str(raised.value) == (
        "the file has no conversions (2 paths, 7 non-converting journeys): "
        "there is nothing to attribute"
    )


def test_missing_file(tmp_path):
    with pytest.raises(CommandError) as raised:
        run("attribution", str(tmp_path / "nope.csv"))

    assert str(raised.value) == f"{tmp_path / 'nope.csv'}: no such file"


def test_reader_accepts_reordered_columns_quotes_and_blank_lines():
    lines = [
        "total_null,path,total_conversions,total_conversion_value\n",
        '3,"Search, brand > Email",2,19.5\n',
        "\n",
        "0,Direct,1,5\n",
    ]

    rows = list(read_paths(lines, separator=","))

    assert rows == [
        PathRow(("Search, brand", "Email"), 2.0, 19.5, 3.0),
        PathRow(("Direct",), 1.0, 5.0, 0.0),
    ]


# --- revline journeys export ---------------------------------------------------------------------

NOW = timezone.now()


def touch(contact, campaign, days_ago):
    touchpoint_record(
        kind="click", visitor=None, contact=contact, campaign=campaign,
        occurred_at=NOW - timedelta(days=days_ago),
    )  # fmt: skip


@pytest.fixture
def journeys(db, rep_a):
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    mail = Campaign.objects.create(name="News > letter", channel=Channel.EMAIL)
    ada = contact_create(actor=None, email="ada@example.com")
    bob = contact_create(actor=None, email="bob@example.com")
    cy = contact_create(actor=None, email="cy@example.com")
    dee = contact_create(actor=None, email="dee@example.com")
    for contact in (ada, bob):
        touch(contact, search, 30)
        touch(contact, mail, 20)
    touch(bob, search, -1)  # after bob's conversion: not in his path
    touch(cy, search, 10)
    touch(cy, mail, 5)  # cy never converts
    touch(dee, mail, 40)
    touch(dee, mail, 3)  # dee converted 10 days ago: her path is the first touch only
    for contact, amount, days_ago in ((ada, "900", 2), (bob, "100", 2), (dee, "50", 10)):
        deal = deal_create(actor=rep_a, name=contact.email, amount=Decimal(amount), contact=contact)
        deal_close_won(actor=rep_a, deal=deal, note="fit", at=NOW - timedelta(days=days_ago))
    return search, mail


def test_the_export_uses_the_apps_journeys_one_converting_path_per_won_deal(journeys):
    rows = workspace_journeys(dimension="channel").rows

    # ada and bob won after the same two touches; cy followed them without converting; dee's
    # deal closed after her first touch only.
    assert sorted(rows, key=lambda r: r.value) == [
        PathRow(("email",), 1.0, 50.0, 0.0),
        PathRow(("paid_search", "email"), 2.0, 1000.0, 1.0),
    ]


def test_since_keeps_the_deals_won_from_that_day_and_the_journeys_touched_since(journeys, tmp_path):
    target = tmp_path / "since.csv"
    run("journeys", "export", "--out", str(target), "--by", "campaign",
        "--since", (NOW - timedelta(days=5)).date().isoformat())  # fmt: skip

    # ada's and bob's deals (2 days ago) with their whole paths; dee's deal (10 days ago) is
    # left out; cy, last touched 5 days ago, is a null path.
    assert target.read_text().splitlines()[1:] == [
        "Search > News \u203a letter;2;1000;1",
    ]


def test_export_writes_a_file_that_attribution_reads_back(journeys, tmp_path):
    target = tmp_path / "out.csv"

    _, err = run("journeys", "export", "--out", str(target), "--by", "campaign")
    out, _ = run("attribution", str(target), "--models", "first_touch", "--json")

    assert err.strip() == f"wrote 2 paths to {target}"
    assert target.read_text().splitlines() == [
        "path;total_conversions;total_conversion_value;total_null",
        "Search > News \u203a letter;2;1000;1",
        "News \u203a letter;1;50;0",
    ]
    assert json.loads(out)["first_touch"] == {
        "News \u203a letter": {"conversions": 1.0, "value": 50.0},
        "Search": {"conversions": 2.0, "value": 1000.0},
    }
    assert not (tmp_path / "out.csv.partial").exists()


def test_export_to_stdout_and_bad_since(journeys):
    out, _ = run("journeys", "export")

    assert out.splitlines()[1] == "Paid search > Email;2;1000;1"
    with pytest.raises(CommandError) as raised:
        run("journeys", "export", "--since", "yesterday")
    assert str(raised.value) == "--since 'yesterday' is not a date (YYYY-MM-DD)"
