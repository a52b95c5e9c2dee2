import gzip
import hashlib
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_safe
from django_ratelimit.decorators import ratelimit

from revline.core.ratelimit import client_ip, public_rate_limit
from revline.core.workspace import tracking_rules

from .collect import MAX_BODY_BYTES, BatchError, batch_parse
from .ingest import batch_store
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
    response = HttpResponseRedirect(redirect_url(link, visitor_id=visitor.id))
    set_visitor_cookie(response, visitor.id)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


# --- Website snippet -----------------------------------------------------------------------------

SNIPPET_FILE = Path(__file__).resolve().parent / "static" / "tracking" / "revline.js"
SNIPPET_MAX_AGE = 60 * 60 * 24
COLLECT_CONTENT_TYPES = {"application/json", "text/plain"}


@cache
def snippet_source() -> tuple[bytes, bytes, str]:
    """The snippet's bytes, gzipped bytes and ETag (read once per process)."""
    body = SNIPPET_FILE.read_bytes()
    return body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


@require_safe
def snippet(request: HttpRequest) -> HttpResponse:
    """The website snippet at a stable address; browsers re-check it daily (304 when unchanged)."""
    body, compressed, etag = snippet_source()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = f"public, max-age={SNIPPET_MAX_AGE}"
    # Loaded by the customer's pages on another origin.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _collect_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _collect_rate(group: str, request: HttpRequest) -> str:
    return f"{settings.REVLINE_COLLECT_RATE_LIMIT}/m"


def _answer(status: int, data: dict[str, object], origin: str | None) -> HttpResponse:
    response = JsonResponse(data, status=status) if status != 204 else HttpResponse(status=204)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@csrf_exempt
@never_cache
@ratelimit(group="collect", key=_collect_key, rate=_collect_rate, method=ratelimit.ALL, block=True)
def collect(request: HttpRequest) -> HttpResponse:
    """Store a batch of snippet events (see tracking/collect.py), only from the site origins.

    Answers 200 with accepted/duplicate counts once the batch is committed; 4xx with a JSON reason
    and nothing stored otherwise. No credentials: the visitor id travels in the body.
    """
    if request.method not in ("POST", "OPTIONS"):
        response = _answer(405, {"error": "method_not_allowed", "reason": "Use POST."}, None)
        response["Allow"] = "POST, OPTIONS"
        return response
    rules = tracking_rules()
    origin = request.headers.get("Origin")
    if not rules.allows(origin):
        reason = "This origin is not one of the workspace's site origins."
        return _answer(403, {"error": "origin_not_allowed", "reason": reason}, None)
    if request.method == "OPTIONS":
        response = _answer(204, {}, origin)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return response
    if request.content_type not in COLLECT_CONTENT_TYPES:
        reason = "Send the batch as application/json (or text/plain)."
        return _answer(415, {"error": "unsupported_media_type", "reason": reason}, origin)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        reason = f"The body is larger than {MAX_BODY_BYTES} bytes."
        return _answer(413, {"error": "too_large", "reason": reason}, origin)
    try:
        batch = batch_parse(request.read(MAX_BODY_BYTES + 1), now=timezone.now())
    except BatchError as exc:
        return _answer(exc.status, exc.as_dict(), origin)
    if rules.requires_consent and not batch.consent:
        reason = "This site records visits only with consent: call revline.consent(true) first."
        return _answer(403, {"error": "consent_required", "reason": reason}, origin)
    result = batch_store(batch=batch, user_agent=request.headers.get("User-Agent", ""))
    return _answer(200, {"accepted": result.accepted, "duplicates": result.duplicates}, origin)
