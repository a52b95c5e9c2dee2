"""The public survey page: tokens, validation messages, rate limit, honeypot, escaping, embed."""

import pytest
from django.test import Client

from revline.surveys import services
from revline.surveys.models import Response
from revline.tracking.models import Touchpoint

from .conftest import make_contact, make_nps_survey, post_data


@pytest.fixture
def survey(db, marketer):
    return make_nps_survey(marketer)


@pytest.fixture
def invite(survey):
    return services.invite_for(survey=survey, contact=make_contact(1))


def url(invite) -> str:
    return f"/s/{invite.survey.slug}/{invite.token}/"


def test_the_personal_link_shows_the_survey_without_login_or_app_navigation(client, invite):
    response = client.get(url(invite))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How likely are you to recommend us?" in html
    assert "Hi Ann1," in html
    assert 'class="sidebar"' not in html
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_an_answer_through_the_link_is_stored_and_redirects_to_thanks(client, invite):
    response = client.post(url(invite), post_data(invite.survey, How="10", What="Fast"))
    assert response.status_code == 302
    assert response["Location"] == "/s/nps/thanks/"
    stored = Response.objects.get()
    assert (stored.contact, stored.invite, stored.nps) == (invite.contact, invite, 10)
    thanks = client.get(response["Location"])
    assert "Thank you for your answers!" in thanks.content.decode()


def test_an_unknown_token_is_a_404_and_stores_nothing(client, survey):
    assert client.get(f"/s/{survey.slug}/not-a-real-token/").status_code == 404
    assert (
        client.post(f"/s/{survey.slug}/not-a-real-token/", post_data(survey, How="9")).status_code
        == 404
    )
    assert Response.objects.count() == 0


def test_a_token_of_another_survey_is_a_404(client, marketer, invite):
    other = services.survey_create(actor=marketer, name="Other", slug="other")
    services.question_add(actor=marketer, survey=other,
                          data=services.QuestionInput(kind="csat", label="Happy?"))  # fmt: skip
    services.survey_publish(actor=marketer, survey=other)
    assert client.get(f"/s/other/{invite.token}/").status_code == 404


def test_a_second_answer_with_the_same_token_is_refused(client, invite):
    client.post(url(invite), post_data(invite.survey, How="9"))
    again = client.post(url(invite), post_data(invite.survey, How="1"))
    assert again.status_code == 409
    assert "answered this survey already" in again.content.decode()
    assert list(Response.objects.values_list("nps", flat=True)) == [9]
    assert "answered this survey already" in client.get(url(invite)).content.decode()


def test_anonymous_link_is_refused_when_the_survey_does_not_allow_it(client, survey):
    assert client.get("/s/nps/").status_code == 403
    assert client.post("/s/nps/", post_data(survey, How="9")).status_code == 403
    assert Response.objects.count() == 0


def test_anonymous_answers_when_allowed(client, marketer, survey):
    services.survey_update(actor=marketer, survey=survey, allow_anonymous=True)
    response = client.post("/s/nps/", post_data(survey, How="8"))
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.is_anonymous, stored.contact, stored.nps, stored.ip_address) == (
        True, None, 8, "127.0.0.1",
    )  # fmt: skip


def test_draft_is_not_public_and_closed_says_so(client, marketer):
    draft = make_nps_survey(marketer, publish=False)
    assert client.get(f"/s/{draft.slug}/").status_code == 404
    services.survey_publish(actor=marketer, survey=draft)
    services.survey_close(actor=marketer, survey=draft)
    invite = services.invite_for(survey=draft, contact=make_contact(2))
    closed = client.get(url(invite))
    assert closed.status_code == 410
    assert "This survey is closed." in closed.content.decode()


def test_validation_errors_are_shown_per_question_and_change_nothing(client, invite):
    response = client.post(url(invite), post_data(invite.survey, How="12", What="kept <i>text</i>"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please check the answers marked below." in html
    assert "Choose a number from 0 to 10." in html
    assert "kept &lt;i&gt;text&lt;/i&gt;" in html  # the typed text comes back, escaped
    assert (Response.objects.count(), Touchpoint.objects.count()) == (0, 0)
    invite.refresh_from_db()
    assert invite.responded_at is None


def test_a_required_question_left_empty_is_named(client, invite):
    response = client.post(url(invite), {})
    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()
    assert Response.objects.count() == 0


def test_honeypot_submission_is_refused_and_not_stored(client, invite):
    data = {**post_data(invite.survey, How="9"), "website": "http://spam.example"}
    response = client.post(url(invite), data)
    assert response.status_code == 400
    assert Response.objects.count() == 0
    invite.refresh_from_db()
    assert invite.responded_at is None


def test_rate_limit_refuses_answers_over_the_limit(client, settings, marketer, survey):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2
    services.survey_update(actor=marketer, survey=survey, allow_anonymous=True)
    codes = [client.post("/s/nps/", post_data(survey, How="9")).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert Response.objects.count() == 2


def test_public_form_needs_csrf_but_the_embed_does_not(marketer, survey):
    services.survey_update(actor=marketer, survey=survey, allow_anonymous=True)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/s/nps/", post_data(survey, How="9")).status_code == 403
    assert Response.objects.count() == 0
    embedded = strict.post("/s/nps/embed/", post_data(survey, How="9"))
    assert embedded.status_code == 302
    assert embedded["Location"] == "/s/nps/embed/thanks/"
    assert Response.objects.count() == 1


def test_embed_is_framable_by_the_workspace_sites_and_refuses_posts_from_elsewhere(
    client, marketer, survey
):
    from revline.core.workspace import workspace_get

    services.survey_update(actor=marketer, survey=survey, allow_anonymous=True)
    workspace = workspace_get()
    workspace.site_origins = "https://www.acme.example"
    workspace.save()
    page = client.get("/s/nps/embed/")
    assert page.status_code == 200
    assert "frame-ancestors 'self' https://www.acme.example" in page["Content-Security-Policy"]
    refused = client.post(
        "/s/nps/embed/", post_data(survey, How="9"), HTTP_ORIGIN="https://evil.example"
    )
    assert refused.status_code == 403
    assert Response.objects.count() == 0


def test_survey_texts_are_escaped_on_the_public_page(client, marketer):
    survey = services.survey_create(
        actor=marketer, name="<script>alert(1)</script>", slug="x", intro="<img src=x onerror=1>",
        allow_anonymous=True,
    )  # fmt: skip
    services.question_add(actor=marketer, survey=survey, data=services.QuestionInput(
        kind="single", label="<b>Pick</b>", options=["<i>A</i>", "B"]))  # fmt: skip
    services.survey_publish(actor=marketer, survey=survey)
    html = client.get("/s/x/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "<b>Pick</b>" not in html and "<i>A</i>" not in html
