"""Users, teams and the caller's API tokens over the API."""

import pytest

from revline.audit.models import AuditEntry
from revline.core.models import ApiToken, Role, Team, TwoFactorDevice, User
from revline.core.services import api_token_issue

from .conftest import error_fields

NEW_USER = {
    "username": "ada",
    "email": "Ada@Example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "role": "sales_rep",
    "password": "an-unusual-passphrase-42",
}


def two_factor_on(user: User) -> None:
    from django.utils import timezone

    TwoFactorDevice.objects.create(user=user, secret="X" * 32, confirmed_at=timezone.now())


# --- users: list and read -----------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_users_with_their_two_factor_status(api_as, admin_user, rep_a, rep_b, team_a):
    # Given rep_a has two-factor on and rep_b was deactivated
    two_factor_on(rep_a)
    User.objects.filter(pk=rep_b.pk).update(is_active=False)
    # When
    response = api_as(admin_user).get("/users", {"sort": "-username"})
    # Then
    assert response.status_code == 200
    rows = [
        (u["username"], u["is_active"], u["two_factor_enabled"], u["team"])
        for u in response.json()["items"]
    ]
    assert rows == [
        ("rep_b", False, False, {"id": rep_b.team_id, "name": "Team B"}),
        ("rep_a", True, True, {"id": team_a.pk, "name": "Team A"}),
        ("admin", True, False, None),
    ]
    assert all("password" not in u for u in response.json()["items"])


@pytest.mark.django_db
def test_others_see_active_users_without_two_factor_status(api_as, rep_a, rep_b, marketer):
    two_factor_on(marketer)
    User.objects.filter(pk=rep_b.pk).update(is_active=False)
    response = api_as(rep_a).get("/users")
    assert response.status_code == 200
    assert [(u["username"], u["two_factor_enabled"]) for u in response.json()["items"]] == [
        ("marketer", None),
        ("rep_a", None),
    ]
    assert api_as(rep_a).get(f"/users/{rep_b.pk}").status_code == 404


@pytest.mark.django_db
def test_user_filters(api_as, admin_user, rep_a, manager_a, rep_b, team_a):
    client = api_as(admin_user)
    team = client.get("/users", {"team_id": team_a.pk}).json()["items"]
    assert [u["username"] for u in team] == ["manager_a", "rep_a"]
    reps = client.get("/users", {"role": "sales_rep", "q": "rep_"}).json()["items"]
    assert [u["username"] for u in reps] == ["rep_a", "rep_b"]
    bad = client.get("/users", {"role": "owner", "sort": "password"})
    assert bad.status_code == 422
    assert sorted(error_fields(bad)) == ["role", "sort"]


@pytest.mark.django_db
def test_read_one_user(api_as, admin_user, rep_a):
    response = api_as(admin_user).get(f"/users/{rep_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["email"], body["role"]) == (
        "rep_a",
        "rep_a@example.com",
        "sales_rep",
    )
    assert api_as(admin_user).get("/users/999999").status_code == 404


# --- users: create ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_a_user_with_a_checked_password(api_as, admin_user, team_a):
    response = api_as(admin_user).post("/users", {**NEW_USER, "team_id": team_a.pk})
    assert response.status_code == 201
    user = User.objects.get(username="ada")
    assert response.json()["id"] == user.pk
    assert (user.email, user.role, user.team, user.is_staff) == (
        "ada@example.com",
        Role.SALES_REP,
        team_a,
        False,
    )
    assert user.check_password("an-unusual-passphrase-42")
    assert "password" not in response.json()
    entry = AuditEntry.objects.get(object_type="core.user", object_id=str(user.pk))
    assert entry.action == "create" and entry.changes["password"] == [None, "••••••"]


@pytest.mark.django_db
def test_a_user_created_without_a_password_cannot_sign_in_yet(api_as, admin_user):
    body = {k: v for k, v in NEW_USER.items() if k != "password"}
    response = api_as(admin_user).post("/users", body)
    assert response.status_code == 201
    assert User.objects.get(username="ada").has_usable_password() is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "password"}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"password": "ada"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"username": "a b"}, "username"),
        ({"role": "owner"}, "role"),
        ({"team_id": 999999}, "team_id"),
        ({"username": "REP_A"}, "username"),
        ({"email": "rep_a@EXAMPLE.com"}, "email"),
        ({"is_superuser": True}, "is_superuser"),
    ],
)
def test_bad_user_is_422_and_creates_nothing(api_as, admin_user, rep_a, change, field):
    response = api_as(admin_user).post("/users", {**NEW_USER, **change})
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_only_admins_create_users(api_as, manager_a):
    response = api_as(manager_a).post("/users", {**NEW_USER, "role": "admin"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only admins can manage users and teams."}
    assert not User.objects.filter(username="ada").exists()


# --- users: update and deactivate ---------------------------------------------------------------


@pytest.mark.django_db
def test_admin_changes_role_and_team(api_as, admin_user, rep_a, team_b):
    response = api_as(admin_user).patch(
        f"/users/{rep_a.pk}", {"role": "sales_manager", "team_id": team_b.pk}
    )
    assert response.status_code == 200
    rep_a.refresh_from_db()
    assert (rep_a.role, rep_a.team, rep_a.is_active) == (Role.SALES_MANAGER, team_b, True)
    assert response.json()["team"] == {"id": team_b.pk, "name": "Team B"}
    entry = AuditEntry.objects.get(object_type="core.user", action="permission_change")
    assert entry.changes["role"] == ["sales_rep", "sales_manager"]


@pytest.mark.django_db
def test_null_team_removes_the_user_from_the_team(api_as, admin_user, rep_a):
    response = api_as(admin_user).patch(f"/users/{rep_a.pk}", {"team_id": None})
    assert response.status_code == 200 and response.json()["team"] is None
    rep_a.refresh_from_db()
    assert rep_a.team is None and rep_a.role == Role.SALES_REP


@pytest.mark.django_db
def test_nobody_changes_their_own_role(api_as, admin_user):
    response = api_as(admin_user).patch(f"/users/{admin_user.pk}", {"role": "marketer"})
    assert response.status_code == 403
    assert response.json() == {"detail": "You cannot change your own role."}
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_themselves(api_as, admin_user):
    response = api_as(admin_user).patch(f"/users/{admin_user.pk}", {"is_active": False})
    assert response.status_code == 422
    assert error_fields(response) == ["is_active"]
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


@pytest.mark.django_db
def test_user_update_refusals(api_as, admin_user, manager_a, rep_a):
    bad = api_as(admin_user).patch(f"/users/{rep_a.pk}", {"role": "boss", "team_id": "x"})
    assert bad.status_code == 422 and sorted(error_fields(bad)) == ["role", "team_id"]
    unknown_team = api_as(admin_user).patch(f"/users/{rep_a.pk}", {"team_id": 999999})
    assert unknown_team.status_code == 422 and error_fields(unknown_team) == ["team_id"]
    forbidden = api_as(manager_a).patch(f"/users/{rep_a.pk}", {"role": "sales_manager"})
    assert forbidden.status_code == 403
    assert api_as(admin_user).patch("/users/999999", {"is_active": False}).status_code == 404
    rep_a.refresh_from_db()
    assert (rep_a.role, rep_a.team_id is not None) == (Role.SALES_REP, True)


@pytest.mark.django_db
def test_delete_deactivates_the_user_and_their_tokens_stop_working(api_as, admin_user, rep_a):
    rep_client = api_as(rep_a)
    assert rep_client.get("/me").status_code == 200
    response = api_as(admin_user).delete(f"/users/{rep_a.pk}")
    assert response.status_code == 204
    rep_a.refresh_from_db()
    assert rep_a.is_active is False
    assert User.objects.filter(pk=rep_a.pk).exists()
    assert rep_client.get("/me").status_code == 401


@pytest.mark.django_db
def test_delete_refusals(api_as, admin_user, manager_a, rep_a):
    assert api_as(manager_a).delete(f"/users/{rep_a.pk}").status_code == 403
    assert api_as(admin_user).delete("/users/999999").status_code == 404
    myself = api_as(admin_user).delete(f"/users/{admin_user.pk}")
    assert myself.status_code == 422
    assert User.objects.filter(is_active=False).count() == 0


# --- teams ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_everyone_lists_teams_with_member_counts(api_as, rep_a, manager_a, team_b):
    response = api_as(rep_a).get("/teams", {"sort": "-name"})
    assert response.status_code == 200
    assert [(t["name"], t["member_count"]) for t in response.json()["items"]] == [
        ("Team B", 0),
        ("Team A", 2),
    ]
    assert api_as(rep_a).get("/teams", {"q": "b"}).json()["total"] == 1
    assert api_as(rep_a).get("/teams", {"sort": "members"}).status_code == 422


@pytest.mark.django_db
def test_read_one_team(api_as, rep_a, team_a):
    response = api_as(rep_a).get(f"/teams/{team_a.pk}")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["member_count"]) == ("Team A", 1)
    assert api_as(rep_a).get("/teams/999999").status_code == 404


@pytest.mark.django_db
def test_admin_creates_a_team(api_as, admin_user, manager_a, team_a):
    response = api_as(admin_user).post("/teams", {"name": "  EMEA "})
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["member_count"]) == ("EMEA", 0)
    assert AuditEntry.objects.filter(object_type="core.team", action="create").count() == 1
    duplicate = api_as(admin_user).post("/teams", {"name": "team a"})
    assert duplicate.status_code == 422 and error_fields(duplicate) == ["name"]
    blank = api_as(admin_user).post("/teams", {"name": "  "})
    assert blank.status_code == 422 and error_fields(blank) == ["name"]
    assert api_as(manager_a).post("/teams", {"name": "Mine"}).status_code == 403
    assert sorted(Team.objects.values_list("name", flat=True)) == ["EMEA", "Team A"]


@pytest.mark.django_db
def test_admin_renames_a_team(api_as, admin_user, manager_a, team_a, team_b):
    response = api_as(admin_user).patch(f"/teams/{team_a.pk}", {"name": "North"})
    assert response.status_code == 200 and response.json()["name"] == "North"
    entry = AuditEntry.objects.get(object_type="core.team", action="update")
    assert entry.changes == {"name": ["Team A", "North"]}
    taken = api_as(admin_user).patch(f"/teams/{team_a.pk}", {"name": "TEAM B"})
    assert taken.status_code == 422 and error_fields(taken) == ["name"]
    assert api_as(manager_a).patch(f"/teams/{team_a.pk}", {"name": "Mine"}).status_code == 403
    assert api_as(admin_user).patch("/teams/999999", {"name": "X"}).status_code == 404
    team_a.refresh_from_db()
    assert team_a.name == "North"


@pytest.mark.django_db
def test_admin_deletes_a_team_and_its_members_stay(api_as, admin_user, manager_a, rep_a, team_a):
    assert api_as(manager_a).delete(f"/teams/{team_a.pk}").status_code == 403
    assert api_as(admin_user).delete("/teams/999999").status_code == 404
    assert Team.objects.count() == 1
    response = api_as(admin_user).delete(f"/teams/{team_a.pk}")
    assert response.status_code == 204
    rep_a.refresh_from_db()
    assert (Team.objects.count(), rep_a.team_id, rep_a.is_active) == (0, None, True)
    assert AuditEntry.objects.filter(object_type="core.team", action="delete").count() == 1


# --- tokens -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_lists_only_their_own_tokens_without_values(api_as, rep_a, rep_b):
    issued = api_token_issue(user=rep_a, name="zapier")
    api_token_issue(user=rep_b, name="Theirs")
    response = api_as(rep_a).get("/tokens", {"sort": "name"})
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["items"]] == ["tests", "zapier"]
    assert issued.raw not in response.content.decode()
    zapier = response.json()["items"][1]
    assert (zapier["prefix"], zapier["revoked_at"]) == (issued.raw[:10], None)
    assert set(zapier) == {
        "id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"
    }  # fmt: skip
    assert api_as(rep_a).get("/tokens", {"sort": "digest"}).status_code == 422


@pytest.mark.django_db
def test_read_one_token(api_as, rep_a, rep_b):
    mine = api_token_issue(user=rep_a, name="Zapier").token
    theirs = api_token_issue(user=rep_b, name="Theirs").token
    assert api_as(rep_a).get(f"/tokens/{mine.pk}").json()["name"] == "Zapier"
    assert api_as(rep_a).get(f"/tokens/{theirs.pk}").status_code == 404


@pytest.mark.django_db
def test_revoking_a_token_stops_it_at_once(api_as, rep_a, rep_b):
    issued = api_token_issue(user=rep_a, name="Zapier")
    theirs = api_token_issue(user=rep_b, name="Theirs").token
    client = api_as(rep_a)
    # Someone else's token is not found, and stays valid
    assert client.post(f"/tokens/{theirs.pk}/revoke").status_code == 404
    assert client.post("/tokens/999999/revoke").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    # When
    response = client.post(f"/tokens/{issued.token.pk}/revoke")
    # Then
    assert response.status_code == 200 and response.json()["revoked_at"] is not None
    from .conftest import ApiClient

    assert ApiClient(issued.raw).get("/me").status_code == 401
    assert client.get("/tokens", {"active": "false"}).json()["total"] == 1
    assert ApiToken.objects.filter(revoked_at__isnull=True, user=rep_a).count() == 1
