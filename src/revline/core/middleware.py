from collections.abc import Callable

from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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
