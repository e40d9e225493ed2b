"""The opt-in extensions of GET requests (Open311 wiki, GeoReport_v2/Extensions.md, as used by
Chicago, Boston and San Francisco): radius and bbox, updated_after/updated_before, district,
paging, and `extensions=true`, which adds `attributes`, `notes` and `extended_attributes`.
Without them a request is exactly the spec's."""

import json
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from app.datetimes import w3c
from app.db import DbSession
from app.models import ServiceAttribute
from app.open311 import render
from app.reads.projection import city_zone
from app.reads.requests import public_timeline

LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
TEXT_DATATYPES = ("string", "text")


def public_notes(session: DbSession, ids: list[int], zone: ZoneInfo) -> dict[int, list[dict]]:
    """The public timeline of each request, for a whole page in one query."""
    notes: dict[int, list[dict]] = defaultdict(list)
    if not ids:
        return notes
    for row in public_timeline(session, ids):
        notes[row.service_request_id].append({
            "datetime": w3c(row.created_at, zone),
            "type": row.kind,
            "description": row.description,
        })
    return notes


def attribute_definitions(session: DbSession,
                          service_ids: set[int]) -> dict[int, list[ServiceAttribute]]:
    """The service definitions of a page's services, in their order, in one query."""
    definitions: dict[int, list[ServiceAttribute]] = defaultdict(list)
    if service_ids:
        for attribute in session.scalars(
            select(ServiceAttribute).where(ServiceAttribute.service_id.in_(service_ids))
            .order_by(ServiceAttribute.service_id, ServiceAttribute.order)
        ):
            definitions[attribute.service_id].append(attribute)
    return definitions


def attribute_entries(answers: dict[str, Any],
                      definition: list[ServiceAttribute]) -> list[dict[str, Any]]:
    """Answers as the SF example: code and label (the question), value (the key or answer)
    and name (what the value reads as); `answers` is the stored public form (texts masked)."""
    entries = []
    for attribute in definition:
        if attribute.code not in answers:
            continue
        answer = answers[attribute.code]
        if attribute.datatype in LIST_DATATYPES:
            keys = answer if isinstance(answer, list) else [answer]
            names = {v["key"]: v["name"] for v in attribute.values}
            value: Any = ",".join(keys)
            name: str | None = ", ".join(names.get(key) or key for key in keys)
        elif attribute.datatype in TEXT_DATATYPES:
            value = name = str(answer)
        else:
            value, name = answer, str(answer)
        entries.append({"code": attribute.code, "label": attribute.description,
                        "value": value, "name": name})
    return entries


def extended_fields(row: Any, notes: list[dict], definition: list[ServiceAttribute],
                    ) -> dict[str, Any]:
    """attributes, notes and extended_attributes of one request row."""
    return {
        "attributes": attribute_entries(row.answers or {}, definition),
        "notes": notes,
        "extended_attributes": {
            "channel": row.channel,
            "photos": [{"media_url": url} for url in row.media_urls or []],
            "detailed_status": row.detailed_status,
            "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
            "duplicates": row.duplicate_count,
            "votes": row.vote_count,
            # The published district (none when the location is hidden).
            "district": row.district_code,
        },
    }


def extended_entries(session: DbSession, query: Select, timezone: str) -> list[dict[str, Any]]:
    """GET requests with extensions=true: the core fields (the same SQL-built object as
    without extensions), then the extension fields, for each row of `query`."""
    rows = session.execute(render.entries_query(query), city_zone(timezone)).all()
    zone = ZoneInfo(timezone)
    notes = public_notes(session, [row.id for row in rows], zone)
    definitions = attribute_definitions(session, {row.service_id for row in rows})
    return [
        json.loads(row.entry)
        | extended_fields(row, notes.get(row.id, []), definitions.get(row.service_id, []))
        for row in rows
    ]
