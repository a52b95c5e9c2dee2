"""The API's platform rules: token scopes, the per-token rate limit, Idempotency-Key and cursor
pagination."""

import inspect
import json
import typing
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from revline.core import api_scopes
from revline.core.api import api
from revline.core.idempotency import idempotency_purge
from revline.core.models import ApiToken, IdempotencyRecord
from revline.core.services import api_token_issue
from revline.people.models import Contact
from revline.people.services import contact_create

from .conftest import BASE, ApiClient

pytestmark = pytest.mark.django_db


def _client_with(user: Any, scopes: list[str] | None) -> ApiClient:
    return ApiClient(api_token_issue(user=user, name="scoped", scopes=scopes).raw)


def _post_contact(client: Client, token: str, body: Any, key: str | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        BASE + "/contacts", data=json.dumps(body), content_type="application/json", **headers
    )


# Scopes


def test_a_read_scope_reads_but_may_not_write(admin_user):
    client = _client_with(admin_user, ["people:read"])

    assert client.get("/contacts").status_code == 200
    refused = client.post("/contacts", {"email": "ada@example.com"})

    assert refused.status_code == 403
    assert refused.json() == {"detail": "This token lacks the scope 'people:write'."}
    assert not Contact.objects.exists()


def test_a_write_scope_includes_read(admin_user):
    client = _client_with(admin_user, ["people:write"])

    assert client.post("/contacts", {"email": "ada@example.com"}).status_code == 201
    assert client.get("/contacts").json()["total"] == 1


def test_a_token_without_an_area_is_refused_there_but_may_ask_who_it_is(admin_user):
    client = _client_with(admin_user, ["people:read"])

    assert client.get("/deals").status_code == 403
    assert client.get("/deals").json()["detail"] == "This token lacks the scope 'sales:read'."
    assert client.get("/me").status_code == 200


def test_scopes_never_widen_a_role(rep_a):
    client = _client_with(rep_a, None)

    assert client.delete("/contacts/1").status_code in (403, 404)
    assert client.post("/pipelines", {"name": "Mine"}).status_code in (403, 405, 422)


def test_every_operation_belongs_to_an_area():
    """A router mounted without an area would fall back to the open "me" area."""
    areas: dict[str, set[str]] = {}
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                (auth,) = operation.auth_callbacks
                areas.setdefault(auth.area, set()).add(path)
    # The caller's own profile and notifications need no scope.
    assert {path.split("/")[1] for path in areas.pop(api_scopes.OPEN_AREA)} <= {
        "me",
        "notifications",
    }
    assert set(areas) <= set(api_scopes.AREAS)
    assert {"people", "sales", "email", "marketing", "admin"} <= set(areas)


def test_token_issue_refuses_unknown_or_no_scopes(admin_user):
    with pytest.raises(ValueError, match="Unknown scope: people:delete"):
        api_token_issue(user=admin_user, name="bad", scopes=["people:delete"])
    with pytest.raises(ValueError, match="at least one scope"):
        api_token_issue(user=admin_user, name="bad", scopes=[])
    assert not ApiToken.objects.exists()


def test_a_token_issued_without_scopes_gets_all_of_them(admin_user):
    issued = api_token_issue(user=admin_user, name="all")

    assert sorted(issued.token.scopes) == sorted(api_scopes.all_scopes())


def test_the_tokens_page_issues_a_scoped_token(client, admin_user):
    from tests.conftest import PASSWORD

    client.login(username=admin_user.username, password=PASSWORD)
    form = {"name": "BI export"} | {f"scope_{area}": "none" for area in api_scopes.AREAS}
    form["scope_analytics"] = "read"
    form["scope_people"] = "write"

    response = client.post("/settings/tokens/", form)

    assert response.status_code == 200
    token = ApiToken.objects.get(name="BI export")
    assert token.scopes == ["analytics:read", "people:write"]


def test_the_tokens_page_refuses_a_token_with_no_access(client, admin_user):
    from tests.conftest import PASSWORD

    client.login(username=admin_user.username, password=PASSWORD)
    form = {"name": "Nothing"} | {f"scope_{area}": "none" for area in api_scopes.AREAS}

    response = client.post("/settings/tokens/", form)

    assert "Give the token access to at least one area." in response.content.decode()
    assert not ApiToken.objects.exists()


# Rate limit


def test_a_token_over_its_rate_gets_429_with_retry_after(admin_user, settings):
    settings.REVLINE_API_RATE_LIMIT = 3
    busy = _client_with(admin_user, None)
    other = _client_with(admin_user, None)

    answers = [busy.get("/me").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = busy.get("/contacts")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many requests" in limited.json()["detail"]
    assert other.get("/me").status_code == 200


# Idempotency-Key


def test_a_repeat_with_the_same_key_returns_the_first_answer(admin_user):
    token = api_token_issue(user=admin_user, name="idem").raw
    client = Client()

    first = _post_contact(client, token, {"email": "ada@example.com"}, key="order-1")
    again = _post_contact(client, token, {"email": "ada@example.com"}, key="order-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(admin_user):
    token = api_token_issue(user=admin_user, name="idem").raw
    client = Client()
    _post_contact(client, token, {"email": "ada@example.com"}, key="order-1")

    other = _post_contact(client, token, {"email": "bob@example.com"}, key="order-1")

    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert list(Contact.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_a_repeat_while_the_first_still_runs_gets_409(admin_user):
    issued = api_token_issue(user=admin_user, name="idem")
    client = Client()
    body = {"email": "ada@example.com"}
    first = _post_contact(client, issued.raw, body, key="k-1")
    IdempotencyRecord.objects.filter(key="k-1").update(status_code=None)  # still running

    repeat = _post_contact(client, issued.raw, body, key="k-1")

    assert first.status_code == 201
    assert repeat.status_code == 409
    assert Contact.objects.count() == 1


def test_keys_are_per_token(admin_user):
    client = Client()
    first = api_token_issue(user=admin_user, name="one").raw
    second = api_token_issue(user=admin_user, name="two").raw

    _post_contact(client, first, {"email": "ada@example.com"}, key="same")
    other = _post_contact(client, second, {"email": "bob@example.com"}, key="same")

    assert other.status_code == 201
    assert Contact.objects.count() == 2


def test_a_validation_error_is_replayed_but_a_server_side_refusal_is_not_kept(admin_user):
    token = api_token_issue(user=admin_user, name="idem").raw
    client = Client()

    bad = _post_contact(client, token, {"email": "not-an-email"}, key="bad-1")
    again = _post_contact(client, token, {"email": "not-an-email"}, key="bad-1")

    assert bad.status_code == again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"


def test_a_scope_refusal_is_not_kept(admin_user):
    issued = api_token_issue(user=admin_user, name="ro", scopes=["people:read"])
    client = Client()

    refused = _post_contact(client, issued.raw, {"email": "ada@example.com"}, key="k")

    assert refused.status_code == 403
    assert not IdempotencyRecord.objects.exists()


def test_a_malformed_key_is_a_400_and_changes_nothing(admin_user):
    token = api_token_issue(user=admin_user, name="idem").raw

    response = _post_contact(Client(), token, {"email": "ada@example.com"}, key="x" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_a_key_without_a_valid_token_is_a_plain_401(db):
    response = _post_contact(Client(), "rl_wrong", {"email": "ada@example.com"}, key="k")

    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


# Cursor pagination


def _page_through(client: ApiClient, path: str, sort: str, limit: int) -> list[int]:
    seen: list[int] = []
    page = client.get(path, {"limit": limit, "sort": sort}).json()
    seen += [item["id"] for item in page["items"]]
    while page["next_cursor"]:
        query = {"limit": limit, "sort": sort, "cursor": page["next_cursor"]}
        page = client.get(path, query).json()
        seen += [item["id"] for item in page["items"]]
    return seen


@pytest.mark.parametrize("sort", ["-created_at", "email", "last_name", "-last_name"])
def test_a_cursor_walks_every_record_once_in_order(admin_user, sort):
    for n, last in enumerate(["B", "A", "", "C", "A", "", "B"]):
        contact_create(actor=admin_user, email=f"p{n}@example.com", last_name=last)
    client = _client_with(admin_user, None)
    everything = client.get("/contacts", {"sort": sort, "limit": 200}).json()["items"]
    expected = [item["id"] for item in everything]

    walked = _page_through(client, "/contacts", sort, limit=3)

    assert walked == expected
    assert len(walked) == 7


def test_records_added_while_paging_do_not_shift_the_pages(admin_user):
    for n in range(6):
        contact_create(actor=admin_user, email=f"p{n}@example.com")
    client = _client_with(admin_user, None)
    first = client.get("/contacts", {"sort": "-created_at", "limit": 3}).json()

    contact_create(actor=admin_user, email="new@example.com")
    second = client.get(
        "/contacts", {"sort": "-created_at", "limit": 3, "cursor": first["next_cursor"]}
    ).json()

    first_ids = [item["id"] for item in first["items"]]
    second_ids = [item["id"] for item in second["items"]]
    assert not set(first_ids) & set(second_ids)
    assert len(first_ids + second_ids) == 6
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"cursor": "garbage"}, "not valid"),
        ({"cursor": "CURSOR", "sort": "email"}, "another sort order"),
        ({"cursor": "CURSOR", "offset": 2}, "either offset or cursor"),
    ],
)
def test_bad_cursors_are_refused(admin_user, params, message):
    for n in range(3):
        contact_create(actor=admin_user, email=f"p{n}@example.com")
    client = _client_with(admin_user, None)
    cursor = client.get("/contacts", {"limit": 1}).json()["next_cursor"]
    query = {key: cursor if value == "CURSOR" else value for key, value in params.items()}

    response = client.get("/contacts", {"limit": 1, **query})

    assert response.status_code == 422
    assert message in json.dumps(response.json())


def test_a_tampered_cursor_is_refused(admin_user):
    for n in range(3):
        contact_create(actor=admin_user, email=f"p{n}@example.com")
    client = _client_with(admin_user, None)
    cursor = client.get("/contacts", {"limit": 1}).json()["next_cursor"]

    response = client.get("/contacts", {"limit": 1, "cursor": cursor[:-3] + "abc"})

    assert response.status_code == 422


def test_stored_answers_are_purged_after_a_day(admin_user):
    import time_machine

    token = api_token_issue(user=admin_user, name="idem").raw
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        _post_contact(Client(), token, {"email": "ada@example.com"}, key="old")
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        _post_contact(Client(), token, {"email": "bob@example.com"}, key="new")

    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        purged = idempotency_purge()
        # The old key is free again; the new one still replays.
        reused = _post_contact(Client(), token, {"email": "cy@example.com"}, key="old")

    assert purged == 1
    assert reused.status_code == 201
    assert list(IdempotencyRecord.objects.order_by("key").values_list("key", flat=True)) == [
        "new",
        "old",
    ]


def _schemas_reachable_from(annotation: Any, found: dict[str, set[str]], seen: set[type]) -> None:
    if typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            _schemas_reachable_from(argument, found, seen)
        return
    if not (inspect.isclass(annotation) and issubclass(annotation, BaseModel)):
        return
    if annotation in seen:
        return
    seen.add(annotation)
    found.setdefault(annotation.__name__, set()).add(annotation.__module__)
    for field in annotation.model_fields.values():
        _schemas_reachable_from(field.annotation, found, seen)


def test_no_two_schemas_share_a_name():
    """The OpenAPI document names components by class name, and a second class of the same
    name silently replaces the first: its routes would then document the wrong shape."""
    found: dict[str, set[str]] = {}
    seen: set[type] = set()
    for bound in api._get_bound_routers():
        for view in bound.path_operations.values():
            for operation in view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _schemas_reachable_from(model, found, seen)

    clashes = {name: modules for name, modules in found.items() if len(modules) > 1}
    assert clashes == {}
    assert len(found) > 300
