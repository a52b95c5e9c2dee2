"""Demo lead scoring: a sensible set of fit and engagement rules, and every demo contact scored
from its existing touchpoints (replayed in time order, in bulk).

Run after the contacts and touchpoints exist; the routing/qualification demo may run after it to
turn high scores into MQLs (this builder runs no qualification hooks).
"""

import random
from datetime import datetime

from revline.leads import scoring
from revline.leads.models import EngagementRule, FitRule
from revline.leads.scoring_services import contacts_rescore_all, scoring_rules_clear
from revline.leads.selectors import lead_settings_get
from revline.tracking.models import TouchpointKind

HALF_LIFE_DAYS = 30

# (field, operator, value, points)
FIT_RULES = (
    ("contact.title", "matches", r"\b(chief|ceo|coo|cro|cmo)\b", 20),
    ("contact.title", "matches", r"\b(vp|vice president|head of)\b", 15),
    ("contact.title", "contains", "Director", 10),
    ("company.industry", "in_list", "Software, Financial services, Logistics", 10),
    ("company.size", "in_list", "201-1000, 1001-5000, 5001+", 15),
    ("company.size", "equals", "1-10", -10),
    ("company.country", "in_list", "DE, GB, NL, FR, US", 5),
    ("contact.title", "matches", r"\b(intern|student)\b", -20),
)

# (name, kind, url pattern, points, at most, per days)
ENGAGEMENT_RULES = (
    ("Pricing page", TouchpointKind.PAGE_VIEW, "/pricing", 10, 3, 7),
    ("Demo page", TouchpointKind.PAGE_VIEW, "/lp/book-a-demo", 15, 2, 7),
    ("Any page view", TouchpointKind.PAGE_VIEW, "", 1, 5, 1),
    ("Ad or link click", TouchpointKind.CLICK, "", 2, 3, 1),
    ("CTA click", TouchpointKind.CTA_CLICK, "", 5, 3, 1),
    ("Form submission", TouchpointKind.FORM_SUBMISSION, "", 20, 2, 30),
    ("Email open", TouchpointKind.EMAIL_OPEN, "", 1, 3, 7),
    ("Email click", TouchpointKind.EMAIL_CLICK, "", 5, 3, 7),
    ("Event attendance", TouchpointKind.EVENT_ATTENDANCE, "", 20, None, 1),
    ("Meeting booked", TouchpointKind.MEETING_BOOKED, "", 30, None, 1),
)


def build_scoring(*, rng: random.Random, now: datetime) -> None:
    """Create the demo's scoring rules (replacing any) and score every contact as of `now`."""
    del rng  # the rules are fixed and the replay is deterministic
    for field, operator, value, points in FIT_RULES:
        errors = scoring.fit_rule_errors(field=field, operator=operator, value=value, points=points)
        assert not errors, errors
    FitRule.objects.all().delete()
    EngagementRule.objects.all().delete()
    FitRule.objects.bulk_create(
        FitRule(field=field, operator=operator, value=value, points=points, position=position)
        for position, (field, operator, value, points) in enumerate(FIT_RULES, start=1)
    )
    EngagementRule.objects.bulk_create(
        EngagementRule(
            name=name,
            touchpoint_kind=kind,
            url_pattern=pattern,
            points=points,
            max_per_period=limit,
            period_days=days,
            position=position,
        )
        for position, (name, kind, pattern, points, limit, days) in enumerate(
            ENGAGEMENT_RULES, start=1
        )
    )
    settings = lead_settings_get()
    settings.engagement_half_life_days = HALF_LIFE_DAYS
    settings.save(update_fields=["engagement_half_life_days", "updated_at"])
    scoring_rules_clear()
    contacts_rescore_all(now=now)
