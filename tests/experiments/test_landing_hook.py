"""The public landing page under a running experiment, end to end through the test client:
each visitor sees their variant at the page's own address, always the same one, and their
form submission converts."""

import pytest
from django.test import Client

from revline.content.models import FormSubmission, LandingPage
from revline.experiments.models import ExperimentGoal, ExperimentKind, Exposure
from revline.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_create,
    experiment_start,
    experiment_stop,
)
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor
from revline.tracking.views import VISITOR_COOKIE
from tests.content.builder_factories import make_form

from .factories import make_page, running_cta, visitors_by_variant

pytestmark = pytest.mark.django_db

CLASSIC = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.com",
    "company_name": "Navy",
    "title": "Admiral",
    "consent": "on",
}
BUTTON = '<button class="btn btn-primary" type="submit">{}</button>'


def _as(visitor: Visitor) -> Client:
    client = Client()
    client.cookies[VISITOR_COOKIE] = str(visitor.pk)
    return client


def test_two_visitors_see_their_own_label_and_the_same_one_on_every_visit(marketer):
    # Given a running button-label test on a classic page
    page = make_page("demo")
    experiment = running_cta(marketer, page, labels=("Get in touch", "Book a demo"))
    groups = visitors_by_variant(experiment, count=1)
    control, treated = groups["a"][0], groups["b"][0]

    # When each visits the page twice
    pages = {
        who.pk: [_as(who).get("/lp/demo").content.decode() for _ in range(2)]
        for who in (control, treated)
    }

    # Then each saw their variant's label both times, at the same address
    for html in pages[control.pk]:
        assert BUTTON.format("Get in touch") in html
        assert "Book a demo" not in html
    for html in pages[treated.pk]:
        assert BUTTON.format("Book a demo") in html
    # And each was exposed once, with one exposure touchpoint, the label never saved on the page
    exposures = dict(Exposure.objects.values_list("subject_key", "variant__key"))
    assert exposures == {f"v:{control.pk}": "a", f"v:{treated.pk}": "b"}
    assert Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_EXPOSURE).count() == 2
    assert Touchpoint.objects.filter(kind=TouchpointKind.PAGE_VIEW).count() == 4
    assert LandingPage.objects.get(pk=page.pk).cta_label == "Get in touch"


def test_a_new_visitor_gets_an_id_before_being_assigned(marketer):
    page = make_page("demo")
    running_cta(marketer, page)
    client = Client()

    response = client.get("/lp/demo")

    visitor = Visitor.objects.get()
    assert response.cookies[VISITOR_COOKIE].value == str(visitor.pk)
    exposure = Exposure.objects.get()
    assert (exposure.subject_key, exposure.visitor) == (f"v:{visitor.pk}", visitor)
    label = exposure.variant.cta_label
    assert BUTTON.format(label) in response.content.decode()


def test_a_form_submission_converts_the_exposed_visitor(marketer):
    page = make_page("demo")
    experiment = running_cta(marketer, page)
    visitor = visitors_by_variant(experiment, count=1)["b"][0]
    client = _as(visitor)
    client.get("/lp/demo")

    response = client.post("/lp/demo", CLASSIC)

    assert response.status_code == 302
    assert response["Location"] == "/lp/demo/thanks"
    exposure = Exposure.objects.get()
    assert exposure.converted_at is not None
    assert exposure.variant.key == "b"
    # The visitor became a contact; the conversion touchpoint is on them
    submission = FormSubmission.objects.get()
    conversion = Touchpoint.objects.get(kind=TouchpointKind.EXPERIMENT_CONVERSION)
    assert conversion.contact == submission.contact
    assert conversion.params == {
        "experiment": experiment.pk,
        "test": experiment.name,
        "variant": "b",
        "variant_name": experiment.variants.get(key="b").name,
        "goal": ExperimentGoal.FORM_SUBMISSION,
    }


def test_a_submission_without_an_exposure_converts_nothing(marketer):
    page = make_page("demo")
    experiment = running_cta(marketer, page)
    visitor = visitors_by_variant(experiment, count=1)["a"][0]

    response = _as(visitor).post("/lp/demo", CLASSIC)

    assert response.status_code == 302
    assert Exposure.objects.count() == 0
    assert not Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_CONVERSION).exists()


def test_an_invalid_submission_keeps_the_variant_label_and_converts_nothing(marketer):
    page = make_page("demo")
    experiment = running_cta(marketer, page)
    visitor = visitors_by_variant(experiment, count=1)["b"][0]
    client = _as(visitor)
    client.get("/lp/demo")

    response = client.post("/lp/demo", {**CLASSIC, "email": "not-an-email"})

    assert response.status_code == 400
    assert BUTTON.format("Book a demo") in response.content.decode()
    assert Exposure.objects.get().converted_at is None


def test_builder_pages_get_the_label_on_their_buttons_and_form(marketer):
    form = make_form(marketer)
    blocks = [
        {"type": "hero", "headline": "Ship faster", "background": "dark"},
        {"type": "cta", "label": "Request a demo", "target": "form"},
        {"type": "form", "heading": "Talk to us"},
    ]
    page = make_page("built", blocks=blocks, form=form)
    experiment = running_cta(marketer, page, labels=("Request a demo", "See it live"))
    visitor = visitors_by_variant(experiment, count=1)["b"][0]

    html = _as(visitor).get("/lp/built").content.decode()

    assert '<a class="lp-button" href="#form">See it live</a>' in html
    assert ">See it live</button>" in html
    assert "Request a demo" not in html
    assert "Request my demo" not in html  # the form's own submit label, replaced


def test_a_page_test_shows_the_variant_page_at_the_tested_address(marketer):
    home = make_page("home", headline="Classic home")
    other = make_page("home-b", headline="A brand-new home")
    spec = ExperimentSpec(
        name="New home",
        kind=ExperimentKind.LANDING_PAGE,
        goal=ExperimentGoal.FORM_SUBMISSION,
        landing_page=home,
        variants=[
            VariantSpec(name="Control", is_control=True),
            VariantSpec(name="New", landing_page=other),
        ],
    )
    experiment = experiment_start(
        actor=marketer, experiment=experiment_create(actor=marketer, spec=spec)
    )
    groups = visitors_by_variant(experiment, count=1)
    client = _as(groups["b"][0])

    shown = client.get("/lp/home").content.decode()
    assert "A brand-new home" in shown
    assert "Classic home" not in shown
    assert "Classic home" in _as(groups["a"][0]).get("/lp/home").content.decode()

    response = client.post("/lp/home", CLASSIC)
    assert response["Location"] == "/lp/home/thanks"
    exposure = Exposure.objects.get(subject_key=f"v:{groups['b'][0].pk}")
    assert exposure.converted_at is not None
    assert FormSubmission.objects.get().landing_page == other


def test_after_the_experiment_stops_everyone_sees_the_page_and_nothing_is_recorded(marketer):
    page = make_page("demo")
    experiment = running_cta(marketer, page)
    visitor = visitors_by_variant(experiment, count=1)["b"][0]
    experiment_stop(actor=marketer, experiment=experiment)

    html = _as(visitor).get("/lp/demo").content.decode()
    _as(visitor).post("/lp/demo", CLASSIC)

    assert BUTTON.format("Get in touch") in html
    assert Exposure.objects.count() == 0
    assert not Touchpoint.objects.filter(
        kind__in=[TouchpointKind.EXPERIMENT_EXPOSURE, TouchpointKind.EXPERIMENT_CONVERSION]
    ).exists()
