"""Entries are append-only, and each wired service writes the entry it should."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from revline.audit.models import AuditAction, AuditEntry, AuditImmutableError
from revline.audit.services import audit_event, audit_token_used
from revline.campaigns.services import campaign_create, campaign_update
from revline.core.models import ApiToken
from revline.core.services import (
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
    team_create,
    user_update,
)
from revline.core.workspace import workspace_update
from revline.people.services import (
    company_create,
    company_delete,
    company_update,
    contact_create,
    contact_delete,
    contact_update,
)
from revline.sales.services import (
    deal_close_won,
    deal_create,
    deal_move_stage,
    deal_reopen,
    deal_update,
    pipeline_default,
)


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("pk"))


@pytest.fixture
def contact(admin_user):
    return contact_create(actor=admin_user, first_name="Ada", last_name="L", email="ada@x.example")


def test_an_entry_cannot_be_changed_or_deleted(admin_user):
    # Given an entry
    entry = audit_event(action=AuditAction.LOGIN, actor=admin_user)
    # When someone tries to change or delete it, then it is refused
    entry.actor_label = "someone else"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    # ...and the row is as it was
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == "Admin (admin)"


def test_deleting_the_actor_keeps_the_entry_and_their_name(admin_user, rep_a):
    audit_event(action=AuditAction.LOGIN, actor=rep_a)
    label = f"{rep_a.get_full_name()} (rep_a)"
    rep_a.delete()
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.actor_id, entry.actor_label) == (None, label)


def test_contact_create_update_delete(admin_user, contact):
    # Given the create entry
    [created] = entries(object_type="people.contact")
    assert (created.action, created.actor, created.object_id) == (
        AuditAction.CREATE, admin_user, str(contact.pk),
    )  # fmt: skip
    assert created.changes["email"] == [None, "ada@x.example"]
    assert created.changes["first_name"] == [None, "Ada"]

    # When the contact is edited, then only the changed fields are recorded, old and new
    contact_update(actor=admin_user, contact=contact, title="CTO", tags=["vip"])
    [_, updated] = entries(object_type="people.contact")
    assert (updated.action, updated.changes) == (
        AuditAction.UPDATE, {"title": ["", "CTO"], "tags": [[], ["vip"]]},
    )  # fmt: skip

    # An edit that changes nothing writes nothing
    contact_update(actor=admin_user, contact=contact, title="CTO")
    assert len(entries(object_type="people.contact")) == 2

    # When it is deleted, the entry keeps its last values and its id
    pk = contact.pk
    contact_delete(actor=admin_user, contact=contact)
    deleted = entries(object_type="people.contact")[-1]
    assert (deleted.action, deleted.object_id, deleted.object_label) == (
        AuditAction.DELETE, str(pk), "Ada L",
    )  # fmt: skip
    assert deleted.changes["title"] == ["CTO", None]


def test_a_refused_update_writes_nothing(admin_user, contact):
    with pytest.raises(ValidationError):
        contact_update(actor=admin_user, contact=contact, email="not an email")
    assert len(entries(object_type="people.contact")) == 1


def test_company_create_update_delete(admin_user):
    company = company_create(actor=admin_user, name="Acme", domain="acme.example")
    company_update(actor=admin_user, company=company, name="Acme Corp")
    pk = company.pk
    company_delete(actor=admin_user, company=company)

    got = [
        (e.action, e.object_id, e.changes.get("name"))
        for e in entries(object_type="people.company")
    ]
    assert got == [
        (AuditAction.CREATE, str(pk), [None, "Acme"]),
        (AuditAction.UPDATE, str(pk), ["Acme", "Acme Corp"]),
        (AuditAction.DELETE, str(pk), ["Acme Corp", None]),
    ]


def test_deal_create_update_move_close_reopen(admin_user):
    pipeline = pipeline_default()
    deal = deal_create(actor=admin_user, name="Big", amount=Decimal("1000"))
    first = deal.stage
    second = pipeline.stages.filter(kind="open").exclude(pk=first.pk).order_by("position").first()

    deal_update(actor=admin_user, deal=deal, amount=Decimal("1500"))
    deal_move_stage(actor=admin_user, deal=deal, stage=second)
    deal_close_won(actor=admin_user, deal=deal, note="Signed")
    deal_reopen(actor=admin_user, deal=deal)

    rows = entries(object_type="sales.deal", object_id=str(deal.pk))
    assert [e.action for e in rows] == ["create"] + ["update"] * 4
    assert rows[0].changes["amount"] == [None, "1000"]
    assert rows[1].changes["amount"] == ["1000", "1500"]
    assert rows[2].changes["stage_id"] == [first.pk, second.pk]
    assert rows[3].changes["status"] == ["open", "won"]
    assert rows[3].changes["close_note"] == ["", "Signed"]
    assert rows[4].changes["status"] == ["won", "open"]
    assert {e.actor_id for e in rows} == {admin_user.pk}


def test_role_and_team_changes_are_permission_changes(admin_user, rep_a, team_b):

    team_a_id = rep_a.team_id
    user_update(actor=admin_user, user=rep_a, role="sales_manager", team=team_b, is_active=True)

    [entry] = entries(object_type="core.user", action=AuditAction.PERMISSION_CHANGE)
    assert (entry.actor, entry.object_id) == (admin_user, str(rep_a.pk))
    assert entry.changes == {
        "role": ["sales_rep", "sales_manager"],
        "team_id": [team_a_id, team_b.pk],
    }
    assert entry.object_label == str(rep_a)


def test_team_create_is_recorded(admin_user):
    team = team_create(actor=admin_user, name="North")
    assert [(e.action, e.object_label) for e in entries(object_type="core.team")] == [
        (AuditAction.CREATE, team.name)
    ]


def test_token_issue_masks_the_digest_and_revoke_is_a_permission_change(rep_a):
    issued = api_token_issue(user=rep_a, name="CI")
    api_token_revoke(actor=rep_a, token=issued.token)

    created, revoked = entries(object_type="core.apitoken")
    assert created.action == AuditAction.CREATE
    assert created.changes["digest"] == [None, "••••••"]
    assert issued.raw not in str(created.changes)
    assert issued.token.digest not in str(created.changes)
    assert revoked.action == AuditAction.PERMISSION_CHANGE
    assert list(revoked.changes) == ["revoked_at"]


def test_token_use_is_recorded_once_per_hour(rep_a):
    issued = api_token_issue(user=rep_a, name="CI")
    token_entries = {"action": AuditAction.TOKEN_USED}

    # When the token is used three times in a row
    for _ in range(3):
        assert api_token_authenticate(raw=issued.raw).user == rep_a
        ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=None)
    # Then one entry is written
    [entry] = entries(**token_entries)
    assert (entry.actor, entry.object_id) == (rep_a, str(issued.token.pk))

    # And again only once the last one is an hour old
    assert audit_token_used(token=issued.token, user=rep_a) is False
    AuditEntry.objects.filter(pk=entry.pk).update(occurred_at=timezone.now() - timedelta(hours=2))
    assert audit_token_used(token=issued.token, user=rep_a) is True
    assert len(entries(**token_entries)) == 2


def test_workspace_settings_are_setting_changes(admin_user):
    workspace_update(
        actor=admin_user, site_origins="https://shop.example", tracking_requires_consent=True
    )
    [entry] = entries(object_type="core.workspace")
    assert entry.action == AuditAction.SETTING_CHANGE
    assert entry.changes["site_origins"][1] == "https://shop.example"
    assert entry.changes["tracking_requires_consent"][1] is True


def test_campaign_create_and_update(admin_user):
    campaign = campaign_create(actor=admin_user, name="Spring", channel="email")
    campaign_update(actor=admin_user, campaign=campaign, description="Launch")
    created, updated = entries(object_type="campaigns.campaign")
    assert (created.action, created.changes["name"]) == (AuditAction.CREATE, [None, "Spring"])
    assert (updated.action, updated.changes) == (
        AuditAction.UPDATE, {"description": ["", "Launch"]},
    )  # fmt: skip
