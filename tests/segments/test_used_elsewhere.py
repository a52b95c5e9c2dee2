"""Segments where they are used: the contact list filter (a report filter) and campaigns."""

import csv
import io

import pytest
from django.urls import reverse

from revline.campaigns.models import Campaign
from revline.segments.services import segment_create

VIP = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
CAMPAIGN_FORM = {
    "name": "Summer", "objective": "leads", "channel": "email", "status": "planned",
    "owner": "", "start_date": "", "end_date": "", "budget": "0", "currency": "EUR",
    "audience": "", "description": "", "goal_leads": "", "goal_mqls": "", "goal_sqls": "",
    "goal_pipeline": "", "goal_revenue": "", "utm_source": "", "utm_medium": "",
    "utm_campaign": "", "utm_content": "", "utm_term": "",
}  # fmt: skip


@pytest.mark.django_db
def test_contact_list_filters_by_segment(client, rep_a, world):
    segment = segment_create(actor=None, name="VIPs", definition=VIP)
    client.force_login(rep_a)
    response = client.get(reverse("people:contacts"), {"segment": segment.pk})
    assert [c.first_name for c in response.context["listing"].page] == ["Ada"]
    html = response.content.decode()
    assert f'<option value="{segment.pk}" selected>VIPs</option>' in html
    # Combined with the other filters, in the same query
    response = client.get(reverse("people:contacts"), {"segment": segment.pk, "stage": "lead"})
    assert list(response.context["listing"].page) == []


@pytest.mark.django_db
def test_unknown_segment_filter_matches_nothing(client, rep_a, world):
    client.force_login(rep_a)
    for value in ("999", "abc"):
        response = client.get(reverse("people:contacts"), {"segment": value})
        assert list(response.context["listing"].page) == []


@pytest.mark.django_db
def test_contact_list_export_follows_the_segment_filter(client, rep_a, world):
    segment = segment_create(actor=None, name="VIPs", definition=VIP)
    client.force_login(rep_a)
    response = client.get(reverse("people:contacts_export"), {"segment": segment.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[rows[0].index("email")] for row in rows[1:]] == ["ada@acme.example"]


@pytest.mark.django_db
def test_campaign_form_sets_the_audience_segment_and_the_page_shows_it(client, marketer, world):
    segment = segment_create(actor=None, name="VIPs", definition=VIP)
    client.force_login(marketer)
    response = client.post(
        reverse("campaigns:create"), {**CAMPAIGN_FORM, "audience_segment": segment.pk}
    )
    campaign = Campaign.objects.get(name="Summer")
    assert response.status_code == 302
    assert campaign.audience_segment == segment
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("segments:detail", args=[segment.pk]) in html
    assert "VIPs</a> · 1 contact now" in html
    # Clearing it on edit
    client.post(reverse("campaigns:edit", args=[campaign.pk]), CAMPAIGN_FORM)
    campaign.refresh_from_db()
    assert campaign.audience_segment is None


@pytest.mark.django_db
def test_campaign_form_refuses_an_unknown_segment(client, marketer, world):
    client.force_login(marketer)
    response = client.post(reverse("campaigns:create"), {**CAMPAIGN_FORM, "audience_segment": 999})
    assert response.status_code == 400
    assert not Campaign.objects.filter(name="Summer").exists()
