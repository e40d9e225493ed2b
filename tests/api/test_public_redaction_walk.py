"""Planted personal data must not leave through any public GET, and public_location holds in
each. The routes are read from app.url_map, so a new public GET that this walk does not
visit makes it fail."""

import json
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from flask import current_app

from app.models import OutboxEvent, Subscription
from app.operations.subscriptions import unsubscribe_token
from app.security import hash_secret
from tests.factories import ReporterFactory, RequestUpdateFactory
from tests.maps_helpers import tile_of
from tests.places import add_district

# Blueprints whose GETs are public: Open311, the public API, and the map layers once
# registered (OGC API and tiles).
PUBLIC_BLUEPRINTS = ("open311", "public", "maps", "ogc", "tiles")

PLANTED = {
    "first_name": "Zebediah",
    "last_name": "Quillfeather",
    "email": "zeb.quillfeather@planted.example",
    "phone": "+1 773 555 0199",
    "device_id": "DEVICE-PLANTED-7781",
    "account_id": "ACCOUNT-PLANTED-4432",
}
# Fragments that would betray the planted values however they are formatted.
FORBIDDEN = [
    "Zebediah", "Quillfeather", "quillfeather@", "planted.example", "555 0199", "555-0199",
    "5550199", "555.0199", "DEVICE-PLANTED", "ACCOUNT-PLANTED", "officer.pii",
    "subscriber.pii",
    # Issue 10: forms one of the old maskers missed.
    "800-555-0100", "5550147", "ford\uff20example", "ford@example",
]
FREE_TEXT = ("Deep hole; write to zeb.quillfeather@planted.example or call (773) 555-0199, "
             "or +1 773 555 0199; landlord 1-800-555-0100, 3125550147, +13125550147, "
             "(312)5550147, ford\uff20example.org")
HIDDEN_DISTRICT = "WARDOFHIDDEN"

BLOCK_LAT, BLOCK_LONG = 42.02468, -87.72468
HIDDEN_LAT, HIDDEN_LONG = 42.06789, -87.67891
EXACT_POINT, BATCH_POINT = (42.045, -87.70), (42.05, -87.69)
PLANTED_POINTS = (EXACT_POINT, (BLOCK_LAT, BLOCK_LONG), (HIDDEN_LAT, HIDDEN_LONG), BATCH_POINT)


def _plant(make_request, db_session, service_code: str, **columns):
    service_request = make_request(service_code, description=FREE_TEXT,
                                   status_notes=f"Called back: {FREE_TEXT}", **columns)
    ReporterFactory._meta.sqlalchemy_session = db_session
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=service_request, **PLANTED)
    RequestUpdateFactory(service_request=service_request, actor="staff:officer.pii@city.example",
                         description=f"Public note. {FREE_TEXT}", public=True)
    RequestUpdateFactory(service_request=service_request, actor="staff:officer.pii@city.example",
                         description="Internal: Zebediah Quillfeather is a regular",
                         public=False)
    return service_request


@pytest.fixture
def planted(db_session, jurisdiction, make_request, api_key):
    """Three requests, one per public_location policy, each full of personal data."""
    exact = _plant(make_request, db_session, "POTHOLE", lat=EXACT_POINT[0], long=EXACT_POINT[1],
                   address="4321 Exact Ave")
    block = _plant(make_request, db_session, "GRAFFITI", lat=BLOCK_LAT, long=BLOCK_LONG,
                   address="1234 Planted Ave", zipcode="60601")
    ward = add_district(db_session, jurisdiction, HIDDEN_DISTRICT,
                        (HIDDEN_LONG - 0.01, HIDDEN_LAT - 0.01, HIDDEN_LONG + 0.01,
                         HIDDEN_LAT + 0.01))
    hidden = _plant(make_request, db_session, "NOISE", lat=HIDDEN_LAT, long=HIDDEN_LONG,
                    address="987 Secret Ct", zipcode="60699", district_id=ward.id)
    batch = _plant(make_request, db_session, "STREETLIGHT", lat=BATCH_POINT[0],
                   long=BATCH_POINT[1],
                   token="planted-token-1")
    token = "planted-confirmation-token"
    db_session.add(Subscription(service_request_id=exact.id,
                                email="subscriber.pii@planted.example",
                                token_hash=hash_secret(token)))
    db_session.add(OutboxEvent(channel="email", event="subscription_confirm",
                               recipient="subscriber.pii@planted.example", payload={}))
    for service_request in (exact, block, hidden, batch):
        service_request.closed_at = None
        service_request.updated_at = datetime.now(UTC) - timedelta(minutes=5)
    db_session.flush()
    # Low-zoom tiles come from the pre-aggregated grid: rebuild it with the planted rows.
    db_session.execute(sa.text("REFRESH MATERIALIZED VIEW request_tile_grid"))
    return {"exact": exact, "block": block, "hidden": hidden, "batch": batch,
            "confirmation_token": token, "api_key": api_key}


def _urls_for(rule: str, planted) -> list[str]:
    """Concrete URLs for a route pattern, every format and id the walk needs."""
    ids = [str(planted[k].id) for k in ("exact", "block", "hidden", "batch")]
    concrete = {
        "/open311/v2/discovery.<fmt:fmt>": ["/open311/v2/discovery.{fmt}"],
        "/open311/v2/services.<fmt:fmt>": ["/open311/v2/services.{fmt}"],
        "/open311/v2/services/<service_code>.<fmt:fmt>": ["/open311/v2/services/GRAFFITI.{fmt}"],
        "/open311/v2/service/<service_code>.<fmt:fmt>": ["/open311/v2/service/NOISE.{fmt}"],
        "/open311/v2/requests.<fmt:fmt>": ["/open311/v2/requests.{fmt}"],
        "/open311/v2/requests/<service_request_id>.<fmt:fmt>":
            [f"/open311/v2/requests/{i}.{{fmt}}" for i in ids],
        "/open311/v2/tokens/<token>.<fmt:fmt>": ["/open311/v2/tokens/planted-token-1.{fmt}"],
        "/open311/v2/servicerequestupdates.<fmt:fmt>":
            [f"/open311/v2/servicerequestupdates.{{fmt}}?api_key={planted['api_key']}"],
        "/api/v1/public/requests": ["/api/v1/public/requests",
                                    "/api/v1/public/requests?q=deep&limit=2"],
        "/api/v1/public/requests/<int:service_request_id>":
            [f"/api/v1/public/requests/{i}" for i in ids],
        "/api/v1/public/requests.<any(csv, geojson, ndjson):export_format>":
            ["/api/v1/public/requests.csv", "/api/v1/public/requests.geojson",
             "/api/v1/public/requests.ndjson"],
        "/api/v1/public/stats": ["/api/v1/public/stats?group_by=service,department,district,"
                                 "month,status"],
        "/api/v1/public/feeds/requests.atom": ["/api/v1/public/feeds/requests.atom"],
        "/api/v1/public/subscriptions/confirm/<token>":
            [f"/api/v1/public/subscriptions/confirm/{planted['confirmation_token']}"],
        # A signed link to a subscription that does not exist: the walk must not delete the
        # planted one that the confirmation link above opens.
        "/api/v1/public/subscriptions/unsubscribe/<token>":
            ["/api/v1/public/subscriptions/unsubscribe/"
             + unsubscribe_token(current_app.config["SECRET_KEY"], 0)],
        "/api/v1/public/nearby": [
            f"/api/v1/public/nearby?service_code={code}&lat={lat}&long={long}"
            for code, (lat, long) in (("POTHOLE", EXACT_POINT),
                                      ("GRAFFITI", (BLOCK_LAT, BLOCK_LONG)),
                                      ("NOISE", (HIDDEN_LAT, HIDDEN_LONG)))],
        "/api/v1/public/addresses": ["/api/v1/public/addresses?q=planted"],
        "/ogc/": ["/ogc/"],
        "/ogc/conformance": ["/ogc/conformance"],
        "/ogc/collections": ["/ogc/collections"],
        "/ogc/collections/<collection_id>": ["/ogc/collections/requests",
                                             "/ogc/collections/districts"],
        "/ogc/collections/requests/items": ["/ogc/collections/requests/items?limit=1000"],
        "/ogc/collections/districts/items": ["/ogc/collections/districts/items"],
        "/ogc/collections/requests/items/<feature_id>":
            [f"/ogc/collections/requests/items/{i}" for i in ids],
        "/ogc/collections/requests/queryables": ["/ogc/collections/requests/queryables"],
        "/tiles/requests.json": ["/tiles/requests.json"],
        "/tiles/requests/<int:z>/<int:x>/<int:y>.mvt": [
            "/tiles/requests/{}/{}/{}.mvt".format(z, *tile_of(lat, long, z))
            for lat, long in PLANTED_POINTS for z in (10, 15)
        ],
    }[rule]
    urls = []
    for url in concrete:
        urls.extend([url.format(fmt=f) for f in ("json", "xml")] if "{fmt}" in url else [url])
    return urls


def _as_text(response) -> str:
    """Bodies as searchable text; vector tiles decoded first, so a leak in a tile attribute
    is found like one in JSON."""
    if response.mimetype == "application/vnd.mapbox-vector-tile":
        return json.dumps(mapbox_vector_tile.decode(response.data), default=str)
    return response.get_data(as_text=True)


def _public_get_rules(app) -> list[str]:
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS
    )


def test_every_public_get_route_is_walked(app, planted):
    missing = []
    for rule in _public_get_rules(app):
        try:
            _urls_for(rule, planted)
        except KeyError:
            missing.append(rule)
    assert missing == [], f"public GET routes the redaction walk does not visit: {missing}"


@pytest.fixture
def walked_bodies(app, client, planted):
    """Every public GET answered, as text, by URL."""
    bodies = {}
    for rule in _public_get_rules(app):
        for url in _urls_for(rule, planted):
            response = client.get(url)
            assert response.status_code == 200, (url, response.data[:300])
            bodies[url] = _as_text(response)
    return bodies


def test_no_personal_data_in_any_public_body(walked_bodies):
    leaks = [(url, fragment) for url, text in walked_bodies.items()
             for fragment in FORBIDDEN if fragment.lower() in text.lower()]
    assert leaks == []


def test_free_text_is_masked_where_it_is_shown(walked_bodies):
    # The walk is only meaningful if the planted text reaches the bodies, masked.
    masked = [url for url, text in walked_bodies.items() if "[email removed]" in text]
    assert "/api/v1/public/requests.csv" in masked
    assert "/api/v1/public/feeds/requests.atom" in masked


def test_block_location_is_never_exact_in_any_body(walked_bodies):
    exact = [url for url, text in walked_bodies.items()
             if str(BLOCK_LAT) in text or str(BLOCK_LONG) in text or "1234 Planted" in text]
    assert exact == []


def test_block_location_is_shown_snapped(walked_bodies):
    assert "42.0245" in walked_bodies["/api/v1/public/requests.geojson"]
    assert "1200 block of Planted Ave" in walked_bodies["/api/v1/public/requests.csv"]


def test_hidden_location_has_no_coordinates_address_or_zipcode_in_any_body(walked_bodies):
    # Both the exact value and its ~100 m cell: hidden means no coordinates at all.
    traces = ["42.067", "87.678", "42.068", "87.679", "Secret Ct", "60699"]
    found = [(url, t) for url, text in walked_bodies.items() for t in traces if t in text]
    assert found == []


def test_hidden_request_publishes_no_district_in_any_body(walked_bodies):
    # Issue 10: the public API, exports, OGC and stats published it (Open311 nulled it).
    # The districts layer itself lists every district: it is the city's geography.
    found = [url for url, text in walked_bodies.items()
             if HIDDEN_DISTRICT in text and "/collections/districts" not in url]
    assert found == []
