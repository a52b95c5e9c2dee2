"""Demo data for the deal page, on top of the demo's deals and contacts (run after write_sales):
buying committees drawn from each deal's company, next steps on open deals, and links to
documents. Forecast categories are set by the forecast demo; uploaded files are left out (they
would have to be written to disk).
"""

import random
from collections import defaultdict
from datetime import datetime

from revline.people.models import Contact
from revline.sales.models import (
    CommitteeRole,
    Deal,
    DealAttachment,
    DealContact,
    DealStatus,
)

NEXT_STEPS = [
    "Send the security questionnaire",
    "Book the demo for the wider team",
    "Share the mutual action plan",
    "Get the CFO on the pricing call",
    "Send the revised quote",
    "Confirm the pilot success criteria",
    "Intro call with their IT lead",
    "Reference call with a customer",
    "Legal review of the contract",
    "Agree the rollout timeline",
]
LINKS = [
    ("Mutual action plan", "https://docs.example.com/plans/{pk}"),
    ("Discovery notes", "https://notes.example.com/deals/{pk}/discovery"),
    ("Signed NDA", "https://sign.example.com/envelopes/{pk}"),
    ("Requirements spreadsheet", "https://sheets.example.com/d/{pk}"),
]
# The primary contact's usual role, then the roles of the colleagues around them.
OTHER_ROLES = [
    CommitteeRole.INFLUENCER,
    CommitteeRole.USER,
    CommitteeRole.DECISION_MAKER,
    CommitteeRole.BLOCKER,
    CommitteeRole.OTHER,
]


def build_deal_page(*, rng: random.Random, now: datetime) -> None:
    """Committees for about two deals in three, next steps on most open deals, a few links."""
    del now  # the records carry no dates of their own beyond their creation
    colleagues: dict[int, list[int]] = defaultdict(list)
    contacts = Contact.objects.filter(company__isnull=False).order_by("pk")
    for pk, company_id in contacts.values_list("pk", "company_id"):
        colleagues[company_id].append(pk)
    members: list[DealContact] = []
    links: list[DealAttachment] = []
    next_steps: dict[str, list[int]] = defaultdict(list)
    deals = Deal.objects.order_by("pk").values_list("pk", "contact_id", "company_id", "status")
    taken = set(DealContact.objects.values_list("deal_id", "contact_id"))
    for pk, contact_id, company_id, status in deals:
        if rng.random() < 0.67:
            people: list[int] = []
            if contact_id is not None:
                people.append(contact_id)
            others = [c for c in colleagues.get(company_id, []) if c != contact_id]
            people += rng.sample(others, k=min(len(others), rng.randint(1, 3)))
            for position, person in enumerate(people):
                if (pk, person) in taken:
                    continue
                role = (
                    rng.choice([CommitteeRole.CHAMPION, CommitteeRole.DECISION_MAKER])
                    if position == 0
                    else rng.choice(OTHER_ROLES)
                )
                members.append(DealContact(deal_id=pk, contact_id=person, role=role))
                taken.add((pk, person))
        if status == DealStatus.OPEN and rng.random() < 0.8:
            next_steps[rng.choice(NEXT_STEPS)].append(pk)
        if rng.random() < 0.3:
            for title, url in rng.sample(LINKS, k=rng.randint(1, 2)):
                links.append(DealAttachment(deal_id=pk, title=title, url=url.format(pk=pk)))
    DealContact.objects.bulk_create(members, batch_size=1000)
    DealAttachment.objects.bulk_create(links, batch_size=1000)
    for step, pks in next_steps.items():
        Deal.objects.filter(pk__in=pks).update(next_step=step)
