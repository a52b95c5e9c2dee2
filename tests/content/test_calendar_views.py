"""The content calendar page: items and campaigns in the right cells, and moving items by POST."""

import json
from datetime import date

import pytest
from django.utils import timezone

from revline.campaigns.models import Campaign, Channel
from revline.content.models import ContentItem, ContentStatus


@pytest.fixture
def plan(db) -> dict[str, object]:
    """March 2025: a blog post on the 12th, a published case study on the 3rd, an idea without a
    date; the Spring campaign from Feb 24 to Mar 5, an open-ended one from Mar 20."""
    return {
        "post": ContentItem.objects.create(
            title="Ten pipeline habits",
            kind="blog_post",
            status=ContentStatus.SCHEDULED,
            publish_date=date(2025, 3, 12),
        ),
        "case": ContentItem.objects.create(
            title="Acme case study",
            kind="case_study",
            status=ContentStatus.PUBLISHED,
            publish_date=date(2025, 3, 3),
        ),
        "idea": ContentItem.objects.create(title="Forecasting webinar", kind="webinar"),
        "spring": Campaign.objects.create(
            name="Spring launch",
            channel=Channel.CONTENT,
            start_date=date(2025, 2, 24),
            end_date=date(2025, 3, 5),
        ),
        "always": Campaign.objects.create(
            name="Always on", channel=Channel.PAID_SEARCH, start_date=date(2025, 3, 20)
        ),
    }


def cell(response, day: date):
    for week in response.context["cal"].weeks:
        for calendar_day in week.days:
            if calendar_day.day == day:
                return week, calendar_day
    raise AssertionError(f"{day} not on the page")


def test_month_view_puts_items_on_their_days_and_campaigns_across_their_dates(client, rep_a, plan):
    client.force_login(rep_a)

    response = client.get("/content/calendar/?view=month&date=2025-03-17")

    assert response.status_code == 200
    cal = response.context["cal"]
    assert (cal.first, cal.last, len(cal.weeks)) == (date(2025, 2, 24), date(2025, 4, 6), 6)
    assert [i.title for i in cell(response, date(2025, 3, 12))[1].items] == ["Ten pipeline habits"]
    assert [i.title for i in cell(response, date(2025, 3, 3))[1].items] == ["Acme case study"]
    first_week = cal.weeks[0]
    assert [(b.payload.name, b.column, b.length) for b in first_week.bars] == [
        ("Spring launch", 0, 7)
    ]
    second_week = cal.weeks[1]
    assert [(b.payload.name, b.column, b.length, b.ends_after) for b in second_week.bars] == [
        ("Spring launch", 0, 3, False)
    ]
    last_week = cal.weeks[-1]
    assert [(b.payload.name, b.column, b.length, b.ends_after) for b in last_week.bars] == [
        ("Always on", 0, 7, True)
    ]
    assert [i.title for i in cal.unscheduled] == ["Forecasting webinar"]
    html = response.content.decode()
    assert "March 2025" in html
    assert "Spring launch" in html
    assert 'href="/content/calendar/?view=month&amp;date=2025-02-01"' in html
    assert 'href="/content/calendar/?view=month&amp;date=2025-04-01"' in html
    assert 'draggable="true"' not in html  # reps cannot move items


def test_always_on_campaigns_that_began_earlier_are_listed_once_not_drawn(client, marketer, plan):
    evergreen = Campaign.objects.create(
        name="Evergreen search", channel=Channel.PAID_SEARCH, start_date=date(2024, 6, 1)
    )
    Campaign.objects.create(name="No dates", channel=Channel.EMAIL)
    client.force_login(marketer)

    response = client.get("/content/calendar/?date=2025-03-17")

    cal = response.context["cal"]
    assert [c.name for c in cal.ongoing] == ["Evergreen search"]
    assert all(b.payload != evergreen for week in cal.weeks for b in week.bars)
    assert cal.campaign_count == 3
    assert f'href="/campaigns/{evergreen.pk}/"' in response.content.decode()


def test_week_view_shows_monday_to_sunday(client, marketer, plan):
    client.force_login(marketer)

    response = client.get("/content/calendar/?view=week&date=2025-03-05")

    cal = response.context["cal"]
    assert [d.day for d in cal.weeks[0].days][0::6] == [date(2025, 3, 3), date(2025, 3, 9)]
    assert [i.title for d in cal.weeks[0].days for i in d.items] == ["Acme case study"]
    assert [(b.payload.name, b.length) for b in cal.weeks[0].bars] == [("Spring launch", 3)]
    html = response.content.decode()
    assert "Mar 3 – Mar 9, 2025" in html
    assert 'href="/content/calendar/?view=week&amp;date=2025-02-26"' in html


def test_calendar_filters_items_by_kind_and_campaign(client, marketer, plan):
    client.force_login(marketer)

    by_kind = client.get("/content/calendar/?date=2025-03-01&kind=case_study").context["cal"]
    junk = client.get("/content/calendar/?date=2025-03-01&campaign=abc").context["cal"]

    assert by_kind.item_count == 1
    assert junk.item_count == 0


def test_invalid_dates_and_views_fall_back_to_today_with_a_message(client, marketer, plan):
    client.force_login(marketer)

    response = client.get("/content/calendar/?view=<b>&date=2025-02-30")

    assert response.status_code == 200
    assert response.context["cal"].view == "month"
    assert response.context["cal"].day == timezone.localdate()
    assert "“2025-02-30” is not a valid date (use YYYY-MM-DD); showing today." in (
        response.content.decode()
    )


def test_marketers_get_draggable_items_and_a_move_form_but_not_for_published(
    client, marketer, plan
):
    client.force_login(marketer)

    html = client.get("/content/calendar/?date=2025-03-01").content.decode()

    post = plan["post"]
    assert f'draggable="true" data-move-url="/content/{post.pk}/move"' in html
    assert f'action="/content/{post.pk}/move"' in html
    assert f'data-move-url="/content/{plan["case"].pk}/move"' not in html


def test_move_by_form_post_redirects_back_to_the_calendar(client, marketer, plan):
    client.force_login(marketer)
    post = plan["post"]
    back = "/content/calendar/?view=week&date=2025-03-12"

    response = client.post(f"/content/{post.pk}/move", {"publish_date": "2025-03-14", "next": back})

    assert response.status_code == 302
    assert response["Location"] == back
    assert ContentItem.objects.get(pk=post.pk).publish_date == date(2025, 3, 14)


def test_move_never_redirects_off_site(client, marketer, plan):
    client.force_login(marketer)

    response = client.post(
        f"/content/{plan['post'].pk}/move",
        {"publish_date": "2025-03-14", "next": "https://evil.example/"},
    )

    assert response["Location"] == "/content/calendar/?date=2025-03-14"


def test_move_by_script_gets_json(client, marketer, plan):
    client.force_login(marketer)

    response = client.post(
        f"/content/{plan['post'].pk}/move",
        {"publish_date": "2025-03-31"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "ok": True,
        "publish_date": "2025-03-31",
        "message": "“Ten pipeline habits” moved to Mon Mar 31, 2025.",
    }
    assert ContentItem.objects.get(pk=plan["post"].pk).publish_date == date(2025, 3, 31)


def test_get_never_moves_an_item(client, marketer, plan):
    client.force_login(marketer)

    response = client.get(f"/content/{plan['post'].pk}/move?publish_date=2025-03-14")

    assert response.status_code == 405
    assert ContentItem.objects.get(pk=plan["post"].pk).publish_date == date(2025, 3, 12)


def test_reps_cannot_move_items(client, rep_a, plan):
    client.force_login(rep_a)

    response = client.post(f"/content/{plan['post'].pk}/move", {"publish_date": "2025-03-14"})

    assert response.status_code == 403
    assert ContentItem.objects.get(pk=plan["post"].pk).publish_date == date(2025, 3, 12)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-02-30", "Enter a valid date."),
        ("<script>alert(1)</script>", "Enter a valid date."),
        ("", "This field is required."),
        ("1901-01-01", "Choose a date between 1990 and 2100."),
    ],
)
def test_bad_dates_are_refused_with_a_reason_and_change_nothing(
    client, marketer, plan, value, reason
):
    client.force_login(marketer)
    post = plan["post"]

    as_json = client.post(
        f"/content/{post.pk}/move", {"publish_date": value}, headers={"Accept": "application/json"}
    )
    as_form = client.post(
        f"/content/{post.pk}/move",
        {"publish_date": value, "next": "/content/calendar/?view=week&date=2025-03-12"},
    )

    assert as_json.status_code == 400
    assert json.loads(as_json.content)["error"] == f"“Ten pipeline habits” was not moved: {reason}"
    assert as_form.status_code == 400
    assert as_form.context["cal"].view == "week"
    assert "was not moved" in as_form.content.decode()
    assert "<script>alert(1)</script>" not in as_form.content.decode()
    assert ContentItem.objects.get(pk=post.pk).publish_date == date(2025, 3, 12)


def test_published_items_are_not_moved(client, marketer, plan):
    client.force_login(marketer)
    case = plan["case"]

    response = client.post(
        f"/content/{case.pk}/move",
        {"publish_date": "2025-03-20"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert "Published content stays on the day it went out" in json.loads(response.content)["error"]
    assert ContentItem.objects.get(pk=case.pk).publish_date == date(2025, 3, 3)


def test_an_unscheduled_idea_can_be_given_a_day(client, marketer, plan):
    client.force_login(marketer)
    idea = plan["idea"]

    client.post(f"/content/{idea.pk}/move", {"publish_date": "2025-03-25"})

    assert ContentItem.objects.get(pk=idea.pk).publish_date == date(2025, 3, 25)


def test_calendar_query_count_is_bounded(client, marketer, plan, django_assert_max_num_queries):
    client.force_login(marketer)
    for n in range(20):
        ContentItem.objects.create(
            title=f"Post {n}", kind="blog_post", publish_date=date(2025, 3, n + 1)
        )

    with django_assert_max_num_queries(8):
        response = client.get("/content/calendar/?date=2025-03-01")

    assert response.context["cal"].item_count == 22
