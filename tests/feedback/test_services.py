"""Recording feedback from every source, the sales hooks, theme runs and shaping topics."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.feedback import services
from revline.feedback.models import FeedbackItem, FeedbackSource, RunStatus, ThemeRun, Topic
from revline.sales.activity_services import activity_log
from revline.sales.models import CloseReason, ObjectionType
from revline.sales.objection_services import objection_log, objection_types_ensure_defaults
from revline.sales.services import close_reasons_ensure_defaults, deal_close_lost, deal_close_won

from .conftest import NOW

PRICE = [
    "The price per seat is too expensive",
    "Pricing is too expensive for our budget",
    "The licence price doubled our budget",
    "Price and budget are the blockers",
    "The price is above our budget this year",
    "Our budget cannot cover the licence price",
]
SUPPORT = [
    "Onboarding support answered quickly",
    "The onboarding training was excellent",
    "Support during onboarding was slow",
    "Onboarding needs a support contact",
    "The support team made onboarding smooth",
    "Onboarding support and training helped",
]
REPORTS = [
    "The reporting dashboards are great",
    "Reporting dashboards load slowly",
    "They want custom reporting dashboards",
    "Dashboards and reporting for the CFO",
    "Export the reporting dashboards to Excel",
    "The dashboards make reporting easy",
]


def record_many(texts, start=1, source=FeedbackSource.SURVEY):
    return [
        services.feedback_record(
            source=source, source_id=start + i, text=text, occurred_at=NOW - timedelta(days=i)
        )
        for i, text in enumerate(texts)
    ]


def run_themes(n_topics=3):
    """A run asked for the number of topics (choosing it is tested in test_themes)."""
    run = services.themes_extract_now(n_topics=n_topics, now=NOW)
    assert run.status == RunStatus.DONE, run.message
    return run


def topic_of(text):
    return FeedbackItem.objects.get(text=text).topic


# ---- feedback_record ---------------------------------------------------------------------------


def test_record_creates_an_item_with_sentiment_and_the_deal_s_contact_and_company(deal):
    item = services.feedback_record(
        source="survey", source_id=7, text="  Support was slow  ", occurred_at=NOW, deal=deal,
        score=4,
    )  # fmt: skip

    assert item is not None
    assert (item.text, item.sentiment, item.score) == ("Support was slow", "negative", 4)
    assert item.sentiment_score == -0.4472
    assert (item.contact_id, item.company_id, item.deal_id) == (
        deal.contact_id,
        deal.company_id or deal.contact.company_id,
        deal.pk,
    )


def test_record_is_idempotent_on_source_and_id(db):
    first = services.feedback_record(
        source="survey", source_id=1, text="Great onboarding", occurred_at=NOW
    )
    second = services.feedback_record(
        source="survey", source_id=1, text="Great onboarding", occurred_at=NOW
    )

    assert first.pk == second.pk
    assert FeedbackItem.objects.count() == 1


def test_record_replaces_a_changed_text_and_its_sentiment(db):
    services.feedback_record(source="survey", source_id=1, text="Great onboarding", occurred_at=NOW)
    item = services.feedback_record(
        source="survey", source_id=1, text="Terrible onboarding", occurred_at=NOW
    )

    item.refresh_from_db()
    assert (item.text, item.sentiment) == ("Terrible onboarding", "negative")
    assert FeedbackItem.objects.count() == 1


def test_the_same_id_from_another_source_is_another_item(db):
    services.feedback_record(source="survey", source_id=1, text="Slow", occurred_at=NOW)
    services.feedback_record(source="objection", source_id=1, text="Slow", occurred_at=NOW)
    assert FeedbackItem.objects.count() == 2


def test_blank_text_records_nothing(db):
    assert (
        services.feedback_record(source="survey", source_id=1, text="  \n ", occurred_at=NOW)
        is None
    )
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"source": "manual"}, "source"),
        ({"source": "tweet"}, "source"),
        ({"occurred_at": NOW.replace(tzinfo=None)}, "occurred_at"),
        ({"score": 101}, "score"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(db, kwargs, field):
    args = {"source": "survey", "source_id": 1, "text": "Fine", "occurred_at": NOW, **kwargs}
    with pytest.raises(ValidationError) as error:
        services.feedback_record(**args)
    assert field in error.value.message_dict
    assert not FeedbackItem.objects.exists()


def test_only_an_inside_path_is_kept_as_the_link(db):
    inside = services.feedback_record(
        source="survey", source_id=1, text="ok", occurred_at=NOW, url="/research/surveys/3/"
    )
    outside = services.feedback_record(
        source="survey", source_id=2, text="ok", occurred_at=NOW, url="//evil.example/x"
    )
    assert (inside.url, outside.url) == ("/research/surveys/3/", "")


# ---- the sales hooks ---------------------------------------------------------------------------


def test_losing_a_deal_with_a_reason_and_note_records_it(rep_a, deal):
    close_reasons_ensure_defaults()
    reason = CloseReason.objects.filter(kind="lost").order_by("position").first()

    deal_close_lost(actor=rep_a, deal=deal, reason=reason, note="Their CFO found us too expensive")

    item = FeedbackItem.objects.get(source=FeedbackSource.LOST_REASON, source_id=deal.pk)
    assert item.text == f"{reason.name} — Their CFO found us too expensive"
    assert (item.deal_id, item.contact_id, item.sentiment) == (deal.pk, deal.contact_id, "negative")


def test_winning_a_deal_records_no_feedback(rep_a, deal):
    deal_close_won(actor=rep_a, deal=deal, note="Great fit")
    assert not FeedbackItem.objects.exists()


def test_recording_an_objection_records_the_buyer_s_words(rep_a, deal):
    objection_types_ensure_defaults()
    price = ObjectionType.objects.order_by("position").first()

    objection = objection_log(
        actor=rep_a, deal=deal, objection_type=price, buyer_words="It's more than we hoped"
    )

    item = FeedbackItem.objects.get(source=FeedbackSource.OBJECTION)
    assert (item.source_id, item.text, item.deal_id) == (
        objection.pk,
        "It's more than we hoped",
        deal.pk,
    )


def test_an_objection_without_buyer_words_records_nothing(rep_a, deal):
    objection_types_ensure_defaults()
    objection_log(actor=rep_a, deal=deal, objection_type=ObjectionType.objects.first())
    assert not FeedbackItem.objects.exists()


def test_a_note_on_a_deal_is_recorded(rep_a, deal):
    note = activity_log(
        actor=rep_a, kind="note", subject="Call debrief", body="They love the dashboards", deal=deal
    )

    item = FeedbackItem.objects.get(source=FeedbackSource.DEAL_NOTE)
    assert (item.source_id, item.text, item.sentiment) == (
        note.pk,
        "Call debrief: They love the dashboards",
        "positive",
    )


def test_calls_and_notes_without_a_deal_record_nothing(rep_a, deal, contact):
    activity_log(actor=rep_a, kind="call", subject="Intro", body="Nice chat", deal=deal)
    activity_log(actor=rep_a, kind="note", subject="Met at a fair", contact=contact)
    assert not FeedbackItem.objects.exists()


def test_collect_existing_back_fills_once(rep_a, deal, contact):
    objection_types_ensure_defaults()
    objection_log(
        actor=rep_a, deal=deal, objection_type=ObjectionType.objects.first(), buyer_words="Pricey"
    )
    activity_log(actor=rep_a, kind="note", subject="Debrief", deal=deal)
    deal_close_lost(actor=rep_a, deal=deal, note="Chose the incumbent")
    FeedbackItem.objects.all().delete()  # as if recorded before the inbox existed

    first = services.feedback_collect_existing()
    second = services.feedback_collect_existing()

    assert first == {"lost_reason": 1, "objection": 1, "deal_note": 1}
    assert second == {"lost_reason": 0, "objection": 0, "deal_note": 0}
    assert sorted(FeedbackItem.objects.values_list("text", flat=True)) == [
        "Chose the incumbent",
        "Debrief",
        "Pricey",
    ]
    assert set(FeedbackItem.objects.values_list("company_id", flat=True)) == {contact.company_id}


# ---- manual feedback ---------------------------------------------------------------------------


def test_anyone_records_feedback_by_hand(rep_a, contact):
    item = services.feedback_create(actor=rep_a, text="Wants an API", contact=contact)
    assert (item.source, item.source_id, item.created_by_id) == ("manual", None, rep_a.pk)
    assert item.company_id == contact.company_id


def test_manual_feedback_needs_text(rep_a):
    with pytest.raises(ValidationError) as error:
        services.feedback_create(actor=rep_a, text="   ")
    assert error.value.message_dict == {"text": ["Write what the customer said."]}
    assert not FeedbackItem.objects.exists()


def test_manual_feedback_on_a_deal_the_actor_cannot_see_is_refused(rep_b, deal):
    from revline.core.models import DealVisibility
    from revline.core.workspace import workspace_get

    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.TEAM
    workspace.save()

    with pytest.raises(PermissionDenied):
        services.feedback_create(actor=rep_b, text="Too pricey", deal=deal)
    assert not FeedbackItem.objects.exists()


def test_only_manual_items_are_deleted_by_their_author_or_an_editor(rep_a, rep_b, marketer):
    mine = services.feedback_create(actor=rep_a, text="Wants SSO")
    survey = record_many(["Great"])[0]

    with pytest.raises(PermissionDenied):
        services.feedback_delete(actor=rep_b, item=mine)
    with pytest.raises(PermissionDenied):
        services.feedback_delete(actor=marketer, item=survey)
    services.feedback_delete(actor=rep_a, item=mine)

    assert list(FeedbackItem.objects.values_list("pk", flat=True)) == [survey.pk]


# ---- theme runs --------------------------------------------------------------------------------


def test_a_run_assigns_every_item_a_topic_of_its_theme(db):
    record_many(PRICE + SUPPORT + REPORTS)

    run = run_themes()

    assert (run.item_count, run.topic_count) == (18, 3)
    assert run.parameters["random_state"] == 0
    for group in (PRICE, SUPPORT, REPORTS):
        assert len({topic_of(text).pk for text in group}) == 1
    assert Topic.objects.count() == 3
    assert {"price", "budget"} <= set(topic_of(PRICE[0]).top_terms[:3])


def test_too_few_items_end_the_run_refused_and_keep_the_topics(db):
    record_many(PRICE[:3])

    run = services.themes_extract_now(now=NOW)

    assert run.status == RunStatus.REFUSED
    assert run.message == "Themes need at least 12 feedback items; there are 3."
    assert not Topic.objects.exists()


def test_requesting_a_run_queues_it_in_the_background(marketer, django_capture_on_commit_callbacks):
    record_many(PRICE + SUPPORT + REPORTS)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.themes_request(actor=marketer)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.requested_by_id == marketer.pk
    assert Topic.objects.count() == run.topic_count >= 2
    assert not FeedbackItem.objects.filter(topic__isnull=True).exists()


def test_one_run_at_a_time(marketer):
    services.themes_request(actor=marketer)  # never committed here, so it stays queued
    with pytest.raises(ValidationError):
        services.themes_request(actor=marketer)
    assert ThemeRun.objects.count() == 1


def test_a_rep_cannot_request_a_run(rep_a):
    with pytest.raises(PermissionDenied):
        services.themes_request(actor=rep_a)
    assert not ThemeRun.objects.exists()


def test_a_finished_run_is_not_run_again(db):
    record_many(PRICE + SUPPORT + REPORTS)
    run = run_themes()
    assert services.themes_run(run_id=run.pk) is None


def test_refresh_runs_only_when_new_feedback_arrived(db, django_capture_on_commit_callbacks):
    record_many(PRICE + SUPPORT + REPORTS)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.themes_refresh_if_due(now=start) is not None
    later = start + services.REFRESH_EVERY + timedelta(minutes=1)

    assert services.themes_refresh_if_due(now=later) is None  # nothing new since
    record_many(["A new remark about the price"], start=100)
    assert services.themes_refresh_if_due(now=start + timedelta(hours=1)) is None  # too soon
    assert services.themes_refresh_if_due(now=later) is not None
    assert ThemeRun.objects.count() == 2


def test_a_renamed_topic_keeps_its_name_through_a_re_run(marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price = topic_of(PRICE[0])
    services.topic_rename(actor=marketer, topic=price, name="Price and cost")
    record_many(["The price of extra seats is too expensive for our budget"], start=100)

    run_themes()

    again = topic_of(PRICE[0])
    assert (again.pk, again.name, again.is_renamed) == (price.pk, "Price and cost", True)
    assert topic_of("The price of extra seats is too expensive for our budget").pk == price.pk
    assert Topic.objects.filter(is_renamed=True).count() == 1


def test_rename_refuses_blank_and_taken_names(marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price, support = topic_of(PRICE[0]), topic_of(SUPPORT[0])
    services.topic_rename(actor=marketer, topic=support, name="Support")

    for name in ("  ", "support"):
        with pytest.raises(ValidationError):
            services.topic_rename(actor=marketer, topic=price, name=name)
    price.refresh_from_db()
    assert price.is_renamed is False


def test_a_rep_cannot_rename_merge_or_split(rep_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price, support = topic_of(PRICE[0]), topic_of(SUPPORT[0])
    names = sorted(Topic.objects.values_list("name", flat=True))

    with pytest.raises(PermissionDenied):
        services.topic_rename(actor=rep_a, topic=price, name="Money")
    with pytest.raises(PermissionDenied):
        services.topic_merge(actor=rep_a, topic=price, into=support)
    with pytest.raises(PermissionDenied):
        services.topic_split(actor=rep_a, topic=price)

    assert sorted(Topic.objects.values_list("name", flat=True)) == names


def test_merge_moves_the_items_and_deletes_the_topic(manager_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price, support = topic_of(PRICE[0]), topic_of(SUPPORT[0])

    into = services.topic_merge(actor=manager_a, topic=price, into=support)

    assert into.pk == support.pk
    assert not Topic.objects.filter(pk=price.pk).exists()
    assert FeedbackItem.objects.filter(topic=support).count() == 12
    assert "price" in into.top_terms


def test_a_topic_is_not_merged_into_itself(marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price = topic_of(PRICE[0])
    with pytest.raises(ValidationError):
        services.topic_merge(actor=marketer, topic=price, into=price)
    assert Topic.objects.filter(pk=price.pk).exists()


def test_split_regroups_a_mixed_topic_in_two(marketer):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes(n_topics=2)
    mixed = topic_of(PRICE[0])
    assert mixed.items.count() == 12  # price and one other theme in one topic

    new = services.topic_split(actor=marketer, topic=mixed, now=NOW)

    assert new.pk != mixed.pk
    assert mixed.items.count() == 6 and new.items.count() == 6
    assert {topic_of(text).pk for text in PRICE} in ({mixed.pk}, {new.pk})


def test_a_small_topic_is_not_split(marketer):
    topic = Topic.objects.create(name="Tiny", created_at=NOW)
    for item in record_many(["Slow", "Fast"]):
        item.topic = topic
        item.save()
    with pytest.raises(ValidationError) as error:
        services.topic_split(actor=marketer, topic=topic)
    assert error.value.message_dict == {"topic": ["A topic needs at least 4 items to be split."]}
    assert Topic.objects.count() == 1
