"""The journalist's question, "which service had the worst on-time rate last month?", answered
from the demo city's CSV export with only what the documentation says: the data dictionary's
worked example runs as written, and its answer is the public stats API's for the same month."""

# bash and the checkout's own tools, with the documentation's own text as the script.
# ruff: noqa: S603, S607
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests

from tests.demo_city import DemoCity, demo_city  # noqa: F401  (the fixture)
from tests.docs.test_examples import DOCUMENTED_URL, PRELUDE, examples, workdir  # noqa: F401


def last_month() -> tuple[str, str]:
    """First day of last month and of this month, as the example computes them (`date`)."""
    first_of_this = date.today().replace(day=1)
    first_of_last = (first_of_this - timedelta(days=1)).replace(day=1)
    return first_of_last.isoformat(), first_of_this.isoformat()


@pytest.fixture
def answered(demo_city: DemoCity, workdir: Path) -> tuple[str, float, Path]:  # noqa: F811
    """The documented example run against the demo city: (worst service, its rate, the CSV)."""
    (block,) = [b for b in examples("data-dictionary") if "worst:" in b]
    done = subprocess.run(["bash", "-c", PRELUDE + block.replace(DOCUMENTED_URL, demo_city.url)],
                          cwd=workdir, env={**os.environ, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    worst_line = done.stdout.strip().splitlines()[-1]
    _, code, rate = worst_line.split()
    return code, float(rate), workdir / "requests.csv"


def test_the_documented_answer_is_the_stats_apis(answered, demo_city: DemoCity):  # noqa: F811
    code, rate, _ = answered
    first, last = last_month()
    stats = requests.get(f"{demo_city.url}/api/v1/public/stats", timeout=30, params={
        "group_by": "service", "requested_after": first, "requested_before": last}).json()
    rated = {row["service_code"]: row["on_time_percent"] for row in stats["rows"]
             if row["on_time_percent"] is not None}
    assert rated, "the demo city has judged requests last month"
    assert rate == min(rated.values())
    assert rated[code] == rate


def test_every_services_rate_from_the_csv_is_the_stats_apis(answered,
                                                            demo_city: DemoCity):  # noqa: F811
    _, _, csv_path = answered
    frame = pd.read_csv(csv_path, dtype={"service_request_id": str, "duplicate_of": str},
                        true_values=["true"], false_values=["false"])
    # Both time columns parse: the UTC one as it is, the city's one (mixed offsets) with utc.
    utc = pd.to_datetime(frame["requested_datetime_utc"])
    assert (pd.to_datetime(frame["requested_datetime"], utc=True) == utc).all()
    first, last = last_month()
    local = utc.dt.tz_convert("America/Chicago")
    assert ((local >= pd.Timestamp(first, tz="America/Chicago"))
            & (local < pd.Timestamp(last, tz="America/Chicago"))).all()
    judged = frame[frame["duplicate_of"].isna() & frame["on_time"].notna()]
    rates = judged.groupby("service_code")["on_time"].agg(
        lambda s: round(100 * s.astype(bool).mean(), 1)).to_dict()
    stats = requests.get(f"{demo_city.url}/api/v1/public/stats", timeout=30, params={
        "group_by": "service", "requested_after": first, "requested_before": last}).json()
    assert rates == {row["service_code"]: row["on_time_percent"] for row in stats["rows"]
                     if row["on_time_percent"] is not None}
    assert {"department_name", "sla_days", "sla_calendar"} <= set(frame.columns)
