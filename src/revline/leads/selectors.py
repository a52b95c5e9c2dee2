from django.db import IntegrityError, transaction

from .models import LeadSettings


def lead_settings_get() -> LeadSettings:
    """The single lead settings row, created with defaults the first time it is asked for."""
    found = LeadSettings.objects.order_by("pk").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return LeadSettings.objects.create(pk=1)
    except IntegrityError:
        return LeadSettings.objects.get(pk=1)
