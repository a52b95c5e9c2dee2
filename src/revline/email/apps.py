from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "revline.email"
    label = "email"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from anymail.signals import tracking

        from .delivery_services import anymail_tracking_received

        # The one signal receiver in Revline: django-anymail reports provider events only through
        # its `tracking` signal, so this is the documented exception to "no signals".
        tracking.connect(anymail_tracking_received, dispatch_uid="revline.email.anymail_tracking")
