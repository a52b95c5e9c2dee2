"""Activities edited and deleted from the UI: the edit page (linked from the activity panels and
My day), the delete buttons, and who may see and use them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from revline.sales import activity_services as svc
from revline.sales.models import Activity

from .conftest import at, make_deal

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


@pytest.fixture
def logged(rep_a, deal):
    return svc.activity_log(
        actor=rep_a, kind="call", subject="Intro call", body="Short", deal=deal, occurred_at=at(3)
    )


@pytest.fixture
def planned(rep_a, deal):
    return svc.activity_plan(
        actor=rep_a,
        kind="task",
        subject="Send deck",
        due_at=at(5, 12),
        deal=deal,
        remind_at=at(5, 11),
    )


def edit_url(activity: Activity, query: str = "") -> str:
    return f"/sales/activities/{activity.pk}/edit/{query}"


# --- service ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_update_changes_kind_and_time_of_a_logged_activity(rep_a, logged):
    svc.activity_update(actor=rep_a, activity=logged, kind="meeting", occurred_at=at(4, 15))

    logged.refresh_from_db()
    assert (logged.kind, logged.occurred_at, logged.due_at) == ("meeting", at(4, 15), None)


@pytest.mark.django_db
def test_update_refuses_a_note_plan_an_occurred_at_on_a_plan_and_a_bad_kind(rep_a, planned):
    for changes in ({"kind": "note"}, {"kind": "bogus"}, {"occurred_at": at(9)}):
        with pytest.raises(ValidationError):
            svc.activity_update(actor=rep_a, activity=planned, **changes)

    planned.refresh_from_db()
    assert (planned.kind, planned.occurred_at, planned.due_at) == ("task", at(5, 12), at(5, 12))


# --- the edit page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_page_shows_the_logging_fields_filled_in(client, rep_a, logged, deal):
    client.force_login(rep_a)

    response = client.get(edit_url(logged, f"?panel=deal&panel_id={deal.pk}"))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["kind", "subject", "when", "body"]
    assert (form["kind"].value(), form["subject"].value(), form["body"].value()) == (
        "call",
        "Intro call",
        "Short",
    )
    assert response.context["back"] == f"/sales/deals/{deal.pk}/"
    html = response.content.decode()
    assert 'value="2025-03-03T09:00"' in html
    assert f'action="/sales/activities/{logged.pk}/delete/"' in html
    assert 'data-confirm="Delete “Intro call”? This cannot be undone."' in html


@pytest.mark.django_db
def test_edit_saves_a_logged_activity_and_returns_to_the_deal(client, rep_a, logged, deal):
    client.force_login(rep_a)

    response = client.post(
        edit_url(logged),
        {
            "kind": "meeting",
            "subject": " Kick-off ",
            "when": "2025-03-04T15:30",
            "body": "Went well",
            "panel": "deal",
            "panel_id": deal.pk,
        },
    )

    assert (response.status_code, response["Location"]) == (302, f"/sales/deals/{deal.pk}/")
    logged.refresh_from_db()
    assert (logged.kind, logged.subject, logged.body, logged.occurred_at) == (
        "meeting",
        "Kick-off",
        "Went well",
        at(4, 15).replace(minute=30),
    )


@pytest.mark.django_db
def test_edit_of_a_planned_activity_moves_it_and_re_arms_the_reminder(
    client, rep_a, manager_a, planned
):
    Activity.objects.filter(pk=planned.pk).update(reminded_at=at(5, 11))
    client.force_login(rep_a)

    form = client.get(edit_url(planned, f"?day_user={rep_a.pk}")).context["form"]
    assert list(form.fields) == ["kind", "subject", "when", "assigned_to", "reminder", "body"]
    assert ("note", "Note") not in form.fields["kind"].choices
    assert form["reminder"].value() == "60"

    response = client.post(
        edit_url(planned),
        {
            "kind": "call",
            "subject": "Call about the deck",
            "when": "2025-03-08T10:00",
            "assigned_to": manager_a.pk,
            "reminder": "15",
            "body": "",
            "day_user": rep_a.pk,
        },
    )

    assert (response.status_code, response["Location"]) == (302, f"/sales/my-day/?user={rep_a.pk}")
    planned.refresh_from_db()
    assert (planned.kind, planned.subject, planned.assigned_to) == (
        "call",
        "Call about the deck",
        manager_a,
    )
    assert (planned.due_at, planned.occurred_at, planned.remind_at, planned.reminded_at) == (
        at(8, 10),
        at(8, 10),
        at(8, 10) - timedelta(minutes=15),
        None,
    )


@pytest.mark.django_db
def test_saving_an_unchanged_form_keeps_a_sent_reminder_sent(client, rep_a, planned):
    due = at(5, 12) + timedelta(seconds=30)  # stored to the second; the form shows minutes
    Activity.objects.filter(pk=planned.pk).update(
        due_at=due, occurred_at=due, remind_at=due - timedelta(hours=1), reminded_at=at(5, 11)
    )
    client.force_login(rep_a)

    response = client.post(
        edit_url(planned),
        {
            "kind": "task",
            "subject": "Send deck v2",
            "when": "2025-03-05T12:00",
            "assigned_to": rep_a.pk,
            "reminder": "60",
        },
    )

    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.subject, planned.due_at, planned.reminded_at) == (
        "Send deck v2",
        due,
        at(5, 11),
    )


@pytest.mark.django_db
def test_edit_can_clear_the_reminder(client, rep_a, planned):
    client.force_login(rep_a)

    client.post(
        edit_url(planned),
        {"kind": "task", "subject": "X", "when": "2025-03-05T12:00", "assigned_to": rep_a.pk},
    )

    planned.refresh_from_db()
    assert (planned.subject, planned.remind_at) == ("X", None)


@pytest.mark.django_db
def test_edit_bad_input_shows_errors_and_changes_nothing(client, rep_a, rep_b, planned):
    client.force_login(rep_a)
    base = {"kind": "task", "subject": "Y", "when": "2025-03-05T12:00", "assigned_to": rep_a.pk}

    blank = client.post(edit_url(planned), {**base, "subject": "  "})
    no_date = client.post(edit_url(planned), {**base, "when": "tomorrow"})
    note = client.post(edit_url(planned), {**base, "kind": "note"})
    other_team = client.post(edit_url(planned), {**base, "assigned_to": rep_b.pk})
    no_due = client.post(edit_url(planned), {**base, "reminder": "1440", "when": ""})

    statuses = [r.status_code for r in (blank, no_date, note, other_team, no_due)]
    assert statuses == [400, 400, 400, 400, 400]
    assert "This field is required." in blank.content.decode()
    assert "Enter a valid date/time." in no_date.content.decode()
    assert "Select a valid choice." in other_team.content.decode()
    planned.refresh_from_db()
    assert (planned.kind, planned.subject, planned.assigned_to, planned.due_at) == (
        "task",
        "Send deck",
        rep_a,
        at(5, 12),
    )


@pytest.mark.django_db
def test_other_team_gets_404_and_a_marketer_403_on_deal_activities(client, rep_b, marketer, logged):
    post = {"kind": "note", "subject": "Hacked", "when": "2025-03-04T10:00"}

    client.force_login(rep_b)
    b_get, b_post = client.get(edit_url(logged)), client.post(edit_url(logged), post)
    b_delete = client.post(f"/sales/activities/{logged.pk}/delete/")
    client.force_login(marketer)
    m_get, m_post = client.get(edit_url(logged)), client.post(edit_url(logged), post)
    m_delete = client.post(f"/sales/activities/{logged.pk}/delete/")

    assert [r.status_code for r in (b_get, b_post, b_delete)] == [404, 404, 404]
    assert [r.status_code for r in (m_get, m_post, m_delete)] == [403, 403, 403]
    logged.refresh_from_db()
    assert (logged.kind, logged.subject) == ("call", "Intro call")


@pytest.mark.django_db
def test_edit_back_link_to_an_invisible_deal_is_404(client, rep_b, rep_a, ada, deal):
    note = svc.activity_log(actor=rep_b, kind="note", subject="Mine", contact=ada)
    client.force_login(rep_b)

    response = client.get(edit_url(note, f"?panel=deal&panel_id={deal.pk}"))

    assert response.status_code == 404


@pytest.mark.django_db
def test_edit_requires_login_and_post_for_delete(client, logged):
    assert client.get(edit_url(logged)).status_code == 302
    assert client.post(f"/sales/activities/{logged.pk}/delete/").status_code == 302
    assert Activity.objects.filter(pk=logged.pk).exists()


# --- buttons on the panels and My day -----------------------------------------------------------


@pytest.mark.django_db
def test_deal_panel_rows_have_edit_and_delete_for_editors_only(
    client, rep_a, marketer, deal, logged, planned
):
    client.force_login(rep_a)
    html = client.get(f"/sales/deals/{deal.pk}/activities/panel/").content.decode()
    client.force_login(marketer)
    marketer_html = client.get(f"/sales/deals/{deal.pk}/activities/panel/").content.decode()

    for activity in (logged, planned):
        assert (
            f'href="/sales/activities/{activity.pk}/edit/?panel=deal&amp;panel_id={deal.pk}"'
            in html
        )
        assert f'hx-post="/sales/activities/{activity.pk}/delete/"' in html
        assert f"/sales/activities/{activity.pk}/edit/" not in marketer_html
        assert f"/sales/activities/{activity.pk}/delete/" not in marketer_html
    assert 'hx-confirm="Delete “Intro call”? This cannot be undone."' in html


@pytest.mark.django_db
def test_delete_from_the_panel_re_renders_it(client, rep_a, deal, logged, planned):
    client.force_login(rep_a)

    response = client.post(
        f"/sales/activities/{logged.pk}/delete/", {"panel": "deal", "panel_id": deal.pk}, **HX
    )

    assert response.status_code == 200
    assert response.context["panel"].history == []
    assert [a.subject for a in response.context["panel"].open] == ["Send deck"]
    assert list(Activity.objects.values_list("subject", flat=True)) == ["Send deck"]


@pytest.mark.django_db
def test_contact_panel_rows_link_back_to_the_contact(client, rep_b, ada):
    note = svc.activity_log(actor=rep_b, kind="note", subject="Met at fair", contact=ada)
    client.force_login(rep_b)

    html = client.get(f"/sales/contacts/{ada.pk}/activities/").content.decode()
    response = client.post(
        edit_url(note),
        {"kind": "note", "subject": "Met at the fair", "when": "2025-03-04T10:00"}
        | {"panel": "contact", "panel_id": ada.pk},
    )

    assert f'href="/sales/activities/{note.pk}/edit/?panel=contact&amp;panel_id={ada.pk}"' in html
    assert (response.status_code, response["Location"]) == (302, f"/people/contacts/{ada.pk}/")
    note.refresh_from_db()
    assert note.subject == "Met at the fair"


@pytest.mark.django_db
def test_my_day_rows_have_edit_and_delete_and_delete_returns_there(client, rep_a, deal):
    due = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    task = svc.activity_plan(actor=rep_a, kind="task", subject="Send deck", due_at=due, deal=deal)
    client.force_login(rep_a)

    html = client.get("/sales/my-day/").content.decode()
    response = client.post(f"/sales/activities/{task.pk}/delete/", {"day_user": rep_a.pk})

    assert f'href="/sales/activities/{task.pk}/edit/?day_user={rep_a.pk}"' in html
    assert 'data-confirm="Delete “Send deck”? This cannot be undone."' in html
    assert (response.status_code, response["Location"]) == (302, f"/sales/my-day/?user={rep_a.pk}")
    assert not Activity.objects.filter(pk=task.pk).exists()
