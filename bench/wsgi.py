"""The bench's server: Revline with bench/urls.py, plus one endpoint in front of Django.

/bench/wsgi-floor answers POSTs before Django sees them: it reads the body and returns a fixed
JSON answer. It measures what the server and the client themselves cost per request, which
bounds every ratio the collect bench reports (bench/collect.py).
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
django_application = get_wsgi_application()

FLOOR_PATH = "/bench/wsgi-floor"
FLOOR_ANSWER = b'{"accepted": 1, "duplicates": 0}'


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != FLOOR_PATH:
        return django_application(environ, start_response)
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(FLOOR_ANSWER)))]
    start_response("200 OK", headers)
    return [FLOOR_ANSWER]
