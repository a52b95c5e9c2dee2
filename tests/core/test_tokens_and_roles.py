import hashlib

import pytest
from django.core.exceptions import PermissionDenied

from revline.core import api_scopes
from revline.core.models import ApiToken, Role
from revline.core.services import (
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
    user_update,
)


def test_token_is_stored_hashed_and_authenticates(rep_a):
    issued = api_token_issue(user=rep_a, name="CLI")

    stored = ApiToken.objects.get()
    assert issued.raw.startswith("rl_")
    assert stored.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.raw not in (stored.digest, stored.prefix)
    assert api_token_authenticate(raw=issued.raw).user == rep_a
    assert stored.prefix == issued.raw[:10]


@pytest.mark.parametrize("raw", ["", "rl_", "rl_wrong", "Bearer x", "x" * 500])
def test_wrong_tokens_do_not_authenticate(rep_a, raw):
    api_token_issue(user=rep_a, name="CLI")

    assert api_token_authenticate(raw=raw) is None


def test_revoked_token_and_inactive_user_do_not_authenticate(rep_a, rep_b):
    issued = api_token_issue(user=rep_a, name="CLI")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=rep_b, token=issued.token)
    assert api_token_authenticate(raw=issued.raw).user == rep_a

    api_token_revoke(actor=rep_a, token=issued.token)

    assert api_token_authenticate(raw=issued.raw) is None
    second = api_token_issue(user=rep_b, name="x")
    rep_b.is_active = False
    rep_b.save()
    assert api_token_authenticate(raw=second.raw) is None


def test_tokens_page_shows_the_token_once(client, rep_a):
    client.force_login(rep_a)

    every_area = {f"scope_{area}": "write" for area in api_scopes.AREAS}
    created = client.post("/settings/tokens/", {"name": "Zapier", **every_area})
    raw = created.context["issued"].raw
    again = client.get("/settings/tokens/")

    assert raw in created.content.decode()
    assert raw not in again.content.decode()
    assert "Zapier" in again.content.decode()


def test_only_admins_manage_users(client, rep_a, admin_user, marketer):
    client.force_login(rep_a)
    assert client.get("/settings/users/").status_code == 403
    assert client.post("/settings/users/", {"form": "team", "name": "Hackers"}).status_code == 403
    with pytest.raises(PermissionDenied):
        user_update(actor=rep_a, user=marketer, role=Role.ADMIN, team=None, is_active=True)
    marketer.refresh_from_db()
    assert marketer.role == Role.MARKETER

    client.force_login(admin_user)
    assert client.get("/settings/users/").status_code == 200
    response = client.post(
        "/settings/users/",
        {
            "form": "user",
            "username": "newrep",
            "email": "NewRep@example.com",
            "role": "sales_rep",
            "password": "a-long-password-1",
        },
    )
    assert response.status_code == 302
    from revline.core.models import User

    assert User.objects.get(username="newrep").email == "newrep@example.com"


def test_admin_cannot_demote_themselves(admin_user):
    with pytest.raises(ValueError):
        user_update(
            actor=admin_user, user=admin_user, role=Role.SALES_REP, team=None, is_active=True
        )
