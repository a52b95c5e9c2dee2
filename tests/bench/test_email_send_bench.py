"""A smoke test of the email sending benchmark with tiny numbers: real processes, exact counts.

Timings are never asserted: they depend on the machine.
"""

from bench.email_send import check, main


def test_email_send_bench_delivers_every_message_once(tmp_path):
    # Given a tiny run
    results = main(["--messages", "30", "--naive-messages", "10", "--chunk", "4",
                    "--json", str(tmp_path / "out.json")], quiet=True)  # fmt: skip
    # Then both loops delivered each of their messages exactly once
    assert results["problems"] == []
    assert results["naive"]["messages"] == 10
    assert results["naive"]["sink"] == {"messages": 10, "distinct": 10}
    assert results["revline"]["messages"] == 30
    assert results["revline"]["sink"] == {"messages": 30, "distinct": 30}
    assert results["revline"]["sent_rows"] == 30
    assert results["chunk"] == 4
    assert results["ratio"] > 0
    assert results["revline"]["peak_rss_mb"] > 0
    assert (tmp_path / "out.json").read_text().startswith("{")


def test_check_names_lost_and_doubled_messages():
    problems = check(
        100, 10, {"messages": 10, "distinct": 9},
        {"sent_rows": 99, "failed": 1}, {"messages": 101, "distinct": 100},
    )  # fmt: skip
    assert problems == [
        "naive: expected 10 messages, the sink got {'messages': 10, 'distinct': 9}",
        "revline: expected 100 messages, the sink got {'messages': 101, 'distinct': 100}",
        "revline: 99 sends marked sent, 1 failed",
    ]
