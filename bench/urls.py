"""The product's URLs plus the bench's baselines. They exist only in the bench, never in the product.

- /bench/noop            a Django view that does nothing (the click bench's baseline)
- /bench/naive-collect   the obvious way to take tracking events: one event per request, saved
                         with Model.save(), no validation, no visitor, no campaign, no de-duplication
                         (the collect bench's baseline, see bench/collect.py)
"""

import json
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from revline.tracking.models import Touchpoint
from revline.urls import urlpatterns as product_urlpatterns


def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def naive_collect(request: HttpRequest) -> HttpResponse:
    event = json.loads(request.body)["events"][0]
    utm = event.get("utm") or {}
    Touchpoint(
        kind=event["type"],
        occurred_at=datetime.fromtimestamp(event["ts"] / 1000, tz=UTC),
        event_id=event["id"],
        url=event["url"],
        referrer=event.get("referrer", ""),
        user_agent=request.headers.get("User-Agent", ""),
        params={"title": event.get("title", "")},
        **{key: utm.get(key, "") for key in ("utm_source", "utm_medium", "utm_campaign")},
    ).save()
    return JsonResponse({"accepted": 1})


urlpatterns = [
    path("bench/noop", noop),
    path("bench/naive-collect", naive_collect),
    *product_urlpatterns,
]
