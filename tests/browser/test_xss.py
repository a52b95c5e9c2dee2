"""Stored script injection: hostile names, UTM values, referrers and user agents stay text."""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from revline.campaigns.models import Campaign, Channel
from revline.people.models import Company, Contact
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import RequestInfo, link_create, touchpoint_record

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
HOSTILE = f"{SCRIPT} {IMG}"

INJECTED_NODES = """() => ({
    xss: typeof window.__xss,
    scripts: [...document.scripts].filter(s => s.textContent.includes("window.__xss=1")
        && s.type !== "application/json").length,
    handlers: document.querySelectorAll("[onerror]").length,
    images: document.querySelectorAll('img[src="x"]').length,
})"""


@dataclass(frozen=True)
class Hostile:
    contact_id: int
    campaign_id: int


@pytest.fixture
def hostile(admin_user) -> Hostile:
    campaign = Campaign.objects.create(
        name=HOSTILE,
        channel=Channel.PAID_SOCIAL,
        description=HOSTILE,
        utm_source=SCRIPT,
        utm_medium=IMG,
        utm_campaign=SCRIPT,
        utm_content=IMG,
        utm_term=SCRIPT,
    )
    link_create(
        actor=admin_user,
        campaign=campaign,
        destination_url="https://shop.example/spring",
        label=HOSTILE,
    )
    company = Company.objects.create(name=HOSTILE)
    contact = Contact.objects.create(
        first_name=SCRIPT, last_name=IMG, email="mallory@evil.example", title=IMG, company=company
    )
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=contact,
        campaign=campaign,
        utm={"utm_source": SCRIPT, "utm_medium": IMG, "utm_campaign": SCRIPT},
        info=RequestInfo(url=f"https://shop.example/?q={IMG}", referrer=IMG, user_agent=SCRIPT),
        params={"landing_page": IMG},
    )
    deal = deal_create(actor=admin_user, name=HOSTILE, amount=Decimal("500"), contact=contact)
    deal_close_won(actor=admin_user, deal=deal, note=HOSTILE)
    return Hostile(contact_id=contact.pk, campaign_id=campaign.pk)


@pytest.mark.parametrize(
    "path",
    [
        "/people/contacts/{contact}/",
        "/people/contacts/",
        "/campaigns/",
        "/campaigns/{campaign}/",
        "/reports/attribution/",
    ],
)
def test_hostile_values_are_shown_as_text_and_never_run(
    page: Page, log_in, hostile: Hostile, dialogs, page_errors, path
):
    # Given an admin, who may see every record
    log_in("admin", PASSWORD)

    # When they open a page that shows the hostile values
    response = page.goto(path.format(contact=hostile.contact_id, campaign=hostile.campaign_id))
    page.wait_for_load_state("load")

    # Then nothing ran, nothing was injected, and the payloads read as plain text
    assert response is not None and response.status == 200
    assert page.evaluate(INJECTED_NODES) == {
        "xss": "undefined",
        "scripts": 0,
        "handlers": 0,
        "images": 0,
    }
    assert dialogs == []
    assert page_errors == []
    expect(page.get_by_text(SCRIPT).filter(visible=True).first).to_be_visible()
    expect(page.get_by_text(IMG).filter(visible=True).first).to_be_visible()


def test_contact_timeline_shows_hostile_referrer_and_user_agent_as_text(
    page: Page, log_in, hostile: Hostile, dialogs
):
    log_in("admin", PASSWORD)

    page.goto(f"/people/contacts/{hostile.contact_id}/")

    click = page.locator("#timeline li[data-kind='click']")
    expect(click).to_contain_text(f"Referrer: {IMG}")
    expect(click).to_contain_text(f"User agent: {SCRIPT}")
    expect(click).to_contain_text(f"UTM: source={SCRIPT} · medium={IMG} · campaign={SCRIPT}")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


def test_hostile_search_query_stays_inside_the_search_box(
    page: Page, log_in, hostile: Hostile, dialogs
):
    log_in("admin", PASSWORD)

    page.goto(f"/people/contacts/?q={quote(IMG)}")

    expect(page.get_by_role("searchbox", name="Search contacts")).to_have_value(IMG)
    assert page.evaluate(INJECTED_NODES)["images"] == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
