"""A quote version as a PDF (fpdf2). DejaVu Sans when the system has it, else a core font with
the characters it cannot print replaced."""

from pathlib import Path

from django.http import HttpResponse
from fpdf import FPDF

from revline.core.templatetags.revline import money
from revline.core.workspace import workspace_get

from .models import QuoteVersion

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = FONT.exists() and FONT_BOLD.exists()
        if self.unicode:
            self.add_font("body", "", str(FONT))
            self.add_font("body", "B", str(FONT_BOLD))
        self.family_name = "body" if self.unicode else "helvetica"

    def text_safe(self, text: str) -> str:
        if self.unicode:
            return text
        replaced = text.replace("€", "EUR ").replace("—", "-").replace("–", "-")
        return (
            replaced.replace("“", '"')
            .replace("”", '"')
            .replace("’", "'")
            .encode("latin-1", "replace")
            .decode("latin-1")
        )

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)

    def line_text(self, width: float, height: float, text: str, **kwargs: object) -> None:
        self.cell(width, height, self.text_safe(text), **kwargs)  # type: ignore[arg-type]


def render(version: QuoteVersion) -> bytes:
    quote = version.quote
    workspace = workspace_get()
    doc = _Pdf()
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    doc.use(18, bold=True)
    doc.line_text(0, 10, workspace.name, new_x="LMARGIN", new_y="NEXT")
    doc.use(11)
    doc.line_text(
        0, 6, f"Quote {quote.number}, version {version.number}", new_x="LMARGIN", new_y="NEXT"
    )
    doc.use(14, bold=True)
    doc.multi_cell(0, 8, doc.text_safe(quote.title), new_x="LMARGIN", new_y="NEXT")
    doc.use(10)
    facts = [f"Currency: {version.currency}"]
    if version.sent_at:
        facts.append(f"Date: {version.sent_at:%Y-%m-%d}")
    if version.valid_until:
        facts.append(f"Valid until: {version.valid_until:%Y-%m-%d}")
    doc.line_text(
        0,
        6,
        "   ·   ".join(facts) if doc.unicode else "   |   ".join(facts),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(4)
    widths = (80, 20, 32, 18, 32)
    doc.use(9, bold=True)
    for width, label, align in zip(
        widths, ("Item", "Qty", "Unit price", "Disc. %", "Total"), "LRRRR", strict=True
    ):
        doc.line_text(width, 7, label, border="B", align=align)
    doc.ln()
    doc.use(9)
    currency = version.currency
    for line in version.lines.all():
        name = line.name if len(line.name) <= 48 else line.name[:47] + "…"
        if line.billing != "one_off":
            name += f" ({line.get_billing_display().lower()})"
        cells = (
            name,
            f"{line.quantity.normalize():f}",
            money(line.unit_price, currency),
            f"{line.discount_percent.normalize():f}",
            money(line.line_total, currency),
        )
        for width, text, align in zip(widths, cells, "LRRRR", strict=True):
            doc.line_text(width, 7, text, align=align)
        doc.ln()
    doc.ln(3)
    rows = [("Subtotal", version.subtotal)]
    if version.discount_amount:
        rows.append(
            (f"Discount ({version.discount_percent.normalize():f}%)", -version.discount_amount)
        )
    if version.tax_percent:
        rows.append((f"Tax ({version.tax_percent.normalize():f}%)", version.tax_amount))
    for label, amount in rows:
        doc.line_text(150, 6, label, align="R")
        doc.line_text(32, 6, money(amount, currency), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.use(11, bold=True)
    doc.line_text(150, 8, "Total", align="R")
    doc.line_text(32, 8, money(version.total, currency), align="R", new_x="LMARGIN", new_y="NEXT")
    if version.terms:
        doc.ln(4)
        doc.use(10, bold=True)
        doc.line_text(0, 6, "Terms", new_x="LMARGIN", new_y="NEXT")
        doc.use(9)
        doc.multi_cell(0, 5, doc.text_safe(version.terms), new_x="LMARGIN", new_y="NEXT")
    if version.accepted_at:
        doc.ln(4)
        doc.use(10, bold=True)
        doc.line_text(
            0,
            6,
            f"Accepted by {version.accepted_name} on {version.accepted_at:%Y-%m-%d %H:%M} UTC",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(doc.output())


def pdf_response(version: QuoteVersion, *, inline: bool) -> HttpResponse:
    response = HttpResponse(render(version), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    filename = f"{version.quote.number}-v{version.number}.pdf"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
