from datetime import UTC, datetime

import pytest

from revline.campaigns.models import Campaign, Channel


@pytest.fixture
def t0() -> datetime:
    return datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        name="Spring",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
    )
