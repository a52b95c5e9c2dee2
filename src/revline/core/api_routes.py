"""API routes about the caller: who am I, with which role and team."""

from django.http import HttpRequest
from ninja import Router

from . import permissions
from .api_support import api_user
from .schemas import MeOut

router = Router(tags=["me"])


@router.get("/me", response=MeOut, summary="The user the token belongs to")
def me(request: HttpRequest) -> dict[str, object]:
    user = api_user(request)
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "team": user.team,
        "is_admin": permissions.is_admin(user),
        "can_manage_marketing": permissions.can_manage_marketing(user),
        "can_create_deals": permissions.can_create_deals(user),
    }
