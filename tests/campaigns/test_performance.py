"""Plan against actuals: the campaign's figures from Revline's own records, on the Launch fixture."""

from decimal import Decimal

from revline.campaigns.metrics import Derived, Figures
from revline.campaigns.models import AdSpend
from revline.campaigns.selectors import campaign_metrics, campaigns_with_metrics


def test_figures_follow_the_documented_rules(launch):
    metrics = campaign_metrics(launch.campaign)

    assert metrics.figures == Figures(
        impressions=15_000,
        clicks=300,
        cost=Decimal("500.00"),
        leads=4,
        mqls=5,
        sqls=4,
        pipeline=Decimal("10000.00"),
        won_revenue=Decimal("15000.00"),
        new_customers=2,
    )
    assert metrics.derived == Derived(
        ctr=Decimal("2.00"),
        cost_per_lead=Decimal("125.00"),
        roas=Decimal("30.00"),
        cac=Decimal("250.00"),
    )
    assert (metrics.won_deals, metrics.pipeline_deals, metrics.budget_used) == (
        2,
        2,
        Decimal("50.0"),
    )
    assert [(g.key, g.goal, g.actual, g.percent) for g in metrics.goals] == [
        ("leads", 4, 4, Decimal("100.0")),
        ("mqls", 2, 5, Decimal("250.0")),
        ("sqls", None, 4, None),
        ("pipeline", Decimal("10000.00"), Decimal("10000.00"), Decimal("100.0")),
        ("won_revenue", Decimal("20000.00"), Decimal("15000.00"), Decimal("75.0")),
    ]


def test_roas_needs_cost_and_revenue_in_one_currency(launch):
    AdSpend.objects.filter(campaign=launch.campaign).delete()
    launch.campaign.currency = "USD"
    launch.campaign.save()

    derived = campaign_metrics(launch.campaign).derived

    assert derived == Derived(
        ctr=None, cost_per_lead=Decimal("0.00"), roas=None, cac=Decimal("0.00")
    )


def test_list_annotates_cost_and_pipeline(launch, funnel):
    rows = {c.name: (c.cost, c.leads, c.pipeline, c.won_revenue) for c in campaigns_with_metrics()}

    assert rows["Launch"] == (Decimal("500.00"), 4, Decimal("10000.00"), Decimal("15000.00"))
    assert rows["Spring launch"] == (Decimal("0"), 2, Decimal("0"), Decimal("1000.00"))


def test_campaign_page_shows_plan_against_actuals(client, rep_a, launch):
    client.force_login(rep_a)

    response = client.get(f"/campaigns/{launch.campaign.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Objective: Leads" in html
    assert "Ops leads at &lt;b&gt;logistics&lt;/b&gt; firms" in html
    assert (
        '<tr data-goal="budget">\n      <td>Spend vs budget</td>\n'
        '      <td class="num">€500</td>\n      <td class="num">€1,000</td>'
    ) in html
    assert 'value="50.0" max="100" aria-label="Budget used"' in html
    assert (
        'value="100" max="100" aria-label="MQLs progress"></progress><span class="pct">250.0%'
        in html
    )
    assert '<span class="pct">75.0%</span>' in html  # won revenue
    assert '<span data-metric="ctr">2.00%</span>' in html
    assert '<span data-metric="cost_per_lead">€125</span>' in html
    assert '<span data-metric="cac">€250</span>' in html
    assert "30.00×" in html
    assert "2 open or won deals" in html
    # Spend rows with their totals; no edit buttons for a sales rep.
    assert html.count('<tr data-spend="') == 2
    assert '<td class="num" data-total="spend">€500</td>' in html
    assert "Record spend" not in html
    assert "/spend/" not in html.split('id="spend"')[1].split("</table>")[0]


def test_campaign_list_shows_the_selected_metrics(client, rep_a, launch):
    client.force_login(rep_a)

    html = client.get("/campaigns/").content.decode()

    assert '<td class="num" data-col="spend">€500</td>' in html
    assert '<td class="num" data-col="cpl">€125</td>' in html
    assert '<td class="num" data-col="pipeline">€10,000</td>' in html
    assert '<td class="num" data-col="won">€15,000</td>' in html
    assert '<td class="num" data-col="roas">30.00×</td>' in html


def test_campaign_list_sorts_by_spend_and_pipeline(client, rep_a, launch, funnel):
    client.force_login(rep_a)

    def names(url):
        return [c.name for c in client.get(url).context["listing"].page]

    assert names("/campaigns/?sort=-spend")[0] == "Launch"
    assert names("/campaigns/?sort=-pipeline")[0] == "Launch"
    assert names("/campaigns/?sort=cpl") == names("/campaigns/")  # not sortable: default order
