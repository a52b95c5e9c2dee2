"""Rule-based lead scoring: the rules (settings), the fit and engagement scores, decay, and the
company roll-up.

- Fit is the sum of the active fit rules that hold for the contact and its company. It is
  recomputed when the contact or company changes (people.services calls contact_fit_refresh /
  company_fit_refresh) and, in the background, for everyone when fit rules change.
- Engagement grows as touchpoints arrive (tracking calls touchpoints_score): each matching
  engagement rule adds its points, at most `max_per_period` times per `period_days`. Points halve
  every `engagement_half_life_days`: Contact.engagement_points holds the value as of
  Contact.engagement_at; the stored engagement_score is its rounded value at the last change, and
  engagement_decay_refresh (hourly) brings it down as time passes.
- Every change writes ScoreChange rows, which explain the score ("+15 visited /pricing").
  ScoreChange.score_after is the contact's total score (fit + engagement) after the change.
- Company.score = the best fit among its contacts + the sum of their engagement scores.

A rule that cannot be evaluated is logged and skipped: it never stops the scoring of others.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Expression, IntegerField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.models import User
from revline.people.models import Company, Contact
from revline.tracking.models import Touchpoint, TouchpointKind

from . import scoring
from .models import EngagementRule, FitRule, ScoreChange, ScoreKind
from .selectors import lead_settings_get

logger = logging.getLogger(__name__)

SETTINGS_DENIED = "Only admins and marketers can change lead scoring."
# Hooks on the busy public endpoints read the rules from process memory; other processes see a
# change this late (the process that saved it, at once).
RULES_TTL = 5.0
CHUNK = 500


def can_configure_scoring(user: User) -> bool:
    return permissions.can_manage_marketing(user)


# --- The active rules, remembered per process ----------------------------------------------------


@dataclass(frozen=True)
class ScoringRules:
    fit: tuple[scoring.FitRuleSpec, ...]
    engagement: tuple[scoring.EngagementRuleSpec, ...]
    half_life_days: int | None

    @property
    def engagement_kinds(self) -> frozenset[str]:
        return frozenset(rule.kind for rule in self.engagement)


def scoring_rules_load() -> ScoringRules:
    """The active rules and the half-life, read from the database now."""
    fit = tuple(
        scoring.FitRuleSpec.build(
            id=rule.pk,
            field=rule.field,
            operator=rule.operator,
            value=rule.value,
            points=rule.points,
        )
        for rule in FitRule.objects.filter(is_active=True)
    )
    engagement = tuple(
        scoring.EngagementRuleSpec.build(
            id=rule.pk,
            name=rule.name,
            kind=rule.touchpoint_kind,
            url_pattern=rule.url_pattern,
            campaign_id=rule.campaign_id,
            points=rule.points,
            max_per_period=rule.max_per_period,
            period_days=rule.period_days,
        )
        for rule in EngagementRule.objects.filter(is_active=True)
    )
    return ScoringRules(
        fit=fit, engagement=engagement, half_life_days=lead_settings_get().engagement_half_life_days
    )


class _RulesMemo:
    value: ScoringRules | None = None
    expires: float = 0.0


def scoring_rules() -> ScoringRules:
    """The active rules from this process's memory, read again every RULES_TTL seconds."""
    now = time.monotonic()
    if _RulesMemo.value is None or _RulesMemo.expires <= now:
        _RulesMemo.value = scoring_rules_load()
        _RulesMemo.expires = now + RULES_TTL
    return _RulesMemo.value


def scoring_rules_clear() -> None:
    _RulesMemo.value = None


# --- Settings: rules and the half-life -----------------------------------------------------------


def _raise_errors(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def _rules_changed(*, refit: bool) -> None:
    scoring_rules_clear()
    transaction.on_commit(scoring_rules_clear)
    if refit:
        transaction.on_commit(lambda: fit_scores_recompute_task.enqueue())


def _next_position(model: type[FitRule] | type[EngagementRule]) -> int:
    return (model.objects.aggregate(top=Max("position"))["top"] or 0) + 1


@transaction.atomic
def fit_rule_create(
    *, actor: User, field: str, operator: str, value: str, points: int, is_active: bool = True
) -> FitRule:
    """Add a fit rule (refused with field errors when malformed); all fit scores are then
    recomputed in the background."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    value = "" if operator in scoring.OPERATORS_WITHOUT_VALUE else value.strip()
    _raise_errors(
        scoring.fit_rule_errors(field=field, operator=operator, value=value, points=points)
    )
    rule = FitRule.objects.create(
        field=field,
        operator=operator,
        value=value,
        points=points,
        is_active=is_active,
        position=_next_position(FitRule),
    )
    _rules_changed(refit=True)
    return rule


@transaction.atomic
def fit_rule_update(
    *,
    actor: User,
    rule: FitRule,
    field: str,
    operator: str,
    value: str,
    points: int,
    is_active: bool = True,
) -> FitRule:
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    value = "" if operator in scoring.OPERATORS_WITHOUT_VALUE else value.strip()
    _raise_errors(
        scoring.fit_rule_errors(field=field, operator=operator, value=value, points=points)
    )
    rule.field, rule.operator, rule.value = field, operator, value
    rule.points, rule.is_active = points, is_active
    rule.save(update_fields=["field", "operator", "value", "points", "is_active"])
    _rules_changed(refit=True)
    return rule


@transaction.atomic
def fit_rule_delete(*, actor: User, rule: FitRule) -> None:
    """Delete the rule; the points it gave are taken back in the background recompute."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    rule.delete()
    _rules_changed(refit=True)


def _move(rules: "list[FitRule] | list[EngagementRule]", pk: int, *, up: bool) -> None:
    """Swap the rule with its neighbour in `rules` (locked, in order); positions become 1..n."""
    items: list[FitRule | EngagementRule] = list(rules)
    index = next((i for i, r in enumerate(items) if r.pk == pk), None)
    if index is None:
        return
    target = index - 1 if up else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


@transaction.atomic
def fit_rule_move(*, actor: User, rule: FitRule, up: bool) -> None:
    """Swap the rule with its neighbour; the order is for people only, scores do not change."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    _move(list(FitRule.objects.select_for_update().order_by("position", "pk")), rule.pk, up=up)


def _engagement_errors(
    *,
    name: str,
    touchpoint_kind: str,
    url_pattern: str,
    points: int,
    max_per_period: int | None,
    period_days: int | None,
) -> None:
    _raise_errors(
        scoring.engagement_rule_errors(
            name=name,
            touchpoint_kind=touchpoint_kind,
            kinds=TouchpointKind.values,
            url_pattern=url_pattern,
            points=points,
            max_per_period=max_per_period,
            period_days=period_days,
        )
    )


@transaction.atomic
def engagement_rule_create(
    *,
    actor: User,
    name: str,
    touchpoint_kind: str,
    points: int,
    url_pattern: str = "",
    campaign: Campaign | None = None,
    max_per_period: int | None = None,
    period_days: int = 1,
    is_active: bool = True,
) -> EngagementRule:
    """Add an engagement rule (refused with field errors when malformed). It scores touches that
    arrive from now on; past touches are not re-scored."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    url_pattern = url_pattern.strip()
    _engagement_errors(
        name=name,
        touchpoint_kind=touchpoint_kind,
        url_pattern=url_pattern,
        points=points,
        max_per_period=max_per_period,
        period_days=period_days,
    )
    rule = EngagementRule.objects.create(
        name=name.strip(),
        touchpoint_kind=touchpoint_kind,
        url_pattern=url_pattern,
        campaign=campaign,
        points=points,
        max_per_period=max_per_period,
        period_days=period_days,
        is_active=is_active,
        position=_next_position(EngagementRule),
    )
    _rules_changed(refit=False)
    return rule


@transaction.atomic
def engagement_rule_update(
    *,
    actor: User,
    rule: EngagementRule,
    name: str,
    touchpoint_kind: str,
    points: int,
    url_pattern: str = "",
    campaign: Campaign | None = None,
    max_per_period: int | None = None,
    period_days: int = 1,
    is_active: bool = True,
) -> EngagementRule:
    """Change the rule for touches from now on; points already given stay (they are history)."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    url_pattern = url_pattern.strip()
    _engagement_errors(
        name=name,
        touchpoint_kind=touchpoint_kind,
        url_pattern=url_pattern,
        points=points,
        max_per_period=max_per_period,
        period_days=period_days,
    )
    rule.name, rule.touchpoint_kind, rule.url_pattern = name.strip(), touchpoint_kind, url_pattern
    rule.campaign, rule.points, rule.is_active = campaign, points, is_active
    rule.max_per_period, rule.period_days = max_per_period, period_days
    rule.save()
    _rules_changed(refit=False)
    return rule


@transaction.atomic
def engagement_rule_delete(*, actor: User, rule: EngagementRule) -> None:
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    rule.delete()
    _rules_changed(refit=False)


@transaction.atomic
def engagement_rule_move(*, actor: User, rule: EngagementRule, up: bool) -> None:
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    _move(
        list(EngagementRule.objects.select_for_update().order_by("position", "pk")), rule.pk, up=up
    )


@transaction.atomic
def scoring_settings_update(*, actor: User, engagement_half_life_days: int | None) -> None:
    """Set the engagement half-life (None: no decay); stored scores follow in the background."""
    permissions.require(can_configure_scoring(actor), SETTINGS_DENIED)
    if message := scoring.half_life_error(engagement_half_life_days):
        raise ValidationError({"engagement_half_life_days": [message]})
    settings = lead_settings_get()
    settings.engagement_half_life_days = engagement_half_life_days
    settings.save(update_fields=["engagement_half_life_days", "updated_at"])
    _rules_changed(refit=False)
    transaction.on_commit(lambda: engagement_decay_refresh_task.enqueue())


# --- After a change: sequences, qualification, the company -------------------------------------


@dataclass(frozen=True)
class _Changed:
    contact: Contact
    old_score: int
    new_score: int


def _after_changes(
    changed: Sequence[_Changed], *, now: datetime, company_ids: Iterable[int | None]
) -> None:
    # Imported here: both modules import people and leads code that imports this module.
    from revline.email.sequence_services import sequences_on_score_changed

    from .qualification_services import contact_check_mql

    for item in changed:
        sequences_on_score_changed(
            contact=item.contact, old_score=item.old_score, new_score=item.new_score, now=now
        )
        contact_check_mql(contact=item.contact, now=now)
    companies_score_refresh(company_ids=company_ids)


def companies_score_refresh(*, company_ids: Iterable[int | None]) -> None:
    """Company.score = the best fit among its contacts + the sum of their engagement scores."""
    ids = {pk for pk in company_ids if pk}
    if not ids:
        return
    Company.objects.filter(pk__in=ids).update(score=_company_score_expression())


def companies_score_refresh_all() -> int:
    return Company.objects.update(score=_company_score_expression())


def _company_score_expression() -> Expression:
    members = Contact.objects.filter(company_id=OuterRef("pk")).order_by().values("company_id")
    best_fit = Subquery(members.annotate(best=Max("fit_score")).values("best")[:1])
    engagement = Subquery(members.annotate(total=Sum("engagement_score")).values("total")[:1])
    zero = Value(0, output_field=IntegerField())
    return Coalesce(best_fit, zero) + Coalesce(engagement, zero)


# --- Fit -------------------------------------------------------------------------------------------


def _fit_values(contact: Contact) -> dict[str, str]:
    company = contact.company
    return scoring.fit_values(
        title=contact.title,
        country=contact.country,
        source=contact.source,
        email=contact.email,
        company_industry=company.industry if company else "",
        company_size=company.size if company else "",
        company_country=company.country if company else "",
    )


def _fit_reason(label: str, *, have: int, target: int) -> str:
    delta = target - have
    if have == 0:
        return f"{label} ({scoring.signed(delta)})"[:300]
    if target == 0:
        return f"{label} no longer holds ({scoring.signed(delta)})"[:300]
    return f"{label} is now worth {scoring.signed(target)} ({scoring.signed(delta)})"[:300]


def _fit_apply(
    contacts: Sequence[Contact], *, rules: ScoringRules, now: datetime
) -> list[_Changed]:
    """Bring the contacts' fit scores in line with the rules, one ScoreChange per rule whose
    contribution changed. `contacts` come with their company loaded."""
    if not contacts:
        return []
    ids = [c.pk for c in contacts]
    counted: dict[int, dict[int | None, int]] = defaultdict(dict)
    for row in (
        ScoreChange.objects.filter(contact_id__in=ids, kind=ScoreKind.FIT)
        .values("contact_id", "fit_rule_id")
        .annotate(net=Sum("points"))
        .order_by()
    ):
        if row["net"]:
            counted[row["contact_id"]][row["fit_rule_id"]] = row["net"]
    labels = {
        rule.id: scoring.fit_rule_label(field=rule.field, operator=rule.operator, value=rule.value)
        for rule in rules.fit
    }
    missing = {rid for held in counted.values() for rid in held if rid and rid not in labels}
    for stored in FitRule.objects.filter(pk__in=missing):
        labels[stored.pk] = scoring.fit_rule_label(
            field=stored.field, operator=stored.operator, value=stored.value
        )
    changes: list[ScoreChange] = []
    changed: list[_Changed] = []
    for contact in contacts:
        have_all = counted.get(contact.pk, {})
        values = _fit_values(contact)
        target_all: dict[int | None, int] = {}
        for rule in rules.fit:
            try:
                holds = scoring.fit_rule_matches(rule, values)
            except Exception:
                # A broken rule keeps what it gave before; the other rules still count.
                logger.exception("Fit rule %s failed for contact %s; skipped", rule.id, contact.pk)
                if rule.id in have_all:
                    target_all[rule.id] = have_all[rule.id]
                continue
            if holds:
                target_all[rule.id] = rule.points
        fit = sum(target_all.values())
        total = fit + contact.engagement_score
        for rule_id in sorted(set(have_all) | set(target_all), key=lambda r: (r is None, r or 0)):
            have, target = have_all.get(rule_id, 0), target_all.get(rule_id, 0)
            if have == target:
                continue
            label = labels.get(rule_id) if rule_id else None
            reason = (
                _fit_reason(label, have=have, target=target)
                if label
                else f"A removed fit rule no longer counts ({scoring.signed(target - have)})"
            )
            changes.append(
                ScoreChange(
                    contact=contact,
                    kind=ScoreKind.FIT,
                    points=target - have,
                    reason=reason,
                    fit_rule_id=rule_id,
                    occurred_at=now,
                    score_after=total,
                )
            )
        if fit != contact.fit_score:
            old = contact.fit_score + contact.engagement_score
            contact.fit_score = fit
            changed.append(_Changed(contact=contact, old_score=old, new_score=total))
    ScoreChange.objects.bulk_create(changes, batch_size=CHUNK)
    Contact.objects.bulk_update([c.contact for c in changed], ["fit_score"], batch_size=CHUNK)
    return changed


@transaction.atomic
def contact_fit_refresh(
    *, contact: Contact, now: datetime | None = None, previous_company_id: int | None = None
) -> int:
    """Recompute the contact's fit score (explained by ScoreChange rows) and its company's score;
    returns the fit score. Cheap when there are no fit rules and nothing to take back."""
    rules = scoring_rules()
    now = now or timezone.now()
    companies = {contact.company_id, previous_company_id}
    if not rules.fit and contact.fit_score == 0:
        if previous_company_id != contact.company_id:
            companies_score_refresh(company_ids=companies)
        return 0
    changed = _fit_apply([contact], rules=rules, now=now)
    moved = previous_company_id != contact.company_id
    _after_changes(changed, now=now, company_ids=companies if changed or moved else ())
    return contact.fit_score


def _contacts_fit_refresh(queryset: "Iterable[int]", *, rules: ScoringRules, now: datetime) -> int:
    ids = list(queryset)
    count = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            contacts = list(
                Contact.objects.select_related("company").filter(pk__in=ids[start : start + CHUNK])
            )
            changed = _fit_apply(contacts, rules=rules, now=now)
            _after_changes(changed, now=now, company_ids={c.company_id for c in contacts})
        count += len(changed)
    return count


def company_fit_refresh(*, company: Company, now: datetime | None = None) -> int:
    """Recompute the fit of the company's contacts (its industry, size or country changed)."""
    rules = scoring_rules()
    ids = Contact.objects.filter(company=company).values_list("pk", flat=True)
    if not rules.fit and not Contact.objects.filter(company=company).exclude(fit_score=0).exists():
        return 0
    return _contacts_fit_refresh(ids, rules=rules, now=now or timezone.now())


def fit_scores_recompute_all(*, now: datetime | None = None) -> int:
    """Recompute every contact's fit score with the rules as stored now, in chunks; returns how
    many changed. Idempotent: a second run changes nothing."""
    rules = scoring_rules_load()
    ids = Contact.objects.order_by("pk").values_list("pk", flat=True)
    return _contacts_fit_refresh(ids, rules=rules, now=now or timezone.now())


@task()
def fit_scores_recompute_task() -> None:
    fit_scores_recompute_all()


def fit_scores_recompute_later() -> None:
    """Queue a recompute of every fit score after commit, when any fit rule is active: for
    contacts written in bulk past the scoring hooks (imports)."""
    if FitRule.objects.filter(is_active=True).exists():
        transaction.on_commit(lambda: fit_scores_recompute_task.enqueue())


# --- Engagement ------------------------------------------------------------------------------------


@dataclass
class _State:
    points: float
    at: datetime | None


@dataclass(frozen=True)
class _Hit:
    touchpoint: Touchpoint
    rule: scoring.EngagementRuleSpec


def _hits(touchpoints: Sequence[Touchpoint], rules: ScoringRules) -> list[_Hit]:
    hits = []
    for touchpoint in touchpoints:
        for rule in rules.engagement:
            try:
                matches = scoring.engagement_rule_matches(
                    rule,
                    kind=touchpoint.kind,
                    url=touchpoint.url,
                    campaign_id=touchpoint.campaign_id,
                )
            except Exception:
                logger.exception(
                    "Engagement rule %s failed for touchpoint %s; skipped", rule.id, touchpoint.pk
                )
                continue
            if matches:
                hits.append(_Hit(touchpoint=touchpoint, rule=rule))
    return hits


def _recent_hits(
    hits: Sequence[_Hit], contact_ids: Iterable[int]
) -> dict[tuple[int, int], list[datetime]]:
    """(contact, rule) → times that rule already scored for the contact, for the period limits."""
    limited = {hit.rule.id: hit.rule.period_days for hit in hits if hit.rule.max_per_period}
    if not limited:
        return {}
    since = min(hit.touchpoint.occurred_at for hit in hits) - timedelta(days=max(limited.values()))
    found: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for contact_id, rule_id, at in ScoreChange.objects.filter(
        contact_id__in=list(contact_ids),
        engagement_rule_id__in=list(limited),
        occurred_at__gte=since,
    ).values_list("contact_id", "engagement_rule_id", "occurred_at"):
        found[(contact_id, rule_id)].append(at)
    return found


def _apply_hits(
    hits: Sequence[_Hit],
    *,
    states: dict[int, _State],
    fits: dict[int, int],
    recent: dict[tuple[int, int], list[datetime]],
    half_life_days: int | None,
) -> list[ScoreChange]:
    """Add the hits (in time order) to the states, within the period limits; the explanations."""
    changes = []
    for hit in sorted(hits, key=lambda h: (h.touchpoint.occurred_at, h.touchpoint.pk, h.rule.id)):
        touchpoint, rule = hit.touchpoint, hit.rule
        contact_id = touchpoint.contact_id
        assert contact_id is not None
        at = touchpoint.occurred_at
        if rule.max_per_period:
            times = recent.setdefault((contact_id, rule.id), [])
            start = at - timedelta(days=rule.period_days)
            in_period = sum(1 for t in times if start < t <= at)
            if not scoring.within_limit(
                hits_in_period=in_period, max_per_period=rule.max_per_period
            ):
                continue
            times.append(at)
        state = states[contact_id]
        state.points, state.at = scoring.engagement_add(
            points=state.points,
            at=state.at,
            added=rule.points,
            added_at=at,
            half_life_days=half_life_days,
        )
        worth = scoring.score_round(scoring.decayed(state.points, state.at, at, half_life_days))
        changes.append(
            ScoreChange(
                contact_id=contact_id,
                kind=ScoreKind.ENGAGEMENT,
                points=rule.points,
                reason=scoring.engagement_reason(
                    points=rule.points,
                    kind=touchpoint.kind,
                    url=touchpoint.url,
                    params=touchpoint.params if isinstance(touchpoint.params, dict) else {},
                ),
                engagement_rule_id=rule.id,
                touchpoint_id=touchpoint.pk,
                occurred_at=at,
                score_after=fits[contact_id] + worth,
            )
        )
    return changes


_TOUCH_FIELDS = ("id", "kind", "occurred_at", "contact_id", "campaign_id", "url", "params")


def touchpoints_score(
    *,
    touchpoints: Sequence[Touchpoint] = (),
    touchpoint_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> int:
    """Score touchpoints that now have a contact: every matching engagement rule adds its points
    (within its period limit, with decay). Returns how many rule hits were scored.

    Idempotent: a touchpoint already scored is skipped. No query at all when no active rule is
    about the kinds of touch given (the rules come from process memory)."""
    rules = scoring_rules()
    if not rules.engagement:
        return 0
    kinds = rules.engagement_kinds
    touches = [t for t in touchpoints if t.contact_id is not None and t.kind in kinds]
    if touchpoint_ids:
        touches.extend(
            Touchpoint.objects.filter(
                pk__in=list(touchpoint_ids), contact__isnull=False, kind__in=kinds
            ).only(*_TOUCH_FIELDS)
        )
    if not touches:
        return 0
    hits = _hits(touches, rules)
    if not hits:
        return 0
    with transaction.atomic():
        scored = set(
            ScoreChange.objects.filter(
                touchpoint_id__in={hit.touchpoint.pk for hit in hits}
            ).values_list("touchpoint_id", flat=True)
        )
        hits = [hit for hit in hits if hit.touchpoint.pk not in scored]
        if not hits:
            return 0
        contact_ids = {
            hit.touchpoint.contact_id for hit in hits if hit.touchpoint.contact_id is not None
        }
        contacts = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=contact_ids)}
        hits = [hit for hit in hits if hit.touchpoint.contact_id in contacts]
        states = {
            pk: _State(points=c.engagement_points, at=c.engagement_at) for pk, c in contacts.items()
        }
        changes = _apply_hits(
            hits,
            states=states,
            fits={pk: c.fit_score for pk, c in contacts.items()},
            recent=_recent_hits(hits, contacts),
            half_life_days=rules.half_life_days,
        )
        if not changes:
            return 0
        ScoreChange.objects.bulk_create(changes)
        now = now or timezone.now()
        changed = []
        for pk in {change.contact_id for change in changes}:
            contact, state = contacts[pk], states[pk]
            old = contact.fit_score + contact.engagement_score
            contact.engagement_points, contact.engagement_at = state.points, state.at
            contact.engagement_score = scoring.score_round(
                scoring.decayed(state.points, state.at, now, rules.half_life_days)
            )
            changed.append(
                _Changed(
                    contact=contact,
                    old_score=old,
                    new_score=contact.fit_score + contact.engagement_score,
                )
            )
        Contact.objects.bulk_update(
            [item.contact for item in changed],
            ["engagement_points", "engagement_at", "engagement_score"],
        )
        _after_changes(changed, now=now, company_ids={c.company_id for c in contacts.values()})
    return len(changes)


def kinds_scored() -> frozenset[str]:
    """The touch kinds some active engagement rule is about (from process memory)."""
    return scoring_rules().engagement_kinds


def engagement_decay_refresh(now: datetime | None = None) -> int:
    """Bring the stored engagement scores down to their decayed value now (a bulk update of the
    contacts whose rounded value changed, and their companies). Points are not recomputed and no
    ScoreChange is written: decay is explained on each line ("now worth 9"). Returns how many
    contacts changed. Decay only lowers scores, so it neither qualifies nor enrols anyone."""
    now = now or timezone.now()
    half_life = lead_settings_get().engagement_half_life_days
    rows = (
        Contact.objects.filter(engagement_at__isnull=False)
        .exclude(engagement_score=0, engagement_points__lt=0.5, engagement_points__gt=-0.5)
        .order_by("pk")
        .values_list("pk", "engagement_points", "engagement_at", "engagement_score", "company_id")
    )
    updates: list[Contact] = []
    companies: set[int] = set()
    for pk, points, at, stored, company_id in rows.iterator(chunk_size=2000):
        value = scoring.score_round(scoring.decayed(points, at, now, half_life))
        if value != stored:
            updates.append(Contact(pk=pk, engagement_score=value))
            if company_id:
                companies.add(company_id)
    with transaction.atomic():
        Contact.objects.bulk_update(updates, ["engagement_score"], batch_size=CHUNK)
        company_list = sorted(companies)
        for start in range(0, len(company_list), CHUNK):
            companies_score_refresh(company_ids=company_list[start : start + CHUNK])
    return len(updates)


@task()
def engagement_decay_refresh_task() -> None:
    engagement_decay_refresh()


# --- Rebuild (the demo, or after an import of history) --------------------------------------------


def _quoted(model: type[Contact] | type[ScoreChange], *names: str) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    columns = []
    for name in names:
        column = model._meta.get_field(name).column  # type: ignore[union-attr]
        columns.append(quote(column or name))
    return quote(model._meta.db_table), columns


def _insert_changes(changes: Sequence[ScoreChange]) -> None:
    """Plain multi-row inserts: the ORM's bulk_create spent most of a demo rescore preparing
    values one by one."""
    names = ("contact", "kind", "points", "reason", "engagement_rule", "touchpoint",
             "occurred_at", "score_after")  # fmt: skip
    table, columns = _quoted(ScoreChange, *names)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (
            c.contact_id,
            c.kind,
            c.points,
            c.reason,
            c.engagement_rule_id,
            c.touchpoint_id,
            adapt(c.occurred_at),
            c.score_after,
        )
        for c in changes
    ]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 (names from _meta)
    per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 100):
            chunk = rows[start : start + 100]
            cursor.execute(sql + ", ".join([per_row] * len(chunk)), [v for r in chunk for v in r])


def contacts_rescore_all(*, now: datetime | None = None) -> int:
    """Rebuild every score from scratch (the explanations too): fit from the rules, engagement
    by replaying all touchpoints with a contact in time order. Bulk and without hooks (no sequences or
    qualification run): meant for a fresh workspace such as the demo. Returns the rule hits."""
    now = now or timezone.now()
    rules = scoring_rules_load()
    with transaction.atomic():
        ScoreChange.objects.all().delete()
        Contact.objects.update(
            fit_score=0, engagement_points=0, engagement_at=None, engagement_score=0
        )
        batch: list[Contact] = []
        for contact in Contact.objects.select_related("company").order_by("pk").iterator(CHUNK):
            batch.append(contact)
            if len(batch) == CHUNK:
                _fit_apply(batch, rules=rules, now=now)
                batch = []
        _fit_apply(batch, rules=rules, now=now)
        hits_total = 0
        if rules.engagement:
            fits = dict(Contact.objects.values_list("pk", "fit_score"))
            states = {pk: _State(points=0.0, at=None) for pk in fits}
            touches = (
                Touchpoint.objects.filter(contact__isnull=False, kind__in=rules.engagement_kinds)
                .order_by("occurred_at", "pk")
                .only(*_TOUCH_FIELDS)
            )
            hits = _hits(list(touches.iterator(chunk_size=5000)), rules)
            changes = _apply_hits(
                hits, states=states, fits=fits, recent={}, half_life_days=rules.half_life_days
            )
            _insert_changes(changes)
            hits_total = len(changes)
            adapt = connection.ops.adapt_datetimefield_value
            rows = [
                (
                    state.points,
                    adapt(state.at),
                    scoring.score_round(
                        scoring.decayed(state.points, state.at, now, rules.half_life_days)
                    ),
                    pk,
                )
                for pk, state in states.items()
                if state.at is not None
            ]
            table, (points, at, score, pk) = _quoted(
                Contact, "engagement_points", "engagement_at", "engagement_score", "id"
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {points} = %s, {at} = %s, {score} = %s "  # noqa: S608
                    f"WHERE {pk} = %s",
                    rows,
                )
        companies_score_refresh_all()
    return hits_total
