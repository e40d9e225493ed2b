"""The JSON depth guard counts nesting without parsing, strings aside."""

import pytest

from app.input_guard import nests_deeper_than

LIMIT = 3


@pytest.mark.parametrize(("body", "too_deep"), [
    (b"[[[1]]]", False),
    (b"[[[[1]]]]", True),
    (b'{"a": {"b": {"c": 1}}}', False),
    (b'{"a": [{"b": [1]}]}', True),
    (b'["[[[[[[", "{{{{{{"]', False),  # brackets inside strings
    (b'["\\"[[[[[["]', False),  # an escaped quote does not end the string
    (b"[[]" * 10, True),  # deep without a long run of openings
    (b"[[]]" * 10, False),
    (b"[" * 100_000, True),  # never closed: the parser would recurse before failing
    (b"][", False),  # malformed: left to the parser
])
def test_nesting_is_measured_without_parsing(body, too_deep):
    assert nests_deeper_than(body, LIMIT) is too_deep
