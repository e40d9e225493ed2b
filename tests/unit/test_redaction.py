import sys

import pytest

from app.redaction import (
    BLOCK,
    EXACT,
    HIDDEN,
    MaskWork,
    mask_text,
    public_lat_long,
    public_text,
)

# Real-world forms (from 311 descriptions and notes) that must not reach the public.
MUST_BE_MASKED = [
    ("call me at (312) 555-0100 please", ["555", "0100"]),
    ("my number is +44 20 7946 0958", ["7946"]),
    ("312.555.0100", ["555"]),
    ("reach jane.doe+311@example.org about it", ["jane", "example"]),
    ("3125550147", ["5550147"]),
    ("+13125550147", ["5550147"]),
    ("(312)5550147", ["5550147"]),
    ("1-800-555-0100 is the landlord", ["800", "0100"]),
    ("ford\uff20example.org", ["ford", "example"]),  # full-width at sign
    ("ford@example.org", ["ford"]),
    ("FORD@EXAMPLE.ORG", ["FORD"]),
    ("mail ford@exa\u200bmple.org", ["ford", "mple"]),  # zero-width space inside
    ("\uff13\uff11\uff12-\uff15\uff15\uff15-\uff10\uff11\uff14\uff17", ["555", "\uff15"]),
    ("\u0663\u0661\u0662\u0665\u0665\u0665\u0660\u0661\u0664\u0667", ["\u0665"]),  # Arabic-Indic
    ("call 555-0147 after 6", ["0147"]),
    ("312 555 0147", ["0147"]),
    ("+1 (312) 555-0147", ["0147"]),
    ("tel:3125550147", ["0147"]),
    ("call3125550147", ["0147"]),
    ("0044 20 7946 0958", ["7946"]),
    ("+33 1 42 68 53 00", ["42 68"]),
    ("+49 30 901820", ["901820"]),
    ("+91 98765 43210", ["98765"]),
    ("312-555-0147 ext. 12", ["0147"]),
    ("(312) 555 - 0147", ["0147"]),
    ("1 312 555 0147", ["0147"]),
    ("312/555-0147", ["0147"]),
    ("Text me: 312.555.0147!", ["0147"]),
    ("a.b-c_d@sub.example.co.uk wrote", ["a.b-c_d", "example"]),
    ("contact: o'brien@example.com", ["brien"]),
    ("my email is pat.smith@gmail.com and phone (773) 555-0123", ["pat.smith", "0123"]),
    ("Owner: 773-555-0123, owner2@example.net", ["0123", "owner2"]),
    ("+1-312-555-0147", ["0147"]),
    ("1.312.555.0147", ["0147"]),
]

# Numbers that are not contact details and must survive.
MUST_SURVIVE = [
    "pothole at 1234 Main St, about 30 cm deep",
    "seen on 2026-11-22 around 10:30",
    "bus 22 stop",
    "since 11/22/2026 at 14:05:33",
    "it cost $1,250.00 to fix, or 1250000 cents",
    "same as request 1234567 and #1048576",
    "between 10:30-11:45 every day",
    "12345 W 111th Street, unit 4B",
    "case 20261122 reopened",
    "3 of the 14 lights out on the 1200 block",
    "speed limit 25 mph, measured 42.5",
    "email us at the office, not here",
]


@pytest.mark.parametrize(("text", "secrets"), MUST_BE_MASKED)
def test_contact_details_in_text_are_masked(text, secrets):
    masked = mask_text(text)
    assert all(secret not in masked for secret in secrets), masked
    assert "[phone removed]" in masked or "[email removed]" in masked


@pytest.mark.parametrize("text", MUST_SURVIVE)
def test_ordinary_numbers_survive_masking(text):
    assert mask_text(text) == text


def test_characters_xml_forbids_are_dropped():
    assert public_text("bell\x07 and nul\x00 and \ufffe ok\ttab") == "bell and nul and  ok\ttab"


@pytest.mark.parametrize("pattern", ["1 ", "(1", "12.", "a@", "+1", "a" * 63 + "@", "9", "1-",
                                     "x@y.", "@a."])
def test_masking_is_linear_in_the_text_length(pattern):
    """On a pathological text four times longer, masking does about four times the work,
    never sixteen: counted as the characters handed to patterns and the matcher (MaskWork)
    and as the Python and C function calls made (the phonenumbers matcher is pure Python)."""
    def work(repeats: int) -> tuple[int, int]:
        spent, calls = MaskWork(), [0]

        def count(_frame, event, _arg):
            if event in ("call", "c_call"):
                calls[0] += 1

        sys.setprofile(count)
        try:
            public_text(pattern * repeats, work=spent)
        finally:
            sys.setprofile(None)
        return spent.steps, calls[0]

    (small_steps, small_calls), (large_steps, large_calls) = work(500), work(2000)
    assert large_steps <= 4.5 * small_steps
    assert large_calls <= 4.5 * small_calls + 50


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
