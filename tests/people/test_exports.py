"""CSV exports: the columns, the list's filters, formula neutralisation, login."""

import csv
import io

import pytest
from django.urls import reverse

from revline.people.exports import contacts_csv_response, neutralise
from revline.people.models import Contact
from revline.people.services import company_create, contact_create

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ann", "Ann"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_neutralise(value, cell):
    assert neutralise(value) == cell


def test_contacts_csv_response(rep_a):
    acme = company_create(actor=None, name="=Acme")
    contact = contact_create(
        actor=None, first_name="=cmd|' /C calc'!A0", last_name="Lee", email="ann@x.co",
        phone="+49 30 1234", company=acme, owner=rep_a, tags=["vip", "b"], country="DE",
    )  # fmt: skip
    response = contacts_csv_response(
        contacts=Contact.objects.all(), viewer=rep_a, filename="my list.csv"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mylist.csv"'
    header, row = rows_of(response)
    assert header == [
        "id", "first_name", "last_name", "email", "phone", "title", "company", "country",
        "lifecycle_stage", "tags", "owner", "created_at",
    ]  # fmt: skip
    assert row == [
        str(contact.pk), "'=cmd|' /C calc'!A0", "Lee", "ann@x.co", "'+49 30 1234", "",
        "'=Acme", "DE", "subscriber", "b, vip", "Rep_A", contact.created_at.isoformat(),
    ]  # fmt: skip


def test_contact_export_honours_the_list_filters(client, marketer):
    contact_create(actor=None, email="lead@x.co", first_name="Lead", tags=["vip"])
    contact_create(actor=None, email="other@x.co", first_name="Other")
    Contact.objects.filter(email="lead@x.co").update(lifecycle_stage="lead")
    client.force_login(marketer)
    response = client.get(reverse("people:contacts_export"), {"stage": "lead"})
    assert [r[3] for r in rows_of(response)[1:]] == ["lead@x.co"]
    response = client.get(reverse("people:contacts_export"), {"tag": "vip", "q": "lead"})
    assert [r[3] for r in rows_of(response)[1:]] == ["lead@x.co"]
    response = client.get(reverse("people:contacts_export"), {"sort": "email"})
    assert [r[3] for r in rows_of(response)[1:]] == ["lead@x.co", "other@x.co"]


def test_company_export(client, marketer):
    company_create(actor=None, name="Acme", domain="acme.com", industry="Software", tags=["key"])
    company_create(actor=None, name="Initech", industry="Banking")
    client.force_login(marketer)
    response = client.get(reverse("people:companies_export"), {"industry": "Software"})
    rows = rows_of(response)
    assert rows[0] == [
        "id", "name", "domain", "industry", "size", "country", "phone", "tags", "owner",
        "created_at",
    ]  # fmt: skip
    assert [r[1:8] for r in rows[1:]] == [["Acme", "acme.com", "Software", "", "", "", "key"]]


def test_export_needs_login_and_an_active_user(client, marketer):
    response = client.get(reverse("people:contacts_export"))
    assert response.status_code == 302
    marketer.is_active = False
    marketer.save()
    client.force_login(marketer)
    assert client.get(reverse("people:companies_export")).status_code in (302, 403)
