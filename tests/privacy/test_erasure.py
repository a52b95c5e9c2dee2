"""Erasure (GDPR art. 17): the person is gone from every table and export; a SHA-256 of the
address stays, so they are never emailed or imported again."""

import hashlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from revline.analytics.aggregates import touch_stats_rebuild
from revline.analytics.models import DailyTouchStats
from revline.people.models import Contact, ContactImport
from revline.people.services import contact_identify
from revline.privacy.models import ErasedEmail, PrivacyRequest, RequestKind, RequestStatus
from revline.privacy.selectors import email_is_erased
from revline.privacy.services import contact_erase, text_fields
from revline.sales.models import Activity, Deal, Objection
from revline.tracking.models import Touchpoint
from tests.conftest import PASSWORD

from .factories import EMAIL, FIRST, LAST, NAME, make_person

TERMS = [EMAIL, NAME, FIRST, LAST]


def rows_mentioning(term: str) -> list[str]:
    """Every row of every table with `term` in a text or JSON column: "app.Model#pk"."""
    found = []
    for model in apps.get_models():
        fields = text_fields(model)
        if not fields:
            continue
        match = Q()
        for field in fields:
            match |= Q(**{f"{field.name}__icontains": term})
        found += [
            f"{model._meta.label}#{pk}"
            for pk in model._default_manager.filter(match).values_list("pk", flat=True)
        ]
    return found


def test_after_erasure_no_table_and_no_export_holds_the_email_or_the_name(client, admin_user):
    # Given a person with a record of every kind, mentioned in notes on deals and companies
    person = make_person(admin_user)
    touch_stats_rebuild()
    assert rows_mentioning(EMAIL)  # the search does find them before
    assert sum(DailyTouchStats.objects.values_list("identified", flat=True)) == 1

    # When an admin erases them
    request = contact_erase(actor=admin_user, contact=person.contact)

    # Then no table mentions their email or their name
    assert {term: rows_mentioning(term) for term in TERMS} == {term: [] for term in TERMS}
    # ...and the contact export neither
    client.login(username="admin", password=PASSWORD)
    csv = b"".join(client.get(reverse("people:contacts_export")).streaming_content).decode()
    assert [term for term in TERMS if term.lower() in csv.lower()] == []
    assert "bob@example.org" in csv  # the export does list the other contacts
    # Only the digest of the address is kept, and the request is recorded as completed
    digest = hashlib.sha256(EMAIL.encode()).hexdigest()
    assert list(ErasedEmail.objects.values_list("digest", flat=True)) == [digest]
    request.refresh_from_db()
    assert (request.kind, request.status, request.contact_id, request.email_digest) == (
        RequestKind.ERASURE, RequestStatus.COMPLETED, None, digest,
    )  # fmt: skip
    assert request.completed_at is not None
    # Business records stay, with the mentions replaced
    person.deal.refresh_from_db()
    assert person.deal.name == "Umbrella Labs – [erased]"
    assert person.deal.close_note == "Champion is [erased] ([erased])"
    assert person.deal.contact_id is None
    assert Objection.objects.get().buyer_words == "[erased] says it is too dear"
    assert Activity.objects.get(company=person.company).body == (
        "Met [erased] at the fair; write to [erased]"
    )
    assert Deal.objects.filter(pk=person.other_deal.pk, committee__isnull=True).exists()
    # The pre-aggregated touch stats no longer count their touches
    assert sum(DailyTouchStats.objects.values_list("identified", flat=True)) == 0
    assert Contact.objects.filter(email="bob@example.org").exists()


def test_erasure_rebuilds_the_touch_stats_of_their_days_only(admin_user):
    # Given their touches today, and another contact's touches today and three days ago
    person = make_person(admin_user)
    theirs = Touchpoint.objects.get(contact=person.contact)
    bob = Contact.objects.get(email="bob@example.org")
    earlier = theirs.occurred_at - timedelta(days=3)
    Touchpoint.objects.create(kind="click", occurred_at=theirs.occurred_at, contact=bob,
                              campaign=theirs.campaign)  # fmt: skip
    Touchpoint.objects.create(kind="click", occurred_at=earlier, contact=bob)
    touch_stats_rebuild()
    today, before = timezone.localdate(theirs.occurred_at), timezone.localdate(earlier)
    earlier_rows = list(DailyTouchStats.objects.filter(day=before).values())

    # When they are erased
    contact_erase(actor=admin_user, contact=person.contact)

    # Then today's stats count only the other contact's touch, and the earlier day's row is the
    # same row, untouched
    assert list(
        DailyTouchStats.objects.filter(day=today).values_list(
            "campaign_id", "channel", "kind", "touches", "identified"
        )
    ) == [(theirs.campaign_id, "", "click", 1, 1)]
    assert list(DailyTouchStats.objects.filter(day=before).values()) == earlier_rows
    assert [(row["kind"], row["touches"]) for row in earlier_rows] == [("click", 1)]


def test_an_erased_address_is_never_emailed_and_identify_refuses_it(admin_user):
    person = make_person(admin_user)
    contact_erase(actor=admin_user, contact=person.contact)

    assert email_is_erased(EMAIL.upper()) is True
    assert email_is_erased("bob@example.org") is False
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        contact_identify(email=f" {EMAIL.upper()} ", source="form")
    assert exc.value.message_dict == {"email": ["This email address cannot be used here."]}
    assert not Contact.objects.filter(email__iexact=EMAIL).exists()


def test_a_public_form_submitted_with_an_erased_address_creates_nothing(client, admin_user):
    from revline.content.models import FormSubmission, LandingPage
    from revline.tracking.models import Touchpoint, Visitor

    person = make_person(admin_user)
    contact_erase(actor=admin_user, contact=person.contact)
    LandingPage.objects.create(slug="offer", title="Offer", is_published=True)
    before = (Contact.objects.count(), Touchpoint.objects.count(), Visitor.objects.count())

    response = client.post(
        reverse("content:landing_page", args=["offer"]),
        {"email": EMAIL, "first_name": FIRST, "last_name": LAST, "consent": "on"},
    )

    assert response.status_code == 400
    assert b"This email address cannot be used here." in response.content
    assert (Contact.objects.count(), Touchpoint.objects.count(), Visitor.objects.count()) == before
    assert FormSubmission.objects.count() == 0
    assert rows_mentioning(EMAIL) == []


@pytest.mark.parametrize("who", ["rep_a", "marketer"])
def test_only_admins_erase(client, admin_user, rep_a, marketer, who):
    person = make_person(admin_user)
    client.login(username=who, password=PASSWORD)
    url = reverse("privacy:contact_erase", args=[person.contact.pk])

    shown = client.get(url)
    posted = client.post(url, {"received_via": "email", "confirm": "on"})

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert Contact.objects.filter(pk=person.contact.pk).exists()
    assert PrivacyRequest.objects.count() == ErasedEmail.objects.count() == 0


def test_erasure_asks_for_confirmation_first(client, admin_user):
    person = make_person(admin_user)
    client.login(username="admin", password=PASSWORD)
    url = reverse("privacy:contact_erase", args=[person.contact.pk])

    page = client.get(url)
    unconfirmed = client.post(url, {"received_via": "email"})

    assert page.status_code == 200
    assert unconfirmed.status_code == 400
    assert b"Tick the box to confirm the erasure." in unconfirmed.content
    assert Contact.objects.filter(pk=person.contact.pk).exists()
    assert PrivacyRequest.objects.count() == 0

    done = client.post(url, {"received_via": "phone", "confirm": "on"})
    request = PrivacyRequest.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("privacy:request", args=[request.pk])
    assert request.received_via == "phone"
    assert not Contact.objects.filter(pk=person.contact.pk).exists()


# On PostgreSQL the import checks its next chunk in a second thread, on its own connection:
# the erasure must be committed for that connection to see it, as it always is outside tests.
@pytest.mark.django_db(transaction=True)
def test_reimporting_an_erased_address_skips_the_row_with_the_reason(admin_user, tmp_path):
    from revline.people import import_services

    person = make_person(admin_user)
    contact_erase(actor=admin_user, contact=person.contact)
    path = tmp_path / "contacts.csv"
    path.write_text(f"email,first_name\n{EMAIL},{FIRST}\nnew@example.org,New\n")
    imp = ContactImport.objects.create(
        file_name="contacts.csv", file_path=str(path), headers=["email", "first_name"],
        mapping={"email": "email", "first_name": "first_name"}, status="checking",
        import_good_rows=True, created_by=admin_user,
    )  # fmt: skip

    import_services.contact_import_check(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.rows_total, imp.rows_bad) == (2, 1)
    assert imp.errors == [{"line": 2, "reason": import_services.ERASED_ROW}]

    ContactImport.objects.filter(pk=imp.pk).update(status="importing", rows_done=0)
    import_services.contact_import_run(import_id=imp.pk)
    assert Contact.objects.filter(email="new@example.org").exists()
    assert not Contact.objects.filter(email__iexact=EMAIL).exists()
