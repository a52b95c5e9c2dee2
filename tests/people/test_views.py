"""People pages: lists, detail, create/edit forms and notes, through HTTP."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from revline.people.models import Company, Contact, TimelineEvent
from revline.people.services import company_create, consent_record, contact_create
from revline.sales.models import Activity
from revline.sales.services import deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import RequestInfo, touchpoint_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db) -> Company:
    return company_create(actor=None, name="Acme Corp", domain="acme.test", industry="Software")


@pytest.fixture
def ada(acme, rep_a) -> Contact:
    return contact_create(
        actor=None,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.test",
        company=acme,
        owner=rep_a,
        tags=["vip"],
    )


@pytest.fixture
def logged_in(client, marketer):
    client.force_login(marketer)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/people/contacts/",
        "/people/contacts/new/",
        "/people/contacts/{pk}/",
        "/people/contacts/{pk}/edit/",
        "/people/companies/",
        "/people/companies/new/",
        "/people/companies/{cpk}/",
        "/people/companies/{cpk}/edit/",
    ],
)
def test_every_page_requires_login(client, ada, acme, url):
    response = client.get(url.format(pk=ada.pk, cpk=acme.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_anonymous_note_post_is_redirected_and_stores_nothing(client, ada):
    response = client.post(f"/people/contacts/{ada.pk}/notes/", {"body": "Hi"})

    assert response.status_code == 302
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("user", ["marketer", "rep_a", "manager_a", "admin_user"])
def test_every_role_may_open_and_edit_people(client, ada, user, request):
    client.force_login(request.getfixturevalue(user))

    assert client.get(f"/people/contacts/{ada.pk}/").status_code == 200
    assert client.get(f"/people/contacts/{ada.pk}/edit/").status_code == 200
    assert client.get("/people/companies/new/").status_code == 200


def test_unknown_records_are_404(logged_in):
    assert logged_in.get("/people/contacts/999999/").status_code == 404
    assert logged_in.get("/people/companies/999999/edit/").status_code == 404
    assert logged_in.post("/people/contacts/999999/notes/", {"body": "x"}).status_code == 404


# --- Contacts list -----------------------------------------------------------------------------


def test_contacts_list_shows_rows_with_badge_and_links(logged_in, ada, acme):
    response = logged_in.get("/people/contacts/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/people/contacts/{ada.pk}/">Ada Lovelace</a>' in html
    assert f'href="/people/companies/{acme.pk}/">Acme Corp</a>' in html
    assert '<span class="badge lc lc-subscriber">Subscriber</span>' in html
    assert 'href="/people/contacts/new/"' in html
    assert "1 result" in html


def test_contacts_list_search_filter_and_sort(logged_in, ada, rep_a):
    contact_create(actor=None, first_name="Bob", last_name="Bryce", email="bob@else.test")

    search = logged_in.get("/people/contacts/", {"q": "LOVELACE"})
    tag = logged_in.get("/people/contacts/", {"tag": "vip"})
    owner = logged_in.get("/people/contacts/", {"owner": rep_a.pk})
    sort = logged_in.get("/people/contacts/", {"sort": "name"})

    assert [c.first_name for c in search.context["listing"].page] == ["Ada"]
    assert [c.first_name for c in tag.context["listing"].page] == ["Ada"]
    assert [c.first_name for c in owner.context["listing"].page] == ["Ada"]
    assert [c.first_name for c in sort.context["listing"].page] == ["Bob", "Ada"]
    assert '<a href="?sort=-name" class="sort asc">Name</a>' in sort.content.decode()


def test_contacts_list_paginates_keeping_the_query(logged_in):
    for i in range(30):
        contact_create(actor=None, first_name=f"P{i:02d}", email=f"p{i}@example.com", tags=["bulk"])

    first = logged_in.get("/people/contacts/", {"tag": "bulk"})
    second = logged_in.get("/people/contacts/", {"tag": "bulk", "page": 2})

    assert len(first.context["listing"].page) == 25
    assert 'href="?tag=bulk&amp;page=2"' in first.content.decode()
    assert len(second.context["listing"].page) == 5
    assert "page 2 of 2" in second.content.decode()


def test_contacts_list_empty_states(logged_in):
    empty = logged_in.get("/people/contacts/")
    no_match = logged_in.get("/people/contacts/", {"q": "zzz"})

    assert "No contacts yet." in empty.content.decode()
    assert "No contacts match these filters." in no_match.content.decode()


def test_malformed_filter_is_a_400_with_the_reason_and_is_ignored(logged_in, ada):
    response = logged_in.get("/people/contacts/", {"owner": "abc", "company": "-1"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Owner: Enter a whole number." in html
    assert "Company: Ensure this value is greater than or equal to 1." in html
    assert [c.pk for c in response.context["listing"].page] == [ada.pk]


def _add_listed_contacts(prefix: str, count: int, owner) -> None:
    companies = [company_create(actor=None, name=f"{prefix} {i}") for i in range(5)]
    for i in range(count):
        contact_create(
            actor=None,
            first_name=f"N{i}",
            email=f"{prefix}{i}@example.com",
            company=companies[i % 5],
            owner=owner,
            tags=["a", f"t{i % 3}"],
        )


def test_contacts_list_query_count_is_bounded_and_does_not_grow_with_rows(
    logged_in, django_assert_max_num_queries, rep_a
):
    _add_listed_contacts("few", 2, rep_a)
    with CaptureQueriesContext(connection) as few:
        logged_in.get("/people/contacts/", {"sort": "company"})
    _add_listed_contacts("many", 30, rep_a)

    # session, user, 4 filter choice lists (owners, companies, tags, segments), count, page
    # rows, tags of the page
    with django_assert_max_num_queries(9):
        response = logged_in.get("/people/contacts/", {"sort": "company"})

    assert response.status_code == 200
    assert len(response.context["listing"].page) == 25
    assert len(few) == 9


# --- Contact detail ----------------------------------------------------------------------------


def test_contact_detail_shows_properties_consent_lifecycle_deals_and_timeline(
    logged_in, ada, rep_a, campaign
):
    consent_record(
        contact=ada,
        purpose="newsletter",
        granted=True,
        source="landing_page:spring",
        wording="Send me news",
        wording_version="3",
        ip_address="203.0.113.7",
    )
    consent_record(contact=ada, purpose="newsletter", granted=False, source="unsubscribe")
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=ada,
        campaign=campaign,
        utm={"utm_source": "google"},
        info=RequestInfo(referrer="https://google.com/"),
    )
    deal = deal_create(actor=rep_a, name="Ada deal", amount=Decimal("1200"), contact=ada)

    response = logged_in.get(f"/people/contacts/{ada.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="mailto:ada@acme.test"' in html
    assert f'<a href="/people/companies/{ada.company_id}/">Acme Corp</a>' in html
    assert ">vip</a>" in html
    assert "Rep_A" in html
    # consent: withdrawn is in force, the grant stays in the history with IP and wording version
    assert '<span class="badge bad">Withdrawn</span>' in html
    assert "203.0.113.7" in html
    assert "Send me news" in html
    # lifecycle
    assert '<span class="step current">Opportunity</span>' in html
    assert "Subscriber → Opportunity" in html
    # deals and timeline
    assert f'<a href="{reverse("sales:deal", args=[deal.pk])}">Ada deal</a>' in html
    assert "€1,200" in html
    assert "Link click · Spring" in html
    assert "Referrer: https://google.com/" in html
    assert "Deal created: Ada deal" in html
    assert "Consent withdrawn: newsletter" in html
    assert f'href="/people/contacts/{ada.pk}/edit/"' in html


def test_contact_detail_query_count_is_bounded(
    logged_in, ada, rep_a, django_assert_max_num_queries
):
    for _ in range(20):
        touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, contact=ada)
    for i in range(3):
        deal_create(actor=rep_a, name=f"D{i}", amount=Decimal("1"), contact=ada)

    # session, user, contact, tags, consents, transitions, deals, touchpoints, events
    # +1: the emails sent to the contact (revline.email Send rows) on the timeline.
    # +1: which of the timeline's deals the user may see (deal visibility).
    # +3 (the one view): objections on its deals, meetings, content consumed.
    with django_assert_max_num_queries(14):
        response = logged_in.get(f"/people/contacts/{ada.pk}/")

    assert response.status_code == 200


# --- Notes -------------------------------------------------------------------------------------


def test_posting_a_note_logs_an_activity_that_appears_on_the_timeline(logged_in, ada, marketer):
    response = logged_in.post(
        f"/people/contacts/{ada.pk}/notes/", {"body": "Met at the fair\nLikes it"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/people/contacts/{ada.pk}/"
    activity = Activity.objects.get()
    assert (
        activity.kind,
        activity.subject,
        activity.body,
        activity.contact,
        activity.deal,
        activity.created_by,
    ) == ("note", "Met at the fair", "Met at the fair\nLikes it", ada, None, marketer)
    assert _messages(response) == ["Note added."]
    html = logged_in.get(f"/people/contacts/{ada.pk}/").content.decode()
    assert "Note: Met at the fair" in html
    assert "Met at the fair<br>Likes it" in html


def test_note_with_subject_keeps_it(logged_in, ada):
    logged_in.post(
        f"/people/contacts/{ada.pk}/notes/", {"subject": "Call recap", "body": "Budget in Q3"}
    )

    assert Activity.objects.get().subject == "Call recap"


def test_empty_note_is_rejected_and_stores_nothing(logged_in, ada):
    events_before = TimelineEvent.objects.count()

    response = logged_in.post(f"/people/contacts/{ada.pk}/notes/", {"body": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Activity.objects.count() == 0
    assert TimelineEvent.objects.count() == events_before


def test_notes_url_refuses_get(logged_in, ada):
    assert logged_in.get(f"/people/contacts/{ada.pk}/notes/").status_code == 405


# --- Create / edit contact ---------------------------------------------------------------------


def test_create_contact_redirects_to_it_with_a_message(logged_in, acme, rep_a, marketer):
    response = logged_in.post(
        "/people/contacts/new/",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": " Grace@Navy.test ",
            "country": "us",
            "company": acme.pk,
            "owner": rep_a.pk,
            "title": "Admiral",
            "tags": "VIP, navy, ,",
        },
    )

    contact = Contact.objects.get(email="grace@navy.test")
    assert response.status_code == 302
    assert response["Location"] == f"/people/contacts/{contact.pk}/"
    assert (
        contact.first_name,
        contact.country,
        contact.company,
        contact.owner,
        contact.source,
    ) == ("Grace", "US", acme, rep_a, "manual")
    assert sorted(contact.tags.values_list("name", flat=True)) == ["navy", "vip"]
    assert _messages(response) == ["Contact Grace Hopper created."]
    assert TimelineEvent.objects.get(contact=contact).actor == marketer


def test_new_contact_form_preselects_the_company_from_the_query(logged_in, acme):
    response = logged_in.get("/people/contacts/new/", {"company": acme.pk})

    assert response.context["form"]["company"].value() == acme.pk


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        (
            {"country": "Germany"},
            "country",
            "Ensure this value has at most 2 characters (it has 7).",
        ),
        ({"country": "1x"}, "country", "Use a two-letter country code, e.g. DE or US."),
        ({"tags": "x" * 51}, "tags", "Each tag can be at most 50 characters."),
        (
            {"owner": "999999"},
            "owner",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
def test_invalid_contact_input_shows_inline_errors_and_creates_nothing(
    logged_in, data, field, message
):
    response = logged_in.post("/people/contacts/new/", {"first_name": "X", **data})

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert f'<small class="error">{message}</small>' in response.content.decode()
    assert Contact.objects.count() == 0


def test_duplicate_email_on_create_is_a_field_error(logged_in, ada):
    response = logged_in.post(
        "/people/contacts/new/", {"first_name": "Copy", "email": "ADA@Acme.TEST"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    assert Contact.objects.count() == 1


def test_inactive_user_cannot_become_owner(logged_in, rep_b):
    rep_b.is_active = False
    rep_b.save()

    response = logged_in.post(
        "/people/contacts/new/", {"email": "n@example.com", "owner": rep_b.pk}
    )

    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert Contact.objects.count() == 0


def test_edit_form_is_filled_with_the_contact(logged_in, ada):
    form = logged_in.get(f"/people/contacts/{ada.pk}/edit/").context["form"]

    assert (form["email"].value(), form["tags"].value(), form["company"].value()) == (
        "ada@acme.test",
        "vip",
        ada.company_id,
    )


def test_edit_contact_saves_and_redirects(logged_in, ada):
    response = logged_in.post(
        f"/people/contacts/{ada.pk}/edit/",
        {
            "first_name": "Augusta",
            "last_name": "King",
            "email": "augusta@acme.test",
            "tags": "",
            "source": "import",
        },
    )

    ada.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/people/contacts/{ada.pk}/"
    assert (ada.first_name, ada.email, ada.company, ada.owner, ada.source) == (
        "Augusta",
        "augusta@acme.test",
        None,
        None,
        "import",
    )
    assert ada.tags.count() == 0
    assert _messages(response) == ["Contact Augusta King saved."]


def test_edit_to_a_duplicate_email_is_a_field_error_and_changes_nothing(logged_in, ada):
    contact_create(actor=None, email="taken@example.com")

    response = logged_in.post(
        f"/people/contacts/{ada.pk}/edit/",
        {
            "first_name": "Changed",
            "email": "TAKEN@example.com",
            "tags": "other",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["A contact with this email already exists."]
    assert "Edit Ada Lovelace" in response.content.decode()
    ada.refresh_from_db()
    assert (ada.first_name, ada.email) == ("Ada", "ada@acme.test")
    assert list(ada.tags.values_list("name", flat=True)) == ["vip"]


# --- Companies ---------------------------------------------------------------------------------


def test_companies_list_shows_counts_and_filters(logged_in, ada, acme):
    company_create(actor=None, name="Initech", industry="Finance", country="US")

    all_rows = logged_in.get("/people/companies/")
    software = logged_in.get("/people/companies/", {"industry": "Software"})
    unknown = logged_in.get("/people/companies/", {"industry": "Mining"})

    html = all_rows.content.decode()
    assert f'<a href="/people/contacts/?company={acme.pk}">1</a>' in html
    assert [c.name for c in all_rows.context["listing"].page] == ["Acme Corp", "Initech"]
    assert [c.name for c in software.context["listing"].page] == ["Acme Corp"]
    assert unknown.status_code == 400
    assert "Industry: Select a valid choice." in unknown.content.decode()


def test_companies_list_query_count_is_bounded(logged_in, django_assert_max_num_queries):
    for i in range(30):
        company = company_create(actor=None, name=f"Co {i}", industry=f"I{i % 4}", country="DE")
        contact_create(actor=None, email=f"c{i}@example.com", company=company)

    # session, user, industries, countries, count, page rows
    with django_assert_max_num_queries(6):
        response = logged_in.get("/people/companies/")

    assert len(response.context["listing"].page) == 25


def test_company_detail_shows_properties_contacts_and_deals(logged_in, acme, ada, rep_a):
    deal = deal_create(actor=rep_a, name="Acme deal", amount=Decimal("50"), contact=ada)

    html = logged_in.get(f"/people/companies/{acme.pk}/").content.decode()

    assert "acme.test" in html
    assert f'<a href="/people/contacts/{ada.pk}/">Ada Lovelace</a>' in html
    assert f'<a href="{reverse("sales:deal", args=[deal.pk])}">Acme deal</a>' in html
    assert f'href="/people/companies/{acme.pk}/edit/"' in html


def test_create_company_and_validation(logged_in):
    bad = logged_in.post("/people/companies/new/", {"name": "", "size": "huge"})
    good = logged_in.post(
        "/people/companies/new/",
        {"name": "Globex", "size": "11-50", "country": "de", "tags": "target"},
    )

    assert bad.status_code == 400
    assert bad.context["form"].errors["name"] == ["This field is required."]
    assert "size" in bad.context["form"].errors
    company = Company.objects.get()
    assert good["Location"] == f"/people/companies/{company.pk}/"
    assert (company.name, company.size, company.country) == ("Globex", "11-50", "DE")
    assert list(company.tags.values_list("name", flat=True)) == ["target"]


def test_edit_company_saves_and_invalid_edit_changes_nothing(logged_in, acme):
    bad = logged_in.post(f"/people/companies/{acme.pk}/edit/", {"name": "", "domain": "new.test"})
    acme.refresh_from_db()
    assert bad.status_code == 400
    assert (acme.name, acme.domain) == ("Acme Corp", "acme.test")

    good = logged_in.post(
        f"/people/companies/{acme.pk}/edit/", {"name": "Acme Inc", "domain": "acme.test"}
    )

    acme.refresh_from_db()
    assert good.status_code == 302
    assert (acme.name, acme.industry) == ("Acme Inc", "")
    assert _messages(good) == ["Company Acme Inc saved."]
