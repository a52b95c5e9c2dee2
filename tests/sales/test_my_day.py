"""My day: overdue and today's tasks, today's meetings (planned and booked online), stale deals
and deals closing this week, for oneself or (managers) a team member."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from revline.sales import activity_services as svc
from revline.sales.activity_selectors import my_day
from revline.sales.models import Activity, Deal, Meeting

from .conftest import at, make_deal

NOW = at(12, 10)  # Wednesday, 12 March 2025, 10:00


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


def set_stage_age(deal: Deal, days: int) -> None:
    Deal.objects.filter(pk=deal.pk).update(stage_changed_at=NOW - timedelta(days=days))


@pytest.mark.django_db
def test_tasks_split_into_overdue_and_today(rep_a, manager_a, deal):
    svc.activity_plan(actor=rep_a, kind="task", subject="Old", due_at=at(10, 9), deal=deal)
    svc.activity_plan(actor=rep_a, kind="call", subject="Morning", due_at=at(12, 8), deal=deal)
    svc.activity_plan(actor=rep_a, kind="task", subject="Evening", due_at=at(12, 18), deal=deal)
    svc.activity_plan(actor=rep_a, kind="task", subject="Tomorrow", due_at=at(13, 9), deal=deal)
    svc.activity_plan(
        actor=rep_a,
        kind="task",
        subject="Manager's",
        due_at=at(12, 9),
        deal=deal,
        assigned_to=manager_a,
    )
    done = svc.activity_plan(actor=rep_a, kind="task", subject="Done", due_at=at(11), deal=deal)
    svc.activity_complete(actor=rep_a, activity=done, at=at(11, 12))

    day = my_day(viewer=rep_a, user=rep_a, now=NOW)

    assert [a.subject for a in day.overdue] == ["Old"]
    assert [a.subject for a in day.today] == ["Morning", "Evening"]
    assert day.day == date(2025, 3, 12)


@pytest.mark.django_db
def test_meetings_include_planned_ones_and_those_booked_online(rep_a, deal, ada):
    svc.activity_plan(actor=rep_a, kind="meeting", subject="Demo", due_at=at(12, 15), deal=deal)
    svc.activity_plan(actor=rep_a, kind="meeting", subject="Next week", due_at=at(19), deal=deal)
    booked_activity = svc.activity_log(
        actor=None,
        kind="meeting",
        subject="Meeting with Ada Lovelace",
        deal=deal,
        occurred_at=at(12, 11),
    )
    Meeting.objects.create(
        user=rep_a,
        contact=ada,
        starts_at=at(12, 11),
        ends_at=at(12, 11) + timedelta(minutes=30),
        deal=deal,
        activity=booked_activity,
    )

    day = my_day(viewer=rep_a, user=rep_a, now=NOW)

    assert [(m.title, m.starts_at) for m in day.meetings] == [
        ("Meeting with Ada Lovelace", at(12, 11)),
        ("Demo", at(12, 15)),
    ]
    assert day.today == []  # meetings are listed once, as meetings


@pytest.mark.django_db
def test_stale_deals_use_the_pipeline_threshold(rep_a, rep_b, pipeline):
    pipeline.stale_after_days = 14
    pipeline.save()
    stale = make_deal(rep_a, "Stale", created_at=at(1))
    fresh = make_deal(rep_a, "Fresh", created_at=at(1))
    others = make_deal(rep_b, "Other rep", created_at=at(1))
    set_stage_age(stale, 20)
    set_stage_age(fresh, 13)
    set_stage_age(others, 40)

    day = my_day(viewer=rep_a, user=rep_a, now=NOW)

    assert [(s.deal.name, s.days_in_stage, s.stale_after_days) for s in day.stale_deals] == [
        ("Stale", 20, 14)
    ]


@pytest.mark.django_db
def test_deals_closing_this_week(rep_a, pipeline):
    make_deal(rep_a, "Monday", expected_close_date=date(2025, 3, 10), created_at=at(1))
    make_deal(rep_a, "Sunday", expected_close_date=date(2025, 3, 16), created_at=at(1))
    make_deal(rep_a, "Next Monday", expected_close_date=date(2025, 3, 17), created_at=at(1))

    day = my_day(viewer=rep_a, user=rep_a, now=NOW)

    assert [d.name for d in day.closing_deals] == ["Monday", "Sunday"]
    assert (day.week_start, day.week_end) == (date(2025, 3, 10), date(2025, 3, 16))


@pytest.mark.django_db
def test_page_shows_the_day_and_completes_a_task(client, rep_a, deal, settings):
    today = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    task = svc.activity_plan(actor=rep_a, kind="task", subject="Send deck", due_at=today, deal=deal)
    client.force_login(rep_a)

    page = client.get("/sales/my-day/")
    done = client.post(f"/sales/activities/{task.pk}/complete/", {"outcome": "Sent"})

    assert page.status_code == 200
    assert [a.subject for a in page.context["day"].today] == ["Send deck"]
    assert "Send deck" in page.content.decode()
    assert (done.status_code, done["Location"]) == (302, "/sales/my-day/")
    task.refresh_from_db()
    assert task.outcome == "Sent" and task.completed_at is not None
    assert client.get("/sales/my-day/").context["day"].today == []


@pytest.mark.django_db
def test_manager_sees_a_team_members_day(client, manager_a, rep_a, deal):
    due = timezone.now() - timedelta(days=3)
    svc.activity_plan(actor=rep_a, kind="task", subject="Late", due_at=due, deal=deal)
    client.force_login(manager_a)

    response = client.get(f"/sales/my-day/?user={rep_a.pk}")

    assert response.status_code == 200
    assert response.context["person"] == rep_a
    assert [a.subject for a in response.context["day"].overdue] == ["Late"]
    assert [u.username for u in response.context["people"]] == ["manager_a", "rep_a"]


@pytest.mark.django_db
def test_other_teams_and_reps_cannot_look_at_someone_elses_day(client, manager_a, rep_a, rep_b):
    client.force_login(manager_a)
    other_team = client.get(f"/sales/my-day/?user={rep_b.pk}")
    client.force_login(rep_a)
    peer = client.get(f"/sales/my-day/?user={manager_a.pk}")
    bad = client.get("/sales/my-day/?user=abc")
    missing = client.get("/sales/my-day/?user=99999")

    assert (other_team.status_code, peer.status_code, bad.status_code, missing.status_code) == (
        404,
        404,
        400,
        404,
    )


@pytest.mark.django_db
def test_quick_complete_on_another_teams_task_is_404(client, rep_a, rep_b, deal):
    task = svc.activity_plan(actor=rep_a, kind="task", subject="X", due_at=NOW, deal=deal)
    client.force_login(rep_b)

    response = client.post(f"/sales/activities/{task.pk}/complete/", {"outcome": "hijack"})

    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.completed_at, task.outcome) == (None, "")


@pytest.mark.django_db
def test_my_day_requires_login(client):
    response = client.get("/sales/my-day/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_empty_day(client, rep_a):
    client.force_login(rep_a)

    response = client.get("/sales/my-day/")

    assert response.context["day"].empty is True
    html = response.content.decode()
    assert "Nothing overdue. Nice." in html
    assert "No meetings today." in html
    assert Activity.objects.count() == 0
