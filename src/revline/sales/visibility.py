"""Which deals a user may see: the one filter every read of deals goes through.

The rule itself lives in core.visibility (one rule per object type); this module keeps the name
the sales code and other apps have always imported.
"""

from django.db.models import QuerySet

from revline.core.models import User
from revline.core.visibility import visible_deals

from .models import Deal


def deals_visible_to(user: User, deals: QuerySet[Deal] | None = None) -> QuerySet[Deal]:
    """`deals` (default: all) narrowed to those `user` may see; see core.visibility."""
    return visible_deals(deals if deals is not None else Deal.objects.all(), user)
