"""The landing page at / and the interactive API documentation at /api/docs."""

import re
from html.parser import HTMLParser

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Assets(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def urls_of(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return parser.urls


def test_landing_page_is_html_for_a_browser(client, jurisdiction):
    response = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    links = urls_of(response.text)
    for path in ("/docs/", "/open311/v2/discovery.json", "/api/v1/public/requests", "/ogc",
                 "/tiles/requests.json", "/openapi.json", "/api/docs", "/report", "/map",
                 "/dashboard"):
        assert f"http://localhost{path}" in links, path


def test_landing_page_is_a_json_index_for_other_clients(client, jurisdiction):
    for accept in (None, "*/*", "application/json"):
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.mimetype == "application/json"
        index = response.get_json()
        assert index["jurisdictions"] == [jurisdiction.name]
        rels = {link["rel"]: link["href"] for link in index["links"]}
        assert rels["open311-discovery"] == "http://localhost/open311/v2/discovery.json"
        assert rels["service-desc"] == "http://localhost/openapi.json"
        assert rels["service-doc"] == "http://localhost/api/docs"
        assert {"documentation", "public-api", "ogc-api-features", "tilejson", "report", "map",
                "dashboard"} <= set(rels)


def test_every_surface_the_index_names_under_the_api_answers(client, jurisdiction):
    index = client.get("/", headers={"Accept": "application/json"}).get_json()
    # The web pages (/report, /map, /dashboard) and the built docs are served by other parts.
    checked = [link for link in index["links"]
               if link["rel"] not in ("report", "map", "dashboard", "documentation")]
    for link in checked:
        response = client.get(link["href"].removeprefix("http://localhost"))
        assert response.status_code == 200, link


def test_api_docs_page_and_its_assets_load_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assets = urls_of(page.text)
    assert len(assets) >= 4
    assert all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    for url in assets:
        with client.get(url) as response:  # files are streamed: close them
            assert response.status_code == 200, url
            assert not re.search(rb"<script[^>]+src=\"(https?:)?//", response.data), url
    spec_url = re.search(r'data-spec-url="([^"]+)"', page.text).group(1)
    assert client.get(spec_url).get_json()["openapi"].startswith("3.")


def test_api_docs_page_may_load_nothing_from_another_host(client):
    policy = client.get("/api/docs").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for directive in ("script-src", "connect-src", "img-src", "default-src"):
        sources = directives.get(directive, directives["default-src"]).split()
        assert all(source in ("'self'", "'none'", "data:") for source in sources), directive
    assert "'unsafe-inline'" not in directives["script-src"]


def test_swagger_ui_serves_only_its_own_files(client):
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as response:
        assert response.status_code == 200
    assert client.get("/api/docs/assets/index.html").status_code == 404
    assert client.get("/api/docs/assets/..%2Fpyproject.toml").status_code == 404


def test_built_documentation_is_served_under_docs(app, client, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "getting-started").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Open311 server</h1>")
    (site / "getting-started" / "index.html").write_text("<h1>Getting started</h1>")
    monkeypatch.setitem(app.config, "DOCS_DIR", str(site))
    for path, title in (("/docs/", b"Open311 server"),
                        ("/docs/getting-started/", b"Getting started")):
        with client.get(path) as response:
            assert response.status_code == 200 and title in response.data, path
            assert response.mimetype == "text/html"


def test_documentation_not_built_says_how_to_build_it(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_DIR", str(tmp_path / "nothing"))
    response = client.get("/docs/")
    assert response.status_code == 404
    assert "make docs" in response.get_json()["message"]
