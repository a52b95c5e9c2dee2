"""The demo's quotes build on a small set of deals, deterministically, in every state."""

import random
from collections import Counter
from datetime import UTC, datetime

from revline.core.demo.quotes import build_quotes
from revline.quotes.models import ExchangeRate, PriceBook, Quote, QuoteApproval, QuoteVersion
from tests.sales.conftest import make_deal

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _latest_statuses() -> Counter:
    latest = Counter()
    for quote in Quote.objects.prefetch_related("versions"):
        latest[max(quote.versions.all(), key=lambda v: v.number).status] += 1
    return latest


def test_build_quotes_fills_every_state(pipeline, rep_a, manager_a, admin_user, ada):
    for number in range(25):
        make_deal(rep_a, name=f"Deal {number}", contact=ada, pipeline=pipeline)

    build_quotes(rng=random.Random(7), now=NOW)

    assert Quote.objects.count() == 20
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "GBP"}
    assert PriceBook.objects.count() == 3
    statuses = _latest_statuses()
    assert statuses["draft"] >= 4
    assert statuses["pending_approval"] == 3
    assert statuses["accepted"] == 3
    assert statuses["rejected"] == 1
    assert QuoteVersion.objects.filter(status="superseded").count() >= 3
    assert QuoteVersion.objects.filter(number=3).exists()
    assert QuoteApproval.objects.filter(decided_by=manager_a).count() == 2
    for version in QuoteVersion.objects.prefetch_related("lines"):
        assert version.total == version.subtotal - version.discount_amount + version.tax_amount
        assert version.subtotal == sum(line.line_total for line in version.lines.all())
