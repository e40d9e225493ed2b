"""factory_boy factories; points fall inside the test jurisdiction's bounding box."""

import math
from datetime import UTC, datetime, timedelta

import factory
from geoalchemy2.elements import WKTElement

from app.models import Reporter, RequestUpdate, ServiceRequest

# tests/fixtures/boundary.geojson
MIN_LONG, MIN_LAT, MAX_LONG, MAX_LAT = -87.74, 42.01, -87.66, 42.08


def point(lat: float, long: float) -> WKTElement:
    """A geography point for the location column."""
    return WKTElement(f"POINT({long} {lat})", srid=4326)


class ServiceRequestFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A request filed an hour ago at a random point of the city. Pass `service=`."""

    class Meta:
        model = ServiceRequest
        sqlalchemy_session_persistence = "flush"

    jurisdiction_id = factory.LazyAttribute(lambda o: o.service.jurisdiction_id)
    department_id = factory.LazyAttribute(lambda o: o.service.department_id)
    status = "open"
    detailed_status = "submitted"
    description = factory.Sequence(lambda n: f"Problem number {n}")
    address = factory.Sequence(lambda n: f"{100 + n} Main St")
    lat = factory.Faker("pyfloat", min_value=MIN_LAT + 0.005, max_value=MAX_LAT - 0.005)
    long = factory.Faker("pyfloat", min_value=MIN_LONG + 0.005, max_value=MAX_LONG - 0.005)
    location = factory.LazyAttribute(lambda o: point(o.lat, o.long))
    requested_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(hours=1))
    updated_at = factory.LazyAttribute(lambda o: o.requested_at)
    deadline = factory.LazyAttribute(lambda o: o.requested_at + timedelta(days=5))
    channel = "api"
    media_urls = factory.LazyFunction(list)
    attributes = factory.LazyFunction(dict)

    class Params:
        lat = 42.04
        long = -87.70


class ReporterFactory(factory.alchemy.SQLAlchemyModelFactory):
    """Personal data, planted so tests can check it never leaks."""

    class Meta:
        model = Reporter
        sqlalchemy_session_persistence = "flush"

    first_name = "Jane"
    last_name = "Reporter"
    email = factory.Sequence(lambda n: f"jane{n}@example.org")
    phone = "+1 312 555 0100"
    device_id = factory.Sequence(lambda n: f"device-{n}")
    account_id = factory.Sequence(lambda n: f"account-{n}")


class RequestUpdateFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A history row; pass `service_request=`."""

    class Meta:
        model = RequestUpdate
        sqlalchemy_session_persistence = "flush"

    jurisdiction_id = factory.LazyAttribute(lambda o: o.service_request.jurisdiction_id)
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    actor = "system"
    kind = "note"
    public = True
    data = factory.LazyFunction(dict)


def moved(lat: float, long: float, north_m: float = 0, east_m: float = 0) -> tuple[float, float]:
    """(lat, long) of a point some metres north and east of another (small distances)."""
    metres_per_degree = 111_195.0
    return (lat + north_m / metres_per_degree,
            long + east_m / (metres_per_degree * math.cos(math.radians(lat))))
