"""The predictive pages through HTTP: the model report, retrain, run status and the contact
panel, with their permissions."""

import pytest
import time_machine
from django.urls import reverse

from revline.leads.models import ModelStatus, PredictiveModel
from revline.people.models import Contact, LifecycleStage

from .predictive_helpers import NOW, history_build

pytestmark = pytest.mark.django_db


def test_urls():
    assert reverse("leads:predictive") == "/leads/predictive/"
    assert reverse("leads:contact_prediction_panel", args=[5]) == "/leads/contacts/5/prediction/"


def test_pages_need_login(client):
    for url in (reverse("leads:predictive"), reverse("leads:contact_prediction_panel", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login")


def test_reps_and_managers_may_not_see_the_report_or_retrain(client, rep_a, manager_a):
    for user in (rep_a, manager_a):
        client.force_login(user)
        assert client.get(reverse("leads:predictive")).status_code == 403
        assert client.post(reverse("leads:predictive_retrain")).status_code == 403
    assert PredictiveModel.objects.count() == 0


def test_retrain_is_post_only(client, marketer):
    client.force_login(marketer)
    assert client.get(reverse("leads:predictive_retrain")).status_code == 405
    assert PredictiveModel.objects.count() == 0


def test_an_empty_report_invites_a_first_training(client, marketer):
    client.force_login(marketer)
    page = client.get(reverse("leads:predictive")).content.decode()
    assert "The model has never been trained." in page
    assert "No training run yet." in page
    assert 'id="lift-chart"' not in page


def test_retrain_queues_a_run_and_the_page_polls_its_status(
    client, marketer, django_capture_on_commit_callbacks
):
    # When a marketer presses "Retrain now" (the worker has not picked it up yet)
    client.force_login(marketer)
    response = client.post(reverse("leads:predictive_retrain"))
    # Then they are sent back to the report, which shows the queued run and polls it
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:predictive")
    run = PredictiveModel.objects.get()
    assert run.status == ModelStatus.QUEUED
    page = client.get(reverse("leads:predictive")).content.decode()
    status_url = reverse("leads:predictive_run_status", args=[run.pk])
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in page
    assert "Waiting for the background worker…" in page
    assert "Training started in the background" in page
    assert 'id="retrain" disabled' in page
    # and a second press is refused with a message, queueing nothing
    client.post(reverse("leads:predictive_retrain"))
    assert PredictiveModel.objects.count() == 1
    page = client.get(reverse("leads:predictive")).content.decode()
    assert "A training run is already queued" in page
    # While queued, the status fragment keeps polling and asks for no reload
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in fragment
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    # Once the run is over (refused: there is no history), the fragment reloads the page
    PredictiveModel.objects.filter(pk=run.pk).update(
        status=ModelStatus.REFUSED, message="Only 0 contact snapshots to learn from."
    )
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"
    assert 'hx-trigger="every 2s"' not in fragment.content.decode()
    assert "Only 0 contact snapshots to learn from." in fragment.content.decode()


def test_status_of_an_unknown_run_is_404(client, marketer):
    client.force_login(marketer)
    assert client.get(reverse("leads:predictive_run_status", args=[999])).status_code == 404


def test_panel_without_a_model(client, rep_a):
    contact = Contact.objects.create(email="a@b.test")
    client.force_login(rep_a)
    page = client.get(reverse("leads:contact_prediction_panel", args=[contact.pk]))
    assert page.status_code == 200
    assert "No model yet." in page.content.decode()
    assert "Train one" not in page.content.decode()  # reps do not train
    assert client.get(reverse("leads:contact_prediction_panel", args=[999])).status_code == 404


def test_report_and_panel_after_training(
    client, admin_user, rep_a, django_capture_on_commit_callbacks
):
    # Given a trained model
    with time_machine.travel(NOW, tick=False):
        groups = history_build()
        Contact.objects.filter(pk=groups["vps"][0].pk).update(first_name="<script>x</script>")
        client.force_login(admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("leads:predictive_retrain"))
        run = PredictiveModel.objects.get()
        assert run.status == ModelStatus.READY
        # When the admin opens the report
        page = client.get(reverse("leads:predictive")).content.decode()
        # Then both candidates, the charts with their tables, tiers and warnings are shown
        assert 'data-algorithm="logistic_regression"' in page
        assert 'data-algorithm="gradient_boosting"' in page
        assert page.count('<tr data-decile="') == 10
        assert 'id="lift-chart"' in page and 'id="calibration-chart"' in page
        assert '<script id="predictive-charts" type="application/json">' in page
        assert (
            '<tr data-tier="A"><td><span class="tier tier-A">A</span></td><td class="num">10'
            in (page)
        )
        assert "The history is small (128 examples" in page
        assert '<span class="badge">in use</span>' in page
        # And a rep sees the panel of a VP: probability, tier A and factors
        client.force_login(rep_a)
        vp = groups["vps"][0]
        panel = client.get(reverse("leads:contact_prediction_panel", args=[vp.pk])).content.decode()
        assert 'id="prediction-tier">A</span>' in panel
        assert "Title: VP" in panel
        assert "Viewed /pricing 3 times" in panel
        assert "<script>x</script>" not in panel
        # and a customer's panel says it is not scored
        customer = Contact.objects.filter(lifecycle_stage=LifecycleStage.CUSTOMER).first()
        panel = client.get(reverse("leads:contact_prediction_panel", args=[customer.pk]))
        assert "Already a customer" in panel.content.decode()
