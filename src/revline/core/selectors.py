from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from revline.campaigns.models import Campaign, CampaignStatus
from revline.core.visibility import visible_companies, visible_contacts
from revline.people.models import Company, Contact
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint

from .models import Team, TwoFactorDevice, User


def users_with_twofactor() -> QuerySet[User]:
    """Users with their team and `has_two_factor` (a confirmed authenticator)."""
    confirmed = TwoFactorDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
    return User.objects.select_related("team").annotate(has_two_factor=Exists(confirmed))


def teams_with_counts() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("members")).order_by("name")


@dataclass(frozen=True)
class WorkspaceSummary:
    contacts: int
    companies: int
    active_campaigns: int
    touchpoints: int
    open_deals: int
    open_pipeline: Decimal
    won_deals: int
    won_revenue: Decimal
    recent_deals: list[Deal]
    recent_contacts: list[Contact]


def workspace_summary(*, viewer: User) -> WorkspaceSummary:
    """The home page's numbers: contacts, companies and deals only those `viewer` may see
    (core.visibility), deals summed in the base currency."""
    deals = deals_visible_to(viewer, Deal.objects.all())
    open_deals = deals.filter(status=DealStatus.OPEN).aggregate(
        n=Count("pk"), total=Sum("amount_base")
    )
    won = deals.filter(status=DealStatus.WON).aggregate(n=Count("pk"), total=Sum("amount_base"))
    contacts = visible_contacts(Contact.objects.all(), viewer)
    return WorkspaceSummary(
        contacts=contacts.count(),
        companies=visible_companies(Company.objects.all(), viewer).count(),
        active_campaigns=Campaign.objects.filter(status=CampaignStatus.ACTIVE).count(),
        touchpoints=Touchpoint.objects.count(),
        open_deals=open_deals["n"],
        open_pipeline=open_deals["total"] or Decimal("0"),
        won_deals=won["n"],
        won_revenue=won["total"] or Decimal("0"),
        recent_deals=list(
            deals.select_related("stage", "company", "owner").order_by("-created_at")[:6]
        ),
        recent_contacts=list(contacts.select_related("company").order_by("-created_at", "-pk")[:6]),
    )
