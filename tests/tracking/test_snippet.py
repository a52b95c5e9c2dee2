"""GET /t/revline.js: the website snippet, served as JavaScript that browsers cache and re-check."""

import gzip

from revline.tracking.views import SNIPPET_FILE


def test_the_snippet_is_served_as_cacheable_javascript(client):
    response = client.get("/t/revline.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == SNIPPET_FILE.read_bytes()
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 22


def test_browsers_that_accept_gzip_get_it_compressed(client):
    response = client.get("/t/revline.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "gzip"
    assert response["Vary"] == "Accept-Encoding"
    assert gzip.decompress(response.content) == SNIPPET_FILE.read_bytes()
    assert len(response.content) < len(SNIPPET_FILE.read_bytes()) / 2
    assert "Content-Encoding" not in client.get("/t/revline.js")


def test_an_unchanged_snippet_is_answered_with_304(client):
    etag = client.get("/t/revline.js")["ETag"]
    response = client.get("/t/revline.js", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    stale = client.get("/t/revline.js", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_the_snippet_needs_no_login_and_sets_no_cookie(client):
    response = client.get("/t/revline.js")
    assert response.status_code == 200
    assert response.cookies == {}


def test_the_snippet_only_answers_get_and_head(client):
    assert client.head("/t/revline.js").status_code == 200
    assert client.post("/t/revline.js").status_code == 405


def test_the_snippet_is_small_and_self_contained():
    source = SNIPPET_FILE.read_text()
    assert len(source.encode()) < 16 * 1024
    for forbidden in (
        "import ",
        "require(",
        "eval(",
        "innerHTML",
        "document.write",
        "localStorage",
    ):
        assert forbidden not in source
    assert 'new URL("collect", script.src)' in source
    assert "sendBeacon" in source
    assert "data-consent" in source
