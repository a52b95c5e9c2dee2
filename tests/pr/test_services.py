"""PR writes: the release workflow, distribution, coverage rules and who may write."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.pr.models import (
    Coverage,
    InteractionKind,
    MediaContact,
    MediaInteraction,
    PrCompetitor,
    PressRelease,
    ReleaseStatus,
    ReleaseTransition,
)
from revline.pr.services import (
    coverage_create,
    coverage_update,
    media_contact_create,
    media_contact_update,
    media_interaction_log,
    press_release_create,
    press_release_distribute,
    press_release_transition,
    press_release_update,
)

from .conftest import D0, T0, release_in

pytestmark = pytest.mark.django_db


def snapshot(release: PressRelease) -> tuple:
    release.refresh_from_db()
    return (
        release.status,
        release.distributed_at,
        sorted(release.recipients.values_list("pk", flat=True)),
        ReleaseTransition.objects.filter(release=release).count(),
        MediaInteraction.objects.filter(release=release).count(),
    )


# --- Workflow ----------------------------------------------------------------------------------


def test_the_whole_workflow_records_who_and_when_for_every_step(marketer, admin_user, press):
    # Given
    release = press_release_create(actor=marketer, title="Launch", body="<p>Hi</p>")
    assert release.status == ReleaseStatus.DRAFT

    # When
    t1, t2, t3, t4, t5 = (T0 + timedelta(hours=h) for h in range(5))
    press_release_transition(actor=marketer, release=release, to_status="review", at=t1)
    press_release_transition(
        actor=admin_user, release=release, to_status="draft", note="Add a quote", at=t2
    )
    press_release_transition(actor=marketer, release=release, to_status="review", at=t3)
    press_release_transition(actor=admin_user, release=release, to_status="approved", at=t4)
    press_release_distribute(
        actor=marketer, release=release, recipients=[press.ada, press.cleo, press.ada], at=t5
    )

    # Then
    release.refresh_from_db()
    assert (release.status, release.distributed_at) == ("distributed", t5)
    assert list(
        release.transitions.values_list("from_status", "to_status", "by__username", "at", "note")
    ) == [
        ("draft", "review", "marketer", t1, ""),
        ("review", "draft", "admin", t2, "Add a quote"),
        ("draft", "review", "marketer", t3, ""),
        ("review", "approved", "admin", t4, ""),
        ("approved", "distributed", "marketer", t5, ""),
    ]
    assert set(release.recipients.all()) == {press.ada, press.cleo}
    assert sorted(
        MediaInteraction.objects.values_list(
            "media_contact__name", "kind", "occurred_on", "release_id", "by__username", "summary"
        )
    ) == [
        ("Ada Lovelace", "release", D0, release.pk, "marketer", "Sent the press release “Launch”."),
        ("Cleo Park", "release", D0, release.pk, "marketer", "Sent the press release “Launch”."),
    ]


REFUSED = [
    ("draft", "approved"),
    ("draft", "distributed"),
    ("draft", "draft"),
    ("review", "review"),
    ("review", "distributed"),
    ("approved", "review"),
    ("approved", "draft"),
    ("approved", "approved"),
    ("distributed", "draft"),
    ("distributed", "review"),
    ("distributed", "approved"),
    ("draft", "published"),
]


@pytest.mark.parametrize(("status", "to_status"), REFUSED)
def test_a_refused_transition_changes_nothing(marketer, press, status, to_status):
    # Given
    release = release_in(status, "News", recipients=[press.ada])
    before = snapshot(release)

    # When
    with pytest.raises(ValidationError) as error:
        press_release_transition(actor=marketer, release=release, to_status=to_status)

    # Then
    assert list(error.value.message_dict) == ["status"]
    assert snapshot(release) == before


def test_the_refusal_says_what_was_tried(marketer):
    release = release_in("draft", "News")
    with pytest.raises(ValidationError) as error:
        press_release_transition(actor=marketer, release=release, to_status="approved")
    assert error.value.message_dict == {
        "status": ["A release that is draft cannot move to approved."]
    }
    approved = release_in("approved", "News 2")
    with pytest.raises(ValidationError) as error:
        press_release_transition(actor=marketer, release=approved, to_status="distributed")
    assert error.value.message_dict == {
        "status": ["Distribute the release to choose its recipients."]
    }


def test_the_transition_reads_the_stored_status_not_a_stale_copy(marketer):
    # Given a copy loaded while the release was a draft, then the release moved on
    release = release_in("draft", "News")
    stale = PressRelease.objects.get(pk=release.pk)
    press_release_transition(actor=marketer, release=release, to_status="review")

    # When the stale copy asks for draft → review again
    with pytest.raises(ValidationError):
        press_release_transition(actor=marketer, release=stale, to_status="review")

    # Then only one transition happened
    assert ReleaseTransition.objects.filter(release=release).count() == 1


@pytest.mark.parametrize("status", ["draft", "review", "distributed"])
def test_only_approved_releases_can_be_distributed(marketer, press, status):
    release = release_in(status, "News", recipients=[press.ben])
    before = snapshot(release)

    with pytest.raises(ValidationError) as error:
        press_release_distribute(actor=marketer, release=release, recipients=[press.ada])

    assert list(error.value.message_dict) == ["status"]
    assert snapshot(release) == before


def test_distribution_needs_at_least_one_recipient(marketer):
    release = release_in("approved", "News")
    before = snapshot(release)

    with pytest.raises(ValidationError) as error:
        press_release_distribute(actor=marketer, release=release, recipients=[])

    assert error.value.message_dict == {"recipients": ["Choose at least one media contact."]}
    assert snapshot(release) == before


@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_people_cannot_move_or_distribute_releases(request, press, who):
    user = request.getfixturevalue(who)
    review = release_in("review", "In review")
    approved = release_in("approved", "Approved")
    before = (snapshot(review), snapshot(approved))

    with pytest.raises(PermissionDenied):
        press_release_transition(actor=user, release=review, to_status="approved")
    with pytest.raises(PermissionDenied):
        press_release_distribute(actor=user, release=approved, recipients=[press.ada])
    with pytest.raises(PermissionDenied):
        press_release_create(actor=user, title="Mine")

    assert (snapshot(review), snapshot(approved)) == before
    assert PressRelease.objects.count() == 2


# --- Release content ---------------------------------------------------------------------------


def test_the_body_is_sanitised_when_created_and_when_edited(marketer):
    release = press_release_create(
        actor=marketer,
        title="  Launch  ",
        body='<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">l</a></p>',
    )
    release.refresh_from_db()
    assert release.title == "Launch"
    assert release.body == '<p>Hi <a rel="noopener noreferrer nofollow">l</a></p>'

    press_release_update(
        actor=marketer, release=release, body="<h2>T</h2><img src=x onerror=alert(1)><em>e</em>"
    )
    release.refresh_from_db()
    assert release.body == "<h2>T</h2><em>e</em>"


def test_only_drafts_can_be_edited(marketer):
    review = release_in("review", "In review")
    with pytest.raises(ValidationError) as error:
        press_release_update(actor=marketer, release=review, title="Changed")
    assert error.value.messages == [
        "Only draft releases can be edited; this one is in review. Send it back to draft first."
    ]
    review.refresh_from_db()
    assert review.title == "In review"


def test_over_long_release_fields_are_refused_and_nothing_is_saved(marketer):
    with pytest.raises(ValidationError) as error:
        press_release_create(
            actor=marketer, title="t" * 201, summary="s" * 1001, body="b" * 100_001
        )
    assert sorted(error.value.message_dict) == ["body", "summary", "title"]
    assert PressRelease.objects.count() == 0


def test_a_failed_edit_leaves_the_stored_release_and_the_callers_copy_alone(marketer):
    release = release_in("draft", "Original")
    with pytest.raises(ValidationError):
        press_release_update(actor=marketer, release=release, title="", body="<p>new</p>")
    assert release.title == "Original"
    release.refresh_from_db()
    assert (release.title, release.body) == ("Original", "<p>Body</p>")


# --- Media contacts ----------------------------------------------------------------------------


def test_media_contacts_are_trimmed_and_validated(marketer):
    contact = media_contact_create(
        actor=marketer, name="  Ada ", outlet=" TechDaily ", email=" ADA@Tech.test "
    )
    assert (contact.name, contact.outlet, contact.email, contact.owner) == (
        "Ada",
        "TechDaily",
        "ada@tech.test",
        None,
    )
    with pytest.raises(ValidationError) as error:
        media_contact_create(
            actor=marketer, name="", outlet="o" * 201, email="not-an-email", notes="n" * 10_001
        )
    assert sorted(error.value.message_dict) == ["email", "name", "notes", "outlet"]
    assert MediaContact.objects.count() == 1


def test_a_failed_media_contact_update_changes_nothing(marketer, press):
    with pytest.raises(ValidationError):
        media_contact_update(actor=marketer, media_contact=press.ada, name="New", email="bad")
    press.ada.refresh_from_db()
    assert (press.ada.name, press.ada.email) == ("Ada Lovelace", "ada@tech.test")


def test_sales_reps_cannot_write_media_contacts(rep_a, press):
    with pytest.raises(PermissionDenied):
        media_contact_create(actor=rep_a, name="X", outlet="Y")
    with pytest.raises(PermissionDenied):
        media_contact_update(actor=rep_a, media_contact=press.ada, name="X")
    with pytest.raises(PermissionDenied):
        media_interaction_log(actor=rep_a, media_contact=press.ada, kind="call", summary="Hi")
    assert MediaContact.objects.count() == 3
    assert MediaInteraction.objects.count() == 0


def test_interactions_are_logged_with_their_author_and_refused_in_the_future(marketer, press):
    entry = media_interaction_log(
        actor=marketer,
        media_contact=press.ada,
        kind="pitch",
        summary=" Pitched the launch ",
        occurred_on=D0,
    )
    assert (entry.kind, entry.summary, entry.occurred_on, entry.by) == (
        "pitch",
        "Pitched the launch",
        D0,
        marketer,
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        media_interaction_log(
            actor=marketer, media_contact=press.ada, kind="fax", summary="", occurred_on=tomorrow
        )
    assert sorted(error.value.message_dict) == ["kind", "occurred_on", "summary"]
    assert MediaInteraction.objects.count() == 1


# --- Coverage ----------------------------------------------------------------------------------


def test_coverage_is_logged_with_normalised_competitors_and_the_release_campaign(
    marketer, press, releases, launch
):
    # Given a competitor already known under another spelling
    PrCompetitor.objects.create(name="Acme")

    # When
    entry = coverage_create(
        actor=marketer,
        outlet=" TechDaily ",
        title=" Revline launches ",
        url="https://techdaily.test/revline",
        published_on=D0,
        reach=12000,
        sentiment="positive",
        competitors=["ACME", " Globex  Corp ", "acme"],
        release=releases.distributed,
        media_contact=press.ada,
    )

    # Then
    entry.refresh_from_db()
    assert (entry.outlet, entry.title, entry.campaign, entry.created_by) == (
        "TechDaily",
        "Revline launches",
        launch,
        marketer,
    )
    assert sorted(entry.competitors.values_list("name", flat=True)) == ["Acme", "Globex Corp"]
    assert PrCompetitor.objects.count() == 2
    assert list(
        MediaInteraction.objects.filter(kind=InteractionKind.COVERAGE).values_list(
            "media_contact", "occurred_on", "coverage", "release", "summary"
        )
    ) == [
        (
            press.ada.pk,
            D0,
            entry.pk,
            releases.distributed.pk,
            "Published “Revline launches” in TechDaily.",
        )
    ]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"url": "javascript:alert(1)"}, ["url"]),
        ({"url": "ftp://files.test/a"}, ["url"]),
        ({"url": "https://"}, ["url"]),
        ({"reach": -1}, ["reach"]),
        ({"reach": 10_000_000_001}, ["reach"]),
        ({"sentiment": "ecstatic"}, ["sentiment"]),
        ({"title": "t" * 301, "outlet": ""}, ["outlet", "title"]),
        ({"notes": "n" * 2001}, ["notes"]),
        ({"published_on": date.today() + timedelta(days=2)}, ["published_on"]),
        ({"about_us": False}, ["about_us"]),
        ({"competitors": ["x" * 101]}, ["competitors"]),
        ({"competitors": [f"c{i}" for i in range(21)]}, ["competitors"]),
    ],
)
def test_bad_coverage_is_refused_naming_the_field_and_nothing_is_written(marketer, fields, errors):
    data = {"outlet": "TechDaily", "title": "Piece", "published_on": D0, **fields}
    with pytest.raises(ValidationError) as error:
        coverage_create(actor=marketer, **data)
    assert sorted(error.value.message_dict) == errors
    assert Coverage.objects.count() == 0
    assert PrCompetitor.objects.count() == 0


def test_the_same_address_cannot_be_logged_twice(marketer):
    coverage_create(
        actor=marketer, outlet="A", title="One", published_on=D0, url="https://a.test/1"
    )
    with pytest.raises(ValidationError) as error:
        coverage_create(
            actor=marketer, outlet="B", title="Two", published_on=D0, url="https://a.test/1"
        )
    assert error.value.message_dict == {"url": ["This address is already in the coverage log."]}
    # Entries without an address never clash
    coverage_create(actor=marketer, outlet="A", title="Print 1", published_on=D0)
    coverage_create(actor=marketer, outlet="A", title="Print 2", published_on=D0)
    assert Coverage.objects.count() == 3


def test_competitor_only_coverage_is_allowed(marketer):
    entry = coverage_create(
        actor=marketer,
        outlet="A",
        title="Acme raises",
        published_on=D0,
        about_us=False,
        competitors=["Acme"],
    )
    assert (entry.about_us, [c.name for c in entry.competitors.all()]) == (False, ["Acme"])


def test_coverage_update_replaces_competitors_and_a_failed_update_changes_nothing(marketer):
    entry = coverage_create(
        actor=marketer, outlet="A", title="One", published_on=D0, competitors=["Acme"]
    )
    coverage_update(actor=marketer, coverage=entry, competitors=["Globex"], reach=10)
    entry.refresh_from_db()
    assert (entry.reach, [c.name for c in entry.competitors.all()]) == (10, ["Globex"])

    with pytest.raises(ValidationError):
        coverage_update(
            actor=marketer, coverage=entry, title="Changed", competitors=[], about_us=False
        )
    entry.refresh_from_db()
    assert (entry.title, entry.about_us, [c.name for c in entry.competitors.all()]) == (
        "One",
        True,
        ["Globex"],
    )


def test_sales_reps_cannot_log_coverage(rep_a):
    with pytest.raises(PermissionDenied):
        coverage_create(actor=rep_a, outlet="A", title="One", published_on=D0)
    assert Coverage.objects.count() == 0
