"""Address text normalised the same way when loaded and when searched, for pg_trgm."""

import re

# USPS street suffix and direction abbreviations most common in 311 address data.
_ABBREVIATIONS = {
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
    "blvd": "boulevard", "dr": "drive", "ln": "lane", "ct": "court", "pl": "place",
    "pkwy": "parkway", "hwy": "highway", "sq": "square", "ter": "terrace", "cir": "circle",
    "n": "north", "s": "south", "e": "east", "w": "west",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
}
_WORD = re.compile(r"[a-z0-9]+")


def normalize_address(text: str) -> str:
    """Lower case, punctuation dropped, abbreviations expanded: "123 N. Main St." and
    "123 north main street" normalise alike."""
    words = _WORD.findall(text.lower())
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)
