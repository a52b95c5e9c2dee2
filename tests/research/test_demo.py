"""The research part of the demo workspace, built on a small demo."""

import random
from datetime import UTC, date, datetime

import pytest

from revline.core.demo import demo_build
from revline.core.demo.research import build_research
from revline.core.models import User
from revline.research.insight_selectors import market_insights
from revline.research.models import Persona, ResearchNote
from revline.research.selectors import persona_count

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_personas_and_notes_on_top_of_the_demo():
    # When a small demo (100 contacts) is built, its last step running the research builder
    demo_build(scale=0.05, today=TODAY)
    # Then it wrote four personas whose rules match demo contacts, and seven tagged notes
    assert (Persona.objects.count(), ResearchNote.objects.count()) == (4, 7)
    matched = {p.name: persona_count(persona=p) for p in Persona.objects.all()}
    assert all(n is not None for n in matched.values())
    assert sum(1 for n in matched.values() if n) >= 3
    assert ResearchNote.objects.filter(personas__isnull=False).distinct().count() == 7
    assert ResearchNote.objects.filter(competitors__isnull=False).distinct().count() >= 5
    assert ResearchNote.objects.filter(segments__isnull=False).distinct().count() >= 4
    assert ResearchNote.objects.filter(informs__isnull=False).distinct().count() == 7
    assert ResearchNote.objects.filter(author__isnull=True).count() == 0
    assert all("<script" not in n.body for n in ResearchNote.objects.all())
    # And the insights page has numbers for every persona
    report = market_insights(viewer=User.objects.get(username="maya"))
    personas = next(t for t in report.tables if t.key == "persona")
    assert len(personas.rows) == 5  # four personas and "No persona"
    # And running it again writes nothing more
    assert build_research(rng=random.Random(8), now=NOW) == {"personas": 0, "research_notes": 0}
    assert Persona.objects.count() == 4
