"""What the benchmark (run.py) and the load run (load.py) share: the demo city's downtown,
its tiles, and app commands against a scratch database."""

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The rate limits a city would set for this much traffic from one address and one key: the
# limiter runs and counts (in Redis, as in production) but never refuses the harness.
LOAD_RATE_LIMITS = {
    "RATELIMIT_POST_PER_ADDRESS": "1000000/minute",
    "RATELIMIT_POST_PER_KEY": "1000000/hour",
    "RATELIMIT_EXPORTS_PER_ADDRESS": "1000000/minute",
}
LAT, LONG = 42.0470, -87.6830  # downtown of the demo city (app/operations/demo.py)


def downtown_tile(z: int) -> tuple[int, int]:
    """(x, y) of the XYZ tile holding downtown at zoom z."""
    n = 2 ** z
    x = int((LONG + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(LAT))) / math.pi) / 2 * n)
    return x, y


def sqlalchemy_url(libpq_url: str) -> str:
    """A libpq URL in the form DATABASE_URL takes."""
    return libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)


def flask_command(environment: dict[str, str], *arguments: str) -> str:
    """Run an app command (`flask --app app ...`) in `environment`; its output."""
    done = subprocess.run(  # noqa: S603 (our own interpreter, arguments from our scripts)
        [sys.executable, "-m", "flask", "--app", "app", *arguments],
        cwd=ROOT, env={**os.environ, **environment}, check=True, capture_output=True,
        text=True,
    )
    return done.stdout.strip()
