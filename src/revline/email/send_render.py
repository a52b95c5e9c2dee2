"""Per-send message building for campaign delivery: personalise, track, compose.

`rendering.render_email` turns the email's HTML into the plain-text part for every contact, and
that conversion (lxml + inscriptis) costs about four times the rest of a render. A campaign
renders one content thousands of times, so `PreparedEmail` converts the *template* to text once
and personalises that text per contact with the same sandbox; the HTML part is rendered per
contact exactly as `render_email` does. If the text template does not compile (an odd template
split by the conversion), every contact falls back to `render_email`.

`compose_raw` writes the MIME message directly (the SMTP backend's fast path); other backends
(outbox, anymail providers, locmem in tests) get an ordinary EmailMultiAlternatives built from
the same parts.
"""

from __future__ import annotations

import binascii
import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr, formatdate
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from . import rendering
from .rendering import Footer, RenderedEmail, RenderError

# Placeholders for the per-send footer links inside the shared text template.
_UNSUB_MARK = "https://revline.invalid/__unsubscribe__"
_PREFS_MARK = "https://revline.invalid/__preferences__"
_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)
MAX_LINK_LENGTH = 2000
# Addresses written into the raw message as they are; anything else takes Django's path.
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")


def _one_line(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _workspace_name(context: Mapping[str, object]) -> str:
    workspace = context.get("workspace")
    return str(workspace.get("name", "")) if isinstance(workspace, Mapping) else ""


@dataclass
class PreparedEmail:
    """One email's content, compiled once for many contacts."""

    content: Any
    subject_src: str = ""
    preheader_src: str = ""
    body_src: str = ""
    text_src: str | None = None
    _inliner: Any = field(default=None, repr=False)

    @classmethod
    def prepare(cls, content: Any) -> PreparedEmail:
        prepared = cls(
            content=content,
            subject_src=content.subject or "",
            preheader_src=content.preheader or "",
            body_src=rendering.body_html(content),
            _inliner=rendering._INLINER,
        )
        prepared.text_src = prepared._text_template()
        return prepared

    def _text_template(self) -> str | None:
        try:
            footer = rendering._footer_html(
                Footer("{{ revline_postal }}", _UNSUB_MARK, _PREFS_MARK), "{{ workspace.name }}"
            )
            document = rendering._document(
                subject="", preheader="", body=self.body_src, footer=footer
            )
            source = rendering.html_to_text(document)
            rendering.template_syntax_check(source)
        except Exception:  # any surprise means: render the text per contact
            return None
        return source

    def render(self, context: dict[str, object], footer: Footer | None) -> RenderedEmail:
        """The same subject and HTML as `render_email`; the text part from the shared template."""
        if self.text_src is None or footer is None:
            return rendering.render_email(content=self.content, context=context, footer=footer)
        render = rendering.render_string
        subject = _one_line(render(self.subject_src, context, autoescape=False), 300)
        preheader = _one_line(render(self.preheader_src, context, autoescape=False), 500)
        body = rendering.sanitize_body(render(self.body_src, context, autoescape=True))
        name = _workspace_name(context)
        document = rendering._document(
            subject=subject,
            preheader=preheader,
            body=body,
            footer=rendering._footer_html(footer, name),
        )
        try:
            inlined = self._inliner.inline(document)
        except Exception as exc:
            raise RenderError(f"The CSS could not be inlined: {exc}") from exc
        postal = "\n".join(line.strip() for line in footer.postal_address.splitlines())
        text = render(self.text_src, {**context, "revline_postal": postal}, autoescape=False)
        text = text.replace(_UNSUB_MARK, footer.unsubscribe_url).replace(
            _PREFS_MARK, footer.preferences_url
        )
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
        return RenderedEmail(subject=subject, html=inlined, text=text.strip() + "\n")


def track_links(
    rendered: RenderedEmail,
    *,
    link_url: Callable[[str], str | None],
    pixel_url: str,
    skip_prefix: str,
) -> RenderedEmail:
    """Point every http(s) link at its tracked URL (link_url(url) -> tracked URL, or None to
    leave the link alone) and add the open pixel. Links under `skip_prefix` (the footer's
    unsubscribe and preference links) stay as they are."""
    replaced: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        raw = html_lib.unescape(match.group(1))
        if raw.startswith(skip_prefix) or len(raw) > MAX_LINK_LENGTH:
            return match.group(0)
        tracked = link_url(raw)
        if tracked is None:
            return match.group(0)
        replaced[raw] = tracked
        return f'href="{html_lib.escape(tracked)}"'

    html = _HREF.sub(swap, rendered.html)
    text = rendered.text
    for raw in sorted(replaced, key=len, reverse=True):
        text = text.replace(raw, replaced[raw])
    pixel = (
        f'<img src="{html_lib.escape(pixel_url)}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px;">'
    )
    position = html.rfind("</body>")
    html = html[:position] + pixel + html[position:] if position >= 0 else html + pixel
    return RenderedEmail(subject=rendered.subject, html=html, text=text)


# --- Composing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    from_name: str
    from_email: str
    reply_to: str
    to: str
    message_id: str
    unsubscribe_url: str


def _header_value(value: str) -> str:
    clean = " ".join(value.replace("\r", " ").replace("\n", " ").split())
    if clean.isascii():
        return clean
    return Header(clean, "utf-8").encode()


def _qp(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).replace(b"\n", b"\r\n")


def list_headers(envelope: Envelope) -> dict[str, str]:
    headers = {
        "Message-ID": envelope.message_id,
        "List-Unsubscribe": f"<{envelope.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return headers


def compose_raw(envelope: Envelope, rendered: RenderedEmail) -> bytes:
    """The whole RFC 5322 message (multipart/alternative, quoted-printable UTF-8 parts)."""
    boundary = "==rl-" + envelope.message_id.strip("<>").replace("@", ".")[:60]
    sender = formataddr((envelope.from_name, envelope.from_email), charset="utf-8")
    lines = [
        f"From: {sender}",
        f"To: {envelope.to}",
        f"Subject: {_header_value(rendered.subject)}",
        f"Date: {formatdate(usegmt=True)}",
        *(f"{name}: {value}" for name, value in list_headers(envelope).items()),
    ]
    if envelope.reply_to:
        lines.append(f"Reply-To: {envelope.reply_to}")
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "",
    ]
    head = "\r\n".join(lines).encode("ascii")
    html_head = (
        f'\r\n--{boundary}\r\nContent-Type: text/html; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii")
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    return head + _qp(rendered.text) + html_head + _qp(rendered.html) + tail


class _RawMime:
    """Just enough of email.message.Message for Django's SMTP backend."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def as_bytes(self, linesep: str = "\r\n", **kwargs: Any) -> bytes:
        return self.raw

    def as_string(self, **kwargs: Any) -> str:
        return self.raw.decode("utf-8")


class RawEmailMessage(EmailMessage):
    """An EmailMessage whose MIME text was composed by `compose_raw`."""

    def __init__(self, raw: bytes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.raw = raw

    def message(self, *args: Any, **kwargs: Any) -> Any:
        return _RawMime(self.raw)


def build_message(envelope: Envelope, rendered: RenderedEmail, *, connection: Any) -> EmailMessage:
    """The message to hand to `connection`: raw MIME for SMTP, a Django message otherwise."""
    sender = formataddr((envelope.from_name, envelope.from_email))
    reply_to = [envelope.reply_to] if envelope.reply_to else []
    if (
        isinstance(connection, SmtpBackend)
        and _PLAIN_ADDRESS.match(envelope.to)
        and _PLAIN_ADDRESS.match(envelope.from_email)
    ):
        return RawEmailMessage(
            compose_raw(envelope, rendered),
            subject=rendered.subject,
            from_email=sender,
            to=[envelope.to],
            connection=connection,
        )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=sender,
        to=[envelope.to],
        reply_to=reply_to,
        headers=list_headers(envelope),
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message
