"""The product's URLs plus /bench/noop, the baseline: a Django view that does nothing.

It exists only in the bench, so the product never serves it.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from revline.urls import urlpatterns as product_urlpatterns


def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/noop", noop), *product_urlpatterns]
