"""Script payloads stored in contact data are shown as text, never as markup."""

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.people.services import company_create, consent_record, contact_create
from revline.sales.services import activity_log
from revline.tracking.models import TouchpointKind
from revline.tracking.services import RequestInfo, touchpoint_record

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.mark.django_db
def test_payloads_in_every_field_are_escaped_on_the_contact_page(client, marketer):
    # Given payloads in names, company, tags, UTM values, URL, referrer, user agent, consent and a note
    company = company_create(actor=None, name=SCRIPT, domain=IMG)
    contact = contact_create(
        actor=None,
        first_name=SCRIPT,
        last_name=IMG,
        title=SCRIPT,
        phone=IMG[:50],
        source=IMG,
        company=company,
        tags=[SCRIPT[:50], IMG],
    )
    campaign = Campaign.objects.create(name=IMG, channel=Channel.EMAIL)
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=contact,
        campaign=campaign,
        utm={
            "utm_source": SCRIPT,
            "utm_medium": IMG,
            "utm_campaign": SCRIPT,
            "utm_content": IMG,
            "utm_term": SCRIPT,
        },
        info=RequestInfo(url=f"https://x.test/?q={SCRIPT}", referrer=IMG, user_agent=SCRIPT),
        params={"landing_page": SCRIPT, IMG: SCRIPT},
    )
    consent_record(
        contact=contact,
        purpose=SCRIPT[:50],
        granted=True,
        source=IMG,
        wording=SCRIPT,
        wording_version=IMG[:50],
    )
    activity_log(actor=marketer, kind="note", subject=IMG, body=SCRIPT, contact=contact)
    client.force_login(marketer)

    # When the contact page, the list and the company page are shown
    pages = [
        client.get(f"/people/contacts/{contact.pk}/"),
        client.get("/people/contacts/"),
        client.get(f"/people/companies/{company.pk}/"),
        client.get("/people/companies/"),
        client.get(f"/people/contacts/{contact.pk}/edit/"),
    ]

    # Then they contain the escaped payloads and never the raw tags
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert SCRIPT not in html
        assert "<img src=x" not in html
        assert SCRIPT_ESCAPED in html or IMG_ESCAPED in html
    detail = pages[0].content.decode()
    assert f"User agent: {SCRIPT_ESCAPED}" in detail
    assert f"Referrer: {IMG_ESCAPED}" in detail
    assert f"UTM: source={SCRIPT_ESCAPED} · medium={IMG_ESCAPED}" in detail
    assert f"Note: {IMG_ESCAPED}" in detail
    assert f"{SCRIPT_ESCAPED} {IMG_ESCAPED}" in detail  # the contact's name
