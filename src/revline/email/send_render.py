"""Per-send message building for campaign delivery: personalise, track, compose.

A campaign renders one content thousands of times, so `PreparedEmail` does the costly work once
per email instead of once per contact, and checks that the result is the same:

- The plain-text part: `rendering.render_email` converts each contact's HTML to text (lxml +
  inscriptis, about four times the rest of a render). Here the *template* is converted once and
  that text template is personalised per contact in the same sandbox.
- The HTML part: when the body is only text and variables (no {% if %}, {% for %}, …), the
  document is built, sanitised and CSS-inlined once with a marker where each variable, the
  subject, the preheader and the footer links go (the "skeleton"). Per contact only the
  variables are rendered and their text put in place, escaped as the HTML serialiser would
  have. The skeleton is used only if every marker came out in plain text (never inside a tag,
  an attribute other than the footer links, a comment or a <style>), and only after probe
  contacts (empty values, ordinary values, values full of `&<>"'`) rendered byte-identical to
  the per-contact path. A contact whose values are not plain text (markup from a template
  literal, control characters) takes the per-contact path.
- Anything unexpected falls back to the per-contact path, which is `render_email`'s.

`compose_raw` writes the MIME message directly (the SMTP backend's fast path); other backends
(outbox, anymail providers, locmem in tests) get an ordinary EmailMultiAlternatives built from
the same parts.
"""

from __future__ import annotations

import binascii
import html as html_lib
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr, formatdate
from html.parser import HTMLParser
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from . import rendering
from .rendering import Footer, RenderedEmail, RenderError

logger = logging.getLogger(__name__)

# Placeholders for the per-send footer links inside the shared text template.
_UNSUB_MARK = "https://revline.invalid/__unsubscribe__"
_PREFS_MARK = "https://revline.invalid/__preferences__"
_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)
MAX_LINK_LENGTH = 2000
# Addresses written into the raw message as they are; anything else takes Django's path.
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")

# Skeleton markers: letters and digits only, so that no sanitiser or serialiser changes them;
# random per process, so that no template can contain one by design.
_MARK = "rlmark" + secrets.token_hex(6)
_MARK_SPLIT = re.compile(re.escape(_MARK) + r"([a-z][0-9]*)x")
_SUBJECT, _PREHEADER, _UNSUB, _PREFS = "s", "p", "u", "r"
_LINK_KEYS = frozenset({_UNSUB, _PREFS})
# Text that a following variable could turn into a character reference ("&am" + "p;").
_OPEN_REFERENCE = re.compile(r"&[#A-Za-z0-9]*$")
# What Django's escaping writes; any other "&" in a variable's output is left to the slow path.
_DJANGO_ESCAPES = re.compile(r"&(amp|lt|gt|quot|#x27);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#x27": "'"}
# Characters the HTML parser treats specially (NUL, CR, controls), surrogates, non-characters.
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_PROBE_TEXT = "A & B <c> \"q\" 'Zoë'\xa0x > y"


def _mark(key: str) -> str:
    return f"{_MARK}{key}x"


def _body_key(number: int) -> str:
    return f"b{number}"


def _escape_text(text: str) -> str:
    """Text as html5ever (nh3, css-inline) serialises a text node."""
    return (
        text.replace("&", "&amp;")
        .replace("\xa0", "&nbsp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _escape_attribute(text: str) -> str:
    """Text as html5ever serialises an attribute value."""
    return text.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")


def _plain(text: str) -> bool:
    # Whitespace-only text is placed differently from other text inside tables.
    return _NOT_PLAIN.search(text) is None and (text == "" or not text.isspace())


def _variable_text(output: str) -> str | None:
    """The text an escaped variable output stands for, or None when it is not plain text."""
    if "<" in output:
        return None
    if "&" in output:
        if "&" in _DJANGO_ESCAPES.sub("", output):
            return None
        output = _DJANGO_ESCAPES.sub(lambda m: _UNESCAPE[m.group(1)], output)
    return output if _plain(output) else None


def _workspace_name(context: Mapping[str, object]) -> str:
    workspace = context.get("workspace")
    return str(workspace.get("name", "")) if isinstance(workspace, Mapping) else ""


class _MarkerPlaces(HTMLParser):
    """Where the markers of a skeleton document ended up: text, tag attributes, or elsewhere."""

    RAW = frozenset({"style", "script", "textarea", "xmp", "iframe", "noembed", "noframes"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.elsewhere: list[str] = []
        self.raw_depth = 0

    def _keys(self, data: str | None) -> list[str]:
        return _MARK_SPLIT.findall(data or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.elsewhere += self._keys(name)
            self.attributes += self._keys(value)
        self.elsewhere += self._keys(tag)
        if tag in self.RAW:
            self.raw_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.elsewhere += self._keys(name)
            self.attributes += self._keys(value)
        self.elsewhere += self._keys(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.RAW and self.raw_depth:
            self.raw_depth -= 1

    def handle_data(self, data: str) -> None:
        (self.elsewhere if self.raw_depth else self.text).extend(self._keys(data))

    def handle_comment(self, data: str) -> None:
        self.elsewhere += self._keys(data)

    def handle_decl(self, decl: str) -> None:
        self.elsewhere += self._keys(decl)

    def handle_pi(self, data: str) -> None:
        self.elsewhere += self._keys(data)

    def unknown_decl(self, data: str) -> None:
        self.elsewhere += self._keys(data)


@dataclass(frozen=True)
class _Skeleton:
    """The inlined document cut at its markers: statics[0] key[0] statics[1] … statics[n]."""

    statics: tuple[str, ...]
    keys: tuple[str, ...]

    def fill(self, values: Mapping[str, str]) -> str:
        out = [self.statics[0]]
        for key, static in zip(self.keys, self.statics[1:], strict=True):
            out.append(values[key])
            out.append(static)
        return "".join(out)


def _probe_contexts(context: Mapping[str, object]) -> list[dict[str, object]]:
    """Copies of `context` with every contact value empty, ordinary, or full of HTML specials."""

    def every_value(node: object, value: str) -> object:
        if isinstance(node, Mapping):
            return {key: every_value(item, value) for key, item in node.items()}
        return value

    probes = []
    for value in ("", "Ann", _PROBE_TEXT):
        probe = dict(context)
        probe["contact"] = every_value(context.get("contact", {}), value)
        probes.append(probe)
    return probes


@dataclass
class PreparedEmail:
    """One email's content, compiled once for many contacts."""

    content: Any
    subject_src: str = ""
    preheader_src: str = ""
    body_src: str = ""
    text_src: str | None = None
    body_parts: list[str | None] | None = None
    # Skeletons per (workspace name, postal address): both are the same for a whole campaign.
    _skeletons: dict[tuple[str, str], _Skeleton | None] = field(default_factory=dict, repr=False)

    @classmethod
    def prepare(cls, content: Any) -> PreparedEmail:
        prepared = cls(
            content=content,
            subject_src=content.subject or "",
            preheader_src=content.preheader or "",
            body_src=rendering.body_html(content),
        )
        prepared.text_src = prepared._text_template()
        try:
            prepared.body_parts = rendering.template_parts(prepared.body_src)
        except RenderError:
            prepared.body_parts = None  # every contact gets the per-contact path's error
        return prepared

    def _text_template(self) -> str | None:
        try:
            footer = rendering.footer_html(
                Footer("{{ revline_postal }}", _UNSUB_MARK, _PREFS_MARK), "{{ workspace.name }}"
            )
            document = rendering.document_html(
                subject="", preheader="", body=self.body_src, footer=footer
            )
            source = rendering.html_to_text(document)
            rendering.template_syntax_check(source)
        except Exception:  # any surprise means: render the text per contact
            return None
        return source

    # --- the HTML part ---

    def _skeleton(self, context: Mapping[str, object], footer: Footer) -> _Skeleton | None:
        key = (_workspace_name(context), footer.postal_address)
        if key not in self._skeletons:
            try:
                skeleton = self._build_skeleton(key[0], footer.postal_address)
                if skeleton is not None and not self._probes_agree(skeleton, context, footer):
                    logger.warning("Email content renders per contact: its skeleton differs.")
                    skeleton = None
            except Exception:  # any surprise means: render the HTML per contact
                logger.exception("Email content renders per contact: no skeleton.")
                skeleton = None
            self._skeletons[key] = skeleton
        return self._skeletons[key]

    def _build_skeleton(self, workspace_name: str, postal_address: str) -> _Skeleton | None:
        parts = self.body_parts
        sources = (self.subject_src, self.preheader_src, self.body_src, workspace_name,
                   postal_address)  # fmt: skip
        if parts is None or any(_MARK in source for source in sources):
            return None
        body: list[str] = []
        expected = [_SUBJECT, _UNSUB, _PREFS] + ([_PREHEADER] if self.preheader_src else [])
        for part in parts:
            if part is not None:
                body.append(part)
                continue
            if _OPEN_REFERENCE.search("".join(body)):
                return None
            key = _body_key(sum(1 for known in expected if known.startswith("b")))
            expected.append(key)
            body.append(_mark(key))
        document = rendering.document_html(
            subject=_mark(_SUBJECT),
            preheader=_mark(_PREHEADER) if self.preheader_src else "",
            body=rendering.sanitize_body("".join(body)),
            footer=rendering.footer_html(
                Footer(postal_address, _mark(_UNSUB), _mark(_PREFS)), workspace_name
            ),
        )
        html = rendering.inline_css(document)
        places = _MarkerPlaces()
        places.feed(html)
        places.close()
        if (
            places.elsewhere
            or sorted(places.attributes) != sorted(_LINK_KEYS)
            or sorted(places.text) != sorted(set(expected) - _LINK_KEYS)
        ):
            return None
        pieces = _MARK_SPLIT.split(html)
        return _Skeleton(statics=tuple(pieces[0::2]), keys=tuple(pieces[1::2]))

    def _probes_agree(
        self, skeleton: _Skeleton, context: Mapping[str, object], footer: Footer
    ) -> bool:
        probe_footer = Footer(
            footer.postal_address,
            footer.unsubscribe_url + '?a=1&b="2"',
            footer.preferences_url + "#x<y>",
        )
        for probe in _probe_contexts(context):
            subject, preheader = self._headline(probe)
            fast = self._fill(skeleton, probe, probe_footer, subject, preheader)
            slow = self._html(probe, probe_footer, subject, preheader)
            if fast is not None and fast != slow:
                return False
        return True

    def _headline(self, context: Mapping[str, object]) -> tuple[str, str]:
        render = rendering.render_string
        subject = rendering.one_line(
            render(self.subject_src, context, autoescape=False), rendering.MAX_SUBJECT
        )
        preheader = rendering.one_line(render(self.preheader_src, context, autoescape=False), 500)
        return subject, preheader

    def _fill(
        self,
        skeleton: _Skeleton,
        context: Mapping[str, object],
        footer: Footer,
        subject: str,
        preheader: str,
    ) -> str | None:
        """The contact's HTML from the skeleton, or None when its values are not plain text."""
        if bool(preheader) != bool(self.preheader_src):
            return None  # the document has no preheader element for an empty one
        if not (_plain(subject) and _plain(preheader)):
            return None
        values = {
            _SUBJECT: _escape_text(subject),
            _PREHEADER: _escape_text(preheader),
            _UNSUB: _escape_attribute(footer.unsubscribe_url),
            _PREFS: _escape_attribute(footer.preferences_url),
        }
        outputs = rendering.render_variables(self.body_src, context, autoescape=True)
        for number, output in enumerate(outputs):
            text = _variable_text(output)
            if text is None:
                return None
            values[_body_key(number)] = _escape_text(text)
        return skeleton.fill(values)

    def _html(
        self, context: Mapping[str, object], footer: Footer, subject: str, preheader: str
    ) -> str:
        """The contact's HTML the long way, exactly as `render_email` builds it."""
        body = rendering.sanitize_body(
            rendering.render_string(self.body_src, context, autoescape=True)
        )
        document = rendering.document_html(
            subject=subject,
            preheader=preheader,
            body=body,
            footer=rendering.footer_html(footer, _workspace_name(context)),
        )
        return rendering.inline_css(document)

    def render(self, context: dict[str, object], footer: Footer | None) -> RenderedEmail:
        """The same subject and HTML as `render_email`; the text part from the shared template."""
        if self.text_src is None or footer is None:
            return rendering.render_email(content=self.content, context=context, footer=footer)
        subject, preheader = self._headline(context)
        skeleton = self._skeleton(context, footer)
        html = None
        if skeleton is not None:
            html = self._fill(skeleton, context, footer, subject, preheader)
        if html is None:
            html = self._html(context, footer, subject, preheader)
        postal = "\n".join(line.strip() for line in footer.postal_address.splitlines())
        text = rendering.render_string(
            self.text_src, {**context, "revline_postal": postal}, autoescape=False
        )
        text = text.replace(_UNSUB_MARK, footer.unsubscribe_url).replace(
            _PREFS_MARK, footer.preferences_url
        )
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
        return RenderedEmail(subject=subject, html=html, text=text.strip() + "\n")


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


def raw_smtp_possible(envelope: Envelope, *, connection: Any) -> bool:
    """True when `compose_raw`'s message can go to `connection` as it is: Django's SMTP backend
    and plain ASCII envelope addresses (anything else takes Django's sanitising path)."""
    return (
        isinstance(connection, SmtpBackend)
        and _PLAIN_ADDRESS.match(envelope.to) is not None
        and _PLAIN_ADDRESS.match(envelope.from_email) is not None
    )


def build_message(envelope: Envelope, rendered: RenderedEmail, *, connection: Any) -> EmailMessage:
    """The message to hand to `connection`: raw MIME for SMTP, a Django message otherwise."""
    sender = formataddr((envelope.from_name, envelope.from_email))
    reply_to = [envelope.reply_to] if envelope.reply_to else []
    if raw_smtp_possible(envelope, connection=connection):
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
