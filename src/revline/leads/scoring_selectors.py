"""Reads for lead scoring: the settings page and the score panels of contacts and companies."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from revline.people.models import Company, Contact

from . import scoring
from .models import EngagementRule, FitRule, ScoreChange, ScoreKind
from .selectors import lead_settings_get

HISTORY_LIMIT = 50
COMPANY_CONTACTS_LIMIT = 50


@dataclass(frozen=True)
class FitRuleRow:
    rule: FitRule
    label: str


@dataclass(frozen=True)
class EngagementRuleRow:
    rule: EngagementRule
    hits_30_days: int


def fit_rule_rows() -> list[FitRuleRow]:
    return [
        FitRuleRow(
            rule=rule,
            label=scoring.fit_rule_label(
                field=rule.field, operator=rule.operator, value=rule.value
            ),
        )
        for rule in FitRule.objects.all()
    ]


def engagement_rule_rows(*, now: datetime | None = None) -> list[EngagementRuleRow]:
    since = (now or timezone.now()) - timedelta(days=30)
    hits = dict(
        ScoreChange.objects.filter(engagement_rule__isnull=False, occurred_at__gte=since)
        .values("engagement_rule")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("engagement_rule", "n")
    )
    return [
        EngagementRuleRow(rule=rule, hits_30_days=hits.get(rule.pk, 0))
        for rule in EngagementRule.objects.select_related("campaign")
    ]


@dataclass(frozen=True)
class ScoreLine:
    change: ScoreChange
    # What the points are worth now, after decay (engagement lines only).
    worth_now: int | None

    @property
    def decayed(self) -> bool:
        return self.worth_now is not None and self.worth_now != self.change.points


@dataclass(frozen=True)
class ContactScore:
    contact: Contact
    fit: int
    engagement: int
    total: int
    half_life_days: int | None
    lines: list[ScoreLine]
    line_count: int
    sparkline: str
    sparkline_low: int
    sparkline_high: int


def contact_score(*, contact: Contact, now: datetime | None = None) -> ContactScore:
    """The contact's scores as of now (engagement decayed to this moment) and the newest
    HISTORY_LIMIT explanation lines."""
    now = now or timezone.now()
    half_life = lead_settings_get().engagement_half_life_days
    engagement = scoring.score_round(
        scoring.decayed(contact.engagement_points, contact.engagement_at, now, half_life)
    )
    changes = ScoreChange.objects.filter(contact=contact)
    line_count = changes.count()
    recent = list(changes.order_by("-occurred_at", "-pk")[:HISTORY_LIMIT])
    lines = [
        ScoreLine(
            change=change,
            worth_now=scoring.score_round(
                scoring.decayed(change.points, change.occurred_at, now, half_life)
            )
            if change.kind == ScoreKind.ENGAGEMENT
            else None,
        )
        for change in recent
    ]
    history = [float(change.score_after) for change in reversed(recent)]
    if history:
        history.append(float(contact.fit_score + engagement))
    return ContactScore(
        contact=contact,
        fit=contact.fit_score,
        engagement=engagement,
        total=contact.fit_score + engagement,
        half_life_days=half_life,
        lines=lines,
        line_count=line_count,
        sparkline=scoring.sparkline_points(history),
        sparkline_low=int(min(history)) if history else 0,
        sparkline_high=int(max(history)) if history else 0,
    )


@dataclass(frozen=True)
class CompanyScore:
    company: Company
    score: int
    best_fit: int
    engagement: int
    contacts: list[Contact]
    contact_count: int


def _members(company: Company) -> QuerySet[Contact]:
    return Contact.objects.filter(company=company)


def company_score(*, company: Company) -> CompanyScore:
    """The company's rolled-up score and the contacts behind it, most engaged first."""
    members = _members(company)
    contacts = list(
        members.order_by("-engagement_score", "-fit_score", "pk").only(
            "id", "first_name", "last_name", "email", "title", "fit_score", "engagement_score"
        )[:COMPANY_CONTACTS_LIMIT]
    )
    count = members.count()
    best_fit = max((c.fit_score for c in contacts), default=0)
    engagement = sum(c.engagement_score for c in contacts)
    if count > len(contacts):
        best_fit = members.order_by("-fit_score").values_list("fit_score", flat=True).first() or 0
        engagement = sum(members.values_list("engagement_score", flat=True))
    return CompanyScore(
        company=company,
        score=company.score,
        best_fit=best_fit,
        engagement=engagement,
        contacts=contacts,
        contact_count=count,
    )
