"""The content workflow's pure rules and page-address matching."""

from datetime import date

import pytest

from revline.content.library_selectors import content_url_key
from revline.content.library_services import (
    publish_date_problem,
    status_change_problem,
    status_targets,
    url_problem,
)


def test_each_status_steps_forward_one_at_a_time_and_review_or_scheduled_go_back_to_draft():
    assert status_targets("idea") == ["draft"]
    assert status_targets("draft") == ["in_review"]
    assert status_targets("in_review") == ["draft", "scheduled"]
    assert status_targets("scheduled") == ["draft", "published"]
    assert status_targets("published") == []
    assert status_targets("junk") == []


@pytest.mark.parametrize(
    ("current", "target"),
    [("idea", "idea"), ("idea", "draft"), ("in_review", "draft"), ("scheduled", "published")],
)
def test_allowed_status_changes_have_no_problem(current, target):
    assert status_change_problem(current, target) is None


def test_skipping_or_going_back_is_refused_with_the_allowed_steps_named():
    assert status_change_problem("draft", "published") == (
        "An item that is draft can move only to in review, not to published."
    )
    assert status_change_problem("published", "draft") == (
        "An item that is published can move no further, not to draft."
    )
    assert status_change_problem("draft", "idea") is not None
    assert status_change_problem("idea", "<script>") == "Choose a valid status."


def test_scheduled_and_published_need_a_date_in_range():
    assert publish_date_problem("scheduled", None) == "A scheduled item needs a publish date."
    assert publish_date_problem("published", None) == "A published item needs a publish date."
    assert publish_date_problem("idea", None) is None
    assert publish_date_problem("draft", date(2025, 5, 1)) is None
    assert publish_date_problem("draft", date(2200, 1, 1)) == "Choose a date between 1990 and 2100."


def test_only_http_and_https_addresses_are_accepted():
    assert url_problem("") is None
    assert url_problem("https://example.com/a") is None
    assert url_problem("HTTP://example.com") is None
    for bad in ("javascript:alert(1)", "ftp://example.com/x", "example.com", "https://"):
        assert url_problem(bad) == "Enter a web address that starts with http:// or https://."


def test_url_key_ignores_scheme_case_trailing_slash_query_fragment_and_default_port():
    expected = "example.com/blog/post"

    assert content_url_key("https://example.com/blog/post") == expected
    assert content_url_key("HTTPS://Example.COM/blog/post/") == expected
    assert content_url_key("http://example.com:80/blog/post?utm_source=x#top") == expected
    assert content_url_key("https://example.com:443/blog/post") == expected
    assert content_url_key("https://example.com:8443/blog/post") == "example.com:8443/blog/post"
    assert content_url_key("https://example.com/") == "example.com"
    assert content_url_key("https://example.com/Blog/Post") == "example.com/Blog/Post"


def test_url_key_is_none_for_non_web_addresses():
    for bad in ("", "javascript:alert(1)", "/blog/post", "mailto:a@b.c", "https://x:99999/"):
        assert content_url_key(bad) is None
