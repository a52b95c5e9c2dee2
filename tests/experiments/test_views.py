"""Experiment pages: the list, the form with inline errors, the results page with every number
and its explanation, CUPED, the SRM warning, the CSV, start/stop, and who may do what."""

import csv
import io

import pytest
from django.test import Client

from revline.experiments.models import Experiment, ExperimentStatus, Variant
from revline.experiments.services import experiment_create

from .factories import cta_spec, make_page, running_cta
from .test_selectors import _touches, expose

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(page, **changes) -> dict[str, str]:
    data = {
        "name": "Button label",
        "kind": "cta_label",
        "goal": "form_submission",
        "landing_page": str(page.pk),
        "email": "",
        "alpha": "0.05",
        "hypothesis": "Concrete beats vague.",
        "v0-name": "Control",
        "v0-weight": "1",
        "v0-cta_label": "Get in touch",
        "v1-name": "Demo",
        "v1-weight": "1",
        "v1-cta_label": "Book a demo",
    }
    for index in range(2, 5):
        data[f"v{index}-weight"] = "1"
    data.update(changes)
    return data


def test_list_searches_filters_sorts_and_shows_an_empty_state(marketer):
    page = make_page()
    running_cta(marketer, page, name="Hero button")
    experiment_create(actor=marketer, spec=cta_spec(make_page("b"), name="Footer button"))
    client = client_for(marketer)

    html = client.get("/experiments/").content.decode()
    assert "Hero button" in html and "Footer button" in html

    running = client.get("/experiments/?status=running").content.decode()
    assert "Hero button" in running and "Footer button" not in running

    searched = client.get("/experiments/?q=footer&sort=name").content.decode()
    assert "Footer button" in searched and "Hero button" not in searched

    empty = client.get("/experiments/?q=nothing-like-this").content.decode()
    assert "No experiments match these filters." in empty


def test_empty_list_invites_marketers_to_create_one(marketer, rep_a):
    assert (
        "Set up your first A/B test" in client_for(marketer).get("/experiments/").content.decode()
    )
    rep_html = client_for(rep_a).get("/experiments/").content.decode()
    assert "No experiments yet." in rep_html
    assert "Set up your first A/B test" not in rep_html
    assert "New experiment" not in rep_html


def test_create_through_the_form(marketer):
    page = make_page()

    response = client_for(marketer).post("/experiments/new", form_data(page))

    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/experiments/{experiment.pk}/"
    assert (experiment.name, experiment.status, experiment.landing_page) == (
        "Button label",
        ExperimentStatus.DRAFT,
        page,
    )
    assert list(experiment.variants.values_list("name", "is_control", "cta_label")) == [
        ("Control", True, "Get in touch"),
        ("Demo", False, "Book a demo"),
    ]


def test_form_errors_show_inline_and_nothing_is_created(marketer):
    page = make_page()
    data = form_data(page, goal="email_open", **{"v1-cta_label": "", "v1-weight": "0"})

    response = client_for(marketer).post("/experiments/new", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Please correct the fields marked below." in html
    assert "form submitted on the page" in html  # the goal's error
    assert "Enter the button label this variant shows." in html
    assert "The weight is a whole number from 1 to 1000." in html
    assert Experiment.objects.count() == 0
    assert Variant.objects.count() == 0


def test_a_rep_reads_but_cannot_create_edit_start_or_stop(marketer, rep_a):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    client = client_for(rep_a)

    assert client.get(f"/experiments/{experiment.pk}/").status_code == 200
    assert client.get("/experiments/new").status_code == 403
    assert client.post("/experiments/new", form_data(make_page("x"))).status_code == 403
    assert client.get(f"/experiments/{experiment.pk}/edit").status_code == 403
    assert client.post(f"/experiments/{experiment.pk}/start").status_code == 403
    assert Experiment.objects.count() == 1
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT
    html = client.get(f"/experiments/{experiment.pk}/").content.decode()
    assert "Start experiment" not in html


def test_start_and_stop_are_posts(marketer):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    client = client_for(marketer)

    assert client.get(f"/experiments/{experiment.pk}/start").status_code == 405
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT

    response = client.post(f"/experiments/{experiment.pk}/start", follow=True)
    assert "Experiment started" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING

    client.post(f"/experiments/{experiment.pk}/stop")
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED

    response = client.post(f"/experiments/{experiment.pk}/stop", follow=True)
    assert "only a running one stops" in response.content.decode()


def test_a_running_experiment_edits_only_name_and_hypothesis(marketer):
    experiment = running_cta(marketer, make_page())
    client = client_for(marketer)

    html = client.get(f"/experiments/{experiment.pk}/edit").content.decode()
    assert "only its name and hypothesis can change" in html
    assert 'name="v0-name"' not in html

    client.post(
        f"/experiments/{experiment.pk}/edit", {"name": "Renamed", "hypothesis": "Still true"}
    )
    experiment.refresh_from_db()
    assert (experiment.name, experiment.hypothesis) == ("Renamed", "Still true")


@pytest.fixture
def with_data(marketer) -> Experiment:
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 1000, 100, _touches)
    expose(experiment, "b", 1000, 130, _touches)
    return experiment


def test_results_page_shows_each_number_with_its_explanation(marketer, with_data):
    html = client_for(marketer).get(f"/experiments/{with_data.pk}/").content.decode()

    assert '<div class="value" id="total-users">2,000</div>' in html
    assert '<td class="num rate">10.00 %</td>' in html
    assert '<td class="num rate">13.00 %</td>' in html
    assert "<strong>+30.0 %</strong>" in html  # relative lift
    assert "+3.00 pts" in html  # absolute difference
    assert "0.036" in html  # Welch p-value
    assert "stays valid however often you look" in html
    assert "how likely the variant's true rate is higher than the control's" in html
    assert "Sample-ratio mismatch" not in html
    assert 'href="/reports/experiments/sample-size/"' in html
    assert 'id="experiment-series"' in html


def test_cuped_toggle_shows_the_variance_reduction(marketer, with_data):
    html = client_for(marketer).get(f"/experiments/{with_data.pk}/?cuped=1").content.decode()

    assert "CUPED on" in html
    assert "of the noise (variance)" in html
    assert "Show unadjusted" in html


def test_sample_ratio_mismatch_is_a_prominent_warning(marketer):
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 1000, 100, _touches)
    expose(experiment, "b", 850, 90, _touches)

    html = client_for(marketer).get(f"/experiments/{experiment.pk}/").content.decode()

    assert 'id="srm-warning"' in html
    assert "do not trust these results yet" in html


def test_a_draft_without_data_explains_there_is_nothing_yet(marketer):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))

    html = client_for(marketer).get(f"/experiments/{experiment.pk}/").content.decode()

    assert "No statistics yet" in html
    assert "Start the experiment to collect data." in html


def test_results_export_as_csv(marketer, with_data):
    response = client_for(marketer).get(f"/experiments/{with_data.pk}/results.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:8] == [
        "variant", "key", "control", "shows", "weight", "users", "conversions", "conversion_rate",
    ]  # fmt: skip
    assert rows[1][:8] == [
        "Control",
        "a",
        "yes",
        "Button “Get in touch”",
        "1",
        "1000",
        "100",
        "0.1",
    ]
    assert rows[2][:9] == ["Variant B", "b", "no", "Button “Book a demo”", "1", "1000", "130",
                           "0.13", "0.3"]  # fmt: skip
    assert rows[1][8:21] == [""] * 13
    assert rows[2][-1] == "no"


def test_csv_cells_that_look_like_formulas_are_neutralised(marketer):
    experiment = running_cta(marketer, make_page(), labels=("=HYPERLINK(1)", "Fine"))

    response = client_for(marketer).get(f"/experiments/{experiment.pk}/results.csv")

    text = b"".join(response.streaming_content).decode()
    assert "'Button “=HYPERLINK(1)”" not in text  # the cell starts with "Button", no formula
    assert "Control,a,yes" in text
