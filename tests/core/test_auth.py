"""Signing in and out, and who is sent where: the login page is the door to every internal page."""

import pytest
from django.test import Client

from revline.core.models import Team

from ..conftest import PASSWORD

WRONG_LOGIN = "Please enter a correct username and password."


def _logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_login_page_renders_a_form_with_csrf_token(client):
    # When
    response = client.get("/login/")

    # Then
    assert response.status_code == 200
    assert response.templates[0].name == "registration/login.html"
    html = response.content.decode()
    assert "Sign in" in html
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'href="/password-reset/"' in html


def test_wrong_password_shows_an_error_and_logs_nobody_in(client, rep_a):
    # When
    response = client.post("/login/", {"username": "rep_a", "password": "not-the-password"})

    # Then
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert _logged_in_user_id(client) is None


def test_unknown_user_gets_the_same_error_as_a_wrong_password(client, rep_a):
    response = client.post("/login/", {"username": "nobody", "password": PASSWORD})

    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert _logged_in_user_id(client) is None


def test_login_redirects_home_and_starts_a_session(client, rep_a):
    # When
    response = client.post("/login/", {"username": "rep_a", "password": PASSWORD})

    # Then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _logged_in_user_id(client) == str(rep_a.pk)
    assert client.get("/").status_code == 200


def test_login_follows_a_local_next_url(client, rep_a):
    response = client.post(
        "/login/", {"username": "rep_a", "password": PASSWORD, "next": "/reports/attribution/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/reports/attribution/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(client, rep_a, next_url):
    response = client.post("/login/", {"username": "rep_a", "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _logged_in_user_id(client) == str(rep_a.pk)


def test_login_without_csrf_token_is_refused(rep_a):
    # Given a browser-like client that enforces CSRF, posting without a token
    client = Client(enforce_csrf_checks=True)

    # When
    response = client.post("/login/", {"username": "rep_a", "password": PASSWORD})

    # Then
    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


def test_login_page_sends_a_signed_in_user_home(client, rep_a):
    client.force_login(rep_a)

    response = client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_by_get_is_refused_and_keeps_the_session(client, rep_a):
    # Given
    client.force_login(rep_a)

    # When a link or an image tries to log the user out
    response = client.get("/logout/")

    # Then
    assert response.status_code == 405
    assert _logged_in_user_id(client) == str(rep_a.pk)
    assert client.get("/").status_code == 200


def test_logout_by_post_ends_the_session(client, rep_a):
    # Given
    client.force_login(rep_a)

    # When
    response = client.post("/logout/")

    # Then
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert _logged_in_user_id(client) is None
    assert client.get("/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/settings/tokens/", "/settings/users/", "/reports/attribution/"]
)
def test_internal_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_user_admin_page_is_forbidden_to_a_sales_rep(client, rep_a):
    # Given
    client.force_login(rep_a)

    # When
    response = client.get("/settings/users/")
    post = client.post("/settings/users/", {"form": "team", "name": "Sneaky team"})

    # Then
    assert response.status_code == 403
    assert post.status_code == 403
    assert not Team.objects.filter(name="Sneaky team").exists()


def test_user_admin_page_opens_for_an_admin(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/settings/users/")

    assert response.status_code == 200
