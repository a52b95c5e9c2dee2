"""Handing one composed message to an open SMTP connection, pipelined when the server allows it.

smtplib's `sendmail` waits for the server after each of MAIL, RCPT, DATA and the message: four
round trips a message, which is most of a campaign's sending time on a fast mail server. Servers
that advertise PIPELINING (RFC 2920; Postfix, Exim and the big providers do) accept MAIL, RCPT and
DATA in one write, so a message takes two round trips, and the sender can render the next message
while the server takes in the last one. Replies are read in order and failures raise the
exceptions `sendmail` raises, so callers treat both paths alike. A server without PIPELINING gets
plain `sendmail`.
"""

from __future__ import annotations

import contextlib
import re
import smtplib

_LEADING_DOT = re.compile(rb"(?m)^\.")
# An address smtplib.quoteaddr would return as "<address>" (its parser costs ~0.1 ms a call).
_SIMPLE_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:@\"]+@[^\s<>()\[\]\\,;:@\"]+")


def _quote(address: str) -> str:
    if _SIMPLE_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _data(raw: bytes) -> bytes:
    """The message as the DATA phase sends it: dot-stuffed, CRLF-terminated, then the final dot."""
    body = _LEADING_DOT.sub(b"..", raw)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def pipelining(smtp: smtplib.SMTP) -> bool:
    """True when the server advertised PIPELINING (asks EHLO first if nobody has yet)."""
    smtp.ehlo_or_helo_if_needed()
    return bool(smtp.does_esmtp and smtp.has_extn("pipelining"))


class SmtpTransmitter:
    """Messages over one open connection, one at a time, overlapping the caller's work with the
    server's: `begin` hands a message over (raising like `sendmail` for a refused sender or
    recipient) and returns while the server still takes it in; `end` reads the server's verdict
    on it. Render the next message between the two. Without PIPELINING, `begin` is `sendmail`
    and `end` has nothing to read.
    """

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        self.waiting = False

    def begin(self, sender: str, recipient: str, raw: bytes) -> None:
        if self.waiting:
            raise RuntimeError("end() the previous message first")
        smtp = self.smtp
        if not pipelining(smtp):
            smtp.sendmail(sender, [recipient], raw)
            return
        size = f" SIZE={len(raw)}" if smtp.has_extn("size") else ""
        smtp.send(f"MAIL FROM:{_quote(sender)}{size}\r\nRCPT TO:{_quote(recipient)}\r\nDATA\r\n")
        mail = smtp.getreply()
        rcpt = smtp.getreply()
        data = smtp.getreply()
        if mail[0] == 250 and rcpt[0] in (250, 251) and data[0] == 354:
            smtp.send(_data(raw))
            self.waiting = True
            return
        if data[0] == 354:
            # A conforming server refuses DATA after a refused MAIL or RCPT; one that did not
            # gets an empty message with no valid recipient, which it cannot deliver.
            smtp.send(b".\r\n")
            data = smtp.getreply()
        self._reset(mail[0], rcpt[0], data[0])
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
        raise smtplib.SMTPDataError(data[0], data[1])

    def end(self) -> None:
        """Raises SMTPDataError if the server refused the message `begin` handed over."""
        if not self.waiting:
            return
        self.waiting = False
        code, reply = self.smtp.getreply()
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)

    def _reset(self, *codes: int) -> None:
        if 421 in codes:  # the server is closing the connection (as sendmail does)
            self.smtp.close()
            return
        # A lost connection shows again at the next command, which is where callers handle it.
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.smtp.rset()


def send_raw(smtp: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """Send `raw` from `sender` to one `recipient`, and wait for the server's verdict.

    Raises like smtplib.SMTP.sendmail: SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError
    (the connection is reset and stays usable, or closed after a 421), SMTPServerDisconnected.
    """
    transmitter = SmtpTransmitter(smtp)
    transmitter.begin(sender, recipient, raw)
    transmitter.end()
