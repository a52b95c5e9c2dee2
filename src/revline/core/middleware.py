from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

from . import idempotency
from .services import api_token_lookup
from .workspace import workspace_memo

API_PREFIX = "/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WorkspaceMemoMiddleware:
    """Read the workspace row at most once per request (core.workspace.workspace_get)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with workspace_memo():
            return self.get_response(request)


class OutOfRangeInputMiddleware:
    """Answer 400, not 500, when a request carries a number the database cannot hold.

    Forms and schemas bound ids where they can; this is the net under every other path
    (a 30-digit id in a query string raises OverflowError on SQLite, DataError on PostgreSQL).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError | DataError):
            return HttpResponseBadRequest(
                "A number in the request is out of range.", content_type="text/plain"
            )
        return None


class ApiIdempotencyMiddleware:
    """`Idempotency-Key` on API writes (see core/idempotency.py). Requests without the header,
    or without a valid token (the API answers 401 itself), pass straight through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method not in WRITE_METHODS:
            return self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not idempotency.KEY_PATTERN.match(key):
            return _json_error(
                "Idempotency-Key must be 1 to 255 visible ASCII characters.", status=400
            )
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        token = api_token_lookup(raw=raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return self.get_response(request)
        if request.content_type == "multipart/form-data":
            try:
                body = idempotency.multipart_digest(request.POST.lists(), request.FILES.lists())
            except (MultiPartParserError, SuspiciousOperation):
                return self.get_response(request)  # the API answers the malformed body itself
        else:
            body = request.body
        fingerprint = idempotency.request_fingerprint(
            method=request.method,
            path=request.path,
            query=request.META.get("QUERY_STRING", ""),
            body=body,
        )
        try:
            claimed = idempotency.idempotency_begin(
                token=token,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=fingerprint,
            )
        except idempotency.KeyReused:
            return _json_error(
                "This Idempotency-Key was already used with a different request.", status=422
            )
        except idempotency.KeyInFlight:
            return _json_error(
                "A request with this Idempotency-Key is still being processed; retry later.",
                status=409,
            )
        if isinstance(claimed, idempotency.Replay):
            replay = HttpResponse(
                claimed.body, status=claimed.status_code, content_type=claimed.content_type or None
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = self.get_response(request)
        except BaseException:
            claimed.delete()
            raise
        body = b"" if response.streaming else response.content
        idempotency.idempotency_finish(
            record=claimed,
            status_code=response.status_code if not response.streaming else 500,
            body=body,
            content_type=response.get("Content-Type", ""),
        )
        return response


def _json_error(detail: str, *, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)
