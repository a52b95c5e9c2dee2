# Temporary: replaced as each app gets its pages.
from django.http import HttpRequest, HttpResponse


def todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("Not built yet", status=501)
