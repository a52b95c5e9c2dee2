import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from revline.core.ratelimit import public_rate_limit

from .services import RequestInfo, click_record, link_get_active, parse_visitor_id, redirect_url

VISITOR_COOKIE = "rl_vid"
VISITOR_COOKIE_AGE = 60 * 60 * 24 * 365
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def request_info(request: HttpRequest) -> RequestInfo:
    return RequestInfo(
        url=request.build_absolute_uri()[:2000],
        referrer=request.META.get("HTTP_REFERER", "")[:2000],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
    )


def set_visitor_cookie(response: HttpResponse, visitor_id: object) -> None:
    response.set_cookie(
        VISITOR_COOKIE, str(visitor_id), max_age=VISITOR_COOKIE_AGE, httponly=True, samesite="Lax"
    )


@require_GET
@never_cache
@public_rate_limit("click")
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click and redirect to the stored destination, never to anything the request says."""
    if not TOKEN_PATTERN.match(token):
        raise Http404("Unknown link")
    link = link_get_active(token=token)
    if link is None:
        raise Http404("Unknown link")
    visitor = click_record(
        link=link,
        visitor_id=parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE)),
        info=request_info(request),
    )
    response = HttpResponseRedirect(redirect_url(link))
    set_visitor_cookie(response, visitor.id)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response
