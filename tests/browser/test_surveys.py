"""A contact answers an emailed NPS survey on a phone; the answer shows on their timeline, in the
NPS trend of the results page and in the feedback inbox."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from revline.people.models import Contact
from revline.people.services import consent_record
from revline.segments.models import Segment
from revline.surveys import services
from revline.surveys.services import QuestionInput
from tests.conftest import PASSWORD, make_user

PHONE = {"width": 390, "height": 844}


def test_contact_answers_an_emailed_nps_survey_on_a_phone(
    page: Page, live_server, log_in, settings
):
    # Given an open NPS survey sent by email to a segment of one consenting customer
    settings.BASE_URL = live_server.url
    maya = make_user("maya", "marketer")
    survey = services.survey_create(actor=maya, name="How are we doing?", slug="nps")
    for kind, label in (("nps", "How likely are you to recommend us?"), ("text", "Why?")):
        services.question_add(
            actor=maya,
            survey=survey,
            data=QuestionInput(kind=kind, label=label, required=kind == "nps"),
        )
    services.survey_publish(actor=maya, survey=survey)
    contact = Contact.objects.create(first_name="Nina", last_name="Berg", email="nina@example.com",
                                     lifecycle_stage="customer")  # fmt: skip
    consent_record(contact=contact, purpose="marketing_email", granted=True, source="test")
    segment = Segment.objects.create(
        name="Customers", definition={"match": "all", "conditions": []}
    )
    services.survey_distribute(
        actor=maya, survey=survey, segment=segment, subject="Quick question", message="One minute?"
    )
    assert [m.to for m in mail.outbox] == [["nina@example.com"]]
    link = re.search(r"https?://\S+/s/nps/\S+/", mail.outbox[0].body)
    assert link is not None

    # When Nina opens the link on her phone, picks 9 and says why
    page.set_viewport_size(PHONE)
    page.goto(link.group(0))
    expect(page.get_by_text("Hi Nina,")).to_be_visible()
    question = page.locator("fieldset", has_text="How likely are you to recommend us?")
    assert question.bounding_box()["width"] <= PHONE["width"]
    question.get_by_role("radio", name="9", exact=True).check()
    page.get_by_role("textbox", name="Why?").fill("The reports save me <b>hours</b>")
    page.get_by_role("button", name="Send answers").click()
    expect(page.get_by_text("Thank you for your answers!")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Then the marketer sees it on Nina's timeline ...
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in("maya", PASSWORD)
    page.goto(f"/people/contacts/{contact.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Survey response · How are we doing?")).to_be_visible()
    expect(timeline.get_by_text("Answered the survey: NPS 9")).to_be_visible()

    # ... in the NPS trend of the results (one promoter: NPS 100) ...
    page.goto(f"/research/surveys/{survey.pk}/results/")
    expect(page.locator('[data-stat="nps"] .value')).to_have_text("100")
    trend = page.locator("#nps-trend tbody tr")
    expect(trend).to_have_count(1)
    expect(trend.first.locator("td").nth(1)).to_have_text("1")
    expect(trend.first.locator("td").nth(3)).to_have_text("100")
    expect(page.locator("#nps-chart")).to_be_visible()
    expect(page.get_by_text("The reports save me <b>hours</b>")).to_be_visible()

    # ... and in the feedback inbox, as text
    page.goto("/research/feedback/")
    expect(page.get_by_text("The reports save me <b>hours</b>")).to_be_visible()
