"""The team's side: the suppression list, topics, and what blocks a marketing send."""

import pytest

from revline.core.workspace import workspace_get
from revline.email.delivery_services import suppression_add
from revline.email.models import Suppression, SuppressionReason, Topic, TopicOptOut
from revline.email.selectors import marketing_send_blockers
from revline.people.models import Contact, TimelineEvent
from tests.conftest import PASSWORD


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def rows(db):
    suppression_add(address="Gone@Example.com", reason=SuppressionReason.HARD_BOUNCE, source="imap")
    suppression_add(address="left@example.com", reason=SuppressionReason.UNSUBSCRIBED, source="x")
    suppression_add(address="=cmd@example.com", reason=SuppressionReason.MANUAL, source="+SUM(1)")
    return {s.address: s for s in Suppression.objects.all()}


def test_suppression_add_is_idempotent_and_keeps_the_first_reason(db):
    first, created = suppression_add(
        address=" Ada@Example.COM ", reason=SuppressionReason.UNSUBSCRIBED, source="link"
    )
    again, created_again = suppression_add(
        address="ada@example.com", reason=SuppressionReason.COMPLAINT, source="fbl"
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert (again.address, again.reason) == ("ada@example.com", SuppressionReason.UNSUBSCRIBED)


def test_the_list_searches_and_filters_by_reason(client, marketer, rows):
    login(client, marketer)

    everything = client.get("/email/suppressions/").content.decode()
    bounced = client.get("/email/suppressions/?reason=hard_bounce").content.decode()
    searched = client.get("/email/suppressions/?q=left").content.decode()
    nothing = client.get("/email/suppressions/?q=nobody-at-all").content.decode()

    assert all(a in everything for a in ("gone@example.com", "left@example.com"))
    assert "gone@example.com" in bounced and "left@example.com" not in bounced
    assert "left@example.com" in searched and "gone@example.com" not in searched
    assert "No suppressed addresses match." in nothing
    assert "Remove</a>" not in everything  # marketers cannot remove


def test_sales_reps_cannot_see_or_change_the_list(client, rep_a, rows):
    login(client, rep_a)

    assert client.get("/email/suppressions/").status_code == 403
    assert client.post("/email/suppressions/add", {"address": "x@example.com"}).status_code == 403
    assert client.get("/email/suppressions/export.csv").status_code == 403
    assert not Suppression.objects.filter(address="x@example.com").exists()


def test_a_marketer_adds_an_address_by_hand(client, marketer, db):
    login(client, marketer)

    response = client.post(
        "/email/suppressions/add", {"address": "Block.Me@Example.com", "note": "asked by phone"}
    )

    assert response.status_code == 302
    row = Suppression.objects.get()
    assert (row.address, row.reason, row.source) == (
        "block.me@example.com",
        SuppressionReason.MANUAL,
        "Added by marketer: asked by phone",
    )


def test_a_bad_or_listed_address_is_refused_with_a_field_error(client, marketer, rows):
    login(client, marketer)

    bad = client.post("/email/suppressions/add", {"address": "not-an-address"})
    listed = client.post("/email/suppressions/add", {"address": "GONE@example.com"})

    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()
    assert listed.status_code == 400
    assert "already on the suppression list" in listed.content.decode()
    assert Suppression.objects.count() == 3


def test_removing_an_unsubscribed_address_takes_a_stated_reason(client, admin_user, rows):
    contact = Contact.objects.create(email="left@example.com")
    row = rows["left@example.com"]
    login(client, admin_user)

    page = client.get(f"/email/suppressions/{row.pk}/remove")
    refused = client.post(f"/email/suppressions/{row.pk}/remove", {"reason": "oops"})
    done = client.post(
        f"/email/suppressions/{row.pk}/remove",
        {"reason": "She asked us by letter to resume the newsletter"},
    )

    assert page.status_code == 200
    assert "This person unsubscribed" in page.content.decode()
    assert refused.status_code == 400
    assert "say why they may be emailed again" in refused.content.decode()
    assert done.status_code == 302
    assert not Suppression.objects.filter(address="left@example.com").exists()
    note = TimelineEvent.objects.get(contact=contact)
    assert note.kind == "note"
    assert note.actor == admin_user
    assert note.params == {
        "subject": "Removed from the suppression list (unsubscribed)",
        "body": "She asked us by letter to resume the newsletter",
    }


def test_a_manual_entry_is_removed_without_a_reason_by_admins_only(
    client, marketer, admin_user, rows
):
    row = rows["=cmd@example.com"]

    login(client, marketer)
    assert client.post(f"/email/suppressions/{row.pk}/remove", {}).status_code == 403
    assert Suppression.objects.filter(pk=row.pk).exists()

    login(client, admin_user)
    assert client.post(f"/email/suppressions/{row.pk}/remove", {}).status_code == 302
    assert not Suppression.objects.filter(pk=row.pk).exists()


def test_the_csv_export_neutralises_formula_cells_and_follows_the_filters(client, marketer, rows):
    login(client, marketer)

    response = client.get("/email/suppressions/export.csv")
    filtered = client.get("/email/suppressions/export.csv?reason=hard_bounce")

    assert response["Content-Disposition"] == 'attachment; filename="suppressions.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "address,reason,source,added_at"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "'=cmd@example.com,manual,'+SUM(1)",
        "gone@example.com,hard_bounce,imap",
        "left@example.com,unsubscribed,x",
    ]
    assert len(b"".join(filtered.streaming_content).decode().splitlines()) == 2


def test_topics_are_created_renamed_and_deleted(client, marketer, db):
    login(client, marketer)

    created = client.post("/email/topics/", {"name": " Product   news ", "description": "New"})
    topic = Topic.objects.get()
    duplicate = client.post("/email/topics/", {"name": "product NEWS"})
    renamed = client.post(f"/email/topics/{topic.pk}/edit", {"name": "Releases"})
    listing = client.get("/email/topics/?sort=-name").content.decode()
    contact = Contact.objects.create(email="a@example.com")
    TopicOptOut.objects.create(contact=contact, topic=topic)
    deleted = client.post(f"/email/topics/{topic.pk}/delete")

    assert created.status_code == 302
    assert topic.name == "Product news"
    assert duplicate.status_code == 400
    assert "A topic with this name already exists." in duplicate.content.decode()
    assert renamed.status_code == 302
    assert "Releases" in listing
    assert deleted.status_code == 302
    assert not Topic.objects.exists()
    assert not TopicOptOut.objects.exists()


def test_topics_are_for_marketers(client, rep_a, db):
    topic = Topic.objects.create(name="Events")
    login(client, rep_a)

    assert client.get("/email/topics/").status_code == 403
    assert client.post(f"/email/topics/{topic.pk}/delete").status_code == 403
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_marketing_send_blockers_name_what_is_missing(db):
    workspace = workspace_get()
    assert marketing_send_blockers() == [
        "Add your postal address in the email sender settings: the law requires it in the "
        "footer of every marketing email.",
        "Set a sender address (From) in the email sender settings.",
    ]
    assert len(marketing_send_blockers(from_email="news@acme.test")) == 1

    workspace.postal_address = "1 Main Street, Springfield"
    workspace.email_from_address = "news@acme.test"
    workspace.save()

    assert marketing_send_blockers() == []
