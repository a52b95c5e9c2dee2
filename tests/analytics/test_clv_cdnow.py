"""The BG/NBD and Gamma-Gamma fits reproduce the published CDNOW results.

Data: the CDNOW sample of Fader, Hardie & Lee (2005): 2,357 customers who first bought in the
first quarter of 1997, observed for 39 weeks (times in weeks). It is read from the CSV files
bundled in the `lifetimes` wheel (a test dependency, MIT licence; none of its code is used);
`make test` installs it; without it these tests fail.

Published estimates:
- BG/NBD (FHL 2005, section 5): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
  log-likelihood -9582.4; and E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226
  (Fader, Hardie & Lee, "Implementing the BG/NBD model for customer base analysis in Excel").
- Gamma-Gamma (Fader & Hardie 2013, on the 946 customers with repeat purchases and the average
  value of those purchases): p = 6.25, q = 3.74, gamma = 15.44.
"""

import csv
import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from revline.analytics import clv


def _bundled(name: str) -> Path:
    try:
        dist = importlib.metadata.distribution("lifetimes")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            "the `lifetimes` test dependency (which bundles the CDNOW data) is not installed"
        )
    path = Path(str(dist.locate_file(f"lifetimes/datasets/{name}")))
    if not path.is_file():
        pytest.fail(f"lifetimes {dist.version} does not bundle {name}")
    return path


def _columns(name: str, *columns: str) -> list[np.ndarray]:
    with _bundled(name).open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [np.array([float(row[c]) for row in rows]) for c in columns]


def test_bgnbd_fit_matches_the_published_cdnow_estimates():
    # Given the CDNOW calibration summary (x = repeat purchases, t_x, T in weeks)
    x, t_x, T = _columns("cdnow_customers_summary.csv", "frequency", "recency", "T")
    assert len(x) == 2357
    assert int(np.count_nonzero(x > 0)) == 946

    # When the model is fitted by maximum likelihood
    fit = clv.bgnbd_fit(x, t_x, T, unit="week")

    # Then the estimates match the published ones to within 1% (or 0.005 absolute)
    assert fit.converged is True
    assert fit.warnings == []
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit.params, name) == pytest.approx(value, rel=0.01, abs=0.005), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    # and the published conditional expectation of the worked example
    expected = clv.bgnbd_conditional_expected_transactions(
        fit.params, 39, 2, 30.43, 38.86, unit="week"
    )
    assert float(expected) == pytest.approx(1.226, abs=0.001)


def test_the_published_parameters_give_the_published_log_likelihood():
    x, t_x, T = _columns("cdnow_customers_summary.csv", "frequency", "recency", "T")
    published = clv.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="week")

    assert clv.bgnbd_log_likelihood(published, x, t_x, T, unit="week") == pytest.approx(
        -9582.4, abs=0.5
    )


def test_gamma_gamma_fit_matches_the_published_cdnow_estimates():
    # Given the repeat customers' number of repeat purchases and their average value
    x, m = _columns("cdnow_customers_summary_with_transactions.csv", "x", "zbar")

    # When the spend model is fitted (customers with x = 0 carry no spend information)
    fit = clv.gamma_gamma_fit(x, m)

    # Then it uses the 946 repeat customers and matches the published estimates to within 1%
    assert fit.n_customers == 946
    assert fit.converged is True
    published = {"p": 6.25, "q": 3.74, "v": 15.44}
    for name, value in published.items():
        assert getattr(fit.params, name) == pytest.approx(value, rel=0.01), name
