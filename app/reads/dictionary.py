"""The data dictionary's table, generated from the projection's field list (PUBLIC_FIELDS), so
that docs/data-dictionary.md says what the code publishes. `python -m app.reads.dictionary`
rewrites the generated section of the page; tests/docs/test_data_dictionary.py fails when the
page and PUBLIC_FIELDS disagree."""

import sys
from pathlib import Path

from app.reads.projection import EXPORTS, FEED, OGC, OPEN311, PUBLIC_API, PUBLIC_FIELDS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
BEGIN = ("<!-- BEGIN generated from PUBLIC_FIELDS (app/reads/projection.py); "
         "rewrite with `.venv/bin/python -m app.reads.dictionary` -->")
END = "<!-- END generated -->"
OUTPUT_NAMES = {
    EXPORTS: "exports",
    PUBLIC_API: "public API",
    OPEN311: "Open311",
    OGC: "OGC",
    FEED: "feed",
}


def table() -> str:
    """One Markdown row per public field, in PUBLIC_FIELDS order (the exports' column order)."""
    lines = ["| field | type | nullable | meaning | outputs |", "|---|---|---|---|---|"]
    for field in PUBLIC_FIELDS:
        outputs = ", ".join(OUTPUT_NAMES[o] for o in OUTPUT_NAMES if o in field.outputs)
        meaning = field.meaning.replace("|", "\\|")
        lines.append(f"| `{field.name}` | {field.type} | {'yes' if field.nullable else 'no'} "
                     f"| {meaning} | {outputs} |")
    return "\n".join(lines)


def with_table(page: str) -> str:
    """The page with its generated section replaced by today's table."""
    head, found, rest = page.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"the page has no generated section ({BEGIN} ... {END})")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main() -> int:
    """Rewrite the page's generated section; say whether it changed."""
    page = PAGE.read_text()
    updated = with_table(page)
    if updated != page:
        PAGE.write_text(updated)
        print(f"{PAGE}: data dictionary rewritten from PUBLIC_FIELDS")
    else:
        print(f"{PAGE}: data dictionary already matches PUBLIC_FIELDS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
