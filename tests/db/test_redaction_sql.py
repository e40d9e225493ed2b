"""The SQL twins in app.redaction give what their Python originals give, so outputs built in
PostgreSQL (exports, GeoJSON) and in Python (lists, Open311) redact alike."""

import pytest
from sqlalchemy import literal, select

from app.redaction import (
    BLOCK,
    EXACT,
    HIDDEN,
    PHONE_MASK,
    mask_text,
    mask_text_sql,
    public_address,
    public_address_sql,
)

TEXTS = [
    "call me at (312) 555-0100 please",
    "my number is +44 20 7946 0958",
    "312.555.0100 or 312-555-0100",
    "local 555-0100",
    "reach jane.doe+311@example.org about it",
    "pothole at 1234 Main St, about 30 cm deep",
    "seen on 2026-11-22 around 10:30",
    "bus 22 stop, lamp 12 34",
    "call +1 773 555 0199 now",
    "on 2026-11-22 555 0100",
]
# Contrived runs where SQL masks more than Python (documented in app.redaction).
OVER_MASKED = ["ticket 12 34 5550100", "order 2026-11-22 5550100", "1234 5678 9012 3456 7890"]


@pytest.mark.parametrize("text", TEXTS)
def test_sql_masking_matches_python(db_session, text):
    assert db_session.scalar(select(mask_text_sql(literal(text)))) == mask_text(text)


@pytest.mark.parametrize("text", OVER_MASKED)
def test_sql_masking_never_keeps_what_python_masks(db_session, text):
    masked_sql = db_session.scalar(select(mask_text_sql(literal(text))))
    assert masked_sql.count(PHONE_MASK) >= mask_text(text).count(PHONE_MASK)
    assert masked_sql != text


@pytest.mark.parametrize("address", ["1234 Main St", "12B-3 Elm Ave", "Main St and 5th",
                                     "99999999999999999999 Long Rd"])
@pytest.mark.parametrize("policy", [EXACT, BLOCK, HIDDEN])
def test_sql_address_matches_python(db_session, address, policy):
    expected, _ = public_address(address, None, policy)
    assert db_session.scalar(select(public_address_sql(literal(address), literal(policy)))) \
        == expected


@pytest.mark.parametrize("address", ["12   ", "1234-5B  Main St", "0012 Main", "0123 Main",
                                     "  7 Elm", "", "Main St"])
@pytest.mark.parametrize("policy", [EXACT, BLOCK, HIDDEN])
def test_sql_address_matches_python_at_the_edges(db_session, address, policy):
    expected, _ = public_address(address, None, policy)
    assert db_session.scalar(select(public_address_sql(literal(address), literal(policy)))) \
        == expected
