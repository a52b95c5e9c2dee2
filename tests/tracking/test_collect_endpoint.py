"""POST /t/collect: the website snippet's events, stored once, only from the site's origins."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from revline.campaigns.models import Campaign, Channel
from revline.content.models import ContentItem, ContentKind
from revline.core.workspace import workspace_update
from revline.people.models import Contact
from revline.tracking.collect import MAX_BODY_BYTES
from revline.tracking.models import Touchpoint, Visitor

ORIGIN = "https://www.shop.example"
PAGE = "https://www.shop.example/pricing?utm_source=google&utm_campaign=spring-sale"


@pytest.fixture
def site(admin_user):
    return workspace_update(
        actor=admin_user,
        site_origins=f"{ORIGIN}\nhttps://blog.example",
        tracking_requires_consent=False,
    )


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        name="Spring sale",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring-sale",
    )


def now_ms(delta: timedelta = timedelta(0)) -> int:
    return int((timezone.now() + delta).timestamp() * 1000)


def event(**fields) -> dict:
    data = {
        "id": str(uuid.uuid4()),
        "type": "page_view",
        "ts": now_ms(),
        "url": PAGE,
        "referrer": "https://www.google.com/",
        "title": "Pricing",
        "utm": {"utm_source": "google", "utm_campaign": "spring-sale"},
    }
    data.update(fields)
    return data


def batch(*events, visitor: str | None = None, **top) -> dict:
    return {"visitor_id": visitor or str(uuid.uuid4()), "events": list(events), **top}


def post(client, data, *, origin: str | None = ORIGIN, content_type="application/json", **extra):
    raw = data if isinstance(data, bytes | str) else json.dumps(data)
    headers = {"Origin": origin} if origin is not None else {}
    return client.post("/t/collect", data=raw, content_type=content_type, headers=headers, **extra)


def assert_nothing_stored() -> None:
    assert Touchpoint.objects.count() == 0
    assert Visitor.objects.count() == 0


# --- Happy path ----------------------------------------------------------------------------------


def test_a_batch_is_stored_with_campaign_channel_and_utm_values(client, site, campaign):
    # Given a page view from a Google ad and a CTA click on the same page
    visitor = str(uuid.uuid4())
    view = event(ts=now_ms(-timedelta(seconds=30)))
    click = event(type="cta_click", label="Hero: start trial", props={"plan": "pro", "seats": 3})
    # When the snippet sends them
    response = post(client, batch(view, click, visitor=visitor), HTTP_USER_AGENT="Mozilla/5.0 x")
    # Then both are accepted, and the answer may be read by the site's page
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response
    # And each is a touchpoint of the new visitor, tied to the campaign of its UTM values
    stored_view = Touchpoint.objects.get(event_id=view["id"])
    stored_click = Touchpoint.objects.get(event_id=click["id"])
    assert (stored_view.kind, stored_click.kind) == ("page_view", "cta_click")
    for stored in (stored_view, stored_click):
        assert stored.visitor_id == uuid.UUID(visitor)
        assert stored.contact is None
        assert stored.campaign == campaign
        assert stored.channel == "paid_search"
        assert (stored.utm_source, stored.utm_campaign, stored.utm_medium) == (
            "google",
            "spring-sale",
            "",
        )
        assert stored.url == PAGE
        assert stored.referrer == "https://www.google.com/"
        assert stored.user_agent == "Mozilla/5.0 x"
    assert stored_view.params == {"title": "Pricing"}
    assert stored_click.params == {
        "title": "Pricing",
        "label": "Hero: start trial",
        "prop_plan": "pro",
        "prop_seats": 3,
    }
    assert int(stored_view.occurred_at.timestamp() * 1000) == view["ts"]
    new_visitor = Visitor.objects.get()
    assert new_visitor.pk == uuid.UUID(visitor)
    assert new_visitor.first_seen_at == stored_view.occurred_at


def test_events_without_a_known_campaign_are_stored_without_one(client, site, campaign):
    other = event(utm={"utm_source": "newsletter", "utm_campaign": "unknown"})
    plain = event(utm={})
    response = post(client, batch(other, plain))
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert list(Touchpoint.objects.values_list("campaign", "channel", "utm_campaign")) in (
        [(None, "", "unknown"), (None, "", "")],
        [(None, "", ""), (None, "", "unknown")],
    )


def test_events_on_a_library_page_are_tied_to_its_content_item(client, site):
    item = ContentItem.objects.create(
        title="Pricing guide", kind=ContentKind.BLOG_POST, url="https://www.shop.example/pricing"
    )
    post(client, batch(event(), event(type="cta_click", label="Buy")))
    assert list(Touchpoint.objects.values_list("content_item", flat=True)) == [item.pk, item.pk]


def test_events_of_an_identified_visitor_go_to_its_contact(client, site):
    # Given a visitor already identified as a contact
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    now = timezone.now()
    known = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)
    # When its browser sends a page view
    post(client, batch(event(), visitor=str(known.pk)))
    # Then the touchpoint is on the contact, and no second visitor was made
    assert Touchpoint.objects.get().contact == contact
    assert Visitor.objects.count() == 1


def test_a_known_visitors_last_seen_time_is_refreshed(client, site):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    known = Visitor.objects.create(first_seen_at=an_hour_ago, last_seen_at=an_hour_ago)
    post(client, batch(event(), visitor=str(known.pk)))
    known.refresh_from_db()
    assert known.first_seen_at == an_hour_ago
    assert known.last_seen_at > an_hour_ago + timedelta(minutes=59)


def test_a_sendbeacon_batch_in_text_plain_is_accepted(client, site):
    response = post(client, batch(event()), content_type="text/plain;charset=UTF-8")
    assert response.status_code == 200
    assert Touchpoint.objects.count() == 1


def test_fifty_events_are_stored_with_a_fixed_number_of_queries(
    client, site, campaign, django_assert_num_queries
):
    # Given a first batch of 50 events of a new visitor: workspace rules, savepoint, visitor
    # (select + insert), campaign and content item (once each for the batch), and the events
    # (PostgreSQL: one statement; SQLite: one per 25 rows)
    inserts = 1 if connection.vendor == "postgresql" else 2
    visitor = str(uuid.uuid4())
    first = [event(type="cta_click", label=f"CTA {i}") for i in range(50)]
    with django_assert_num_queries(7 + inserts):
        response = post(client, batch(*first, visitor=visitor))
    assert response.json() == {"accepted": 50, "duplicates": 0}
    # When the same visitor sends 50 more: the rules and lookups are remembered, and last_seen_at
    # is fresh, so only the savepoint, the visitor select and the inserts are left
    second = [event() for _ in range(50)]
    with django_assert_num_queries(3 + inserts):
        response = post(client, batch(*second, visitor=visitor))
    assert response.json() == {"accepted": 50, "duplicates": 0}
    assert Touchpoint.objects.count() == 100
    assert Touchpoint.objects.filter(campaign=campaign).count() == 100


@pytest.mark.django_db(transaction=True)
def test_a_campaign_deleted_while_remembered_is_looked_up_again(client, site, campaign):
    # (a real transaction: the database checks the campaign reference when it commits)
    # Given a batch that made the process remember the campaign of its UTM values
    post(client, batch(event()))
    # When the campaign is deleted and another batch with the same values arrives
    campaign.delete()
    response = post(client, batch(event()))
    # Then it is stored without a campaign instead of failing
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert list(Touchpoint.objects.values_list("campaign", flat=True)) == [None, None]


# --- Replays -------------------------------------------------------------------------------------


def test_a_replayed_batch_is_ignored_and_counted_as_duplicates(client, site, campaign):
    # Given a batch that was stored
    visitor = str(uuid.uuid4())
    sent = batch(event(), event(type="cta_click", label="Buy"), visitor=visitor)
    assert post(client, sent).json() == {"accepted": 2, "duplicates": 0}
    # When the snippet retries it (its answer was lost)
    response = post(client, sent)
    # Then nothing new is stored and the answer says so
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 2}
    assert Touchpoint.objects.count() == 2
    assert Visitor.objects.count() == 1


def test_a_retry_with_one_new_event_stores_only_that_one_and_never_overwrites(client, site):
    first, second = event(title="Original"), event(type="cta_click", label="Buy")
    post(client, batch(first, second))
    # a forged copy of an old id with other values changes nothing
    tampered = {**first, "title": "Changed", "url": "https://www.shop.example/other"}
    third = event(title="Checkout")
    response = post(client, batch(tampered, second, third))
    assert response.json() == {"accepted": 1, "duplicates": 2}
    assert Touchpoint.objects.count() == 3
    original = Touchpoint.objects.get(event_id=first["id"])
    assert (original.params, original.url) == ({"title": "Original"}, PAGE)
    assert Touchpoint.objects.get(event_id=third["id"]).params == {"title": "Checkout"}


def test_a_full_batch_overlapping_an_earlier_one_counts_exactly(client, site):
    visitor = str(uuid.uuid4())
    earlier = [event() for _ in range(30)]
    post(client, batch(*earlier, visitor=visitor))
    later = earlier + [event(type="cta_click", label="Buy") for _ in range(20)]
    response = post(client, batch(*later, visitor=visitor))
    assert response.json() == {"accepted": 20, "duplicates": 30}
    assert Touchpoint.objects.count() == 50
    assert Touchpoint.objects.filter(kind="cta_click").count() == 20


# --- CORS and origins ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://www.shop.example",
        "https://www.shop.example:8443",
        "https://www.shop.example/",
        "https://www.shop.example.evil.example",
        "https://WWW.SHOP.EXAMPLE",
        "null",
        "",
        None,
    ],
)
def test_other_origins_are_refused_and_nothing_is_stored(client, site, origin):
    response = post(client, batch(event()), origin=origin)
    assert response.status_code == 403
    assert response.json()["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert_nothing_stored()


def test_every_listed_origin_is_allowed(client, site):
    response = post(
        client, batch(event(url="https://blog.example/post")), origin="https://blog.example"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://blog.example"


def test_without_site_origins_every_batch_is_refused(client, db):
    response = post(client, batch(event()))
    assert response.status_code == 403
    assert_nothing_stored()


def test_a_preflight_from_a_site_origin_is_answered(client, site):
    response = client.options(
        "/t/collect",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert response["Access-Control-Max-Age"] == "86400"
    assert "Access-Control-Allow-Credentials" not in response
    assert_nothing_stored()


def test_a_preflight_from_another_origin_is_refused(client, site):
    response = client.options(
        "/t/collect",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_refused(client, site, method):
    response = getattr(client, method)("/t/collect", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert_nothing_stored()


# --- Consent ---------------------------------------------------------------------------------------


def test_when_consent_is_required_a_batch_without_it_is_refused(client, admin_user):
    workspace_update(actor=admin_user, site_origins=ORIGIN, tracking_requires_consent=True)
    response = post(client, batch(event()))
    assert response.status_code == 403
    assert response.json()["error"] == "consent_required"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert_nothing_stored()
    # And with consent it is stored
    assert post(client, batch(event(), consent=True)).json() == {"accepted": 1, "duplicates": 0}


# --- Bad input -------------------------------------------------------------------------------------


def test_a_bad_event_rejects_the_whole_batch_with_its_index_and_field(client, site):
    # Given a batch whose first event is fine and whose second has a javascript: URL
    response = post(client, batch(event(), event(url="javascript:alert(1)")))
    # Then the answer names the event and the field, and not even the good event is stored
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_batch",
        "reason": "events[1].url must be an absolute http:// or https:// URL.",
        "index": 1,
        "field": "url",
    }
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert_nothing_stored()


def test_more_than_fifty_events_are_refused(client, site):
    response = post(client, batch(*[event() for _ in range(51)]))
    assert response.status_code == 400
    assert response.json()["field"] == "events"
    assert response.json()["reason"] == "events holds 51 events; at most 50 are allowed."
    assert_nothing_stored()


def test_an_oversized_body_is_refused_with_413(client, site):
    padded = batch(event(title="x" * 300))
    raw = json.dumps(padded) + " " * MAX_BODY_BYTES
    response = post(client, raw)
    assert response.status_code == 413
    assert response.json() == {
        "error": "too_large",
        "reason": f"The body is larger than {MAX_BODY_BYTES} bytes.",
    }
    assert_nothing_stored()


def test_a_body_of_exactly_64_kb_is_accepted(client, site):
    raw = json.dumps(batch(event()))
    raw += " " * (MAX_BODY_BYTES - len(raw.encode()))
    assert len(raw.encode()) == MAX_BODY_BYTES
    assert post(client, raw).status_code == 200


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/html"]
)
def test_other_content_types_are_refused_with_415(client, site, content_type):
    response = post(client, json.dumps(batch(event())), content_type=content_type)
    assert response.status_code == 415
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"{not json", None),
        (b"\xff\xfe", None),
        ("[]", None),
        ({"visitor_id": "../../etc/passwd", "events": []}, "visitor_id"),
        ({"visitor_id": str(uuid.uuid4()), "events": [{"id": "x", "type": "page_view"}]}, "id"),
        ({"visitor_id": str(uuid.uuid4()), "events": "<script>"}, "events"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(client, site, data, field):
    response = post(client, data)
    assert response.status_code == 400
    assert response.json().get("field") == field
    assert response.json()["reason"]
    assert_nothing_stored()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "bad\x00null"},
        {"title": "\udfff"},
        {"url": "https://www.shop.example/\x00"},
        {"utm": {"utm_source": "\x00"}},
        {"label": "x" * 201},
        {"ts": "HUGE"},
        {"props": {"n": "HUGE"}},
    ],
)
def test_values_the_database_could_not_hold_are_refused_before_any_write(client, site, fields):
    # JSON allows 1e999, which Python reads as infinity
    raw = json.dumps(batch(event(), event(**fields))).replace('"HUGE"', "1e999")
    response = post(client, raw)
    assert response.status_code == 400
    assert response.json()["index"] == 1
    assert_nothing_stored()


def test_the_collect_rate_limit_applies_per_address(client, site, settings):
    settings.REVLINE_COLLECT_RATE_LIMIT = 2
    assert post(client, batch(event())).status_code == 200
    assert post(client, batch(event())).status_code == 200
    response = post(client, batch(event()))
    assert response.status_code == 429
    assert Touchpoint.objects.count() == 2


# --- Hostile text is only ever text ----------------------------------------------------------------

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def test_hostile_strings_are_stored_as_text_and_shown_escaped_on_the_timeline(
    client, site, admin_user
):
    # Given an identified visitor
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    now = timezone.now()
    known = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)
    # When its snippet sends markup in every text field
    hostile = event(
        type="cta_click",
        url=f"https://www.shop.example/?q={SCRIPT}",
        referrer=f"https://ref.example/?r={SCRIPT}",
        title=SCRIPT,
        label=IMG,
        utm={"utm_source": SCRIPT, "utm_campaign": IMG, "utm_content": "<b>bold</b>"},
        props={"plan": SCRIPT},
    )
    assert post(client, batch(hostile, visitor=str(known.pk))).status_code == 200
    # Then it is stored exactly as sent
    stored = Touchpoint.objects.get()
    assert (stored.params["title"], stored.params["label"], stored.utm_source) == (
        SCRIPT,
        IMG,
        SCRIPT,
    )
    # And the contact's timeline shows it as text, never as markup
    client.force_login(admin_user)
    page = client.get(f"/people/contacts/{contact.pk}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(" not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page


# --- The visitor who arrived through a tracked link -----------------------------------------------


def test_a_link_visitor_is_joined_to_the_snippets_visitor(client, site, campaign):
    # Given an ad click recorded for visitor L (by the click redirect), tied to no contact
    now = timezone.now()
    clicked = Visitor.objects.create(first_seen_at=now, last_seen_at=now)
    click = Touchpoint.objects.create(
        kind="click", occurred_at=now, visitor=clicked, campaign=campaign
    )
    # And a returning browser whose snippet visitor S was identified as a contact
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    own = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)

    # When the snippet sends its batch with the link's visitor id
    response = post(client, batch(event(), visitor=str(own.pk), link_visitor_id=str(clicked.pk)))

    # Then the click now belongs to the snippet's visitor and to its contact
    assert response.status_code == 200
    click.refresh_from_db()
    assert (click.visitor_id, click.contact_id) == (own.pk, contact.pk)
    assert Touchpoint.objects.get(kind="page_view").contact == contact


def test_a_link_visitor_that_is_a_contact_identifies_the_snippets_visitor(client, site, campaign):
    # Given the click visitor is known as a contact and the snippet's visitor is anonymous
    now = timezone.now()
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    clicked = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)
    anonymous = str(uuid.uuid4())
    post(client, batch(event(), visitor=anonymous))
    # When the snippet sends the link's visitor id
    post(client, batch(event(), visitor=anonymous, link_visitor_id=str(clicked.pk)))
    # Then the snippet's visitor and all its touchpoints are the contact's
    assert Visitor.objects.get(pk=anonymous).contact == contact
    assert list(Touchpoint.objects.values_list("contact_id", flat=True)) == [contact.pk] * 2


def test_an_unknown_or_malformed_link_visitor_id(client, site):
    # An unknown id changes nothing else; a malformed one is refused with the field named
    assert post(client, batch(event(), link_visitor_id=str(uuid.uuid4()))).status_code == 200
    response = post(client, batch(event(), link_visitor_id="not-a-uuid"))
    assert response.status_code == 400
    assert response.json()["field"] == "link_visitor_id"
    assert Touchpoint.objects.count() == 1
