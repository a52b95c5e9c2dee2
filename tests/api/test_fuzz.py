"""API fuzzing: schemathesis generates requests from the OpenAPI document, valid and not, for
every operation, and each answer must be neither a server error nor outside its documented
schema. The requests run as an admin with every scope against a small demo workspace, and
half of the generated ids are swapped for ids of records that exist, so reads, updates and
deletes reach real rows and not only 404s.

REVLINE_FUZZ_EXAMPLES sets the examples per operation (default 6; raise it for a deeper run)."""

import os
import re
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.management.color import no_style
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, models
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from revline.core.api import api
from revline.core.demo import demo_build, demo_wipe
from revline.core.models import User
from revline.core.services import api_token_issue
from revline.wsgi import application

EXAMPLES = int(os.environ.get("REVLINE_FUZZ_EXAMPLES", "6"))

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application

# Path parameters whose name is not the model's name in snake case: by parameter, or by
# (path prefix, parameter) where the same name means another model under that prefix.
PARAM_MODELS = {
    "release_id": "pr.PressRelease",
    "coverage_id": "pr.Coverage",
    "suppression_id": "email.Suppression",
    "spend_id": "campaigns.AdSpend",
    "note_id": "research.ResearchNote",
    "reason_id": "sales.CloseReason",
    "item_id": "sales.PlaybookItem",
    "member_id": "sales.DealContact",
    "attachment_id": "sales.DealAttachment",
    "link_id": "tracking.TrackedLink",
    "template_id": "email.EmailTemplate",
    "step_id": "email.SequenceStep",
    "import_id": "people.ContactImport",
    "page_id": "content.LandingPage",
    "field_id": "content.FormField",
    "submission_id": "content.FormSubmission",
    "book_id": "quotes.PriceBook",
    "rate_id": "quotes.ExchangeRate",
}
PATH_PARAM_MODELS = {
    ("/api/v1/content/items", "item_id"): "content.ContentItem",
    ("/api/v1/campaigns/spend-imports", "import_id"): "campaigns.SpendImport",
    ("/api/v1/pr/media-contacts", "contact_id"): "pr.MediaContact",
    ("/api/v1/routing-rules", "rule_id"): "leads.RoutingRule",
    ("/api/v1/scoring/fit-rules", "rule_id"): "leads.FitRule",
    ("/api/v1/scoring/engagement-rules", "rule_id"): "leads.EngagementRule",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _models_by_param() -> dict[str, type[models.Model]]:
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        found.setdefault(f"{_snake(model.__name__)}_id", model)
    for param, label in PARAM_MODELS.items():
        found[param] = apps.get_model(label)
    return found


def _ids(model: type[models.Model]) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:5])


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A small committed demo workspace and an all-scopes admin token. Afterwards the database
    is emptied and what it held before (the rows migrations seed: close reasons, objection
    types, …) is put back, so later tests find it as they expect."""
    with django_db_blocker.unblock():
        before = connection.creation.serialize_db_to_string()
        demo_build(scale=0.03, today=date(2026, 6, 30), wipe=True)
        admin = User.objects.get(username="admin")
        token = api_token_issue(user=admin, name="fuzz").raw
        existing = {param: _ids(model) for param, model in _models_by_param().items()}
        by_path = {key: _ids(apps.get_model(label)) for key, label in PATH_PARAM_MODELS.items()}
        yield {"token": token, "existing": existing, "by_path": by_path}
        demo_wipe()
        connection.creation.deserialize_db_from_string(before)
        # The wipe restarted the id sequences; move them past the restored rows (PostgreSQL).
        reset = connection.ops.sequence_reset_sql(no_style(), list(apps.get_models()))
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)


@pytest.fixture(autouse=True)
def _connection_kept_open_between_requests() -> Any:
    """Django closes the database connection when a request starts and ends; the test client
    turns that off, and these requests come through the WSGI app instead. On PostgreSQL, closing
    would drop the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _real_ids(case: Any, world: dict[str, Any]) -> None:
    for name, value in list((case.path_parameters or {}).items()):
        known = world["existing"].get(name)
        for (prefix, param), ids in world["by_path"].items():
            path = case.operation.path
            if param == name and path.startswith((prefix, prefix.removeprefix("/api/v1"))):
                known = ids
        if known and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = known[value % len(known)]


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_within_its_schema(
    case: Any, fuzz_world: Any, settings: Any, tmp_path: Any
) -> None:
    settings.REVLINE_API_RATE_LIMIT = 10**9
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded deal files stay out of the data dir
    _real_ids(case, fuzz_world)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_world['token']}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
