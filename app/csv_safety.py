"""CSV formula injection (OWASP, "CSV Injection"): a cell that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return is read as a formula by spreadsheet programs, so a description
such as `=HYPERLINK(...)` would run in the reader's spreadsheet. Such a cell is prefixed with a
single quote, which spreadsheets show as text. Every CSV output applies this rule: in Python
(`csv_safe_text`) or, for the export that PostgreSQL's COPY writes, as the SQL expression
`csv_safe_sql` (the same characters).

Numeric columns are left alone: a negative longitude is a number, not a formula.
"""

from typing import Any

from sqlalchemy import Float, Integer, Numeric, Text, case, cast, func, literal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"


def csv_safe_text(value: Any) -> Any:
    """The cell as a spreadsheet will show it as text; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return NEUTRALISING_PREFIX + value
    return value


def csv_safe_sql(expression: Any) -> Any:
    """The SQL form of csv_safe_text for one export column."""
    if isinstance(expression.type, Integer | Float | Numeric):
        return expression
    text = cast(expression, Text)
    return case((func.left(text, 1).in_(FORMULA_STARTS),
                 literal(NEUTRALISING_PREFIX) + text), else_=text)
