import pytest

from app.redaction import BLOCK, EXACT, HIDDEN, mask_text, public_lat_long


@pytest.mark.parametrize("text", [
    "call me at (312) 555-0100 please",
    "my number is +44 20 7946 0958",
    "312.555.0100",
    "reach jane.doe+311@example.org about it",
])
def test_personal_contact_details_in_text_are_masked(text):
    masked = mask_text(text)
    assert "555" not in masked and "7946" not in masked and "@" not in masked


@pytest.mark.parametrize("text", [
    "pothole at 1234 Main St, about 30 cm deep",
    "seen on 2026-11-22 around 10:30",
    "bus 22 stop",
])
def test_ordinary_numbers_survive_masking(text):
    assert mask_text(text) == text


def test_exact_location_is_unchanged():
    assert public_lat_long(42.0451234, -87.6912345, EXACT) == (42.0451234, -87.6912345)


def test_block_location_snaps_within_a_grid_cell():
    lat, long = public_lat_long(42.0451234, -87.6912345, BLOCK)
    assert (lat, long) == (42.0455, -87.6915)


def test_hidden_location_has_no_coordinates():
    assert public_lat_long(42.0451234, -87.6912345, HIDDEN) == (None, None)


def test_block_policy_turns_a_house_number_into_its_hundred_block():
    from app.redaction import public_address

    assert public_address("1234 Main St", "A-1", BLOCK) == ("1200 block of Main St", None)


def test_hidden_policy_hides_the_address():
    from app.redaction import public_address

    assert public_address("1234 Main St", "A-1", HIDDEN) == (None, None)
