from django import template
from django.utils.safestring import SafeString, mark_safe

from revline.pr.html import html_sanitize

register = template.Library()


@register.filter
def note_html(value: str | None) -> SafeString:
    """A research note's body as markup. Bodies are sanitised when saved; doing it again here
    means a row written some other way (an import, a database edit) still cannot carry script."""
    return mark_safe(html_sanitize(value or ""))  # noqa: S308 - the allow-list has just run


@register.filter
def pct(value: float | None) -> str:
    """40.0 -> "40.0 %"; None -> "—"."""
    return "—" if value is None else f"{value:.1f} %"
