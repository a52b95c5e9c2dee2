"""The inbox and themes pages: who reads and edits, filters, escaping, CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from revline.feedback import services
from revline.feedback.models import FeedbackItem, FeedbackSource, Topic
from revline.segments.services import segment_create

from .conftest import NOW
from .test_services import PRICE, REPORTS, SUPPORT, record_many, run_themes, topic_of

INBOX = reverse("feedback:inbox")
THEMES = reverse("feedback:themes")


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def rows(response) -> list[str]:
    return [item.text for item in response.context["listing"].page]


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_everyone_reads_the_inbox_with_its_links(as_user, rep_a, deal):
    services.feedback_record(
        source="survey", source_id=1, text="Support was slow", occurred_at=NOW, deal=deal,
        url="/research/surveys/1/results/",
    )  # fmt: skip

    response = as_user(rep_a).get(INBOX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Support was slow" in html
    assert reverse("sales:deal", args=[deal.pk]) in html
    assert reverse("people:contact", args=[deal.contact_id]) in html
    assert 'href="/research/surveys/1/results/"' in html


def test_the_inbox_is_empty_with_a_hint(as_user, rep_a):
    response = as_user(rep_a).get(INBOX)
    assert "No feedback yet." in response.content.decode()


def test_feedback_text_is_escaped(as_user, rep_a):
    record_many(["<script>alert(1)</script>"])
    html = as_user(rep_a).get(INBOX).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_filters_by_source_sentiment_topic_date_and_search(as_user, marketer, rep_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    services.feedback_create(actor=rep_a, text="Great call, they love it", occurred_at=NOW)
    client = as_user(marketer)
    price = topic_of(PRICE[0])

    assert rows(client.get(INBOX, {"source": "manual"})) == ["Great call, they love it"]
    assert set(rows(client.get(INBOX, {"topic": price.pk}))) == set(PRICE)
    assert rows(client.get(INBOX, {"topic": "none"})) == ["Great call, they love it"]
    assert rows(client.get(INBOX, {"q": "to excel"})) == [REPORTS[4]]
    negative = rows(client.get(INBOX, {"sentiment": "negative"}))
    assert "Support during onboarding was slow" in negative
    assert "Great call, they love it" not in negative
    day = (NOW - timedelta(days=1)).date().isoformat()
    assert rows(client.get(INBOX, {"date_from": day, "date_to": day})) == [PRICE[1]]


def test_a_bad_filter_is_reported_and_ignored(as_user, rep_a):
    record_many(["Fine"])
    response = as_user(rep_a).get(INBOX, {"topic": "abc", "date_from": "2025-02-30"})
    assert response.status_code == 400
    assert rows(response) == ["Fine"]
    assert "Choose a topic from the list." in response.content.decode()


def test_the_segment_filter_keeps_its_contacts_feedback(as_user, rep_a, contact):
    services.feedback_create(actor=rep_a, text="From Ada", contact=contact)
    services.feedback_create(actor=rep_a, text="From nobody")
    segment = segment_create(
        actor=None,
        name="Acme people",
        definition={
            "match": "all",
            "conditions": [
                {"type": "field", "field": "email", "op": "contains", "value": "acme.example"}
            ],
        },
    )
    assert rows(as_user(rep_a).get(INBOX, {"segment": segment.pk})) == ["From Ada"]


def test_the_inbox_sorts_by_sentiment(as_user, rep_a):
    record_many(["Terrible and slow", "Great", "Neutral words here"])
    assert rows(as_user(rep_a).get(INBOX, {"sort": "sentiment"})) == [
        "Terrible and slow",
        "Neutral words here",
        "Great",
    ]


def test_team_only_visibility_hides_feedback_of_deals_a_rep_cannot_see(as_user, rep_b, deal):
    from revline.core.models import DealVisibility
    from revline.core.workspace import workspace_get

    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.TEAM
    workspace.save()
    services.feedback_record(source="survey", source_id=1, text="Deal", occurred_at=NOW, deal=deal)
    record_many(["Open"], start=2)

    assert rows(as_user(rep_b).get(INBOX)) == ["Open"]


def test_the_csv_export_neutralises_formulas(as_user, rep_a):
    record_many(['=HYPERLINK("http://evil")', "+1 great", "Plain words"])

    response = as_user(rep_a).get(reverse("feedback:export"), {"sort": "-date"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][:5] == ["id", "occurred_at", "source", "source_id", "text"]
    assert [row[4] for row in table[1:]] == ["=HYPERLINK(\"http://evil\")".join(["'", ""]),
                                             "'+1 great", "Plain words"]  # fmt: skip


def test_the_csv_export_follows_the_filters(as_user, rep_a):
    record_many(["Survey remark"])
    services.feedback_create(actor=rep_a, text="Call remark")
    response = as_user(rep_a).get(reverse("feedback:export"), {"source": "manual"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row[4] for row in list(csv.reader(io.StringIO(body)))[1:]] == ["Call remark"]


def test_adding_feedback_by_hand(as_user, rep_a, contact):
    client = as_user(rep_a)
    form = client.get(reverse("feedback:add"), {"contact": contact.pk})
    assert form.context["form"].initial["contact"] == contact.pk

    response = client.post(
        reverse("feedback:add"), {"text": "Wants SSO", "contact": contact.pk, "score": "8"}
    )

    assert response.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.source, item.text, item.contact_id, item.score) == (
        FeedbackSource.MANUAL,
        "Wants SSO",
        contact.pk,
        8,
    )


def test_adding_feedback_with_bad_input_shows_errors_and_stores_nothing(as_user, rep_a):
    response = as_user(rep_a).post(
        reverse("feedback:add"), {"text": " ", "contact": "999999", "score": "11"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["contact"] == ["There is no contact with id 999999."]
    assert "text" in errors and "score" in errors
    assert not FeedbackItem.objects.exists()


def test_the_themes_page_shows_sizes_trends_quotes_and_sources(as_user, rep_a, deal):
    record_many(PRICE + SUPPORT + REPORTS)
    services.feedback_record(
        source="survey", source_id=50, text="The price is too expensive for the budget",
        occurred_at=NOW, score=3,
    )  # fmt: skip
    run_themes()

    response = as_user(rep_a).get(THEMES)

    assert response.status_code == 200
    page = response.context["page"]
    assert page.total == 19
    price = next(row for row in page.rows if row.topic.pk == topic_of(PRICE[0]).pk)
    assert (price.size, price.detractors, sum(price.monthly)) == (7, 1, 7)
    assert len(price.quotes) == 3
    html = response.content.decode()
    assert 'id="themes-chart-data"' in html
    assert "Rename" not in html  # a rep reads only


def test_the_themes_page_warns_when_there_are_too_few_items(as_user, marketer):
    record_many(PRICE[:2])
    html = as_user(marketer).get(THEMES).content.decode()
    assert 'id="too-few"' in html


def test_a_rep_cannot_rename_merge_split_or_run(as_user, rep_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price, support = topic_of(PRICE[0]), topic_of(SUPPORT[0])
    client = as_user(rep_a)

    for url, data in (
        (reverse("feedback:topic_rename", args=[price.pk]), {"name": "Money"}),
        (reverse("feedback:topic_merge", args=[price.pk]), {"into": support.pk}),
        (reverse("feedback:topic_split", args=[price.pk]), {}),
        (reverse("feedback:themes_run"), {}),
    ):
        assert client.post(url, data).status_code == 403
    assert Topic.objects.count() == 3
    assert not Topic.objects.filter(is_renamed=True).exists()


def test_a_marketer_renames_and_merges_topics(as_user, marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price, support = topic_of(PRICE[0]), topic_of(SUPPORT[0])
    client = as_user(marketer)

    renamed = client.post(reverse("feedback:topic_rename", args=[price.pk]), {"name": "Cost"})
    merged = client.post(reverse("feedback:topic_merge", args=[support.pk]), {"into": price.pk})

    assert (renamed.status_code, merged.status_code) == (302, 302)
    price.refresh_from_db()
    assert (price.name, price.is_renamed, price.items.count()) == ("Cost", True, 12)
    assert not Topic.objects.filter(pk=support.pk).exists()


def test_a_bad_rename_shows_the_error_at_the_topic(as_user, marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price = topic_of(PRICE[0])
    name = price.name

    response = as_user(marketer).post(
        reverse("feedback:topic_rename", args=[price.pk]), {"name": "x" * 101}
    )

    assert response.status_code == 400
    assert response.context["errors"][price.pk]
    price.refresh_from_db()
    assert price.name == name


def test_topic_changes_are_post_only(as_user, marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price = topic_of(PRICE[0])
    response = as_user(marketer).get(reverse("feedback:topic_split", args=[price.pk]))
    assert response.status_code == 405
    assert Topic.objects.count() == 3


def test_a_marketer_starts_a_run_from_the_page(
    as_user, marketer, django_capture_on_commit_callbacks
):
    record_many(PRICE + SUPPORT + REPORTS)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(marketer).post(reverse("feedback:themes_run"), {"n_topics": "3"})
    assert response.status_code == 302
    assert Topic.objects.count() == 3


def test_a_run_asking_for_too_many_topics_is_refused(as_user, marketer):
    response = as_user(marketer).post(reverse("feedback:themes_run"), {"n_topics": "50"})
    assert response.status_code == 400
    assert not Topic.objects.exists()
