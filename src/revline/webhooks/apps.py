from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "revline.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
