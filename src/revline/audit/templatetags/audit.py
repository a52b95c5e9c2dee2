from typing import Any

from django import template

from revline.audit.selectors import can_read_audit, record_history
from revline.core.models import User

register = template.Library()


@register.inclusion_tag("audit/history_card.html", takes_context=True)
def audit_history(context: template.Context, obj: Any) -> dict[str, Any]:
    """The History card of a record page: its latest audit entries, shown to admins only."""
    user = getattr(context.get("request"), "user", None)
    show = isinstance(user, User) and can_read_audit(user)
    return {
        "show": show,
        "entries": record_history(viewer=user, obj=obj) if show else [],  # type: ignore[arg-type]
        "object_type": obj._meta.label_lower,
        "object_id": obj.pk,
    }
