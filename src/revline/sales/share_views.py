"""The public page behind a shared content link.

GET records the open: link scanners in mail systems may open it too and count as an open.
That is accepted (the count says "the link was fetched"), and why a GET here changes nothing
but counters and the timeline.
"""

from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from revline.core.ratelimit import public_rate_limit

from . import share_services


def _safe_url(url: str) -> str:
    """The stored URL when it is an absolute http(s) address, else ''."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return url.strip()


@require_GET
@never_cache
@public_rate_limit("share_open")
def share_open(request: HttpRequest, token: str) -> HttpResponse:
    share = share_services.content_share_open(token=token)
    if share is None:
        raise Http404("No such link.")
    target = _safe_url(share.content_item.url)
    if target:
        response = HttpResponseRedirect(target)
        response["Referrer-Policy"] = "no-referrer"
        return response
    return render(request, "sales/share_page.html", {"item": share.content_item})
