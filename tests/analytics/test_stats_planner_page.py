"""The sample-size planner page (/reports/experiments/sample-size/)."""

import json

import pytest
from django.urls import reverse

URL = reverse("analytics:sample_size")
PLAN = {
    "baseline_rate": "10",
    "mde": "2",
    "mde_kind": "absolute",
    "alpha": "0.05",
    "power": "0.8",
    "variants": "2",
}


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_textbook_plan_needs_3841_users_per_variant(client, rep_a):
    # Given
    client.force_login(rep_a)
    # When
    response = client.get(URL, {**PLAN, "daily_users": "1000"})
    # Then
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (plan.per_variant, plan.total) == (3841, 7682)
    assert response.context["days"] == 8
    html = response.content.decode()
    assert '<div class="value" id="per-variant">3,841</div>' in html
    assert '<div class="value" id="total">7,682</div>' in html
    chart = json.loads(html.split('id="planner-data" type="application/json">')[1].split("<")[0])
    assert chart["labels"] == ["1", "1.5", "2", "3", "4", "6"]
    assert chart["values"][2] == 3841


@pytest.mark.django_db
def test_the_empty_form_shows_the_default_plan(client, marketer):
    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["plan"].per_variant == 3841


@pytest.mark.django_db
def test_three_variants_with_bonferroni_use_half_the_alpha(client, marketer):
    client.force_login(marketer)
    response = client.get(URL, {**PLAN, "variants": "3", "bonferroni": "on"})
    plan = response.context["plan"]
    assert plan.alpha == 0.025
    assert plan.total == plan.per_variant * 3
    # (2.241403 sqrt(0.1958) + 0.841621 sqrt(0.1956))^2 / 0.02^2 = 4651.4
    assert plan.per_variant == 4652


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"baseline_rate": "0"}, "baseline_rate", "greater than or equal to 0.01"),
        ({"baseline_rate": "abc"}, "baseline_rate", "Enter a number."),
        ({"mde": "-2"}, "mde", "greater than or equal to 0.0001"),
        ({"baseline_rate": "95", "mde": "10"}, "mde", "outside 0-1; use a smaller effect"),
        ({"alpha": "0.9"}, "alpha", "less than or equal to 0.5"),
        ({"power": "1"}, "power", "less than or equal to 0.999"),
        ({"variants": "1"}, "variants", "greater than or equal to 2"),
    ],
)
def test_bad_input_shows_a_field_error_and_no_plan(client, rep_a, change, field, message):
    client.force_login(rep_a)
    response = client.get(URL, {**PLAN, **change})
    assert response.status_code == 400
    assert response.context["plan"] is None
    assert message in " ".join(response.context["form"].errors[field])
    assert b'id="planner-result"' not in response.content
