"""Reading bounce (RFC 3464) and complaint (RFC 5965) reports from real-world shaped samples."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from revline.email import dsn

SAMPLES = Path(__file__).parent / "dsn_samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_postfix_hard_bounce_names_the_recipient_the_status_and_the_original_message():
    report = dsn.parse_report(sample("postfix_hard_bounce.eml"))

    assert report is not None
    assert report.report_id == "20250311091402.4B2D51C0A3F@mail.example.org"
    assert report.original_message_id == "revline.postfix-1@example.org"
    assert report.original_to == "nobody@example.net"
    assert report.occurred_at == datetime(2025, 3, 11, 9, 14, 2, tzinfo=UTC)
    assert report.recipients == (
        dsn.RecipientReport(
            kind=dsn.HARD_BOUNCE,
            address="nobody@example.net",
            status="5.1.1",
            detail="smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
        ),
    )


def test_a_gmail_bounce_finds_the_original_in_its_message_rfc822_part():
    report = dsn.parse_report(sample("gmail_hard_bounce.eml"))

    assert report is not None
    assert report.original_message_id == "revline.gmail-1@example.org"
    assert [(r.kind, r.address, r.status) for r in report.recipients] == [
        (dsn.HARD_BOUNCE, "gone.person@gmail.com", "5.1.1")
    ]


def test_an_exchange_ndr_with_a_three_digit_status_detail_is_a_hard_bounce():
    report = dsn.parse_report(sample("exchange_hard_bounce.eml"))

    assert report is not None
    assert report.original_message_id == "revline.exchange-1@example.org"
    assert [(r.kind, r.address, r.status) for r in report.recipients] == [
        (dsn.HARD_BOUNCE, "former.employee@contoso.com", "5.1.10")
    ]


def test_a_delay_warning_is_a_soft_bounce():
    report = dsn.parse_report(sample("postfix_delayed.eml"))

    assert report is not None
    assert report.original_message_id == "revline.delayed-1@example.org"
    assert [(r.kind, r.address, r.status) for r in report.recipients] == [
        (dsn.SOFT_BOUNCE, "full.box@example.com", "4.2.2")
    ]


def test_an_arf_report_is_a_complaint_about_the_original_recipient():
    report = dsn.parse_report(sample("arf_complaint.eml"))

    assert report is not None
    assert report.report_id == "arf-7755@feedback.example-isp.net"
    assert report.original_message_id == "revline.arf-1@example.org"
    assert report.recipients == (
        dsn.RecipientReport(
            kind=dsn.COMPLAINT,
            address="angry.reader@example-isp.net",
            status="",
            detail="Feedback type: abuse",
        ),
    )


def test_crlf_line_ends_as_sent_over_smtp_read_the_same():
    raw = sample("postfix_hard_bounce.eml").replace(b"\n", b"\r\n")

    report = dsn.parse_report(raw)

    assert report is not None
    assert report.original_message_id == "revline.postfix-1@example.org"
    assert report.recipients[0].status == "5.1.1"


@pytest.mark.parametrize(
    "raw",
    [
        sample("auto_reply.eml"),
        b"",
        b"not an email at all \x00\xff",
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n\n"
        b"--x\nContent-Type: text/plain\n\nread receipt\n--x--\n",
    ],
    ids=["auto-reply", "empty", "garbage", "read-receipt"],
)
def test_messages_that_are_not_bounce_or_complaint_reports_give_none(raw):
    assert dsn.parse_report(raw) is None


def test_a_report_without_a_message_id_is_identified_by_a_digest_of_its_bytes():
    raw = sample("postfix_delayed.eml").replace(
        b"Message-Id: <20250314120000.9C1E21C0A40@mail.example.org>\n", b""
    )

    report = dsn.parse_report(raw)

    assert report is not None
    assert report.report_id.startswith("sha256:")
    assert dsn.parse_report(raw) == report


def test_enhanced_status_codes_are_found_in_provider_text():
    assert dsn.enhanced_status_in("452 4.2.2 Mailbox full") == "4.2.2"
    assert dsn.enhanced_status_in("smtp;550 5.1.10 RESOLVER") == "5.1.10"
    assert dsn.enhanced_status_in("no code here") == ""
