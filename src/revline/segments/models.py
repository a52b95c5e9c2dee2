from django.conf import settings
from django.db import models


class Segment(models.Model):
    """A saved, always-current set of contacts: its definition is compiled to one query on use.

    `definition` is a condition tree, validated by segments.definition before it is saved:
    {"match": "all" | "any", "conditions": [condition | group, ...]}.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    definition = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
