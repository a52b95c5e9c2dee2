"""The market insights page and its CSV exports."""

import pytest
from django.urls import reverse

from revline.people.models import Company, Contact

URL = "/research/insights/"


@pytest.mark.django_db
def test_page_shows_every_dimension_with_flags_chart_data_and_legend(client, market, marketer):
    client.force_login(marketer)
    response = client.get(reverse("research:insights"))
    html = response.content.decode()
    assert response.status_code == 200
    for key in ("industry", "size", "country", "persona", "source"):
        assert f'id="dimension-{key}"' in html
    assert '<span class="badge warn">under-served</span>' in html
    assert '<span class="badge ok">profitable</span>' in html
    assert 'id="insight-charts"' in html
    assert "At least 2× the contacts of the median group" in html
    assert "No personas yet." in html


@pytest.mark.django_db
def test_bad_dates_are_reported_and_every_contact_is_shown(client, market, marketer):
    client.force_login(marketer)
    response = client.get(URL, {"date_from": "2025-05-01", "date_to": "2025-01-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "The start date must be on or before the end date." in html
    assert "Showing every contact instead." in html


@pytest.mark.django_db
def test_csv_export_of_one_dimension(client, market, marketer):
    client.force_login(marketer)
    response = client.get(URL, {"export": "industry"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="insights-industry.csv"'
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "group,contacts,customers,conversion_rate_pct,deals,deals_per_contact,won,lost,"
        "win_rate_pct,avg_won_deal,median_cycle_days,revenue_per_customer,avg_predicted_value,"
        "currency,flags"
    )
    assert lines[1] == "Software,6,1,16.7,1,0.17,0,1,0.0,,,,,EUR,large but under-served"
    assert lines[3] == (
        "Energy,1,1,100.0,4,4.0,3,1,75.0,20000.00,40.0,60000.00,,EUR,small but highly profitable"
    )
    assert lines[-1] == "All contacts,10,4,40.0,8,0.8,5,3,62.5,13200.00,30.0,22000.00,,EUR,"


@pytest.mark.django_db
def test_csv_export_neutralises_formulas(client, marketer):
    # Given an industry typed as a spreadsheet formula
    company = Company.objects.create(name="X", industry='=HYPERLINK("http://evil","x")')
    Contact.objects.create(first_name="Eve", company=company)
    client.force_login(marketer)
    body = b"".join(client.get(URL, {"export": "industry"}).streaming_content).decode()
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


@pytest.mark.django_db
def test_unknown_export_is_refused_by_the_form(client, market, marketer):
    client.force_login(marketer)
    response = client.get(URL, {"export": "shoe_size"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
