"""Personas: rules in the segment language, matched live through the segment compiler."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from revline.people.models import Company, Contact
from revline.research.models import Persona
from revline.research.selectors import persona_contacts, persona_count
from revline.research.services import persona_create, persona_delete, persona_update

VP = {"type": "field", "field": "title", "op": "contains", "value": "VP"}
SOFTWARE = {"type": "company", "field": "industry", "op": "eq", "value": "software"}
RULE = {"match": "all", "conditions": [VP, SOFTWARE]}


@pytest.fixture
def people(db):
    soft = Company.objects.create(name="Soft", industry="Software")
    shop = Company.objects.create(name="Shop", industry="Retail")
    return {
        "ann": Contact.objects.create(first_name="Ann", title="VP Sales", company=soft),
        "ben": Contact.objects.create(first_name="Ben", title="Engineer", company=soft),
        "cat": Contact.objects.create(first_name="Cat", title="VP Marketing", company=shop),
        "dan": Contact.objects.create(first_name="Dan", title="svp growth", company=soft),
    }


@pytest.mark.django_db
def test_a_persona_matches_contacts_live_through_the_segment_compiler(marketer, people):
    # Given a persona for VPs at software companies
    persona = persona_create(actor=marketer, name="Software VP", definition=RULE)
    # Then the rule is stored normalised, as segments store theirs
    assert persona.definition == {"match": "all", "conditions": [
        {"type": "field", "field": "title", "op": "contains", "value": "VP"},
        {"type": "company", "field": "industry", "op": "eq", "value": "software"}]}  # fmt: skip
    # And matching is case-insensitive, over the contacts as they are now
    assert sorted(c.first_name for c in persona_contacts(persona=persona)) == ["Ann", "Dan"]
    people["ben"].title = "VP Engineering"
    people["ben"].save()
    assert persona_count(persona=persona) == 3


@pytest.mark.django_db
def test_bad_rules_are_refused_with_the_segment_wording(marketer, people):
    with pytest.raises(ValidationError) as bad:
        persona_create(
            actor=marketer, name="Bad",
            definition={"conditions": [{"type": "field", "field": "shoe_size", "op": "eq"}]},
        )  # fmt: skip
    assert bad.value.message_dict["definition"] == [
        "Condition 1 (Contact field): unknown field “shoe_size”; use one of first_name, last_name, "
        "email, title, country, source, lifecycle_stage, owner, created_at, fit_score, "
        "engagement_score."
    ]
    with pytest.raises(ValidationError) as empty:
        persona_create(actor=marketer, name="Everyone", definition={"conditions": []})
    assert empty.value.message_dict == {
        "definition": ["Add at least one condition: a persona without a rule would match everyone."]
    }
    with pytest.raises(ValidationError) as missing:
        persona_create(
            actor=marketer, name="Ghost campaign",
            definition={"conditions": [{"type": "campaign_touched", "campaign": 999}]},
        )  # fmt: skip
    assert missing.value.message_dict == {"definition": ["There is no campaign with id 999."]}
    assert Persona.objects.count() == 0


@pytest.mark.django_db
def test_names_are_unique_and_updates_are_all_or_nothing(marketer, people):
    persona = persona_create(actor=marketer, name="Software VP", definition=RULE, goals="Grow")
    with pytest.raises(ValidationError) as dup:
        persona_create(actor=marketer, name="software vp", definition=RULE)
    assert dup.value.message_dict == {"name": ["There is already a persona called “software vp”."]}
    with pytest.raises(ValidationError):
        persona_update(actor=marketer, persona=persona, name="New", definition={"match": "x"})
    persona.refresh_from_db()
    assert (persona.name, persona.goals) == ("Software VP", "Grow")
    persona_update(actor=marketer, persona=persona, pains="Manual reports\nNo forecast")
    persona.refresh_from_db()
    assert (persona.name, persona.pains) == ("Software VP", "Manual reports\nNo forecast")


@pytest.mark.django_db
def test_only_marketers_and_admins_manage_personas(rep_a, marketer, people):
    with pytest.raises(PermissionDenied):
        persona_create(actor=rep_a, name="Mine", definition=RULE)
    persona = persona_create(actor=marketer, name="Ours", definition=RULE)
    with pytest.raises(PermissionDenied):
        persona_delete(actor=rep_a, persona=persona)
    assert Persona.objects.count() == 1


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_live_counts_searches_and_has_an_empty_state(client, rep_a, marketer, people):
    client.force_login(rep_a)
    empty = client.get(reverse("research:personas")).content.decode()
    assert "No personas yet." in empty
    assert reverse("research:persona_create") not in empty  # reps cannot create
    persona_create(actor=marketer, name="Software VP", definition=RULE)
    persona_create(actor=marketer, name="Retail", definition={"conditions": [
        {"type": "company", "field": "industry", "op": "eq", "value": "Retail"}]})  # fmt: skip
    page = client.get(reverse("research:personas"), {"q": "soft", "sort": "-name"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Software VP" in html and ">Retail<" not in html
    assert '<td class="num" data-col="contacts">2</td>' in html


@pytest.mark.django_db
def test_detail_shows_profile_sample_contacts_and_notes(client, rep_a, marketer, people):
    persona = persona_create(
        actor=marketer, name="Software VP", definition=RULE, goals="Hit the number\nForecast",
        typical_titles="VP Sales", description="<b>Buys</b> tools",
    )  # fmt: skip
    client.force_login(rep_a)
    html = client.get(reverse("research:persona_detail", args=[persona.pk])).content.decode()
    assert "<li>Hit the number</li><li>Forecast</li>" in html
    assert "&lt;b&gt;Buys&lt;/b&gt; tools" in html  # shown as text
    assert reverse("people:contact", args=[people["ann"].pk]) in html
    assert reverse("people:contact", args=[people["ben"].pk]) not in html
    assert "Title contains “VP”" in html or "Job title contains “VP”" in html
    assert "No research notes are tagged with this persona yet." in html


@pytest.mark.django_db
def test_create_through_the_builder_form(client, marketer, people):
    client.force_login(marketer)
    assert client.get(reverse("research:persona_create")).status_code == 200
    response = client.post(
        reverse("research:persona_create"),
        {
            "name": "Software VP", "goals": "Grow", "match": "all",
            "c0-subject": "field:title", "c0-op": "contains", "c0-value": "VP",
            "c1-subject": "company:industry", "c1-op": "eq", "c1-value": "Software",
        },
    )  # fmt: skip
    persona = Persona.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("research:persona_detail", args=[persona.pk])
    assert persona_count(persona=persona) == 2


@pytest.mark.django_db
def test_bad_form_shows_inline_errors_and_saves_nothing(client, marketer, people):
    client.force_login(marketer)
    response = client.post(
        reverse("research:persona_create"),
        {"name": "", "match": "all", "c0-subject": "field:fit_score", "c0-op": "gt",
         "c0-value": "lots"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "Condition 1 (Fit score): the value must be a whole number." in html
    assert Persona.objects.count() == 0


@pytest.mark.django_db
def test_adding_a_row_without_javascript_saves_nothing(client, marketer, people):
    client.force_login(marketer)
    response = client.post(
        reverse("research:persona_create"),
        {"name": "Draft", "match": "all", "c0-subject": "field:title", "c0-op": "contains",
         "c0-value": "VP", "action": "add:"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.content.decode().count('class="seg-row"') == 2
    assert Persona.objects.count() == 0


@pytest.mark.django_db
def test_reps_cannot_open_the_form_or_post_it(client, rep_a, marketer, people):
    persona = persona_create(actor=marketer, name="Software VP", definition=RULE)
    client.force_login(rep_a)
    assert client.get(reverse("research:persona_create")).status_code == 403
    edit = client.post(
        reverse("research:persona_edit", args=[persona.pk]),
        {"name": "Hijacked", "match": "all", "c0-subject": "field:title", "c0-op": "contains",
         "c0-value": "x"},
    )  # fmt: skip
    assert edit.status_code == 403
    assert client.post(reverse("research:persona_delete", args=[persona.pk])).status_code == 403
    persona.refresh_from_db()
    assert persona.name == "Software VP"


@pytest.mark.django_db
def test_edit_and_delete(client, marketer, people):
    persona = persona_create(actor=marketer, name="Software VP", definition=RULE)
    client.force_login(marketer)
    page = client.get(reverse("research:persona_edit", args=[persona.pk])).content.decode()
    assert 'value="Software VP"' in page and 'name="c1-value" value="software"' in page
    client.post(
        reverse("research:persona_edit", args=[persona.pk]),
        {"name": "Any VP", "match": "all", "c0-subject": "field:title", "c0-op": "contains",
         "c0-value": "VP"},
    )  # fmt: skip
    persona.refresh_from_db()
    assert (persona.name, persona_count(persona=persona)) == ("Any VP", 3)
    assert client.get(reverse("research:persona_delete", args=[persona.pk])).status_code == 405
    response = client.post(reverse("research:persona_delete", args=[persona.pk]))
    assert response.status_code == 302
    assert Persona.objects.count() == 0
