"""Public API documents from rows of the one read path (stored public form)."""

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from app import formats
from app.datetimes import w3c
from app.reads.requests import PUBLIC_API_FIELDS

ATOM_NS = "http://www.w3.org/2005/Atom"


def public_request(row: Any) -> dict[str, Any]:
    """One request (a row of app.reads.requests.public_api_columns) as the public sees it:
    the stored public form, dates already rendered in the city's zone."""
    document = {name: getattr(row, name) for name in PUBLIC_API_FIELDS}
    document["media_urls"] = list(row.media_urls or [])
    return document


def timeline_entry(update: Any, zone: ZoneInfo) -> dict[str, Any]:
    """A public history row (masked text); the actor (a staff email, an app's name) is never
    shown."""
    return {
        "datetime": w3c(update.created_at, zone),
        "kind": update.kind,
        "from_status": update.from_status,
        "to_status": update.to_status,
        "state_code": update.state_code,
        "description": update.description,
    }


def _entry_title(entry: dict[str, Any]) -> str:
    return (f"{entry['service_name']} #{entry['service_request_id']}: "
            f"{entry['detailed_status'].replace('_', ' ')}")


def atom_feed(*, tag_prefix: str, feed_key: str, title: str, self_url: str, request_url: str,
              entries: list[dict[str, Any]], zone: ZoneInfo) -> bytes:
    """An Atom 1.0 document (RFC 4287) of public requests, newest change first.

    Ids are tag URIs (RFC 4151) under `tag_prefix`: an entry's id is its request's, so a
    reader shows a request once and updates it. `request_url` is a format string taking the
    service_request_id."""
    ET.register_namespace("", ATOM_NS)

    def add(parent: ET.Element, name: str, text: str | None = None, **attributes: str):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    add(feed, "id", f"{tag_prefix}:feed:{feed_key}")
    add(feed, "title", title)
    newest = entries[0]["updated_datetime"] if entries else w3c(datetime.now(UTC), zone)
    add(feed, "updated", newest)
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    # RFC 4287 4.1.1: a feed without an author on every entry names one itself.
    author = add(feed, "author")
    add(author, "name", title)
    for entry in entries:
        item = add(feed, "entry")
        add(item, "id", f"{tag_prefix}:request:{entry['service_request_id']}")
        add(item, "title", _entry_title(entry))
        add(item, "updated", entry["updated_datetime"])
        add(item, "published", entry["requested_datetime"])
        # No type: readers take an untyped alternate link as the entry's page.
        add(item, "link", rel="alternate", href=request_url.format(entry["service_request_id"]))
        add(item, "category", term=entry["service_code"], label=entry["service_name"])
        summary = entry["description"] or entry["service_name"]
        if entry["status_notes"]:
            summary = f"{summary}\n\nStatus: {entry['status_notes']}"
        add(item, "summary", summary, type="text")
    body = ET.tostring(feed, encoding="unicode", short_empty_elements=True)
    # The one safety net of every XML renderer: a control character in a description must
    # not make the feed unreadable.
    return formats.strip_xml_illegal(
        ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8"))
