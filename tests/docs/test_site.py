"""The documentation site builds with --strict, the README stays short, and every setting the
code reads from the environment is documented."""

# mkdocs from the checkout's own virtualenv, with fixed arguments.
# ruff: noqa: S603
import re
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def test_mkdocs_builds_the_site_strictly(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=CHECKOUT, capture_output=True, text=True, timeout=300, check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "getting-started" / "index.html").is_file()


def test_built_pages_load_nothing_from_other_hosts(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site)],
                   cwd=CHECKOUT, capture_output=True, timeout=300, check=True,
                   env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    external = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', re.IGNORECASE)
    offenders = [page.relative_to(site) for page in site.rglob("*.html")
                 if external.search(page.read_text())]
    assert offenders == []


def test_readme_is_short_and_links_nothing_outside_the_repository():
    readme = (CHECKOUT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    assert "../shared" not in readme
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if "://" not in target:
            assert (CHECKOUT / target).exists(), target


def test_no_page_links_the_shared_folder():
    assert not [page.name for page in (CHECKOUT / "docs").glob("*.md")
                if "../shared" in page.read_text()]


def test_every_environment_setting_is_documented():
    read = set(re.findall(r"""env\.get\(\s*["']([A-Z_]+)["']""",
                          (CHECKOUT / "app" / "config.py").read_text()))
    assert {"DATABASE_URL", "DB_NAME"} <= read
    documented = (CHECKOUT / "docs" / "configuration.md").read_text()
    assert sorted(name for name in read if f"`{name}`" not in documented) == []
