"""Creating, changing and deleting segments: who may, what is checked, what stays untouched."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.email.models import Email
from revline.segments.models import Segment
from revline.segments.services import segment_create, segment_delete, segment_update

VIP = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}


@pytest.mark.django_db
def test_marketer_creates_a_segment_with_a_normalised_definition(marketer):
    segment = segment_create(
        actor=marketer,
        name="  Germans ",
        definition={
            "conditions": [{"type": "field", "field": "country", "op": "eq", "value": "de"}]
        },
    )
    assert segment.name == "Germans"
    assert segment.created_by == marketer
    assert Segment.objects.get().definition == {
        "match": "all",
        "conditions": [{"type": "field", "field": "country", "op": "eq", "value": "DE"}],
    }


@pytest.mark.django_db
def test_sales_rep_cannot_create_a_segment(rep_a):
    with pytest.raises(PermissionDenied):
        segment_create(actor=rep_a, name="Mine", definition=VIP)
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_bad_definition_or_name_creates_nothing(marketer):
    with pytest.raises(ValidationError) as caught:
        segment_create(actor=marketer, name="", definition={"conditions": [{"type": "tag"}]})
    assert caught.value.message_dict == {
        "name": ["Give the segment a name."],
        "definition": ["Condition 1 (Tag): enter a tag."],
    }
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_unknown_campaign_is_refused(marketer):
    definition = {"conditions": [{"type": "campaign_touched", "campaign": 999}]}
    with pytest.raises(ValidationError) as caught:
        segment_create(actor=marketer, name="Ghost", definition=definition)
    assert caught.value.message_dict == {"definition": ["There is no campaign with id 999."]}
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_update_changes_only_what_is_given_and_nothing_on_error(marketer):
    segment = segment_create(actor=marketer, name="VIPs", definition=VIP, description="Top")
    segment_update(actor=marketer, segment=segment, name="Very important")
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.definition["conditions"][0]["tag"]) == (
        "Very important", "Top", "vip",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        segment_update(actor=marketer, segment=segment, name="X", definition={"match": "maybe"})
    segment.refresh_from_db()
    assert segment.name == "Very important"


@pytest.mark.django_db
def test_segment_used_by_an_email_cannot_be_deleted(marketer):
    segment = segment_create(actor=marketer, name="VIPs", definition=VIP)
    Email.objects.create(name="June newsletter", segment=segment)
    with pytest.raises(ValidationError) as caught:
        segment_delete(actor=marketer, segment=segment)
    assert caught.value.messages == [
        "This segment is the audience of 1 email (“June newsletter”); change their audience "
        "before deleting it."
    ]
    assert Segment.objects.filter(pk=segment.pk).exists()


@pytest.mark.django_db
def test_unused_segment_is_deleted_by_a_marketer_only(marketer, rep_a):
    segment = segment_create(actor=marketer, name="VIPs", definition=VIP)
    with pytest.raises(PermissionDenied):
        segment_delete(actor=rep_a, segment=segment)
    assert Segment.objects.count() == 1
    segment_delete(actor=marketer, segment=segment)
    assert Segment.objects.count() == 0
