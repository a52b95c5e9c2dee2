"""The JSON API under /api/v1/. Each app adds its router here; every route needs a bearer token."""

import copy
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from . import api_scopes
from .ratelimit import api_token_wait_seconds
from .services import api_token_authenticate

API_DESCRIPTION = """Marketing and sales in one system.

**Authentication.** Send `Authorization: Bearer <token>`; create tokens on the API tokens page.
A token carries scopes, `<area>:read` or `<area>:write` per area (write includes read); a call
outside them answers 403 naming the scope.

**Rate limit.** Each token may make `REVLINE_API_RATE_LIMIT` calls a minute (600 by default);
beyond that the API answers 429 with a `Retry-After` header in seconds.

**Idempotency.** Writes (POST, PUT, PATCH, DELETE) accept an `Idempotency-Key` header (1 to 255
visible characters). A repeat with the same key and body within 24 hours returns the first answer
(with `Idempotent-Replayed: true`); a repeat while the first is still running answers 409; the
same key with another body answers 422.

**Lists** take `limit` (1 to 200) and either `offset` or the opaque `cursor` from the previous
page's `next_cursor`; cursors stay stable while records are added.
"""


class ScopeMissing(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class BearerToken(HttpBearer):
    """A live token, within its rate limit, holding the scope the route's area needs."""

    def __init__(self, area: str = api_scopes.OPEN_AREA) -> None:
        super().__init__()
        self.area = area

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(raw=token)
        if api_token is None:
            return None
        wait = api_token_wait_seconds(token_id=api_token.pk)
        if wait:
            raise RateLimited(wait)
        needed = api_scopes.scope_needed(self.area, request.method or "GET")
        if not api_scopes.scopes_allow(api_token.scopes, needed):
            raise ScopeMissing(needed or "")
        request.user = api_token.user
        return api_token.user


class RevlineAPI(NinjaAPI):
    """Builds the OpenAPI document (some 700 KB, seconds of work) once per path prefix; the
    routes never change while the process runs. Each caller gets its own copy."""

    _documents: dict[str, OpenAPISchema]

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        documents = self.__dict__.setdefault("_documents", {})
        if path_prefix not in documents:
            documents[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return copy.deepcopy(documents[path_prefix])


api = RevlineAPI(
    title="Revline API",
    version="1",
    description=API_DESCRIPTION,
    auth=BearerToken(),
    urls_namespace="api",
)


def _validation_error_detail(exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {
                "loc": ["body", field],
                "msg": " ".join(str(m) for m in messages),
                "type": "value_error",
            }
            for field, messages in exc.message_dict.items()
        ]
    return [{"loc": ["body"], "msg": " ".join(exc.messages), "type": "value_error"}]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _validation_error_detail(exc)}, status=422)


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "A number in the request is out of range."}, status=422
    )


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "A value in the request is out of range for its field."}, status=422
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Permission denied."}, status=403)


@api.exception_handler(ScopeMissing)
def on_scope_missing(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return api.create_response(
        request, {"detail": f"This token lacks the scope {exc.scope!r}."}, status=403
    )


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": f"Too many requests with this token; retry in {exc.retry_after} s."},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "A valid API token is required: send 'Authorization: Bearer <token>'."},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


# Each router's area: a token's scopes are `<area>:read` / `<area>:write` (see api_scopes.py).
def register_routers() -> None:
    from revline.analytics.api import router as analytics_router
    from revline.analytics.digest_api import me_router as digest_me_router
    from revline.analytics.digest_api import router as digest_router
    from revline.analytics.experiment_api import router as experiments_router
    from revline.audit.api import router as audit_router
    from revline.campaigns.api import router as campaigns_router
    from revline.competitors.api import router as competitors_router
    from revline.content.api import router as content_router
    from revline.email.api import router as email_router
    from revline.email.delivery_api import router as email_delivery_router
    from revline.experiments.api import router as experiments_app_router
    from revline.feedback.api import router as feedback_router
    from revline.leads.api import router as leads_router
    from revline.people.api import router as people_router
    from revline.pr.api import router as pr_router
    from revline.privacy.api import router as privacy_router
    from revline.quotes.api import router as quotes_router
    from revline.research.api import router as research_router
    from revline.sales.activity_api import router as sales_activity_router
    from revline.sales.api import router as sales_router
    from revline.sales.workbench_api import router as sales_workbench_router
    from revline.segments.api import router as segments_router
    from revline.surveys.api import router as surveys_router
    from revline.tracking.api import router as tracking_router
    from revline.webhooks.api import router as webhooks_router

    from .admin_api import router as admin_router
    from .api_routes import router as core_router
    from .settings_api import notifications_router
    from .settings_api import router as workspace_router

    for area, router in [
        ("me", core_router),
        ("me", notifications_router),
        ("me", digest_me_router),
        ("people", people_router),
        ("privacy", privacy_router),
        ("marketing", campaigns_router),
        ("marketing", content_router),
        ("marketing", pr_router),
        ("marketing", tracking_router),
        ("email", email_router),
        ("email", email_delivery_router),
        ("email", segments_router),
        ("sales", sales_router),
        ("sales", sales_workbench_router),
        ("sales", sales_activity_router),
        ("sales", quotes_router),
        ("sales", competitors_router),
        ("leads", leads_router),
        ("analytics", analytics_router),
        ("analytics", digest_router),
        ("analytics", experiments_router),
        ("analytics", experiments_app_router),
        ("research", surveys_router),
        ("research", research_router),
        ("research", feedback_router),
        ("admin", admin_router),
        ("admin", workspace_router),
        ("admin", webhooks_router),
        ("admin", audit_router),
    ]:
        api_scopes.area_register(router, area)
        api.add_router("/", router, auth=BearerToken(area))


register_routers()
