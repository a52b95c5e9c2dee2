import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from revline.core.models import User
from revline.core.services import api_token_issue

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, **self.headers)

    def _send(self, method: str, path: str, body: Any) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        send = getattr(self.client, method)
        return send(BASE + path, data=data, content_type="application/json", **self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, {} if body is None else body)

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("put", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path, **self.headers)


@pytest.fixture
def api_as() -> Callable[[User], ApiClient]:
    def make(user: User) -> ApiClient:
        return ApiClient(api_token_issue(user=user, name="tests").raw)

    return make


def error_fields(response: Any) -> list[str]:
    """The last element of each error's `loc`: the field the API named."""
    return [str(error["loc"][-1]) for error in response.json()["detail"]]
