"""docs/data-dictionary.md's field table is the projection's field list (PUBLIC_FIELDS)."""

import dataclasses

from app.reads import dictionary, projection


def test_the_pages_table_is_generated_from_public_fields():
    page = dictionary.PAGE.read_text()
    assert dictionary.with_table(page) == page, (
        "docs/data-dictionary.md disagrees with PUBLIC_FIELDS: run "
        "`.venv/bin/python -m app.reads.dictionary`")


def test_every_public_field_has_its_row():
    page = dictionary.PAGE.read_text()
    for field in projection.PUBLIC_FIELDS:
        assert f"| `{field.name}` | {field.type} |" in page


def test_a_changed_field_makes_the_page_disagree(monkeypatch):
    page = dictionary.PAGE.read_text()
    renamed = dataclasses.replace(projection.PUBLIC_FIELDS[0], meaning="Something else")
    monkeypatch.setattr(dictionary, "PUBLIC_FIELDS",
                        (renamed, *projection.PUBLIC_FIELDS[1:]))
    assert dictionary.with_table(page) != page
