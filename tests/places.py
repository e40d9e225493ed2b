"""Districts and address points inserted directly (their file loaders are tested apart)."""

from geoalchemy2.elements import WKTElement
from shapely.geometry import MultiPolygon, box

from app.models import Address, District
from geo.addresses import normalize_address


def add_district(db_session, jurisdiction, code, bounds):
    """A rectangular district; bounds = (min_long, min_lat, max_long, max_lat)."""
    district = District(
        jurisdiction_id=jurisdiction.id, code=code, name=f"Ward {code}",
        geom=WKTElement(MultiPolygon([box(*bounds)]).wkt,
                        srid=4326),
    )
    db_session.add(district)
    db_session.flush()
    return district


def add_address(db_session, jurisdiction, address_id, text, point, *, zipcode="62701"):
    """An address point; point = (lat, long)."""
    lat, long = point
    address = Address(jurisdiction_id=jurisdiction.id, address_id=address_id, address=text,
                      normalized=normalize_address(text), zipcode=zipcode,
                      location=WKTElement(f"POINT({long} {lat})", srid=4326))
    db_session.add(address)
    db_session.flush()
    return address
