from django.conf import settings
from django.db import models


class Persona(models.Model):
    """A typical buyer: who they are, what they want, and a rule that finds them among contacts.

    `definition` is a segment-style condition tree (segments.definition), validated by the same
    code and compiled by the segment compiler on every read: a persona is never materialised.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Free text, one item per line.
    goals = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    typical_titles = models.TextField(blank=True)
    typical_industries = models.TextField(blank=True)
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


class NoteKind(models.TextChoices):
    MARKET_RESEARCH = "market_research", "Market research"
    INTERVIEW = "interview", "Interview"
    COMPETITOR_ANALYSIS = "competitor_analysis", "Competitor analysis"
    OTHER = "other", "Other"


class ResearchNote(models.Model):
    """A research document or interview write-up. `body` is HTML reduced to the allow-list of
    research.html when saved (and again when shown)."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=30, choices=NoteKind.choices, default=NoteKind.OTHER)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="research_notes",
    )
    date = models.DateField(help_text="When the research or interview took place")
    personas = models.ManyToManyField(Persona, blank=True, related_name="notes")
    competitors = models.ManyToManyField(
        "sales.Competitor", blank=True, related_name="research_notes"
    )
    segments = models.ManyToManyField("segments.Segment", blank=True, related_name="research_notes")
    informs = models.ManyToManyField(
        "content.ContentItem", blank=True, related_name="research_notes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["-date"], name="research_note_date")]

    def __str__(self) -> str:
        return self.title
