"""Issue 8's personas and research notes on top of the demo.

Four personas whose rules match the demo's contacts (titles and industries from catalog.py), and
interview and market-research notes tagged with them, with the demo's competitors and segments
where those exist, and linked to the content items they inform.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from revline.content.models import ContentItem
from revline.core.models import User
from revline.research.models import NoteKind, Persona
from revline.research.services import persona_create, research_note_create
from revline.sales.models import Competitor
from revline.segments.models import Segment


def _title_any(*words: str) -> dict[str, Any]:
    return {
        "match": "any",
        "conditions": [
            {"type": "field", "field": "title", "op": "contains", "value": w} for w in words
        ],
    }


PERSONAS: list[dict[str, Any]] = [
    {
        "key": "revenue",
        "name": "Revenue leader",
        "description": "Owns the number: runs sales or revenue operations at a growing B2B "
        "company and answers to the board for the forecast.",
        "goals": "A forecast the board can trust\nKnow which campaigns produce pipeline\n"
        "Shorter sales cycles",
        "pains": "Forecast calls built on gut feeling\nMarketing and sales argue about lead "
        "quality\nData spread over a CRM and three spreadsheets",
        "typical_titles": "Chief Revenue Officer\nVP Sales\nHead of Revenue Operations\n"
        "Sales Director",
        "typical_industries": "Software\nFinancial services\nProfessional services",
        "definition": {
            "match": "all",
            "conditions": [_title_any("Revenue", "VP Sales", "Sales Director", "Sales Operations")],
        },
    },
    {
        "key": "marketing",
        "name": "Marketing operations manager",
        "description": "Runs campaigns, forms and email, and has to prove what marketing "
        "contributes to revenue.",
        "goals": "Attribute revenue to campaigns\nHand sales better leads\nLaunch campaigns "
        "without IT",
        "pains": "Leads disappear after the hand-off\nReports stop at clicks and form fills\n"
        "Too many disconnected tools",
        "typical_titles": "Marketing Manager\nDemand Generation Manager\nMarketing Operations "
        "Specialist\nVP Marketing",
        "typical_industries": "Software\nMedia\nRetail",
        "definition": {
            "match": "all",
            "conditions": [_title_any("Marketing", "Demand Generation", "Growth")],
        },
    },
    {
        "key": "enterprise",
        "name": "Enterprise buyer in a regulated industry",
        "description": "A large organisation in healthcare, finance or energy: long evaluations, "
        "procurement and security reviews, big contracts.",
        "goals": "Pass the security and privacy review\nOne system for many teams\n"
        "Predictable pricing",
        "pains": "Self-hosting and data residency rules\nLong procurement cycles\nVendor lock-in",
        "typical_titles": "IT Director\nProcurement Manager\nCOO",
        "typical_industries": "Healthcare\nFinancial services\nEnergy",
        "definition": {
            "match": "all",
            "conditions": [
                {"type": "company", "field": "size", "op": "in", "value": ["1001-5000", "5001+"]},
                {
                    "type": "company",
                    "field": "industry",
                    "op": "in",
                    "value": ["Healthcare", "Financial services", "Energy"],
                },
            ],
        },
    },
    {
        "key": "founder",
        "name": "Small-business founder",
        "description": "Runs a company of up to 50 people and buys software themselves, "
        "quickly, on a monthly plan.",
        "goals": "Set up in an afternoon\nOne tool instead of five\nSee what marketing spend "
        "brings in",
        "pains": "No time to administer tools\nPer-seat prices that grow too fast\nSwitching costs",
        "typical_titles": "CEO\nCOO\nOffice Manager",
        "typical_industries": "Retail\nHospitality\nProfessional services",
        "definition": {
            "match": "all",
            "conditions": [
                {"type": "company", "field": "size", "op": "in", "value": ["1-10", "11-50"]},
                {
                    "type": "field",
                    "field": "title",
                    "op": "in",
                    "value": ["CEO", "COO", "Office Manager", "Finance Manager"],
                },
            ],
        },
    },
]

# title, kind, days ago, author, personas, competitors, segments, content it informs, body
NOTES = [
    (
        "Interview: RevOps lead at a logistics scale-up",
        NoteKind.INTERVIEW, 140, "maya", ["revenue"], ["Pipedrift"], ["Engaged MQLs"],
        ["CRM migration checklist", "How to switch CRMs without losing history"],
        "<h2>Context</h2><p>45-person sales team, moved from spreadsheets to Pipedrift two years "
        "ago. Marketing runs on a separate mail tool.</p><h2>What we heard</h2><ul><li>“I "
        "can't tell the board which campaign a deal came from.”</li><li>The weekly forecast "
        "call takes two hours and still slips in the last week.</li><li>Migration fear: "
        "<strong>losing the deal history</strong> is the main blocker.</li></ul><blockquote>If "
        "the history comes with us, I'd switch this quarter.</blockquote>",
    ),
    (
        "Interview: marketing manager, B2B software",
        NoteKind.INTERVIEW, 118, "jonas", ["marketing"], ["Hubbub CRM"], ["Engaged MQLs"],
        ["Multi-touch attribution explained", "What a good MQL definition looks like"],
        "<p>Uses Hubbub CRM's marketing add-on; pays for seats nobody in sales uses.</p>"
        "<h2>Goals</h2><ul><li>Show revenue per campaign, not clicks.</li><li>Agree an MQL "
        "definition with sales.</li></ul><h2>Pains</h2><p>Leads are handed over by email; "
        "nobody knows whether sales followed up. An SLA report would end the argument.</p>",
    ),
    (
        "Market sizing: mid-market CRM in Europe",
        NoteKind.MARKET_RESEARCH, 100, "maya", ["revenue", "marketing"], [], [],
        ["State of revenue operations report"],
        "<h2>Summary</h2><p>About 180,000 companies of 50–1,000 people in our nine countries; "
        "roughly a third run a dedicated RevOps role.</p><h3>Method</h3><p>Company registers "
        "by size band, LinkedIn title counts, and the <a href=\"https://example.com/survey\">"
        "public RevOps survey</a>.</p><h3>Implications</h3><ul><li>Germany and the UK are half "
        "of the market.</li><li>Self-hosting is a buying criterion for one in five.</li></ul>",
    ),
    (
        "Competitor analysis: pricing of the big suites",
        NoteKind.COMPETITOR_ANALYSIS, 85, "priya", ["revenue", "founder"],
        ["Hubbub CRM", "SalesNest"], [], ["Comparing CRM pricing models"],
        "<p>Published list prices, checked on their sites.</p><ul><li><strong>Hubbub CRM</strong>"
        ": cheap entry, but marketing and quotes are paid add-ons; a 20-seat team pays about "
        "three times the entry price.</li><li><strong>SalesNest</strong>: per-seat only, "
        "annual contracts, 12 % uplift at renewal.</li></ul><p>Our line: one price for "
        "marketing and sales, self-hosted at no licence cost.</p>",
    ),
    (
        "Interview: IT director at a hospital group",
        NoteKind.INTERVIEW, 70, "sam", ["enterprise"], ["SalesNest"],
        ["Demo page, 2+ visits in 90 days"],
        ["Customer story: Kestrel Health's first forecastable quarter"],
        "<p>Security review is the gate: data must stay in the EU, ideally on their own "
        "servers.</p><ul><li>Needs SSO and an audit trail.</li><li>Procurement takes 4–6 "
        "months; a pilot with one team shortens it.</li></ul><blockquote>SalesNest failed our "
        "data residency questions in the first call.</blockquote>",
    ),
    (
        "Interview: founder of a 12-person agency",
        NoteKind.INTERVIEW, 52, "jonas", ["founder"], ["Pipedrift"], ["New leads this month"],
        ["Pipeline hygiene in 15 minutes a week"],
        "<p>Runs sales herself on Pipedrift plus a newsletter tool.</p><ul><li>Wants landing "
        "pages and the pipeline in one place.</li><li>Will not administer anything: set-up must "
        "take an afternoon.</li></ul><p>Price sensitivity is high; a free self-hosted option "
        "is a strong hook.</p>",
    ),
    (
        "Win/loss interviews, last quarter",
        NoteKind.MARKET_RESEARCH, 30, "priya", ["revenue", "enterprise"],
        ["Closewise", "Pipedrift"], ["Engaged MQLs"],
        ["Why forecasts slip in the last week", "Board-ready revenue reporting"],
        "<h2>Why we won</h2><ol><li>Closed-loop reporting shown in the demo.</li><li>Quotes "
        "and approvals in the same system.</li></ol><h2>Why we lost</h2><ol><li>Price against "
        "Closewise's starter plan.</li><li>No champion in sales operations.</li></ol>",
    ),
]  # fmt: skip


def build_research(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Personas and research notes. Does nothing if personas already exist."""
    if Persona.objects.exists():
        return {"personas": 0, "research_notes": 0}
    personas = {
        spec["key"]: persona_create(actor=None, **{k: v for k, v in spec.items() if k != "key"})
        for spec in PERSONAS
    }
    users = {u.username: u for u in User.objects.all()}
    competitors = dict(Competitor.objects.values_list("name", "pk"))
    segments = dict(Segment.objects.values_list("name", "pk"))
    content = dict(ContentItem.objects.values_list("title", "pk"))
    written = 0
    for title, kind, days, author, tags, rivals, audiences, informs, body in NOTES:
        research_note_create(
            actor=None,
            author=users.get(author),
            title=title,
            body=body,
            kind=kind,
            date=(now - timedelta(days=days + rng.randint(0, 3))).date(),
            personas=[personas[key].pk for key in tags],
            competitors=[competitors[n] for n in rivals if n in competitors],
            segments=[segments[n] for n in audiences if n in segments],
            informs=[content[t] for t in informs if t in content],
        )
        written += 1
    return {"personas": len(personas), "research_notes": written}
