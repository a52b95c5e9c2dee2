"""Activities: log, plan, complete, reopen, delete; panels on deal, contact and company pages;
reminders sent once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from revline.people.models import TimelineEvent, TimelineEventKind
from revline.sales import activity_services as svc
from revline.sales.models import Activity, ActivityKind

from .conftest import at, make_deal

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


# --- services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_assigns_to_the_actor_by_default_and_stays_off_the_timeline(rep_a, deal, ada, acme):
    activity = svc.activity_plan(
        actor=rep_a, kind=ActivityKind.CALL, subject=" Call Ada ", due_at=at(5, 10), deal=deal
    )

    assert (activity.assigned_to, activity.due_at, activity.occurred_at) == (
        rep_a,
        at(5, 10),
        at(5, 10),
    )
    assert (activity.subject, activity.contact, activity.company) == ("Call Ada", ada, acme)
    assert activity.completed_at is None
    assert not TimelineEvent.objects.filter(kind=TimelineEventKind.ACTIVITY).exists()


@pytest.mark.django_db
def test_complete_records_the_outcome_and_writes_the_timeline(rep_a, deal, ada):
    activity = svc.activity_plan(
        actor=rep_a, kind=ActivityKind.TASK, subject="Send pricing", due_at=at(5), deal=deal
    )

    svc.activity_complete(actor=rep_a, activity=activity, outcome="Sent v2", at=at(6, 11))

    activity.refresh_from_db()
    assert (activity.completed_at, activity.occurred_at, activity.outcome) == (
        at(6, 11),
        at(6, 11),
        "Sent v2",
    )
    event = TimelineEvent.objects.get(contact=ada, kind=TimelineEventKind.ACTIVITY)
    assert event.params["subject"] == "Send pricing"
    assert event.deal == deal


@pytest.mark.django_db
def test_complete_twice_is_refused(rep_a, deal):
    activity = svc.activity_plan(
        actor=rep_a, kind=ActivityKind.TASK, subject="X", due_at=at(5), deal=deal
    )
    svc.activity_complete(actor=rep_a, activity=activity, at=at(6))

    with pytest.raises(ValidationError):
        svc.activity_complete(actor=rep_a, activity=activity, outcome="again", at=at(7))

    activity.refresh_from_db()
    assert (activity.completed_at, activity.outcome) == (at(6), "")


@pytest.mark.django_db
def test_reopen_puts_it_back_on_the_list(rep_a, deal):
    activity = svc.activity_plan(
        actor=rep_a, kind=ActivityKind.TASK, subject="X", due_at=at(5), deal=deal
    )
    svc.activity_complete(actor=rep_a, activity=activity, outcome="done", at=at(6))

    svc.activity_reopen(actor=rep_a, activity=activity)

    activity.refresh_from_db()
    assert (activity.completed_at, activity.outcome, activity.occurred_at) == (None, "", at(5))


@pytest.mark.django_db
def test_other_team_cannot_plan_complete_or_delete_deal_activities(rep_a, rep_b, deal):
    activity = svc.activity_plan(
        actor=rep_a, kind=ActivityKind.TASK, subject="X", due_at=at(5), deal=deal
    )

    with pytest.raises(PermissionDenied):
        svc.activity_plan(actor=rep_b, kind="task", subject="Mine", due_at=at(5), deal=deal)
    with pytest.raises(PermissionDenied):
        svc.activity_complete(actor=rep_b, activity=activity)
    with pytest.raises(PermissionDenied):
        svc.activity_delete(actor=rep_b, activity=activity)

    activity.refresh_from_db()
    assert activity.completed_at is None
    assert Activity.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db
def test_assignment_only_within_the_team(rep_a, rep_b, manager_a, deal):
    planned = svc.activity_plan(
        actor=rep_a, kind="call", subject="Team", due_at=at(5), deal=deal, assigned_to=manager_a
    )
    assert planned.assigned_to == manager_a

    with pytest.raises(ValidationError) as refused:
        svc.activity_plan(
            actor=rep_a, kind="call", subject="Other", due_at=at(5), deal=deal, assigned_to=rep_b
        )

    assert "assigned_to" in refused.value.message_dict
    assert Activity.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db
def test_bad_input_is_refused(rep_a, deal):
    cases = [
        dict(kind="note", subject="Note", due_at=at(5)),
        dict(kind="bogus", subject="X", due_at=at(5)),
        dict(kind="task", subject="   ", due_at=at(5)),
        dict(kind="task", subject="X", due_at=at(5), remind_at=at(6)),
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            svc.activity_plan(actor=rep_a, deal=deal, **case)
    with pytest.raises(ValidationError):
        svc.activity_log(actor=rep_a, kind="call", subject="Nowhere")

    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_contact_and_company_activities_are_open_to_any_active_user(marketer, rep_b, ada, acme):
    note = svc.activity_log(actor=marketer, kind="note", subject="Met at fair", contact=ada)
    task = svc.activity_plan(
        actor=rep_b, kind="task", subject="Research", due_at=at(5), company=acme
    )

    svc.activity_complete(actor=marketer, activity=task, outcome="ok", at=at(6))

    assert (note.company, task.contact, task.completed_at) == (acme, None, at(6))


@pytest.mark.django_db
def test_update_rearms_the_reminder(rep_a, deal):
    activity = svc.activity_plan(
        actor=rep_a, kind="task", subject="X", due_at=at(5, 12), deal=deal, remind_at=at(5, 11)
    )
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(5, 11))
    activity.refresh_from_db()

    svc.activity_update(actor=rep_a, activity=activity, due_at=at(8, 12), remind_at=at(8, 9))

    activity.refresh_from_db()
    assert (activity.due_at, activity.remind_at, activity.reminded_at) == (
        at(8, 12),
        at(8, 9),
        None,
    )


@pytest.mark.django_db
def test_booking_and_callers_still_use_activity_log_from_services(rep_a, deal):
    from revline.sales.services import activity_log

    activity = activity_log(actor=rep_a, kind="call", subject="Old path", deal=deal)

    assert activity.kind == "call" and activity.deal == deal


# --- reminders ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_are_sent_once_to_the_assigned_user(rep_a, manager_a, deal):
    due = svc.activity_plan(
        actor=rep_a,
        kind="call",
        subject="Call Ada back",
        due_at=at(5, 12),
        deal=deal,
        assigned_to=manager_a,
        remind_at=at(5, 11),
    )
    later = svc.activity_plan(
        actor=rep_a, kind="task", subject="Later", due_at=at(9), deal=deal, remind_at=at(8)
    )
    done = svc.activity_plan(
        actor=rep_a, kind="task", subject="Done", due_at=at(5), deal=deal, remind_at=at(4)
    )
    svc.activity_complete(actor=rep_a, activity=done, at=at(4, 8))

    first = svc.activities_send_reminders(at(5, 11))
    second = svc.activities_send_reminders(
        at(
            5,
            11,
        )
        + timedelta(minutes=1)
    )

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["manager_a@example.com"]
    assert message.subject == "Reminder: Call Ada back (due 05 Mar 12:00)"
    assert f"/sales/deals/{deal.pk}/" in message.body
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.reminded_at, later.reminded_at) == (at(5, 11), None)


@pytest.mark.django_db
def test_a_failed_reminder_is_not_marked_and_is_retried(rep_a, deal, settings):
    activity = svc.activity_plan(
        actor=rep_a, kind="call", subject="X", due_at=at(5, 12), deal=deal, remind_at=at(5, 11)
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    assert svc.activities_send_reminders(at(5, 11)) == 0

    activity.refresh_from_db()
    assert activity.reminded_at is None


def test_reminders_are_a_scheduled_job():
    from revline.core.scheduler import JOBS

    assert [j.every_seconds for j in JOBS if j.path.endswith("activities_send_reminders")] == [60]


# --- panels -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deal_panel_lists_open_tasks_first_with_overdue_highlighted(client, rep_a, deal):
    svc.activity_plan(actor=rep_a, kind="task", subject="Late one", due_at=at(2), deal=deal)
    svc.activity_log(actor=rep_a, kind="call", subject="Intro call", deal=deal, occurred_at=at(1))
    client.force_login(rep_a)

    response = client.get(f"/sales/deals/{deal.pk}/activities/panel/")

    assert response.status_code == 200
    panel = response.context["panel"]
    assert [a.subject for a in panel.open] == ["Late one"]
    assert [a.subject for a in panel.history] == ["Intro call"]
    html = response.content.decode()
    assert 'class="activity-item overdue"' in html
    assert html.index("Late one") < html.index("Intro call")


@pytest.mark.django_db
def test_panel_post_plans_with_a_reminder_and_re_renders(client, rep_a, deal):
    client.force_login(rep_a)

    response = client.post(
        f"/sales/deals/{deal.pk}/activities/panel/",
        {
            "action": "plan",
            "kind": "meeting",
            "subject": "Demo",
            "when": "2025-03-10T14:00",
            "reminder": "60",
            "body": "",
        },
        **HX,
    )

    assert response.status_code == 200
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.due_at, activity.remind_at, activity.assigned_to) == (
        "meeting",
        at(10, 14),
        at(10, 13),
        rep_a,
    )
    assert "Demo" in response.content.decode()


@pytest.mark.django_db
def test_panel_post_logs_without_htmx_and_redirects(client, rep_a, deal, ada):
    client.force_login(rep_a)

    response = client.post(
        f"/sales/deals/{deal.pk}/activities/panel/",
        {"action": "log", "kind": "call", "subject": "Quick call", "body": "Went well"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal.pk}/"
    assert TimelineEvent.objects.get(contact=ada, kind="activity").params["body"] == "Went well"


@pytest.mark.django_db
def test_panel_bad_input_shows_errors_and_saves_nothing(client, rep_a, deal):
    client.force_login(rep_a)
    url = f"/sales/deals/{deal.pk}/activities/panel/"

    no_due = client.post(url, {"action": "plan", "kind": "task", "subject": "X"}, **HX)
    bad_date = client.post(
        url, {"action": "plan", "kind": "task", "subject": "X", "when": "tomorrow"}, **HX
    )
    log_with_reminder = client.post(
        url, {"action": "log", "kind": "call", "subject": "X", "reminder": "15"}, **HX
    )

    assert (no_due.status_code, bad_date.status_code, log_with_reminder.status_code) == (
        400,
        400,
        400,
    )
    assert "Give a due date and time to plan it." in no_due.content.decode()
    assert "Only planned activities have an assignee" in log_with_reminder.content.decode()
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_other_team_gets_404_on_the_panel_and_its_actions(client, rep_a, rep_b, deal):
    activity = svc.activity_plan(actor=rep_a, kind="task", subject="X", due_at=at(5), deal=deal)
    client.force_login(rep_b)

    get = client.get(f"/sales/deals/{deal.pk}/activities/panel/")
    post = client.post(
        f"/sales/deals/{deal.pk}/activities/panel/", {"kind": "call", "subject": "Hi"}
    )
    complete = client.post(f"/sales/activities/{activity.pk}/complete/", {"outcome": "x"})

    assert (get.status_code, post.status_code, complete.status_code) == (404, 404, 404)
    activity.refresh_from_db()
    assert activity.completed_at is None
    assert Activity.objects.count() == 1


@pytest.mark.django_db
def test_marketer_sees_the_deal_panel_but_cannot_add(client, marketer, rep_a, deal):
    client.force_login(marketer)

    response = client.get(f"/sales/deals/{deal.pk}/activities/panel/")
    post = client.post(
        f"/sales/deals/{deal.pk}/activities/panel/", {"kind": "call", "subject": "Hi"}
    )

    assert response.status_code == 200
    assert "Log it" not in response.content.decode()
    assert post.status_code == 403
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_complete_from_the_panel_re_renders_it(client, rep_a, deal):
    activity = svc.activity_plan(actor=rep_a, kind="task", subject="X", due_at=at(5), deal=deal)
    client.force_login(rep_a)

    response = client.post(
        f"/sales/activities/{activity.pk}/complete/",
        {"outcome": "Booked demo", "panel": "deal", "panel_id": deal.pk},
        **HX,
    )

    assert response.status_code == 200
    assert response.context["panel"].open == []
    assert "Outcome: Booked demo" in response.content.decode()


@pytest.mark.django_db
def test_contact_panel_hides_activities_of_deals_the_user_cannot_see(
    client, rep_a, rep_b, deal, ada
):
    svc.activity_log(actor=rep_a, kind="call", subject="Secret deal call", deal=deal)
    svc.activity_log(actor=rep_b, kind="note", subject="Public note", contact=ada)
    client.force_login(rep_b)

    response = client.get(f"/sales/contacts/{ada.pk}/activities/")

    assert response.status_code == 200
    assert [a.subject for a in response.context["panel"].history] == ["Public note"]


@pytest.mark.django_db
def test_company_panel_collects_company_contact_and_deal_activities(client, rep_a, deal, ada, acme):
    svc.activity_log(actor=rep_a, kind="call", subject="Deal call", deal=deal, occurred_at=at(2))
    svc.activity_log(
        actor=rep_a, kind="note", subject="Company note", company=acme, occurred_at=at(3)
    )
    client.force_login(rep_a)

    response = client.get(f"/sales/companies/{acme.pk}/activities/")

    assert [a.subject for a in response.context["panel"].history] == ["Company note", "Deal call"]


@pytest.mark.django_db
def test_contact_page_loads_the_panel(client, rep_a, ada, acme):
    client.force_login(rep_a)

    contact_page = client.get(f"/people/contacts/{ada.pk}/").content.decode()
    company_page = client.get(f"/people/companies/{acme.pk}/").content.decode()

    assert f'hx-get="/sales/contacts/{ada.pk}/activities/"' in contact_page
    assert f'hx-get="/sales/companies/{acme.pk}/activities/"' in company_page


@pytest.mark.django_db
def test_panel_get_changes_nothing_and_unknown_records_are_404(client, rep_a):
    client.force_login(rep_a)

    assert client.get("/sales/contacts/999/activities/").status_code == 404
    assert client.get("/sales/companies/999/activities/").status_code == 404
    assert client.get("/sales/deals/999/activities/panel/").status_code == 404
    assert client.get("/sales/activities/1/complete/").status_code == 405


@pytest.mark.django_db
def test_user_output_is_escaped(client, rep_a, deal):
    svc.activity_log(actor=rep_a, kind="note", subject="<script>x</script>", deal=deal)
    client.force_login(rep_a)

    html = client.get(f"/sales/deals/{deal.pk}/activities/panel/").content.decode()

    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
