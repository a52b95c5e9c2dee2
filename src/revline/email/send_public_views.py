"""The open pixel and the click redirect of campaign emails (public, no login, rate-limited).

Both are GET analytics hits, recorded every time they are fetched; neither changes anything a
repeated fetch could break. The click goes only to the URL stored for that link of that email.
"""

import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from revline.core.ratelimit import email_rate_limit
from revline.tracking.services import RequestInfo

from .models import Send
from .send_services import send_click_record, send_get_by_token, send_open_record

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _info(request: HttpRequest) -> RequestInfo:
    return RequestInfo(user_agent=request.META.get("HTTP_USER_AGENT", "")[:500])


def _send(token: str) -> Send:
    send = send_get_by_token(token) if TOKEN_PATTERN.match(token) else None
    if send is None:
        raise Http404("Unknown email link")
    return send


@require_GET
@never_cache
@email_rate_limit("email_open")
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    send_open_record(send=_send(token), info=_info(request))
    return HttpResponse(PIXEL, content_type="image/gif")


@require_GET
@never_cache
@email_rate_limit("email_click")
def click(request: HttpRequest, token: str, link_id: int) -> HttpResponse:
    url = send_click_record(send=_send(token), link_id=link_id, info=_info(request))
    if url is None:
        raise Http404("Unknown email link")
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response
