"""The few records the demo creates through the real services: people, pipelines, campaigns,
landing pages and tracked links. Everything that numbers in the thousands is planned in memory
afterwards (see plan.py) and written in bulk.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from revline.campaigns.models import Campaign
from revline.campaigns.services import campaign_create
from revline.content.models import LandingPage
from revline.content.services import landing_page_save
from revline.core.models import Team, User
from revline.core.services import team_create, user_create
from revline.sales.models import Pipeline, Stage
from revline.sales.services import pipeline_create, pipeline_default
from revline.tracking.models import TrackedLink
from revline.tracking.services import link_create

from . import catalog
from .catalog import DemoCampaign


@dataclass
class Setup:
    end: datetime
    users: dict[str, User]
    teams: dict[str, Team]
    pipeline: Pipeline
    stages: list[Stage]
    renewals: Pipeline
    renewal_stages: list[Stage]
    specs: dict[str, DemoCampaign]
    campaigns: dict[str, Campaign]
    pages: dict[str, LandingPage]
    links: dict[str, list[TrackedLink]]
    link_slugs: dict[int, str]

    def team_members(self, team: str) -> list[User]:
        return [u for u in self.users.values() if u.team_id == self.teams[team].pk]


def page_url(slug: str) -> str:
    return settings.BASE_URL + reverse("content:landing_page", args=[slug])


def click_url(link: TrackedLink) -> str:
    return settings.BASE_URL + reverse("tracking:click", args=[link.token])


def create_people(*, end: datetime) -> tuple[dict[str, User], dict[str, Team]]:
    users: dict[str, User] = {}
    teams: dict[str, Team] = {}
    for spec in catalog.USERS:
        if spec.team and spec.team not in teams:
            teams[spec.team] = team_create(actor=users["admin"], name=spec.team)
        users[spec.username] = user_create(
            actor=None,
            username=spec.username,
            email=f"{spec.username}@{catalog.VENDOR_DOMAIN}",
            password=catalog.DEMO_PASSWORD,
            role=spec.role,
            first_name=spec.first_name,
            last_name=spec.last_name,
            team=teams[spec.team] if spec.team else None,
        )
    # The team has been working for a while: backdate who joined when.
    for position, user in enumerate(users.values()):
        joined = end - timedelta(days=430 - 3 * position, hours=-9)
        User.objects.filter(pk=user.pk).update(date_joined=joined)
        user.date_joined = joined
    return users, teams


def create_marketing(
    *, end: datetime, users: dict[str, User]
) -> tuple[
    dict[str, Campaign], dict[str, LandingPage], dict[str, list[TrackedLink]], dict[int, str]
]:
    today = end.date()
    campaigns: dict[str, Campaign] = {}
    for spec in catalog.CAMPAIGNS:
        start = today - timedelta(days=spec.start_days_ago)
        campaign = campaign_create(
            actor=None,
            name=spec.name,
            channel=spec.channel,
            status=spec.status,
            description=spec.description,
            start_date=start,
            end_date=today - timedelta(days=spec.end_days_ago)
            if spec.end_days_ago is not None
            else None,
            budget=spec.budget,
            owner=users[spec.owner],
            utm_source=spec.utm_source,
            utm_medium=spec.utm_medium,
            utm_campaign=spec.utm_campaign,
        )
        created = min(end - timedelta(days=spec.start_days_ago + 14), end - timedelta(days=10))
        Campaign.objects.filter(pk=campaign.pk).update(created_at=created)
        campaign.created_at = created
        campaigns[spec.key] = campaign
    marketer = users["maya"]
    pages: dict[str, LandingPage] = {}
    for page_spec in catalog.PAGES:
        page = landing_page_save(
            actor=marketer,
            page=LandingPage(
                slug=page_spec.slug,
                title=page_spec.title,
                headline=page_spec.headline,
                body=page_spec.body,
                cta_label=page_spec.cta_label,
                campaign=campaigns[page_spec.campaign],
            ),
        )
        LandingPage.objects.filter(pk=page.pk).update(
            created_at=campaigns[page_spec.campaign].created_at
        )
        pages[page.slug] = page
    links: dict[str, list[TrackedLink]] = {key: [] for key in campaigns}
    link_slugs: dict[int, str] = {}
    for key, label, target, utm_content in catalog.LINKS:
        destination = catalog.VENDOR_SITE + target if target.startswith("/") else page_url(target)
        link = link_create(
            actor=marketer,
            campaign=campaigns[key],
            destination_url=destination,
            label=label,
            utm_content=utm_content,
        )
        TrackedLink.objects.filter(pk=link.pk).update(created_at=campaigns[key].created_at)
        links[key].append(link)
        if not target.startswith("/"):
            link_slugs[link.pk] = target
    return campaigns, pages, links, link_slugs


def create_setup(*, end: datetime) -> Setup:
    users, teams = create_people(end=end)
    pipeline = pipeline_default()
    renewals = pipeline_create(actor=None, name="Renewals", stages=catalog.RENEWAL_STAGES)
    campaigns, pages, links, link_slugs = create_marketing(end=end, users=users)
    return Setup(
        end=end,
        users=users,
        teams=teams,
        pipeline=pipeline,
        stages=list(pipeline.stages.order_by("position")),
        renewals=renewals,
        renewal_stages=list(renewals.stages.order_by("position")),
        specs={spec.key: spec for spec in catalog.CAMPAIGNS},
        campaigns=campaigns,
        pages=pages,
        links=links,
        link_slugs=link_slugs,
    )
