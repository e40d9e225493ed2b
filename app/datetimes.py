"""W3C datetimes in and out, as GeoReport v2 clients send and expect them."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# A '+' that was not URL-encoded arrives as a space: "2026-01-01T00:00:00 05:00".
_UNENCODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_w3c(raw: str, default_zone: ZoneInfo | None = None) -> datetime:
    """Parse a W3C/ISO 8601 datetime: Z, ±hh:mm, ±hhmm, fractional seconds, a date alone,
    or no offset (then `default_zone`, else UTC). Raises ValueError."""
    parsed = parse_w3c_keep_naive(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone or UTC)
    return parsed


# Dates a filter may name: date arithmetic (windows, time zones) near year 1 or 9999
# overflows, and no 311 request lies outside these.
SUPPORTED_YEARS = (1900, 2999)


class DateOutOfRange(ValueError):
    """A well-formed date outside SUPPORTED_YEARS."""


def parse_w3c_keep_naive(raw: str) -> datetime:
    """Like parse_w3c, but a datetime without offset stays naive, for the caller to place in
    the jurisdiction's timezone. DateOutOfRange outside SUPPORTED_YEARS."""
    parsed = _parse_iso(raw)
    first, last = SUPPORTED_YEARS
    if not first <= parsed.year <= last:
        raise DateOutOfRange(f"dates must be between the years {first} and {last}")
    return parsed


def _parse_iso(raw: str) -> datetime:
    text = raw.strip()
    text = _UNENCODED_PLUS.sub(r"\1+\2", text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "T" in text or " " in text:
        text = _COMPACT_OFFSET.sub(r"\1:\2", text)
    return datetime.fromisoformat(text)


def localize(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive datetime read as wall time in `zone`; aware ones are kept."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def w3c(value: datetime | None, zone: ZoneInfo) -> str | None:
    """Seconds precision with the jurisdiction's offset (the reference adapter rejects
    fractions)."""
    if value is None:
        return None
    return value.astimezone(zone).replace(microsecond=0).isoformat()
