"""Where the current request came from (address and request id), for the entries written while
it runs. A context variable, so services need no request argument and threads never mix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from functools import cached_property

from django.http import HttpRequest, HttpResponse

from revline.core.ratelimit import client_ip

HEADER = "X-Request-ID"


class RequestContext:
    """The request's address and id, worked out on first use: most requests write no entry."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def ip(self) -> str | None:
        return client_ip(self._request) or None

    @cached_property
    def request_id(self) -> str:
        return _request_id(self._request)

    @property
    def request_id_used(self) -> bool:
        return "request_id" in self.__dict__


_current: ContextVar[RequestContext | None] = ContextVar("revline_audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    cleaned = "".join(ch for ch in given if ch.isalnum() or ch in "-_.")[:64]
    return cleaned or uuid.uuid4().hex


class AuditContextMiddleware:
    """Sets the request context for audit entries. The response echoes the request id when an
    entry used it or the client sent one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(request)
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if context.request_id_used or HEADER in request.headers:
            response[HEADER] = context.request_id
        return response
