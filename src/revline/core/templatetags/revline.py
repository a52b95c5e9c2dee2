from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import SafeString, mark_safe

from revline.core.listing import Listing

register = template.Library()


@register.filter
def page_url(listing: Listing, number: int) -> str:
    return listing.page_url(number)


@register.filter
def money(value: Any, currency: str = "") -> str:
    """1234.5 -> '€1,234.50' for EUR/USD/GBP, else '1,234.50 CHF'."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole = amount.quantize(Decimal("1"))
    text = intcomma(f"{whole}") if amount == whole else intcomma(f"{amount}")
    symbols = {"EUR": "€", "USD": "$", "GBP": "£"}
    if currency in symbols:
        return f"{symbols[currency]}{text}"
    return f"{text} {currency}".strip()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def deal_scope_words(user: Any) -> SafeString:
    """Whose deals a narrowed report counts, for its scope note: "your own" under the workspace's
    "own" deal visibility, else "your own and your team's" (core.visibility)."""
    from revline.core.models import RecordVisibility, User
    from revline.core.visibility import scope_for

    # Fixed wording, no user data: safe as is (else the apostrophe would print as &#x27;).
    if isinstance(user, User) and scope_for(user, "deal") == RecordVisibility.OWN:
        return mark_safe("your own")
    return mark_safe("your own and your team's")


@register.simple_tag(takes_context=True)
def nav_active(context: template.Context, prefix: str, *inner: str) -> str:
    """ "active" on pages under `prefix`, except those under one of the `inner` prefixes (which
    have navigation entries of their own)."""
    request = context.get("request")
    if request is None or not request.path.startswith(prefix):
        return ""
    return "" if any(request.path.startswith(p) for p in inner) else "active"
