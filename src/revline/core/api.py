"""The JSON API under /api/v1/. Each app adds its router here; every route needs a bearer token."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Revline API",
    version="1",
    description="Marketing and sales in one system. Authenticate with `Authorization: Bearer <token>`; "
    "create tokens on the API tokens page.",
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


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "A valid API token is required: send 'Authorization: Bearer <token>'."},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def register_routers() -> None:
    from revline.analytics.api import router as analytics_router
    from revline.analytics.experiment_api import router as experiments_router
    from revline.campaigns.api import router as campaigns_router
    from revline.competitors.api import router as competitors_router
    from revline.email.delivery_api import router as email_delivery_router
    from revline.experiments.api import router as experiments_app_router
    from revline.leads.api import router as leads_router
    from revline.people.api import router as people_router
    from revline.pr.api import router as pr_router
    from revline.research.api import router as research_router
    from revline.sales.api import router as sales_router
    from revline.segments.api import router as segments_router
    from revline.surveys.api import router as surveys_router

    from .api_routes import router as core_router

    api.add_router("/", core_router)
    api.add_router("/", people_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", sales_router)
    api.add_router("/", analytics_router)
    api.add_router("/", experiments_router)
    api.add_router("/", pr_router)
    api.add_router("/", segments_router)
    api.add_router("/", email_delivery_router)
    api.add_router("/", leads_router)
    api.add_router("/", competitors_router)
    api.add_router("/", surveys_router)
    api.add_router("/", research_router)
    api.add_router("/", experiments_app_router)


register_routers()
