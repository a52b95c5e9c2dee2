"""Workspace settings: one row; admins set the site origins and the consent rule (Settings → Workspace)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.core.models import Workspace
from revline.core.workspace import (
    origin_allowed,
    origin_normalize,
    origins_parse,
    workspace_get,
    workspace_update,
)
from revline.tracking.models import Touchpoint

URL = "/settings/workspace/"


def test_workspace_get_creates_the_single_row_once(db):
    first = workspace_get()
    second = workspace_get()
    assert first.pk == second.pk
    assert Workspace.objects.count() == 1
    assert (first.site_origins, first.tracking_requires_consent) == ("", False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("  HTTPS://WWW.Example.COM/  ", "https://www.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_are_normalised_the_way_browsers_send_them(raw, expected):
    assert origin_normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("www.example.com", "must start with https:// or http://"),
        ("ftp://example.com", "must start with https:// or http://"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("https:example.com", "must start with https:// or http://"),
        ("https://example.com/shop", "must not have a path, query or fragment"),
        ("https://example.com//", "must not have a path, query or fragment"),
        ("https://example.com?x=1", "must not have a path, query or fragment"),
        ("https://example.com#top", "must not have a path, query or fragment"),
        ("https://user:pw@example.com", "must not contain a user name or password"),
        ("https://*.example.com", "contains spaces, backslashes, wildcards"),
        ("https://exa mple.com", "contains spaces, backslashes, wildcards"),
        ("https://example.com\\@evil.example", "contains spaces, backslashes, wildcards"),
        ("https://example.com:99999", "has an invalid port"),
        ("https://example.com:http", "has an invalid port"),
        ("https://", "has no host name"),
        ("https://" + "a" * 200 + ".com", "is longer than 200 characters"),
    ],
)
def test_anything_but_scheme_host_and_port_is_refused(raw, message):
    with pytest.raises(ValueError, match="^" + message.replace("*", r"\*")):
        origin_normalize(raw)


def test_origins_parse_skips_blank_lines_and_duplicates():
    text = "https://a.example\n\n  https://A.example/ \nhttp://b.example:8000\n"
    assert origins_parse(text) == ["https://a.example", "http://b.example:8000"]


def test_origins_parse_names_every_bad_line():
    with pytest.raises(ValidationError) as caught:
        origins_parse("https://ok.example\nhttps://bad.example/path\n\nftp://x.example")
    assert caught.value.message_dict == {
        "site_origins": [
            "Line 2 “https://bad.example/path” must not have a path, query or fragment: "
            "only scheme://host[:port].",
            "Line 4 “ftp://x.example” must start with https:// or http://.",
        ]
    }


def test_workspace_update_stores_normalised_origins(admin_user):
    workspace = workspace_update(
        actor=admin_user,
        site_origins="https://WWW.shop.example/\nhttps://blog.example:443",
        tracking_requires_consent=True,
    )
    workspace.refresh_from_db()
    assert workspace.site_origins == "https://www.shop.example\nhttps://blog.example"
    assert workspace.tracking_requires_consent is True
    assert origin_allowed(workspace, "https://blog.example") is True
    assert origin_allowed(workspace, "https://blog.example:443") is False
    assert origin_allowed(workspace, None) is False
    assert origin_allowed(workspace, "null") is False


def test_a_bad_origin_changes_nothing(admin_user):
    workspace_update(
        actor=admin_user, site_origins="https://a.example", tracking_requires_consent=False
    )
    with pytest.raises(ValidationError):
        workspace_update(
            actor=admin_user,
            site_origins="https://b.example\nnot an origin",
            tracking_requires_consent=True,
        )
    workspace = workspace_get()
    assert (workspace.site_origins, workspace.tracking_requires_consent) == (
        "https://a.example",
        False,
    )


@pytest.mark.parametrize("who", ["marketer", "rep_a", "manager_a"])
def test_only_admins_may_update_the_workspace(request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        workspace_update(
            actor=actor, site_origins="https://a.example", tracking_requires_consent=True
        )
    assert workspace_get().site_origins == ""


# --- The settings page -----------------------------------------------------------------------


def test_an_admin_sees_the_form_and_the_install_code(client, admin_user, settings):
    settings.BASE_URL = "https://crm.example.com"
    client.force_login(admin_user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="site_origins"' in html
    assert 'name="tracking_requires_consent"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert (
        "&lt;script async src=&quot;https://crm.example.com/t/revline.js&quot;&gt;&lt;/script&gt;"
        in html
    )
    assert "No events from the snippet yet." in html


def test_an_admin_saves_origins_and_consent(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        URL,
        {
            "site_origins": "https://www.shop.example/\r\nhttp://localhost:3000",
            "tracking_requires_consent": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == URL
    workspace = workspace_get()
    assert workspace.site_origins == "https://www.shop.example\nhttp://localhost:3000"
    assert workspace.tracking_requires_consent is True
    page = client.get(URL).content.decode()
    assert "Workspace settings saved." in page
    assert "data-consent=&quot;required&quot;" in page
    assert "revline.consent(true)" in page


def test_bad_origins_are_shown_under_the_field_and_nothing_is_saved(client, admin_user):
    workspace_update(
        actor=admin_user, site_origins="https://a.example", tracking_requires_consent=False
    )
    client.force_login(admin_user)
    response = client.post(URL, {"site_origins": "https://ok.example\n<script>alert(1)</script>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Line 2 “&lt;script&gt;alert(1)&lt;/script&gt;” must start with https:// or http://."
        in html
    )
    assert "<script>alert(1)</script>" not in html
    assert workspace_get().site_origins == "https://a.example"


def test_a_marketer_sees_the_settings_read_only(client, marketer, admin_user):
    workspace_update(
        actor=admin_user, site_origins="https://a.example", tracking_requires_consent=False
    )
    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://a.example" in html
    assert "/t/revline.js" in html
    assert 'name="site_origins"' not in html
    assert "Only admins can change these settings." in html


def test_a_marketer_cannot_post_the_form(client, marketer):
    client.force_login(marketer)
    response = client.post(URL, {"site_origins": "https://evil.example"})
    assert response.status_code == 403
    assert workspace_get().site_origins == ""


@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_roles_cannot_open_the_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"site_origins": "https://evil.example"}).status_code == 403
    assert workspace_get().site_origins == ""


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_shows_the_last_snippet_event(client, admin_user):
    workspace_update(
        actor=admin_user, site_origins="https://a.example", tracking_requires_consent=False
    )
    Touchpoint.objects.create(
        kind="page_view",
        occurred_at=timezone.now(),
        event_id="7d444840-9dc0-11d1-b245-5ffdce74fad2",
        url="https://a.example/<b>pricing</b>",
    )
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "Page view" in html
    assert "https://a.example/&lt;b&gt;pricing&lt;/b&gt;" in html
    assert "No events from the snippet yet." not in html
