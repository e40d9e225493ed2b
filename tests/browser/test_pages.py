"""The public pages in headless chromium: file a report end to end, vote and follow, the map
draws our tiles, the dashboard shows the statistics API's numbers; on every page at phone and
desktop widths no console error, no third-party request, no serious axe-core violation."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db as flask_db
from app.models import Reporter, Service, ServiceRequest
from tests.browser.conftest import SCREENSHOTS, open_page, serious_axe_violations

pytestmark = pytest.mark.browser

TIMEOUT = 15_000


def wait_until(page, expression: str, arg=None, timeout: int = TIMEOUT) -> None:
    """Poll `expression` with page.evaluate until truthy. Playwright's wait_for_function
    polls through eval(), which the pages' Content-Security-Policy rightly refuses."""
    for _ in range(timeout // 100):
        if page.evaluate(expression, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout} ms: {expression}")


def _open_request(web_app, service_code: str, *, young: bool = True) -> ServiceRequest:
    """An open, unmerged demo request of the service (filed within its duplicate window)."""
    with web_app.app_context():
        query = (sa.select(ServiceRequest).join(Service)
                 .where(Service.service_code == service_code, ServiceRequest.status == "open",
                        ServiceRequest.duplicate_of_id.is_(None),
                        ServiceRequest.location.is_not(None))
                 .order_by(ServiceRequest.requested_at.desc()))
        found = flask_db.session.scalars(query).first()
        assert found is not None
        flask_db.session.expunge(found)
        flask_db.session.remove()
        return found


def _point(web_app, service_request: ServiceRequest) -> tuple[float, float]:
    with web_app.app_context():
        lat, long = flask_db.session.execute(sa.text(
            "SELECT ST_Y(location::geometry), ST_X(location::geometry) FROM service_requests "
            "WHERE id = :id"), {"id": service_request.id}).one()
        flask_db.session.remove()
    return lat, long


def _photo(tmp_path) -> str:
    path = tmp_path / "pothole.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_report_filed_end_to_end_lands_on_its_page(browser, base_url, web_app, tmp_path):
    existing = _open_request(web_app, "POTHOLE")
    lat, long = _point(web_app, existing)
    watched = open_page(browser, "desktop")
    page = watched.page
    page.goto(f"{base_url}/report")
    page.fill("#service-search", "asphalt")
    assert page.locator("#service-GRAFFITI").is_hidden()
    page.check("#service-POTHOLE")
    page.wait_for_selector("#attribute-SIZE", timeout=TIMEOUT)
    # Place the pin with a real click on the map, centred on an open pothole.
    wait_until(page, "document.getElementById('pin-map').maplibreMap?.loaded()")
    page.evaluate("([long, lat]) => document.getElementById('pin-map').maplibreMap"
                  ".jumpTo({center: [long, lat], zoom: 18})", [long, lat])
    box = page.locator("#pin-map canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    nearby = page.locator("#nearby-list li.case", has_text=f"#{existing.id}")
    nearby.wait_for(timeout=TIMEOUT)
    # "Me too" and "follow" on the nearby case, before filing.
    nearby.get_by_role("button", name="Me too").click()
    page.wait_for_selector("#nearby-list .status:has-text('counted')", timeout=TIMEOUT)
    nearby.get_by_role("button", name="Follow").click()
    nearby.get_by_label("Your email, to get updates").fill("neighbour@example.org")
    nearby.get_by_role("button", name="Send").click()
    page.wait_for_selector("#nearby-list .status:has-text('inbox')", timeout=TIMEOUT)
    # The service's questions; the required one is enforced by the page first.
    page.fill("#attribute-DEPTH_CM", "12")
    page.click("#submit-report")
    assert page.evaluate("document.getElementById('attribute-SIZE').validity.valueMissing")
    assert re.search(r"/report$", page.url)
    page.select_option("#attribute-SIZE", "M")
    page.select_option("#attribute-LANE", "BIKE")
    page.fill("#description", "Deep hole by the bike lane")
    page.set_input_files("#media", _photo(tmp_path))
    page.fill("#email", "reporter@example.org")
    page.click("#submit-report")
    page.wait_for_url(re.compile(r"/requests/\d+\?filed=1$"), timeout=TIMEOUT)

    new_id = int(re.search(r"/requests/(\d+)", page.url).group(1))
    confirmation = page.locator(".confirmation")
    assert f"#{new_id}" in confirmation.inner_text()
    assert "expects to handle it by" in confirmation.inner_text()
    # Filed on an open pothole: linked to it, and the page says so.
    assert f"#{existing.id}" in confirmation.locator(".notice").inner_text()
    assert page.locator(".photos img").count() == 1
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") == 64
    watched.assert_clean()
    with web_app.app_context():
        stored = flask_db.session.get(ServiceRequest, new_id)
        assert (stored.channel, stored.duplicate_of_id) == ("web", existing.id)
        assert stored.attributes == {"SIZE": "M", "DEPTH_CM": 12, "LANE": "BIKE"}
        assert flask_db.session.scalar(sa.select(Reporter.email).where(
            Reporter.service_request_id == new_id)) == "reporter@example.org"
        flask_db.session.remove()
    page.context.close()


def test_every_datatype_gets_its_control(browser, base_url):
    watched = open_page(browser, "phone")
    page = watched.page
    page.goto(f"{base_url}/report")
    controls = {}
    for code in ("POTHOLE", "GRAFFITI", "MISSED_TRASH", "STREETLIGHT", "ABANDONED_VEHICLE",
                 "ILLEGAL_DUMPING", "TREE_TRIM", "WATER_LEAK"):
        page.check(f"#service-{code}")
        wait_until(page, "!document.getElementById('attributes').textContent"
                               ".includes('Loading')", timeout=TIMEOUT)
        controls.update(page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('#attributes [data-datatype], #attributes .choices')]
            .map(e => [e.dataset.datatype || 'multivaluelist',
                       e.tagName + (e.type ? ':' + e.type : '')]))"""))
    assert controls == {
        "string": "INPUT:text", "number": "INPUT:number", "datetime": "INPUT:datetime-local",
        "text": "TEXTAREA:textarea", "singlevaluelist": "SELECT:select-one",
        "multivaluelist": "FIELDSET:fieldset",
    }
    watched.assert_clean()
    page.context.close()


def test_vote_and_follow_on_a_request_page(browser, base_url, web_app):
    existing = _open_request(web_app, "STREETLIGHT")
    watched = open_page(browser, "phone")
    page = watched.page
    page.goto(f"{base_url}/requests/{existing.id}")
    before = int(page.inner_text("#vote-count"))
    page.get_by_role("button", name="Me too").click()
    page.wait_for_selector("#engage-status:has-text('counted')", timeout=TIMEOUT)
    assert int(page.inner_text("#vote-count")) == before + 1
    page.get_by_role("button", name="Me too").click()
    page.wait_for_selector("#engage-status:has-text('already')", timeout=TIMEOUT)
    page.fill("#follow-email", "follower@example.org")
    page.locator(".follow-form button").click()
    page.wait_for_selector("#engage-status:has-text('inbox')", timeout=TIMEOUT)
    watched.assert_clean()
    page.context.close()


def test_city_map_draws_our_tiles_and_no_hidden_request(browser, base_url):
    watched = open_page(browser, "desktop")
    page = watched.page
    page.goto(f"{base_url}/map")
    page.wait_for_selector("#city-map canvas", timeout=TIMEOUT)
    wait_until(page, "document.getElementById('city-map').maplibreMap?.getLayer('cells')"
                           " && document.getElementById('city-map').maplibreMap.loaded()")
    page.evaluate("document.getElementById('city-map').maplibreMap.setZoom(15)")  # points from z15
    wait_until(page, """() => { const m = document.getElementById('city-map').maplibreMap;
        return m.loaded() && m.queryRenderedFeatures({layers: ['points']}).length > 0; }""")
    tiles = [(url, status) for url, status in watched.responses if "/tiles/requests/" in url]
    assert tiles
    assert all(status == 200 for _, status in tiles)
    shown = page.evaluate("""() => document.getElementById('city-map').maplibreMap
        .queryRenderedFeatures({layers: ['points']}).map(f => f.properties.service_code)""")
    assert "NOISE" not in shown  # its public_location is hidden
    # The service filter keeps only that service's points.
    page.select_option("#filter-service", "POTHOLE")
    wait_until(page, """() => document.getElementById('city-map').maplibreMap
        .queryRenderedFeatures({layers: ['points']})
        .every(f => f.properties.service_code === 'POTHOLE')""", timeout=TIMEOUT)
    watched.assert_clean()
    page.context.close()


def test_dashboard_shows_the_statistics_api_numbers(browser, base_url):
    watched = open_page(browser, "desktop")
    page = watched.page
    page.goto(f"{base_url}/dashboard")
    compared = 0
    for table_id, key in (("table-month", "month"), ("table-service", "service_code"),
                          ("table-department", "department")):
        table = page.locator(f"#{table_id}")
        api = page.request.get(base_url + table.get_attribute("data-api")).json()
        assert api["rows"]
        for row in api["rows"]:
            cells = table.locator(f"tr[data-key='{row[key] or ''}']")
            for name in ("count", "open", "sample_size", "median_days_to_close",
                         "on_time_percent", "satisfaction", "satisfaction_responses"):
                shown = cells.locator(f"td[data-field={name}]").inner_text().split(" ")[0]
                expected = "–" if row[name] is None else str(row[name])
                assert shown.rstrip("%") == expected, (table_id, row[key], name)
                compared += 1
    assert compared > 100
    watched.assert_clean()
    page.context.close()


PAGES = {"report": "/report", "map": "/map", "dashboard": "/dashboard", "request": None}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_private_and_clean(watched_page, viewport, name, base_url, web_app):
    path = PAGES[name] or f"/requests/{_open_request(web_app, 'POTHOLE').id}"
    page = watched_page.page
    page.goto(base_url + path, wait_until="networkidle")
    assert page.title()
    assert page.get_attribute("html", "lang") == "en"
    assert serious_axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"web-{name}-{viewport}.png"), full_page=True)
    # Keyboard: the first Tab reaches the skip link, which leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    watched_page.assert_clean()


def test_spanish_from_the_switch_persists(browser, base_url):
    watched = open_page(browser, "phone")
    page = watched.page
    page.goto(f"{base_url}/report")
    page.get_by_role("link", name="Español").click()
    page.wait_for_url(re.compile(r"/report$"))
    assert page.get_attribute("html", "lang") == "es"
    assert page.locator("label[for=service-POTHOLE]").inner_text().startswith("Bache")
    page.check("#service-POTHOLE")
    page.wait_for_selector("label[for=attribute-SIZE]", timeout=TIMEOUT)
    assert page.inner_text("label[for=attribute-SIZE]").startswith("¿Qué tamaño tiene?")
    assert "Más grande que un neumático" in page.inner_text("#attribute-SIZE")
    page.goto(f"{base_url}/dashboard")
    assert page.get_attribute("html", "lang") == "es"
    assert serious_axe_violations(page) == []
    watched.assert_clean()
    page.context.close()


REFUSALS = {
    429: ({"errors": ["Too many requests"]}, "try again in a minute"),
    409: ([{"code": 409, "description": "the request is closed"}], "no longer takes votes"),
    400: ({"errors": {"json": {"device_id": ["Not a valid string."]}}}, "did not work"),
}


@pytest.mark.parametrize("status", list(REFUSALS))
def test_refused_votes_are_said_in_words(browser, base_url, web_app, status):
    body, said = REFUSALS[status]
    existing = _open_request(web_app, "STREETLIGHT")
    watched = open_page(browser, "phone")
    page = watched.page
    # The limits of issue 11 answer like this; the page must say so, not fail.
    page.route("**/votes", lambda route: route.fulfill(status=status, json=body))
    page.goto(f"{base_url}/requests/{existing.id}")
    page.get_by_role("button", name="Me too").click()
    page.wait_for_selector(f"#engage-status:has-text('{said}')", timeout=TIMEOUT)
    page.context.close()


@pytest.mark.parametrize("path", ["/dashboard", "request"])
def test_reads_without_javascript(browser, base_url, web_app, path):
    if path == "request":
        path = f"/requests/{_open_request(web_app, 'POTHOLE').id}"
    watched = open_page(browser, "phone", java_script_enabled=False)
    page = watched.page
    page.goto(base_url + path)
    if path == "/dashboard":
        assert page.locator("#table-service tbody tr").count() > 5
        assert page.locator("svg.chart").count() == 3
    else:
        assert page.locator("#deadline").inner_text()
        assert page.locator(".timeline li").count() >= 1
        assert page.get_by_role("button", name="Me too").is_hidden()
        assert page.get_by_role("button", name="Follow").is_visible()
    watched.assert_clean()
    page.context.close()
