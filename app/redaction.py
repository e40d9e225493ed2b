"""The public rule: what the public may see of a request, computed once when it is written.

`public_form()` is the one function that turns a request's stored values into its public
form (masked texts, the published point, address, zipcode and district, whether its position
is listed). Operations store its result beside the request (app/operations/public_form.py)
and every public surface reads only those stored columns: nothing is redacted at read time and
no SQL copy of these rules exists.

- Reporter fields never leave: they live in `reporters`, which no public query selects.
- Emails and phone numbers inside free text are masked (`public_text`), after Unicode NFKC
  normalisation and removal of zero-width characters, so full-width signs and non-ASCII digits
  are caught; characters XML 1.0 forbids are dropped, so every output format can carry the text.
- A service's `public_location` decides the coordinates: `exact`, `block` (snapped to a
  ~100 m grid, so a report is placed on its block, not at a house) or `hidden` (none). A request
  keeps the strictest policy it ever had unless staff release it (operations/public_form.py).
"""

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

EXACT, BLOCK, HIDDEN = "exact", "block", "hidden"
# Strictness order of public_location: a request never moves down it silently.
STRICTNESS = {EXACT: 0, BLOCK: 1, HIDDEN: 2}
# ~100 m: 0.001 degree of latitude is 111 m; longitude steps shrink with latitude, which is
# acceptable for a privacy grid (cells are never larger than this).
BLOCK_GRID_DEGREES = 0.001
DEFAULT_REGION = "US"

EMAIL_MASK = "[email removed]"
PHONE_MASK = "[phone removed]"

# Zero-width and invisible formatting characters someone may slip into "ford@exa\u200bmple.org".
_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# XML 1.0 "Char": everything else (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF) is
# dropped, so that the stored public text is safe in every XML output (Open311, Atom).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Emails: scanned from each "@" outwards with bounded patterns, so the work per "@" is bounded
# and the whole scan linear (an unanchored `[\w.]+@` pattern retries from every start
# position: quadratic on a long run of word characters).
_LOCAL_PART = re.compile(r"[\w.%+'\-]{1,64}\Z")
_DOMAIN = re.compile(r"[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")

# Forms the matcher (Leniency.VALID, which rejects dates, times and most ids) does not take:
# an international prefix written 00 (or + without a valid national number), a run of 10 to
# 15 digits glued to letters ("call3125550147"), and a 7-digit local number (555-0147). Every
# quantifier is bounded, so each start position costs a bounded number of steps.
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)(\d[\d ().\-]{6,22}\d)(?!\d)")
_LONG_RUN = re.compile(r"(?<!\d)\d{10,15}(?!\d)")
_LOCAL = re.compile(r"(?<![\w.\-/:$])\d{3}[\-. ]\d{4}(?![\w\-/:]|\.\d)")
_DIGIT = re.compile(r"\d")


@dataclass
class MaskWork:
    """Operations spent masking one text (characters handed to patterns and the matcher):
    what the linearity test measures instead of a clock."""

    steps: int = 0


def clean_text(text: str) -> str:
    """NFKC, without zero-width characters or characters XML 1.0 forbids."""
    return _XML_ILLEGAL.sub("", _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)))


def _email_spans(text: str, work: MaskWork) -> list[tuple[int, int]]:
    spans = []
    at = text.find("@")
    while at != -1:
        window = text[max(0, at - 64):at]
        local = _LOCAL_PART.search(window)
        domain = _DOMAIN.match(text, at + 1, at + 1 + 600)
        work.steps += len(window) + 600
        if local and domain:
            labels = domain.group(0).split(".")
            # The last label must be a top-level domain: letters, two or more.
            while len(labels) > 1 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
                labels.pop()
            if len(labels) > 1:
                end = at + 1 + len(".".join(labels))
                spans.append((at - len(local.group(0)), end))
                at = text.find("@", end)
                continue
        at = text.find("@", at + 1)
    return spans


def _phone_spans(text: str, region: str, work: MaskWork) -> list[tuple[int, int]]:
    work.steps += 4 * len(text)
    spans = [(match.start, match.end) for match in
             PhoneNumberMatcher(text, region, leniency=Leniency.VALID)]
    for match in _INTERNATIONAL.finditer(text):
        digits = "".join(_DIGIT.findall(match.group(1)))
        if 8 <= len(digits) <= 15:
            try:
                number = phonenumbers.parse("+" + digits, None)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number(number):
                spans.append(match.span())
    spans.extend(match.span() for match in _LONG_RUN.finditer(text))
    spans.extend(match.span() for match in _LOCAL.finditer(text))
    return spans


def _apply(text: str, masked: list[tuple[int, int, str]]) -> str:
    """Replace the spans (overlaps merged, the first mask kept) in one pass."""
    out: list[str] = []
    position = 0
    for start, end, mask in sorted(masked):
        if end <= position:
            continue
        if start < position:  # overlapping spans: extend the mask already written
            position = end
            continue
        out.extend((text[position:start], mask))
        position = end
    out.append(text[position:])
    return "".join(out)


def public_text(text: str | None, region: str = DEFAULT_REGION,
                work: MaskWork | None = None) -> str | None:
    """A free text as the public may read it: cleaned (see clean_text), emails and phone
    numbers masked. Linear in the text's length."""
    if text is None:
        return None
    work = work if work is not None else MaskWork()
    cleaned = clean_text(text)
    work.steps += len(text)
    masked = [(start, end, EMAIL_MASK) for start, end in _email_spans(cleaned, work)]
    # Fewer than 7 digits cannot be a phone number: most texts stop here.
    if sum(map(str.isdigit, cleaned)) >= 7:
        masked += [(start, end, PHONE_MASK)
                   for start, end in _phone_spans(cleaned, region, work)]
    return _apply(cleaned, masked) if masked else cleaned


def mask_text(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Mask emails and phone numbers inside free text shown to the public (public_text)."""
    return public_text(text, region)


def snap(value: float, grid: float = BLOCK_GRID_DEGREES) -> float:
    """The centre of the grid cell holding `value`."""
    return round((math.floor(value / grid) + 0.5) * grid, 6)


def public_lat_long(lat: float | None, long: float | None,
                    policy: str) -> tuple[float | None, float | None]:
    """The coordinates the public may see under a public_location policy."""
    if lat is None or long is None or policy == HIDDEN:
        return None, None
    if policy == BLOCK:
        return snap(lat), snap(long)
    return lat, long


_HOUSE_NUMBER = re.compile(r"^\s*(\d+)[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?\s+(.+)$")


def public_address(address: str | None, address_id: str | None,
                   policy: str) -> tuple[str | None, str | None]:
    """(address, address_id) the public may see: a house number would undo `block`, so it
    becomes its hundred block ("1234 Main St" -> "1200 block of Main St")."""
    if policy == HIDDEN or not address:
        return None, None
    if policy == BLOCK:
        match = _HOUSE_NUMBER.match(address)
        if match:
            return f"{int(match.group(1)) // 100 * 100} block of {match.group(2)}", None
        return address, None
    return address, address_id


def public_zipcode(zipcode: str | None, policy: str) -> str | None:
    """A zipcode narrows a hidden location down: none under `hidden`."""
    return None if policy == HIDDEN else zipcode


def strictest(*policies: str | None) -> str:
    """The strictest of the public_location policies given (None ones ignored)."""
    known = [p for p in policies if p is not None]
    return max(known, key=STRICTNESS.__getitem__) if known else EXACT


@dataclass(frozen=True)
class RequestValues:
    """The stored values of a request that its public form depends on."""

    description: str | None
    status_notes: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    district_id: int | None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicForm:
    """What every public surface reads of a request (stored in its public_* columns)."""

    location_policy: str
    description: str | None
    status_notes: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    district_id: int | None
    # Whether the request may be found by position (nearby check, spatial filters, tiles).
    listed: bool
    # Attribute answers with every text masked (Open311 extensions show them).
    attributes: dict[str, Any]


def public_answers(answers: dict[str, Any] | None, region: str) -> dict[str, Any]:
    """Attribute answers as the public may read them: texts (and lists of texts) masked."""
    def masked(value: Any) -> Any:
        if isinstance(value, str):
            return public_text(value, region)
        if isinstance(value, list):
            return [masked(item) for item in value]
        return value

    return {code: masked(value) for code, value in (answers or {}).items()}


def public_form(values: RequestValues, policy: str, region: str = DEFAULT_REGION) -> PublicForm:
    """The public form of a request under `policy` (already the strictest that applies)."""
    lat, long = public_lat_long(values.lat, values.long, policy)
    address, address_id = public_address(values.address, values.address_id, policy)
    return PublicForm(
        location_policy=policy,
        description=public_text(values.description, region),
        status_notes=public_text(values.status_notes, region),
        address=None if address is None else clean_text(address),
        address_id=address_id,
        zipcode=public_zipcode(values.zipcode, policy),
        lat=lat,
        long=long,
        # A district would place a request whose location the city hides.
        district_id=None if policy == HIDDEN else values.district_id,
        listed=policy != HIDDEN,
        attributes=public_answers(values.attributes, region),
    )
