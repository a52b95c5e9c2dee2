"""Content library writes: who may write, the workflow rules, and that refusals change nothing."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.campaigns.models import Campaign, Channel
from revline.content.library_selectors import content_item_for_url
from revline.content.library_services import (
    content_item_create,
    content_item_move,
    content_item_set_status,
    content_item_update,
)
from revline.content.models import ContentItem, ContentKind, ContentStatus


def fields(**changes):
    values = {
        "title": "Pricing guide",
        "kind": ContentKind.WHITEPAPER,
        "status": ContentStatus.DRAFT,
        "owner": None,
        "persona": "Head of Sales",
        "funnel_stage": "decision",
        "campaign": None,
        "url": "https://example.com/guides/pricing",
        "publish_date": date(2025, 3, 12),
        "summary": "What it costs.",
    }
    return {**values, **changes}


@pytest.fixture
def item(marketer) -> ContentItem:
    return content_item_create(actor=marketer, **fields())


def test_marketer_creates_an_item_with_trimmed_text(marketer):
    campaign = Campaign.objects.create(name="Spring", channel=Channel.CONTENT)

    item = content_item_create(
        actor=marketer, **fields(title="  Pricing guide  ", owner=marketer, campaign=campaign)
    )

    stored = ContentItem.objects.get(pk=item.pk)
    assert (stored.title, stored.status, stored.owner, stored.campaign) == (
        "Pricing guide",
        "draft",
        marketer,
        campaign,
    )


def test_a_new_item_may_start_published_when_it_has_a_date(admin_user):
    item = content_item_create(actor=admin_user, **fields(status=ContentStatus.PUBLISHED))

    assert item.status == "published"


@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_people_cannot_write(request, who, item):
    user = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        content_item_create(actor=user, **fields(title="Sneaky", url=""))
    with pytest.raises(PermissionDenied):
        content_item_update(actor=user, item=item, **fields(title="Changed"))
    with pytest.raises(PermissionDenied):
        content_item_set_status(actor=user, item=item, status=ContentStatus.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        content_item_move(actor=user, item=item, publish_date=date(2025, 4, 1))

    stored = ContentItem.objects.get()
    assert (stored.title, stored.status, stored.publish_date) == (
        "Pricing guide",
        "draft",
        date(2025, 3, 12),
    )


def test_every_broken_rule_is_reported_and_nothing_is_saved(marketer):
    with pytest.raises(ValidationError) as caught:
        content_item_create(
            actor=marketer,
            **fields(
                title="   ",
                kind="podcast",
                status=ContentStatus.SCHEDULED,
                url="javascript:alert(1)",
                publish_date=None,
                persona="x" * 101,
            ),
        )

    assert caught.value.message_dict == {
        "title": ["Give the content a title."],
        "kind": ["Value 'podcast' is not a valid choice."],
        "url": ["Enter a web address that starts with http:// or https://."],
        "publish_date": ["A scheduled item needs a publish date."],
        "persona": ["Ensure this value has at most 100 characters (it has 101)."],
    }
    assert not ContentItem.objects.exists()


def test_a_second_item_cannot_claim_the_same_page(marketer, item):
    with pytest.raises(ValidationError) as caught:
        content_item_create(
            actor=marketer, **fields(title="Copy", url="HTTP://EXAMPLE.com/guides/pricing/?x=1")
        )

    assert caught.value.message_dict["url"] == [
        "“Pricing guide” already has this address; views of a page can be credited to only "
        "one item."
    ]
    assert ContentItem.objects.count() == 1


def test_update_keeps_its_own_url_and_takes_one_step(marketer, item):
    content_item_update(
        actor=marketer, item=item, **fields(title="Pricing guide 2025", status="in_review")
    )

    stored = ContentItem.objects.get(pk=item.pk)
    assert (stored.title, stored.status) == ("Pricing guide 2025", "in_review")


def test_update_refusing_a_skip_changes_nothing(marketer, item):
    with pytest.raises(ValidationError) as caught:
        content_item_update(
            actor=marketer, item=item, **fields(title="Renamed", status="published")
        )

    assert list(caught.value.message_dict) == ["status"]
    stored = ContentItem.objects.get(pk=item.pk)
    assert (stored.title, stored.status) == ("Pricing guide", "draft")
    assert (item.title, item.status) == ("Pricing guide", "draft")


def test_set_status_walks_the_workflow_and_back_to_draft(marketer, item):
    for status in ("in_review", "scheduled", "draft", "in_review", "scheduled", "published"):
        content_item_set_status(actor=marketer, item=item, status=status)
        assert ContentItem.objects.get(pk=item.pk).status == status


def test_scheduling_without_a_date_is_refused(marketer):
    item = content_item_create(
        actor=marketer, **fields(status="in_review", publish_date=None, url="")
    )

    with pytest.raises(ValidationError) as caught:
        content_item_set_status(actor=marketer, item=item, status="scheduled")

    assert caught.value.message_dict == {
        "status": ["A scheduled item needs a publish date. Set one first."]
    }
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"


def test_move_changes_only_the_publish_date(marketer, item):
    content_item_move(actor=marketer, item=item, publish_date=date(2025, 4, 2))

    stored = ContentItem.objects.get(pk=item.pk)
    assert (stored.publish_date, stored.status, stored.title) == (
        date(2025, 4, 2),
        "draft",
        "Pricing guide",
    )


def test_published_items_and_out_of_range_days_do_not_move(marketer, item):
    with pytest.raises(ValidationError) as caught:
        content_item_move(actor=marketer, item=item, publish_date=date(2999, 1, 1))
    assert caught.value.message_dict == {"publish_date": ["Choose a date between 1990 and 2100."]}

    published = content_item_create(
        actor=marketer, **fields(title="Live", status="published", url="")
    )
    with pytest.raises(ValidationError):
        content_item_move(actor=marketer, item=published, publish_date=date(2025, 4, 2))

    assert ContentItem.objects.get(pk=item.pk).publish_date == date(2025, 3, 12)
    assert ContentItem.objects.get(pk=published.pk).publish_date == date(2025, 3, 12)


def test_content_item_for_url_finds_the_item_behind_a_tracked_page(marketer, item):
    other = content_item_create(
        actor=marketer, **fields(title="Pricing FAQ", url="https://example.com/guides/pricing/faq")
    )

    assert content_item_for_url("https://Example.com/guides/pricing/?utm_source=li#top") == item
    assert content_item_for_url("http://example.com/guides/pricing/faq/") == other
    assert content_item_for_url("https://example.com/guides") is None
    assert content_item_for_url("https://other.example/guides/pricing") is None
    assert content_item_for_url("not a url") is None
