"""Record visibility in places that once had "known limits": the company of a committee member,
content sent from a deal, the contact list's filters and company column, API lists whose subject
is another record (orders, meetings, activities, survey invites) and the wording of report notes.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from revline.content.models import ContentItem
from revline.people.services import contact_create
from revline.quotes.models import Order, Product
from revline.sales.activity_services import activity_log
from revline.sales.models import ContentShare, Meeting
from revline.sales.services import deal_contact_add
from revline.sales.share_services import content_share_send
from revline.surveys.models import Survey, SurveyInvite

from .test_visibility import csv_names, set_visibility
from .test_visibility_gaps import HIDDEN_COMPANY, HIDDEN_CONTACT, api_get, world  # noqa: F401


@pytest.fixture
def carl(world, rep_a):  # noqa: F811
    """Rep A's own contact Carl, who works at rep B's (hidden) Hidco."""
    return contact_create(
        actor=None,
        first_name="Carl",
        email="carl@hidco.example",
        owner=rep_a,
        company=world["hidco"],
    )


# --- The deal page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_deal_page_does_not_name_the_hidden_company_of_a_visible_member(
    client,
    world,  # noqa: F811
    carl,
    rep_a,
):
    deal = world["deal"]
    deal_contact_add(actor=rep_a, deal=deal, contact=carl, role="influencer")
    client.force_login(rep_a)
    page = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert "Carl" in page
    assert "Hidco" not in page
    assert f"/people/companies/{world['hidco'].pk}/" not in page
    assert page.count(HIDDEN_COMPANY) == 2  # the deal's company line and Carl's line


@pytest.mark.django_db
def test_deal_page_names_the_members_company_for_an_admin(
    client,
    world,  # noqa: F811
    carl,
    rep_a,
    admin_user,
):
    deal_contact_add(actor=rep_a, deal=world["deal"], contact=carl, role="influencer")
    client.force_login(admin_user)
    page = client.get(f"/sales/deals/{world['deal'].pk}/").content.decode()
    assert "Hidco" in page
    assert HIDDEN_COMPANY not in page


@pytest.fixture
def brochure():
    return ContentItem.objects.create(title="Brochure", kind="case_study", status="published")


@pytest.mark.django_db
def test_content_sent_to_a_hidden_member_is_not_named_on_the_deal(
    client,
    world,  # noqa: F811
    rep_a,
    brochure,
):
    deal = world["deal"]
    ContentShare.objects.create(
        deal=deal, contact=world["hilda"], content_item=brochure, token="t1", sent_at=timezone.now()
    )
    client.force_login(rep_a)
    panel = client.get(f"/sales/deals/{deal.pk}/playbook/").content.decode()
    assert "Brochure" in panel
    assert "to a contact of another team" in panel
    assert "Hilda" not in panel and "hilda@hidco.example" not in panel


@pytest.mark.django_db
def test_content_cannot_be_sent_to_a_hidden_member(world, rep_a, brochure):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        content_share_send(
            actor=rep_a, deal=world["deal"], contact=world["hilda"], content_item=brochure
        )
    assert refused.value.message_dict == {
        "contact": ["Send content only to the deal's contact or its buying committee."]
    }
    assert not ContentShare.objects.exists()


# --- The contact list --------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_filters_offer_tags_and_owners_of_visible_contacts_only(
    client,
    world,  # noqa: F811
    rep_a,
    rep_b,
):
    world["vera"].tags.create(name="vip")
    world["hilda"].tags.create(name="secret-tag")
    client.force_login(rep_a)
    form = client.get("/people/contacts/").context["filter_form"]
    assert [v for v, _ in form.fields["tag"].widget.choices] == ["", "vip"]
    owners = [v for v, _ in form.fields["owner"].widget.choices]
    assert str(rep_a.pk) in owners and str(rep_b.pk) not in owners


@pytest.mark.django_db
def test_contact_filters_offer_every_tag_when_contacts_are_not_narrowed(
    client,
    world,  # noqa: F811
    rep_a,
):
    set_visibility(contact="all")
    world["hilda"].tags.create(name="secret-tag")
    client.force_login(rep_a)
    form = client.get("/people/contacts/").context["filter_form"]
    assert [v for v, _ in form.fields["tag"].widget.choices] == ["", "secret-tag"]


@pytest.mark.django_db
def test_contact_list_and_export_do_not_name_a_hidden_company(
    client,
    world,  # noqa: F811
    carl,
    rep_a,
):
    client.force_login(rep_a)
    page = client.get("/people/contacts/").content.decode()
    assert "Carl" in page and "Visco" in page
    assert "Hidco" not in page
    assert HIDDEN_COMPANY in page
    export = client.get("/people/contacts/export.csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Hidco" not in text
    assert HIDDEN_COMPANY in text


@pytest.mark.django_db
def test_contact_export_names_the_company_for_an_admin(
    client,
    world,  # noqa: F811
    carl,
    admin_user,
):
    client.force_login(admin_user)
    export = client.get("/people/contacts/export.csv")
    assert csv_names(export) == ["Carl", "Hilda", "Vera"]
    client.force_login(admin_user)
    text = b"".join(client.get("/people/contacts/export.csv").streaming_content).decode("utf-8-sig")
    assert "Hidco" in text and HIDDEN_COMPANY not in text


# --- API lists whose subject is another record -------------------------------------------------


def ids(body):
    return sorted(item["id"] for item in body["items"])


@pytest.mark.django_db
def test_api_orders_leave_out_those_of_hidden_contacts(
    client,
    world,  # noqa: F811
    rep_a,
    admin_user,
):
    product = Product.objects.create(name="Kit", sku="KIT", price=Decimal("5"))

    def order(contact, key, deal=None):
        return Order.objects.create(
            product=product,
            contact=contact,
            unit_price=Decimal("5"),
            total=Decimal("5"),
            currency="EUR",
            idempotency_key=key,
            created_at=timezone.now(),
            deal=deal,
        )

    seen = order(world["vera"], "k1")
    hidden = order(world["hilda"], "k2")
    on_visible_deal = order(world["hilda"], "k3", deal=world["deal"])
    assert ids(api_get(client, rep_a, "/orders").json()) == sorted([seen.pk, on_visible_deal.pk])
    assert api_get(client, rep_a, f"/orders/{hidden.pk}").status_code == 404
    everything = sorted([seen.pk, hidden.pk, on_visible_deal.pk])
    assert ids(api_get(client, admin_user, "/orders").json()) == everything


@pytest.mark.django_db
def test_api_meetings_and_my_day_leave_out_those_of_hidden_contacts(
    client,
    world,  # noqa: F811
    rep_a,
):
    today_ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)

    def meeting(contact, hour):
        start = today_ten + timedelta(hours=hour)
        return Meeting.objects.create(
            user=rep_a, contact=contact, starts_at=start, ends_at=start + timedelta(minutes=30)
        )

    seen, hidden = meeting(world["vera"], 0), meeting(world["hilda"], 1)
    assert ids(api_get(client, rep_a, "/meetings").json()) == [seen.pk]
    assert api_get(client, rep_a, f"/meetings/{hidden.pk}").status_code == 404
    client.force_login(rep_a)
    day = client.get("/sales/my-day/").content.decode()
    assert "Vera" in day and "Hilda" not in day


@pytest.mark.django_db
def test_api_activities_leave_out_those_about_hidden_contacts_but_keep_the_deals(
    client,
    world,  # noqa: F811
    rep_a,
):
    about_hilda = activity_log(actor=rep_a, kind="call", subject="Hilda", contact=world["hilda"])
    about_hidco = activity_log(actor=rep_a, kind="call", subject="Hidco", company=world["hidco"])
    on_deal = activity_log(actor=rep_a, kind="call", subject="Deal", deal=world["deal"])
    about_vera = activity_log(actor=rep_a, kind="call", subject="Vera", contact=world["vera"])
    assert on_deal.contact_id == world["hilda"].pk  # a deal's activity names its contact
    listed = ids(api_get(client, rep_a, "/activities?limit=100").json())
    assert listed == sorted([on_deal.pk, about_vera.pk])
    assert api_get(client, rep_a, f"/activities/{about_hilda.pk}").status_code == 404
    assert api_get(client, rep_a, f"/activities/{about_hidco.pk}").status_code == 404


@pytest.mark.django_db
def test_api_refuses_an_activity_about_a_hidden_contact(
    client,
    world,  # noqa: F811
    rep_a,
):
    from revline.core.services import api_token_issue
    from revline.sales.models import Activity

    token = api_token_issue(user=rep_a, name="t").raw
    response = client.post(
        "/api/v1/activities",
        data={"kind": "call", "subject": "Sneaky", "contact_id": world["hilda"].pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert not Activity.objects.filter(subject="Sneaky").exists()


@pytest.mark.django_db
def test_api_survey_invites_leave_out_hidden_contacts_for_a_rep_only(
    client,
    world,  # noqa: F811
    rep_a,
    marketer,
):
    survey = Survey.objects.create(name="NPS", slug="nps")
    seen = SurveyInvite.objects.create(
        survey=survey, contact=world["vera"], token="i1", created_at=timezone.now()
    )
    hidden = SurveyInvite.objects.create(
        survey=survey, contact=world["hilda"], token="i2", created_at=timezone.now()
    )
    assert ids(api_get(client, rep_a, f"/surveys/{survey.pk}/invites").json()) == [seen.pk]
    everyone = ids(api_get(client, marketer, f"/surveys/{survey.pk}/invites").json())
    assert everyone == sorted([seen.pk, hidden.pk])


# --- Report wording ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "said", "not_said"),
    [("own", "your own deals", "your team"), ("team", "your own and your team's deals", "")],
)
def test_report_scope_note_follows_the_deal_setting(client, rep_a, setting, said, not_said):
    set_visibility(deal=setting)
    client.force_login(rep_a)
    page = client.get("/reports/attribution/").content.decode()
    assert said in page
    if not_said:
        assert not_said not in page


# --- Deal rows outside the deal page --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/sales/deals/", "/sales/board/", "/sales/", "/sales/forecast/", "/sales/my-day/"]
)
def test_deal_rows_do_not_name_the_hidden_company_or_contact_of_a_visible_deal(
    client,
    world,  # noqa: F811
    rep_a,
    path,
):
    # Given rep A's deal on rep B's Hidco and Hilda, closing today and long in its stage
    today = timezone.localdate()
    type(world["deal"]).objects.filter(pk=world["deal"].pk).update(
        expected_close_date=today, stage_changed_at=timezone.now() - timedelta(days=90)
    )
    client.force_login(rep_a)

    # When rep A opens a page that lists it
    page = client.get(path).content.decode()

    # Then the deal is there, but neither hidden record is named or linked
    assert "Big one" in page
    assert "Hidco" not in page
    assert "Hilda" not in page
    assert f"/people/companies/{world['hidco'].pk}/" not in page
    assert HIDDEN_COMPANY in page


@pytest.mark.django_db
def test_deal_list_names_the_company_and_contact_for_an_admin(
    client,
    world,  # noqa: F811
    admin_user,
):
    client.force_login(admin_user)
    page = client.get("/sales/deals/").content.decode()
    assert "Hidco" in page
    assert "Hilda" in page
    assert HIDDEN_COMPANY not in page
    assert HIDDEN_CONTACT not in page
