"""Record-level visibility: which contacts, companies, deals and activities a user may see.

Beside the role rules (core.permissions), the workspace says per object type whether sales reps
and managers see all records, their team's or their own (Workspace.<type>_visibility):

- "all":  every record.
- "team": records the user owns, records owned by a member of the user's team, unowned records.
- "own":  records the user owns and unowned records.

A record's team is its owner's team. Activities have no owner field: their owner is the person
they are assigned to, else whoever logged them; an activity about a record the user may not see
(its deal, else its contact, else its company) stays hidden too. Admins and marketers always see every record (marketing works on whole audiences).

Every read of these records goes through the `visible_<type>(queryset, user)` functions or the
`<type>_q(user, prefix=...)` conditions (for records reached through a relation). Kept free of
imports beyond core so that any app's selectors can use it without import cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeVar

from django.db.models import BooleanField, Case, Model, Q, QuerySet, Value, When

from .models import RecordVisibility, Role, User

if TYPE_CHECKING:
    from revline.people.models import Company, Contact
    from revline.sales.models import Activity, Deal

ObjectType = Literal["contact", "company", "deal", "activity"]
OBJECT_TYPES: tuple[ObjectType, ...] = ("contact", "company", "deal", "activity")
SETTING_FIELDS: dict[ObjectType, str] = {t: f"{t}_visibility" for t in OBJECT_TYPES}
# Only these roles are narrowed by the workspace setting; see the module docstring.
RESTRICTED_ROLES = {Role.SALES_REP, Role.SALES_MANAGER}

M = TypeVar("M", bound=Model)


def scope_for(user: User, object_type: ObjectType) -> str:
    """The RecordVisibility value that applies to `user` for `object_type`."""
    from .permissions import is_admin  # permissions asks this module about deals

    if is_admin(user) or user.role not in RESTRICTED_ROLES:
        return RecordVisibility.ALL
    from .workspace import workspace_get

    return str(getattr(workspace_get(), SETTING_FIELDS[object_type]))


def owner_q(user: User, scope: str, owner: str = "owner") -> Q:
    """Records whose owner (the relation path `owner`) lets `user` see them under `scope`."""
    if scope == RecordVisibility.ALL:
        return Q()
    visible = Q(**{f"{owner}__isnull": True}) | Q(**{f"{owner}_id": user.pk})
    if scope == RecordVisibility.TEAM and user.team_id is not None:
        visible |= Q(**{f"{owner}__team_id": user.team_id})
    return visible


def owner_allows(user: User, scope: str, owner: User | None) -> bool:
    """The same rule as owner_q for one record in memory."""
    if scope == RecordVisibility.ALL or owner is None or owner.pk == user.pk:
        return True
    return (
        scope == RecordVisibility.TEAM
        and user.team_id is not None
        and (owner.team_id == user.team_id)
    )


def users_q(user: User, object_type: ObjectType, prefix: str = "") -> Q:
    """Users (at relation path `prefix`, e.g. "user__") whose records of `object_type` `user`
    may see: for filters offering owners and for per-person figures such as quotas."""
    scope = scope_for(user, object_type)
    if scope == RecordVisibility.ALL:
        return Q()
    mine = Q(**{f"{prefix}pk": user.pk})
    if scope == RecordVisibility.TEAM and user.team_id is not None:
        mine |= Q(**{f"{prefix}team_id": user.team_id})
    return mine


def visible_owner_ids(user: User, object_type: ObjectType) -> frozenset[int] | None:
    """Ids of the people whose records of `object_type` `user` may see, or None for everyone's
    (unowned records are visible anyway): one query, for checking many records in memory."""
    condition = users_q(user, object_type)
    if not condition:
        return None
    return frozenset(User.objects.filter(condition).values_list("pk", flat=True))


# --- Conditions, for records reached through a relation ("contact__", "deal__company__", ...) ---


def contact_q(user: User, prefix: str = "") -> Q:
    return owner_q(user, scope_for(user, "contact"), f"{prefix}owner")


def company_q(user: User, prefix: str = "") -> Q:
    return owner_q(user, scope_for(user, "company"), f"{prefix}owner")


def deal_q(user: User, prefix: str = "") -> Q:
    return owner_q(user, scope_for(user, "deal"), f"{prefix}owner")


def activity_q(user: User, prefix: str = "") -> Q:
    """Activities `user` may see: by their owner (assignee, else author) and by what they are
    about (their deal, else their contact, else their company)."""
    condition = Q()
    scope = scope_for(user, "activity")
    if scope != RecordVisibility.ALL:
        assigned = Q(**{f"{prefix}assigned_to__isnull": False}) & owner_q(
            user, scope, f"{prefix}assigned_to"
        )
        authored = Q(**{f"{prefix}assigned_to__isnull": True}) & owner_q(
            user, scope, f"{prefix}created_by"
        )
        condition &= assigned | authored
    deals = deal_q(user, f"{prefix}deal__")
    # Never OR an empty Q: Q(a) | Q() is Q(a), not "everything".
    if deals:
        condition &= Q(**{f"{prefix}deal__isnull": True}) | deals
    contacts = contact_q(user, f"{prefix}contact__")
    companies = company_q(user, f"{prefix}company__")
    if contacts or companies:
        # What the activity is about: its deal (checked above), else its contact, else its
        # company. A deal's activities name its contact too and stay with the visible deal.
        no_contact = Q(**{f"{prefix}contact__isnull": True})
        no_company = Q(**{f"{prefix}company__isnull": True})
        condition &= (
            Q(**{f"{prefix}deal__isnull": False})
            | (~no_contact & contacts)
            | (no_contact & no_company)
            | (no_contact & ~no_company & companies)
        )
    return condition


def deal_or_contact_q(user: User, prefix: str = "") -> Q:
    """Records about a deal or else a contact (orders, booked meetings) that `user` may see: those
    whose deal they may see, or without a deal, whose contact they may see."""
    deals = deal_q(user, f"{prefix}deal__")
    contacts = contact_q(user, f"{prefix}contact__")
    if not deals and not contacts:
        return Q()
    return (Q(**{f"{prefix}deal__isnull": False}) & deals) | (
        Q(**{f"{prefix}deal__isnull": True}) & contacts
    )


# --- Querysets ---------------------------------------------------------------------------------


def visible_contacts(contacts: QuerySet[Contact], user: User) -> QuerySet[Contact]:
    condition = contact_q(user)
    return contacts.filter(condition) if condition else contacts


def visible_companies(companies: QuerySet[Company], user: User) -> QuerySet[Company]:
    condition = company_q(user)
    return companies.filter(condition) if condition else companies


def visible_deals(deals: QuerySet[Deal], user: User) -> QuerySet[Deal]:
    condition = deal_q(user)
    return deals.filter(condition) if condition else deals


def visible_activities(activities: QuerySet[Activity], user: User) -> QuerySet[Activity]:
    condition = activity_q(user)
    return activities.filter(condition) if condition else activities


def with_hidden_flags(
    queryset: QuerySet[M], user: User, *, contact: str | None = None, company: str | None = None
) -> QuerySet[M]:
    """`queryset` annotated with `contact_hidden` / `company_hidden`: True when the contact or
    company reached through the given relation exists and `user` may not see it, so that a
    visible record (a deal, a contact) does not name a hidden one it links to. Neither flag is
    added while that type is not narrowed for `user` (templates read a missing one as False)."""
    flags = {}
    for name, relation, condition in (
        ("contact_hidden", contact, contact_q),
        ("company_hidden", company, company_q),
    ):
        if relation is None or name in queryset.query.annotations:
            continue
        allowed = condition(user, f"{relation}__")
        if allowed:
            flags[name] = Case(
                When(**{f"{relation}__isnull": True}, then=Value(False)),
                When(allowed, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
    return queryset.annotate(**flags) if flags else queryset


# --- One record in memory ----------------------------------------------------------------------


def can_view_contact(user: User, contact: Contact) -> bool:
    return user.is_active and owner_allows(user, scope_for(user, "contact"), contact.owner)


def can_view_company(user: User, company: Company) -> bool:
    return user.is_active and owner_allows(user, scope_for(user, "company"), company.owner)


def can_view_deal(user: User, deal: Deal) -> bool:
    return user.is_active and owner_allows(user, scope_for(user, "deal"), deal.owner)


def activity_owner(activity: Activity) -> User | None:
    return activity.assigned_to if activity.assigned_to_id else activity.created_by


def can_view_activity(user: User, activity: Activity) -> bool:
    if not user.is_active:
        return False
    if not owner_allows(user, scope_for(user, "activity"), activity_owner(activity)):
        return False
    if activity.deal_id is not None:
        return can_view_deal(user, activity.deal)  # type: ignore[arg-type]
    if activity.contact_id is not None:
        return can_view_contact(user, activity.contact)  # type: ignore[arg-type]
    return activity.company_id is None or can_view_company(user, activity.company)  # type: ignore[arg-type]
