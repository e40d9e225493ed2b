import pytest

from tests.open311_client import body


@pytest.mark.parametrize("path", ["/open311/v2/services.json", "/open311/v2/nothing.xml",
                                  "/api/v1/public/nothing"])
def test_every_response_carries_the_security_headers(client, jurisdiction, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_body_over_the_limit_is_413_in_the_open311_format(app, client, jurisdiction, api_key,
                                                          fmt):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(f"/open311/v2/requests.{fmt}",
                           data={"api_key": api_key, "description": "x" * (limit + 1)})
    assert response.status_code == 413
    assert [int(e["code"]) for e in body(response, fmt)] == [413]


def test_access_log_never_records_query_strings():
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert "%(U)s" in settings["access_log_format"]
    assert "%(r)s" not in settings["access_log_format"]
    assert "%(q)s" not in settings["access_log_format"]


# Allocates and frees a list-sized buffer again and again, as a worker does per request, and
# prints the page faults that took; with the settings read first when asked to.
_FAULTS_OF_LARGE_BUFFERS = """
import resource, runpy, sys
if sys.argv[1] == "settings":
    runpy.run_path(sys.argv[2])
body = b"x" * 600_000
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    copy = b"[" + body + b"]"
    del copy
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_workers_keep_large_response_buffers_instead_of_faulting_them_in_each_time():
    import subprocess
    import sys
    from pathlib import Path

    settings = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"

    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _FAULTS_OF_LARGE_BUFFERS, mode,  # noqa: S603
                               str(settings)], capture_output=True, text=True, check=True)
        return int(done.stdout)

    # 200 buffers of ~150 pages each: ~30,000 faults when each is mapped afresh.
    assert faults("settings") * 10 < faults("default")
