"""Which deals a user may see: the one filter every read of deals goes through.

Its own module, with no imports beyond core and the sales models, so that any app's selectors
(people, core, analytics) can use it without import cycles.
"""

from django.db.models import Q, QuerySet

from revline.core import permissions
from revline.core.models import User

from .models import Deal


def deals_visible_to(user: User, deals: QuerySet[Deal] | None = None) -> QuerySet[Deal]:
    """`deals` (default: all) narrowed to those `user` may see; see permissions.can_view_deal."""
    deals = deals if deals is not None else Deal.objects.all()
    if not permissions.sees_only_team_deals(user):
        return deals
    visible = Q(owner__isnull=True) | Q(owner_id=user.pk)
    if user.team_id is not None:
        visible |= Q(owner__team_id=user.team_id)
    return deals.filter(visible)
