"""Where the current request came from (address and request id), for the entries written while
it runs. A context variable, so services need no request argument and threads never mix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from revline.core.ratelimit import client_ip


@dataclass(frozen=True)
class RequestContext:
    ip: str | None
    request_id: str


_current: ContextVar[RequestContext | None] = ContextVar("revline_audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    cleaned = "".join(ch for ch in given if ch.isalnum() or ch in "-_.")[:64]
    return cleaned or uuid.uuid4().hex


class AuditContextMiddleware:
    """Sets the request context for audit entries, and echoes the request id in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(ip=client_ip(request) or None, request_id=_request_id(request))
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = context.request_id
        return response
