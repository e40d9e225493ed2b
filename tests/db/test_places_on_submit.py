import pytest

from app.exceptions import BadRequest
from app.operations.locations import best_address_match
from app.operations.submit import (
    UNCONFIRMED_LOCATION_NOTICE,
    Actor,
    SubmitForm,
    submit_request,
)
from geo.points import lat_long_of
from tests.places import add_address, add_district

ACTOR = Actor(label="api_key:test app")


def file_tree(db_session, jurisdiction, **location):
    return submit_request(db_session, jurisdiction,
                          SubmitForm(service_code="TREE", **location), ACTOR)


def test_request_gets_the_district_covering_its_point(db_session, jurisdiction):
    add_district(db_session, jurisdiction, "1", (-87.74, 42.01, -87.70, 42.08))
    east = add_district(db_session, jurisdiction, "2", (-87.70, 42.01, -87.66, 42.08))
    filed = file_tree(db_session, jurisdiction, lat="42.05", long="-87.68")
    assert filed.district_id == east.id


def test_request_in_no_district_is_stored_without_one(db_session, jurisdiction):
    add_district(db_session, jurisdiction, "1", (-87.74, 42.01, -87.70, 42.03))
    filed = file_tree(db_session, jurisdiction, lat="42.05", long="-87.68")
    assert filed.id is not None and filed.district_id is None


@pytest.fixture
def addresses(db_session, jurisdiction):
    return [
        add_address(db_session, jurisdiction, "A-123", "123 N. Main St.", (42.041, -87.701)),
        add_address(db_session, jurisdiction, "A-128", "128 N. Main St.", (42.042, -87.702)),
        add_address(db_session, jurisdiction, "A-45", "45 Oak Avenue", (42.05, -87.69),
                    zipcode="62702"),
    ]


def test_address_string_alone_takes_the_point_of_its_match(db_session, jurisdiction,
                                                           addresses):
    filed = file_tree(db_session, jurisdiction, address_string="123 north main street")
    assert lat_long_of(filed.location) == pytest.approx((42.041, -87.701))
    assert (filed.address, filed.address_id, filed.zipcode) == (
        "123 N. Main St.", "A-123", "62701")


def test_address_string_with_a_typo_still_matches(db_session, jurisdiction, addresses):
    assert best_address_match(db_session, jurisdiction, "45 Oak Avnue").address.address_id \
        == "A-45"


def test_address_string_with_another_house_number_does_not_match(db_session, jurisdiction,
                                                                  addresses):
    assert best_address_match(db_session, jurisdiction, "125 N Main St") is None


def test_unmatched_address_is_stored_without_a_point_and_said_so(db_session, jurisdiction,
                                                                 addresses):
    filed = file_tree(db_session, jurisdiction, address_string="Behind the old mill")
    assert filed.id is not None and filed.location is None
    assert filed.address == "Behind the old mill"
    assert UNCONFIRMED_LOCATION_NOTICE in filed.service_notice


def test_address_id_takes_its_point_and_district(db_session, jurisdiction, addresses):
    ward = add_district(db_session, jurisdiction, "9", (-87.70, 42.04, -87.68, 42.06))
    filed = file_tree(db_session, jurisdiction, address_id="A-45")
    assert lat_long_of(filed.location) == pytest.approx((42.05, -87.69))
    assert filed.district_id == ward.id


def test_a_district_drawn_after_a_report_applies_to_the_next_one(db_session, jurisdiction):
    # The districts are cached per process: a district written here must drop the cache.
    assert file_tree(db_session, jurisdiction, lat="42.05", long="-87.68").district_id is None
    ward = add_district(db_session, jurisdiction, "1", (-87.74, 42.01, -87.66, 42.08))
    assert file_tree(db_session, jurisdiction, lat="42.05", long="-87.68").district_id == ward.id


def test_a_point_outside_the_boundary_is_refused_from_the_cached_shape(db_session,
                                                                        jurisdiction):
    file_tree(db_session, jurisdiction, lat="42.05", long="-87.68")  # fills the cache
    with pytest.raises(BadRequest, match="outside"):
        file_tree(db_session, jurisdiction, lat="40.0", long="-87.68")
