"""Feedback writes: record items from every source, find themes, and let people shape topics.

Sources call `feedback_record` (surveys) or the `feedback_from_*` helpers (sales) right after
their own write; `feedback_collect_existing` back-fills from what sales recorded before.
Theme runs are queued (one at a time) and run in the background task `themes_run_task`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import Role, User

from . import themes
from .models import FeedbackItem, FeedbackSource, RunStatus, ThemeRun, Topic
from .sentiment import sentiment_of

if TYPE_CHECKING:
    from revline.people.models import Company, Contact
    from revline.sales.models import Activity, Deal, Objection

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
MAX_URL = 300
SCORE_RANGE = (0, 100)
STALE_AFTER = timedelta(hours=2)
REFRESH_EVERY = timedelta(hours=6)
IN_PROGRESS = (RunStatus.QUEUED, RunStatus.RUNNING)
EDIT_DENIED = "Only marketers, sales managers and admins change topics."
TOPIC_NAME_MAX = 100


def can_read_feedback(user: User) -> bool:
    return user.is_active


def can_edit_feedback(user: User) -> bool:
    """Topics (rename, merge, split, a new run) belong to marketers, managers and admins."""
    return permissions.is_admin(user) or (
        user.is_active and user.role in (Role.MARKETER, Role.SALES_MANAGER)
    )


def can_delete_item(user: User, item: FeedbackItem) -> bool:
    """Only feedback entered by hand is deleted, by whoever entered it or an editor."""
    if item.source != FeedbackSource.MANUAL or not user.is_active:
        return False
    return item.created_by_id == user.pk or can_edit_feedback(user)


# ---- recording -------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = url.strip()
    # Only a path inside the app: never a link to another site.
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > MAX_URL:
        return ""
    return url


def _check_score(score: int | None) -> None:
    if score is not None and not SCORE_RANGE[0] <= score <= SCORE_RANGE[1]:
        raise ValidationError({"score": f"A score runs from {SCORE_RANGE[0]} to {SCORE_RANGE[1]}."})


def _links(
    contact: Contact | None, deal: Deal | None, company: Company | None
) -> tuple[Contact | None, Company | None]:
    contact = contact or (deal.contact if deal is not None else None)
    company = (
        company
        or (deal.company if deal is not None else None)
        or (contact.company if contact is not None else None)
    )
    return contact, company


def _differs(item: FeedbackItem, name: str, value: object) -> bool:
    if name in ("contact", "company", "deal"):
        return getattr(item, f"{name}_id") != getattr(value, "pk", None)
    return bool(getattr(item, name) != value)


def feedback_record(
    *,
    source: str,
    source_id: int,
    text: str,
    occurred_at: datetime,
    contact: Contact | None = None,
    deal: Deal | None = None,
    company: Company | None = None,
    score: int | None = None,
    url: str = "",
) -> FeedbackItem | None:
    """The item of (source, source_id), created or brought up to date, with its sentiment.

    Blank text records nothing (None) and leaves an earlier item alone. Calling it again with
    the same arguments changes nothing; a changed text replaces the stored one (its topic is
    kept until the next theme run). The contact and company default to the deal's.
    `url` is an optional path inside the app where the item is read in context."""
    if source not in FeedbackSource.values or source == FeedbackSource.MANUAL:
        raise ValidationError({"source": f"Unknown feedback source {source!r}."})
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "The time must be timezone-aware."})
    _check_score(score)
    text = text.strip()[:MAX_TEXT]
    if not text:
        return None
    contact, company = _links(contact, deal, company)
    mood = sentiment_of(text)
    fields = {
        "text": text,
        "sentiment": mood.label,
        "sentiment_score": mood.score,
        "score": score,
        "contact": contact,
        "company": company,
        "deal": deal,
        "occurred_at": occurred_at,
        "url": _clean_url(url),
    }
    item = FeedbackItem.objects.filter(source=source, source_id=source_id).first()
    if item is None:
        try:
            with transaction.atomic():
                return FeedbackItem.objects.create(source=source, source_id=source_id, **fields)
        except IntegrityError:  # recorded at the same moment by another process
            item = FeedbackItem.objects.get(source=source, source_id=source_id)
    changed = [name for name, value in fields.items() if _differs(item, name, value)]
    if changed:
        for name in changed:
            setattr(item, name, fields[name])
        item.save(update_fields=changed)
    return item


def lost_deal_text(deal: Deal) -> str:
    """What a lost deal says about us: its reason from the list, the closing note and the
    competitor it went to."""
    parts = [deal.close_reason.name if deal.close_reason else "", deal.close_note.strip()]
    if deal.lost_to is not None:
        parts.append(f"lost to {deal.lost_to.name}")
    return " — ".join(part for part in parts if part)


def deal_note_text(activity: Activity) -> str:
    body = activity.body.strip()
    subject = activity.subject.strip()
    return f"{subject}: {body}" if body and subject else body or subject


def feedback_from_lost_deal(*, deal: Deal) -> FeedbackItem | None:
    """Sales calls this after a deal is closed lost."""
    if deal.status != "lost" or deal.closed_at is None:
        return None
    return feedback_record(
        source=FeedbackSource.LOST_REASON,
        source_id=deal.pk,
        text=lost_deal_text(deal),
        occurred_at=deal.closed_at,
        deal=deal,
    )


def feedback_from_objection(*, objection: Objection) -> FeedbackItem | None:
    """Sales calls this after an objection is logged: the buyer's own words are the feedback."""
    return feedback_record(
        source=FeedbackSource.OBJECTION,
        source_id=objection.pk,
        text=objection.buyer_words,
        occurred_at=objection.raised_at,
        deal=objection.deal,
    )


def feedback_from_deal_note(*, activity: Activity) -> FeedbackItem | None:
    """Sales calls this after an activity is logged; only notes on a deal count."""
    if activity.kind != "note" or activity.deal_id is None:
        return None
    return feedback_record(
        source=FeedbackSource.DEAL_NOTE,
        source_id=activity.pk,
        text=deal_note_text(activity),
        occurred_at=activity.occurred_at,
        deal=activity.deal,
        contact=activity.contact,
        company=activity.company,
    )


def feedback_create(
    *,
    actor: User,
    text: str,
    occurred_at: datetime | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    deal: Deal | None = None,
    score: int | None = None,
) -> FeedbackItem:
    """Feedback entered by hand, e.g. from a call. Any active user records it; a deal must be
    one the actor may see."""
    permissions.require(can_read_feedback(actor), "You cannot record feedback.")
    if deal is not None:
        permissions.require(permissions.can_view_deal(actor, deal), "You cannot see that deal.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write what the customer said."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"Keep it under {MAX_TEXT:,} characters."})
    _check_score(score)
    occurred_at = occurred_at or timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "The time must be timezone-aware."})
    contact, company = _links(contact, deal, company)
    mood = sentiment_of(text)
    item = FeedbackItem.objects.create(
        source=FeedbackSource.MANUAL,
        source_id=None,
        text=text,
        contact=contact,
        company=company,
        deal=deal,
        score=score,
        sentiment=mood.label,
        sentiment_score=mood.score,
        occurred_at=occurred_at,
        created_by=actor,
    )
    audit_create(actor=actor, obj=item)
    return item


_UNSET = object()


@transaction.atomic
def feedback_update(
    *,
    actor: User,
    item: FeedbackItem,
    text: str | None = None,
    score: int | object | None = _UNSET,
    occurred_at: datetime | None = None,
    topic: Topic | object | None = _UNSET,
) -> FeedbackItem:
    """Change what was said (text, score, time) of feedback entered by hand, by its author or an
    editor; move any item to another topic (or none), by an editor. Arguments left out keep
    their value; on any error nothing changes. A later theme run may move the item again."""
    permissions.require(can_read_feedback(actor), "You cannot change feedback.")
    own_fields = text is not None or score is not _UNSET or occurred_at is not None
    if own_fields:
        permissions.require(
            can_delete_item(actor, item),
            "Only feedback entered by hand is changed, by its author or an editor.",
        )
    if topic is not _UNSET:
        permissions.require(can_edit_feedback(actor), EDIT_DENIED)
    before = snapshot(item)
    if text is not None:
        text = text.strip()
        if not text:
            raise ValidationError({"text": "Write what the customer said."})
        if len(text) > MAX_TEXT:
            raise ValidationError({"text": f"Keep it under {MAX_TEXT:,} characters."})
        mood = sentiment_of(text)
        item.text, item.sentiment, item.sentiment_score = text, mood.label, mood.score
    if score is not _UNSET:
        assert score is None or isinstance(score, int)
        _check_score(score)
        item.score = score
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            raise ValidationError({"occurred_at": "The time must be timezone-aware."})
        item.occurred_at = occurred_at
    if topic is not _UNSET:
        assert topic is None or isinstance(topic, Topic)
        item.topic = topic
        item.topic_weight = 0.0
    item.save()
    audit_update(actor=actor, obj=item, before=before)
    return item


@transaction.atomic
def feedback_delete(*, actor: User, item: FeedbackItem) -> None:
    permissions.require(
        can_delete_item(actor, item),
        "Only feedback entered by hand is deleted, by its author or an editor.",
    )
    audit_delete(actor=actor, obj=item)
    item.delete()


def _new_items(source: str, rows: list[tuple[int, FeedbackItem]]) -> list[FeedbackItem]:
    known = set(
        FeedbackItem.objects.filter(
            source=source, source_id__in=[source_id for source_id, _ in rows]
        ).values_list("source_id", flat=True)
    )
    return [item for source_id, item in rows if source_id not in known]


def _item(
    source: str,
    source_id: int,
    text: str,
    at: datetime,
    deal: Deal,
    contact: Contact | None = None,
    company: Company | None = None,
) -> tuple[int, FeedbackItem]:
    mood = sentiment_of(text)
    contact, company = _links(contact, deal, company)
    return source_id, FeedbackItem(
        source=source,
        source_id=source_id,
        text=text[:MAX_TEXT],
        deal=deal,
        contact=contact,
        company=company,
        sentiment=mood.label,
        sentiment_score=mood.score,
        occurred_at=at,
    )


def feedback_collect_existing() -> dict[str, int]:
    """Back-fill items from lost deals, objections and deal notes recorded so far.

    Idempotent: sources that already have their item are skipped. Returns what it created."""
    from revline.sales.models import Activity, ActivityKind, Deal, DealStatus, Objection

    counts: dict[str, int] = {}
    batches: list[tuple[str, list[tuple[int, FeedbackItem]]]] = []
    lost = Deal.objects.filter(status=DealStatus.LOST, closed_at__isnull=False).select_related(
        "close_reason", "lost_to", "contact__company", "company"
    )
    batches.append(
        (
            FeedbackSource.LOST_REASON,
            [
                _item(FeedbackSource.LOST_REASON, d.pk, text, d.closed_at, d)  # type: ignore[arg-type]
                for d in lost.iterator(chunk_size=2000)
                if (text := lost_deal_text(d))
            ],
        )
    )
    objections = (
        Objection.objects.exclude(buyer_words="")
        .select_related("deal__contact__company", "deal__company")
        .order_by("pk")
    )
    batches.append(
        (
            FeedbackSource.OBJECTION,
            [
                _item(FeedbackSource.OBJECTION, o.pk, o.buyer_words.strip(), o.raised_at, o.deal)
                for o in objections.iterator(chunk_size=2000)
                if o.buyer_words.strip()
            ],
        )
    )
    notes = (
        Activity.objects.filter(kind=ActivityKind.NOTE, deal__isnull=False)
        .select_related("deal__contact__company", "deal__company", "contact", "company")
        .order_by("pk")
    )
    batches.append(
        (
            FeedbackSource.DEAL_NOTE,
            [
                _item(
                    FeedbackSource.DEAL_NOTE,
                    a.pk,
                    text,
                    a.occurred_at,
                    a.deal,  # type: ignore[arg-type]
                    contact=a.contact,
                    company=a.company,
                )
                for a in notes.iterator(chunk_size=2000)
                if (text := deal_note_text(a))
            ],
        )
    )
    for source, rows in batches:
        fresh = _new_items(source, rows)
        FeedbackItem.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
        counts[source] = len(fresh)
    return counts


# ---- theme runs ------------------------------------------------------------------------------


def _expire_stale_runs(now: datetime) -> None:
    ThemeRun.objects.filter(status__in=IN_PROGRESS, requested_at__lt=now - STALE_AFTER).update(
        status=RunStatus.FAILED,
        finished_at=now,
        message="The run did not finish within 2 hours (was the worker stopped?).",
    )


def theme_run_in_progress() -> ThemeRun | None:
    return ThemeRun.objects.filter(status__in=IN_PROGRESS).order_by("-requested_at").first()


def _run_create(actor: User | None, now: datetime, parameters: dict[str, object]) -> ThemeRun:
    if actor is not None:
        permissions.require(can_edit_feedback(actor), EDIT_DENIED)
    _expire_stale_runs(now)
    running = theme_run_in_progress()
    if running is not None:
        raise ValidationError(
            f"Themes are already being found (requested {running.requested_at:%b %d, %H:%M} "
            "UTC); wait for that run to finish."
        )
    return ThemeRun.objects.create(
        status=RunStatus.QUEUED,
        requested_by=actor,
        requested_at=now,
        parameters={
            "k_min": themes.K_MIN,
            "k_max": themes.K_MAX,
            "min_df": themes.MIN_DF,
            "random_state": themes.RANDOM_STATE,
            **parameters,
        },
    )


def themes_request(
    *, actor: User | None, n_topics: int | None = None, now: datetime | None = None
) -> ThemeRun:
    """Queue a theme run over every item (in the background, after the commit).

    One run at a time: ValidationError while another is queued or running."""
    if n_topics is not None and not 2 <= n_topics <= 20:
        raise ValidationError({"n_topics": "Ask for 2 to 20 topics, or leave it empty."})
    now = now or timezone.now()
    with transaction.atomic():
        run = _run_create(actor, now, {"n_topics": n_topics})
        from .tasks import themes_run_task

        transaction.on_commit(lambda: themes_run_task.enqueue(run.pk))
    return run


def themes_extract_now(
    *, actor: User | None = None, n_topics: int | None = None, now: datetime | None = None
) -> ThemeRun:
    """A theme run done at once, in this process (the demo builder and the CLI)."""
    now = now or timezone.now()
    run = _run_create(actor, now, {"n_topics": n_topics})
    result = themes_run(run_id=run.pk, now=now)
    assert result is not None
    return result


def themes_refresh_if_due(now: datetime | None = None) -> ThemeRun | None:
    """Periodic job: queue a run when items arrived since the last one, at most every
    REFRESH_EVERY, and never while one is in progress."""
    now = now or timezone.now()
    _expire_stale_runs(now)
    if theme_run_in_progress() is not None:
        return None
    last = ThemeRun.objects.order_by("-requested_at").first()
    if last is not None:
        if last.requested_at > now - REFRESH_EVERY:
            return None
        newest = FeedbackItem.objects.aggregate(at=Max("created_at"))["at"]
        if newest is None or newest <= last.requested_at:
            return None
    elif FeedbackItem.objects.count() < themes.MIN_ITEMS:
        return None
    try:
        return themes_request(actor=None, now=now)
    except ValidationError:
        return None


def themes_run(*, run_id: int, now: datetime | None = None) -> ThemeRun | None:
    """Find the themes of every item for the queued run `run_id` and assign each item its topic.

    Idempotent: a run no longer queued is left alone (None). Never raises: too few items end
    REFUSED (topics kept as they were), an error FAILED. Topics that overlap a new cluster keep
    their id, and a renamed one its name; the others are replaced."""
    claimed = ThemeRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    if not claimed:
        return None
    run = ThemeRun.objects.get(pk=run_id)
    fixed = now
    rows = list(FeedbackItem.objects.order_by("pk").values_list("pk", "text"))
    run.item_count = len(rows)
    try:
        result = themes.extract(
            [text for _, text in rows],
            n_topics=run.parameters.get("n_topics"),
            k_min=run.parameters.get("k_min", themes.K_MIN),
            k_max=run.parameters.get("k_max", themes.K_MAX),
            min_df=run.parameters.get("min_df", themes.MIN_DF),
            random_state=run.parameters.get("random_state", themes.RANDOM_STATE),
        )
        with transaction.atomic():
            _apply(run, result, [pk for pk, _ in rows], fixed or timezone.now())
            run.status = RunStatus.DONE
            run.topic_count = len(result.topics)
            run.report = {
                "k": result.k,
                "silhouette": {str(k): s for k, s in result.scores.items()},
            }
            run.message = (
                f"Found {len(result.topics)} topics in {len(rows):,} items."
                if result.topics
                else "No topics found."
            )
            run.finished_at = fixed or timezone.now()
            run.save()
    except themes.TooFewItems as refused:
        run.status = RunStatus.REFUSED
        run.message = refused.message[:500]
        run.finished_at = fixed or timezone.now()
        run.save(update_fields=["status", "message", "item_count", "finished_at"])
    except Exception as exc:
        logger.exception("Theme run %s failed", run_id)
        run.status = RunStatus.FAILED
        run.message = f"Finding themes failed: {exc}"[:500]
        run.finished_at = fixed or timezone.now()
        run.save(update_fields=["status", "message", "item_count", "finished_at"])
    return run


def _apply(run: ThemeRun, result: themes.ThemeResult, ids: list[int], now: datetime) -> None:
    existing = {topic.pk: topic for topic in Topic.objects.all()}
    old_members: dict[int, set[int]] = {pk: set() for pk in existing}
    for item_id, topic_id in FeedbackItem.objects.filter(topic__isnull=False).values_list(
        "pk", "topic_id"
    ):
        old_members[topic_id].add(item_id)
    new_members = [{ids[i] for i in found.members} for found in result.topics]
    matched = themes.match_topics(old_members, new_members)
    topics: list[Topic] = []
    for index, found in enumerate(result.topics):
        topic = existing.get(matched[index]) if index in matched else None
        if topic is None:
            topic = Topic(created_at=now, name=themes.auto_name(found.terms))
        elif not topic.is_renamed:
            topic.name = themes.auto_name(found.terms)
        topic.top_terms = found.terms
        topic.run = run
        topic.save()
        topics.append(topic)
    kept = {topic.pk for topic in topics}
    Topic.objects.exclude(pk__in=kept).delete()
    updates = [
        FeedbackItem(
            pk=item_id,
            topic_id=topics[label].pk if label >= 0 else None,
            topic_weight=round(weight, 6),
        )
        for item_id, label, weight in zip(ids, result.labels, result.weights, strict=True)
    ]
    FeedbackItem.objects.bulk_update(updates, ["topic", "topic_weight"], batch_size=1000)


# ---- shaping topics by hand ------------------------------------------------------------------


def topic_rename(*, actor: User, topic: Topic, name: str) -> Topic:
    """Give a topic a person's name; later runs keep it while a cluster overlaps the topic."""
    permissions.require(can_edit_feedback(actor), EDIT_DENIED)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the topic a name."})
    if len(name) > TOPIC_NAME_MAX:
        raise ValidationError({"name": f"Keep the name under {TOPIC_NAME_MAX} characters."})
    if Topic.objects.filter(name__iexact=name).exclude(pk=topic.pk).exists():
        raise ValidationError({"name": "Another topic has that name; merge the two instead."})
    before = snapshot(topic, fields=("name", "is_renamed"))
    topic.name = name
    topic.is_renamed = True
    topic.save(update_fields=["name", "is_renamed", "updated_at"])
    audit_update(actor=actor, obj=topic, before=before)
    return topic


@transaction.atomic
def topic_merge(*, actor: User, topic: Topic, into: Topic) -> Topic:
    """Move every item of `topic` into `into` and delete `topic`; returns `into`."""
    permissions.require(can_edit_feedback(actor), EDIT_DENIED)
    if topic.pk == into.pk:
        raise ValidationError({"into": "Choose another topic to merge into."})
    before = snapshot(into, fields=("top_terms", "name"))
    FeedbackItem.objects.filter(topic=topic).update(topic=into)
    into.top_terms = themes.merged_terms(into.top_terms, topic.top_terms)
    if not into.is_renamed:
        into.name = themes.auto_name(into.top_terms)
    into.save(update_fields=["top_terms", "name", "updated_at"])
    audit_update(actor=actor, obj=into, before=before)
    audit_delete(actor=actor, obj=topic)
    topic.delete()
    return into


@transaction.atomic
def topic_split(*, actor: User, topic: Topic, now: datetime | None = None) -> Topic:
    """Re-group a topic's items into two: the larger group stays, the other becomes a new
    topic (returned). ValidationError when the items do not fall into two groups."""
    permissions.require(can_edit_feedback(actor), EDIT_DENIED)
    rows = list(topic.items.order_by("pk").values_list("pk", "text"))
    try:
        result = themes.split_in_two([text for _, text in rows])
    except themes.TooFewItems as exc:
        message = (
            "A topic needs at least 4 items to be split."
            if len(rows) < 4
            else "These items do not fall into two groups."
        )
        raise ValidationError({"topic": message}) from exc
    stay, leave = result.topics[0], result.topics[1]
    before = snapshot(topic, fields=("top_terms", "name"))
    topic.top_terms = stay.terms
    if not topic.is_renamed:
        topic.name = themes.auto_name(stay.terms)
    topic.save(update_fields=["top_terms", "name", "updated_at"])
    new = Topic.objects.create(
        name=themes.auto_name(leave.terms),
        top_terms=leave.terms,
        run=topic.run,
        created_at=now or timezone.now(),
    )
    audit_update(actor=actor, obj=topic, before=before)
    audit_create(actor=actor, obj=new)
    updates = [
        FeedbackItem(
            pk=rows[i][0],
            topic_id=new.pk if result.labels[i] == 1 else topic.pk,
            topic_weight=round(result.weights[i], 6),
        )
        for i in range(len(rows))
    ]
    FeedbackItem.objects.bulk_update(updates, ["topic", "topic_weight"], batch_size=1000)
    return new
