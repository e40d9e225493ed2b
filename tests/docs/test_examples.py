"""Every ```bash example of the documentation runs against the demo city and succeeds.

The pages are written for what `make run` serves (http://127.0.0.1:5000, the database of
`.venv/bin/open311`); here the same blocks run, page by page and in order, in one bash per
page (so a page's variables carry from block to block), against the demo city on a free port.
`curl` fails on HTTP errors (except where the example shows the status line with `-i`), so an
example that answers 4xx/5xx fails the test. An example that cannot run here is written as
```sh with a comment saying why.
"""

# bash and the checkout's own tools, with the documentation's own text as the script.
# ruff: noqa: S603, S607
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.demo_city import DemoCity, demo_city  # noqa: F401  (the fixture)

CHECKOUT = Path(__file__).resolve().parents[2]
DOCS = CHECKOUT / "docs"
DOCUMENTED_URL = "http://127.0.0.1:5000"
RUNNABLE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Pages that must keep runnable examples; any other page's ```bash blocks run too.
REQUIRED = ["getting-started", "configuration", "catalog", "open311", "public-api",
            "data-dictionary", "staff", "map-layers", "operations"]

PRELUDE = """set -euo pipefail
trap 'echo "example failed (exit $?): $BASH_COMMAND" >&2' ERR
# As a reader runs them, but failing on HTTP errors so that a broken example is seen; an
# example that shows the status line (-i) is about the status, whatever it is.
curl() {
  local arg
  for arg in "$@"; do
    if [[ $arg == --include || $arg =~ ^-[a-zA-Z]*i[a-zA-Z]*$ ]]; then
      command curl --silent --show-error "$@"; return; fi
  done
  command curl --fail-with-body --silent --show-error "$@"
}
# `| head` stops reading early; the rest is drained so that pipefail sees no broken pipe.
head() { command head "$@"; cat >/dev/null; }
"""


def examples(page: str) -> list[str]:
    """The runnable blocks of a documentation page, in order."""
    return RUNNABLE.findall((DOCS / f"{page}.md").read_text())


PAGES = sorted({p.stem for p in DOCS.glob("*.md") if examples(p.stem)} | set(REQUIRED))


def test_the_pages_of_each_surface_keep_runnable_examples():
    assert [page for page in REQUIRED if not examples(page)] == []


def script_for(page: str, server_url: str) -> str:
    """One bash script of a page's examples, pointed at the test's server."""
    blocks = [block.replace(DOCUMENTED_URL, server_url) for block in examples(page)]
    return PRELUDE + "\n".join(f"# --- block {n}\n{block}" for n, block in enumerate(blocks, 1))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch directory that looks like the checkout to the examples (.venv, demo/)."""
    for name in (".venv", "demo"):
        (tmp_path / name).symlink_to(CHECKOUT / name)
    return tmp_path


@pytest.mark.parametrize("page", PAGES)
def test_examples_of_the_page_run_against_the_demo_city(page, demo_city: DemoCity,  # noqa: F811
                                                        workdir: Path):
    environment = {**os.environ, "DATABASE_URL": demo_city.database_url,
                   "MEDIA_DIR": str(workdir / "media"), "NO_COLOR": "1"}
    environment.pop("DB_NAME", None)
    done = subprocess.run(["bash", "-c", script_for(page, demo_city.url)], cwd=workdir,
                          env=environment, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"docs/{page}.md:\n{done.stderr[-3000:]}\n{done.stdout[-2000:]}"
