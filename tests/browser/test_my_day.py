"""My day in a real browser: plan a task on the deal page, find it on My day, complete it."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from revline.people.services import contact_create
from revline.sales.models import Activity
from revline.sales.services import deal_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_plan_a_task_see_it_on_my_day_and_complete_it(page: Page, live_server, log_in, rep_a):
    # Given an open deal of the rep
    ada = contact_create(actor=None, first_name="Ada", last_name="Lovelace", email="ada@x.example")
    deal = deal_create(
        actor=None, owner=rep_a, name="Ada renewal", amount=Decimal("1000"), contact=ada
    )
    due = timezone.localtime().replace(hour=23, minute=58, second=0, microsecond=0)
    log_in("rep_a", PASSWORD)

    # When the rep plans a task for today from the deal page's activity panel
    page.goto(f"/sales/deals/{deal.pk}/")
    panel = page.locator("#activities-panel")
    panel.get_by_text("Log or plan a call, meeting, email, note or task").click()
    panel.get_by_label("Kind").select_option("task")
    panel.get_by_label("Subject").fill("Send the security questionnaire")
    panel.get_by_label("When / due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_label("Reminder").select_option("60")
    panel.get_by_role("button", name="Plan it").click()

    # Then it is listed as open in the panel (re-rendered by htmx, no page load)
    open_list = page.locator("#activities-open")
    expect(open_list).to_contain_text("Send the security questionnaire")
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.due_at, activity.assigned_to) == ("task", due, rep_a)

    # When they open My day
    page.goto("/sales/my-day/")
    today = page.locator("#day-today")
    expect(today).to_contain_text("Send the security questionnaire")
    expect(today).to_contain_text("Ada renewal")

    # And complete it with an outcome
    today.get_by_label("Outcome of Send the security questionnaire").fill("Sent to IT")
    today.get_by_role("button", name="Done").click()

    # Then it is gone from today's list and recorded as done
    expect(page.locator("#day-today")).to_contain_text("No tasks due today.")
    activity.refresh_from_db()
    assert activity.outcome == "Sent to IT" and activity.completed_at is not None

    # And the deal's panel shows it in the history
    page.goto(f"/sales/deals/{deal.pk}/")
    expect(page.locator("#activities-history")).to_contain_text("Outcome: Sent to IT")
