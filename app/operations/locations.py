"""Places the city already knows, read while filing: the address matching a resident's text
(the district covering a point is in shapes.py). The loaders of these tables live in places.py."""

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.db import DbSession
from app.lookups import AnyJurisdiction
from app.models import Address
from geo.addresses import normalize_address

# pg_trgm similarity of the normalised texts above which an address_string is trusted to be
# that address: 0.6 accepts a typo ("45 oak avnue" ~ "45 oak avenue": 0.69) or a missing
# direction ("123 main street" ~ "123 main street north": 0.73) and refuses a street name
# alone ("123 main" ~ "123 main street": 0.56).
ADDRESS_MATCH_THRESHOLD = 0.6
# Trigrams barely see house numbers ("123 main street" ~ "128 main street": 0.78), so the
# number, when the text has one, must be the address's own.
_HOUSE_NUMBER = re.compile(r"^(\d+)\b")


@dataclass(frozen=True)
class AddressMatch:
    """A city address point found for a resident's text, with how alike they are."""

    address: Address
    similarity: float


def best_address_match(session: DbSession, jurisdiction: AnyJurisdiction,
                       text: str) -> AddressMatch | None:
    """The most similar known address above ADDRESS_MATCH_THRESHOLD with the typed house
    number, or None."""
    normalized = normalize_address(text)
    if not normalized:
        return None
    similarity = func.similarity(Address.normalized, normalized)
    rows = session.execute(
        select(Address, similarity.label("similarity"))
        # `%` (similarity above pg_trgm's own 0.3 threshold) is what the trigram GIN index
        # serves; the stricter threshold is applied to the few best candidates.
        .where(Address.jurisdiction_id == jurisdiction.id, Address.normalized.op("%")(normalized))
        .order_by(similarity.desc(), Address.address_id)
        .limit(5)
    ).all()
    typed_number = _HOUSE_NUMBER.match(normalized)
    for row in rows:
        if row.similarity < ADDRESS_MATCH_THRESHOLD:
            break
        found_number = _HOUSE_NUMBER.match(row.Address.normalized)
        if typed_number is None or (found_number and found_number[1] == typed_number[1]):
            return AddressMatch(row.Address, float(row.similarity))
    return None


def search_addresses(session: DbSession, jurisdiction: AnyJurisdiction, text: str,
                     limit: int) -> list[Any]:
    """Autocomplete: addresses containing words like the typed text, best first."""
    normalized = normalize_address(text)
    if not normalized:
        return []
    # word_similarity scores the typed text against the best-matching run of words, so a
    # prefix ("123 main") ranks its street first; `<%` is its index-served operator.
    word_score = func.word_similarity(normalized, Address.normalized)
    return list(session.execute(
        select(
            Address.address_id, Address.address, Address.zipcode,
            func.ST_Y(func.Geometry(Address.location)).label("lat"),
            func.ST_X(func.Geometry(Address.location)).label("long"),
            word_score.label("score"),
        )
        .where(Address.jurisdiction_id == jurisdiction.id,
               Address.normalized.op("%>")(normalized))
        .order_by(word_score.desc(), func.similarity(Address.normalized, normalized).desc(),
                  Address.address)
        .limit(limit)
    ).all())
