"""The demo city: its catalog, places and a year of synthetic requests generated in SQL.

Generating in PostgreSQL (one INSERT ... SELECT over generate_series, random() seeded with
setseed) is what makes 1,000,000 requests take minutes instead of hours: no row crosses the
wire. Python prepares only the small lookup arrays the SQL indexes into:

- the service mix (cumulative weights, picked with width_bucket),
- the hour slots of the past year, weighted by weekday and hour of day (311 call volumes peak
  on Monday mornings and fall at night and at weekends),
- the address points, weighted by distance to a few hot spots (downtown, a commercial strip,
  the university), so that locations cluster as real reports do,
- the business-day calendar: for each local date the number of business days up to it, and
  the business days in order. A deadline in business days is then
  `business_days[ordinal(local date) + sla_days]` at the local time of filing, which is exactly
  app.sla.add_days (weekends and the catalog's holidays skipped, the wall time kept), including
  its reading of daylight-saving changes (see DEADLINE_SQL).
"""

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import cast, func, select, text

from app.db import DbSession
from app.models import Address, Jurisdiction, Service, ServiceRequest
from app.operations.catalog import (
    apply_catalog,
    catalog_digest,
    load_catalog,
    parse_catalog,
    read_geojson_area,
)
from app.operations.places import load_addresses, load_districts
from app.operations.public_form import refresh_public_forms
from app.operations.submit import work_calendar
from app.workflow import DEFAULT_STATE_CODES
from geo.tiles import refresh_grid

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
CATALOG = DEMO_DIR / "catalog.yaml"
DISTRICTS = DEMO_DIR / "districts.geojson"
ADDRESSES = DEMO_DIR / "addresses.csv"
DISTRICT_CODE_FIELD, DISTRICT_NAME_FIELD = "ward", "ward_name"
DAYS_OF_HISTORY = 365
# The longest demo SLA is 60 business days: the calendar must reach past every deadline.
CALENDAR_DAYS_AHEAD = 200

# Relative volumes, after Chicago's 311 service request counts by type.
SERVICE_WEIGHTS = {
    "POTHOLE": 16, "MISSED_TRASH": 14, "STREETLIGHT": 12, "GRAFFITI": 10, "TREE_TRIM": 8,
    "ABANDONED_VEHICLE": 8, "ILLEGAL_DUMPING": 7, "NOISE": 7, "SIDEWALK": 5, "STRAY_ANIMAL": 5,
    "WATER_LEAK": 5, "TREE_EMERGENCY": 2, "MAYOR_INQUIRY": 1,
}
# Monday first.
WEEKDAY_WEIGHTS = (1.2, 1.1, 1.05, 1.0, 0.95, 0.55, 0.5)
HOUR_WEIGHTS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.0, 1.6, 1.9, 1.9, 1.8,
                1.6, 1.7, 1.7, 1.6, 1.4, 1.2, 1.0, 0.9, 0.8, 0.6, 0.4, 0.25)
# (long, lat, metres of spread, weight): downtown, Howard St strip, the university, a park.
HotSpots = tuple[tuple[float, float, float, float], ...]
HOT_SPOTS: HotSpots = ((-87.6830, 42.0470, 500, 6.0), (-87.6900, 42.0190, 400, 3.0),
             (-87.6750, 42.0560, 350, 2.5), (-87.7180, 42.0330, 600, 1.5))
BACKGROUND_WEIGHT = 0.4
# The large city (`demo load --city large`): Chicago's extent (about 640 km², the boundary in
# demo/large/boundary.geojson is a simplified outline, lake shore on the east), the same
# catalog under its own jurisdiction id, wards and address points generated in SQL.
LARGE_DIR = DEMO_DIR / "large"
LARGE_JURISDICTION = {"id": "metro.example.gov", "name": "City of Metro (large demo)"}
# The Loop, Wicker Park, Uptown, Hyde Park, Englewood, Little Village, Austin, O'Hare.
LARGE_HOT_SPOTS: HotSpots = (
    (-87.6298, 41.8800, 1500, 6.0), (-87.6770, 41.9080, 900, 2.5),
    (-87.6550, 41.9660, 900, 2.0), (-87.5950, 41.7940, 900, 2.0),
    (-87.6450, 41.7800, 1300, 2.5), (-87.7130, 41.8460, 1000, 2.0),
    (-87.7650, 41.8950, 1200, 2.0), (-87.8700, 41.9850, 1000, 1.0),
)
LARGE_WARD_GRID = (8, 9)  # columns, rows of the grid that cuts the boundary into wards
# Streets on the city's grid: one every eighth of a mile both ways, an address point every
# 40 m along each, kept 0.0004° (35-45 m) inside the boundary (so that jittered requests
# stay inside).
LARGE_WARDS_SQL = """
WITH city AS (SELECT boundary::geometry AS area, ST_XMin(boundary::geometry) AS x0,
                     ST_YMin(boundary::geometry) AS y0,
                     (ST_XMax(boundary::geometry) - ST_XMin(boundary::geometry)) / :columns AS dx,
                     (ST_YMax(boundary::geometry) - ST_YMin(boundary::geometry)) / :rows AS dy
              FROM jurisdictions WHERE id = :jurisdiction_id),
cells AS (
    SELECT row_number() OVER (ORDER BY r DESC, c) AS ward,
           ST_Multi(ST_CollectionExtract(ST_Intersection(city.area, ST_MakeEnvelope(
               x0 + c * dx, y0 + r * dy, x0 + (c + 1) * dx, y0 + (r + 1) * dy, 4326)), 3))
               AS geom
    FROM city, generate_series(0, :rows - 1) AS r, generate_series(0, :columns - 1) AS c
    WHERE ST_Area(ST_Intersection(city.area, ST_MakeEnvelope(
              x0 + c * dx, y0 + r * dy, x0 + (c + 1) * dx, y0 + (r + 1) * dy, 4326))) > 0
)
INSERT INTO districts (jurisdiction_id, code, name, geom)
SELECT :jurisdiction_id, ward::text, 'Ward ' || ward, geom FROM cells
ON CONFLICT (jurisdiction_id, code) DO UPDATE SET name = excluded.name, geom = excluded.geom
"""
LARGE_ADDRESSES_SQL = """
WITH city AS (SELECT boundary::geometry AS area,
                     ST_Buffer(boundary::geometry, -0.0004) AS inner_area,
                     ST_XMin(boundary::geometry) AS x0, ST_XMax(boundary::geometry) AS x1,
                     ST_YMin(boundary::geometry) AS y0, ST_YMax(boundary::geometry) AS y1,
                     111320 * cos(radians(ST_Y(ST_Centroid(boundary::geometry)))) AS m_long
              FROM jurisdictions WHERE id = :jurisdiction_id),
points AS (
    -- East-west streets: points along the longitude, numbered east or west of State St.
    SELECT x0 + i * 40 / m_long AS long, y0 + j * 201.17 / 111320 AS lat, 'EW' AS way, j AS street
    FROM city, generate_series(0, ((x1 - x0) * m_long / 40)::int) AS i,
         generate_series(0, ((y1 - y0) * 111320 / 201.17)::int) AS j
    UNION ALL
    SELECT x0 + i * 201.17 / m_long, y0 + j * 40.0 / 111320, 'NS', i
    FROM city, generate_series(0, ((x1 - x0) * m_long / 201.17)::int) AS i,
         generate_series(0, ((y1 - y0) * 111320 / 40)::int) AS j
),
inside AS (
    SELECT points.*, row_number() OVER (ORDER BY lat, long, way) AS n,
           -- Chicago numbers 800 to the mile from State and Madison.
           round(CASE way WHEN 'EW' THEN (long + 87.6278) * m_long
                          ELSE (lat - 41.8819) * 111320 END / 1609.34 * 800)::int AS number
    FROM points, city WHERE ST_Covers(city.inner_area, ST_SetSRID(ST_MakePoint(long, lat), 4326))
),
labelled AS (
    SELECT n, long, lat,
           abs(number) || CASE way WHEN 'EW' THEN CASE WHEN number < 0 THEN ' W ' ELSE ' E ' END
                                   ELSE CASE WHEN number < 0 THEN ' S ' ELSE ' N ' END END
           || CASE way WHEN 'EW' THEN street || ' St' ELSE street || ' Ave' END AS address
    FROM inside
)
INSERT INTO addresses (jurisdiction_id, address_id, address, normalized, zipcode, location)
SELECT :jurisdiction_id, 'M-' || lpad(n::text, 6, '0'), address,
       lower(regexp_replace(regexp_replace(address, ' St$', ' street'), ' Ave$', ' avenue')),
       -- Zip codes in bands from south to north, as 606xx.
       '606' || lpad((1 + floor((lat - 41.64) / 0.38 * 60))::int::text, 2, '0'),
       ST_SetSRID(ST_MakePoint(long, lat), 4326)::geography
FROM labelled
ON CONFLICT (jurisdiction_id, address_id) DO NOTHING
"""
CHANNELS = ("api", "phone", "web", "email")
CHANNEL_WEIGHTS = (0.42, 0.33, 0.2, 0.05)
EXACT_ADDRESS_SHARE = 0.3  # filed with an address_id: exactly at the address point
JITTER_M = 12  # others are a few metres off their nearest address, as dropped pins are
CANCELLED_SHARE, LATE_SHARE = 0.06, 0.12  # the rest are resolved on time
DUPLICATE_PERCENT = 6  # of requests whose service has a duplicates rule
DUPLICATE_OFFSET_M = 8  # at most this far from the parent (address points sit 30 m inside)
VOTE_PERCENT = 3
SURVEY_PERCENT = 12  # of resolved requests
# From this many requests on, service_requests' indexes are dropped and rebuilt around the
# load (the table is locked meanwhile: fine for a demo or benchmark database).
BULK_LOAD_ROWS = 50_000
REPORTER_PERCENT = 20  # of requests; the rest are anonymous
DESCRIPTIONS = {
    "POTHOLE": ["Deep pothole in the right lane, cars swerving around it",
                "Several potholes along the block after the freeze",
                "Pothole at the crosswalk, a cyclist nearly fell"],
    "MISSED_TRASH": ["Garbage cart was out by 6am and not emptied",
                     "Recycling missed again this week on our alley",
                     "Whole block was skipped on collection day"],
    "STREETLIGHT": ["Street light out in front of the building", "Alley light flickering all night",
                    "Light pole on during the day"],
    "GRAFFITI": ["Tags on the garage facing the alley", "Graffiti on the bus shelter",
                 "Spray paint on the utility box at the corner"],
    "TREE_TRIM": ["Branches hiding the stop sign", "Parkway tree blocking the street light",
                  "Low branches over the sidewalk"],
    "ABANDONED_VEHICLE": ["Grey sedan with flat tyres, not moved for weeks",
                          "Van with expired plates parked for a month"],
    "ILLEGAL_DUMPING": ["Mattress and sofa left in the alley", "Pile of tyres behind the lot",
                        "Construction debris dumped on the parkway"],
    "NOISE": ["Construction starting before 7am", "Loud music every night after midnight"],
    "SIDEWALK": ["Raised sidewalk square, a trip hazard", "Broken sidewalk near the school"],
    "STRAY_ANIMAL": ["Stray dog running in the street", "Dead raccoon on the parkway"],
    "WATER_LEAK": ["Water bubbling up through the pavement", "Hydrant leaking since yesterday"],
    "TREE_EMERGENCY": ["Large limb down across the street after the storm",
                       "Tree leaning on the wires"],
    "MAYOR_INQUIRY": ["Question about the summer events permit"],
}
# Answers to each service's definition; every required attribute is answered.
ATTRIBUTES = {
    "POTHOLE": [{"SIZE": "S", "LANE": "TRAFFIC"}, {"SIZE": "M", "DEPTH_CM": 8},
                {"SIZE": "L", "DEPTH_CM": 15, "LANE": "BIKE"}],
    "MISSED_TRASH": [{"CART": ["GARBAGE"], "COLLECTION_DAY": "MON"},
                     {"CART": ["RECYCLING"], "COLLECTION_DAY": "THU"},
                     {"CART": ["GARBAGE", "YARD"]}],
    "STREETLIGHT": [{"PROBLEM": "OUT"}, {"PROBLEM": "FLICKER", "POLE_NUMBER": "L-20417"},
                    {"PROBLEM": "DAYBURN"}],
    "GRAFFITI": [{"SURFACE": ["WALL"], "OFFENSIVE": "N"}, {"SURFACE": ["BOX", "SIGN"]},
                 {"SURFACE": ["BENCH"], "OFFENSIVE": "Y"}],
    "TREE_TRIM": [{"BLOCKING": ["SIGN"]}, {"BLOCKING": ["LIGHT", "SIDEWALK"]}],
    "ABANDONED_VEHICLE": [{"MAKE": "Grey Toyota", "DAYS_PARKED": 21},
                          {"MAKE": "White Ford van", "PLATE": "IL 1234567"}],
    "ILLEGAL_DUMPING": [{"ITEMS": ["FURNITURE"]}, {"ITEMS": ["TYRES"]},
                        {"ITEMS": ["DEBRIS", "BAGS"]}],
    "NOISE": [{"SOURCE": "CONSTRUCTION"}, {"SOURCE": "MUSIC"}],
    "SIDEWALK": [{"HEIGHT_CM": 4, "NEAR_SCHOOL": "Y"}, {"HEIGHT_CM": 2}],
    "STRAY_ANIMAL": [{"ANIMAL": "DOG"}, {"ANIMAL": "DEAD"}],
    "WATER_LEAK": [{"WHERE": "STREET"}, {"WHERE": "HYDRANT"}],
    "TREE_EMERGENCY": [{"BLOCKING_STREET": "Y"}, {"BLOCKING_STREET": "N"}],
    "MAYOR_INQUIRY": [{}],
}
STATE_LABELS = {info.code: info.label for info in DEFAULT_STATE_CODES}

# A wall-clock time that occurs twice (the autumn daylight-saving change) is read as its
# first occurrence, as Python's zoneinfo does with fold=0 (PostgreSQL alone would take the
# second); a time that does not exist (spring) is read alike by both, an hour later.
DEADLINE_SQL = """
    CASE WHEN ((local_deadline AT TIME ZONE :timezone) - interval '1 hour')
              AT TIME ZONE :timezone = local_deadline
         THEN (local_deadline AT TIME ZONE :timezone) - interval '1 hour'
         ELSE local_deadline AT TIME ZONE :timezone END
"""

# The MATERIALIZED steps matter: an inlined CTE repeats its expressions at every reference,
# and the deadline and closure expressions refer to each other enough to multiply the work
# per row by tens.
GENERATE_SQL = """
WITH draws AS MATERIALIZED (
    -- Every random number a request needs, drawn in generate_series order after setseed.
    SELECT g, random() AS r_service, random() AS r_slot, random() AS r_second,
           random() AS r_address, random() AS r_angle, random() AS r_distance,
           random() AS r_outcome, random() AS r_close, random() AS r_state,
           random() AS r_text, random() AS r_channel, random() AS r_exact
    FROM generate_series(1, :count) AS g
),
places AS (
    SELECT row_number() OVER (ORDER BY id) AS k, address_id, address, zipcode,
           ST_X(location::geometry) AS long, ST_Y(location::geometry) AS lat
    FROM addresses WHERE jurisdiction_id = :jurisdiction_id
),
picked AS MATERIALIZED (
    SELECT d.*, width_bucket(d.r_service, CAST(:service_thresholds AS float8[])) AS s,
           to_timestamp((CAST(:slot_starts AS float8[]))[
               width_bucket(d.r_slot, CAST(:slot_thresholds AS float8[]))] + d.r_second * 3600
           ) AS requested_at,
           p.address, p.zipcode,
           CASE WHEN d.r_exact < :exact_share THEN p.address_id END AS address_id,
           CASE WHEN d.r_exact < :exact_share THEN p.long
                ELSE p.long + d.r_distance * :jitter_m * sin(2 * pi() * d.r_angle)
                              / (111320 * cos(radians(p.lat))) END AS long,
           CASE WHEN d.r_exact < :exact_share THEN p.lat
                ELSE p.lat + d.r_distance * :jitter_m * cos(2 * pi() * d.r_angle) / 111320
           END AS lat
    FROM draws AS d
    JOIN places AS p ON p.k = width_bucket(d.r_address, CAST(:address_thresholds AS float8[]))
),
local AS (
    SELECT picked.*,
           (CAST(:service_ids AS int[]))[s] AS service_id,
           (CAST(:sla_days AS int[]))[s] AS sla_days,
           (requested_at AT TIME ZONE :timezone)::date AS local_day,
           (requested_at AT TIME ZONE :timezone)::time AS local_time
    FROM picked
),
due AS (
    SELECT local.*,
           CASE WHEN sla_days IS NULL THEN NULL
                WHEN (CAST(:business AS bool[]))[s]
                THEN (CAST(:business_days AS date[]))[
                         (CAST(:ordinals AS int[]))[local_day - CAST(:first_day AS date) + 1]
                         + sla_days]
                ELSE local_day + sla_days END + local_time AS local_deadline
    FROM local
),
timed AS MATERIALIZED (
    SELECT due.*, (""" + DEADLINE_SQL + """) AS deadline
    FROM due
),
planned AS (
    SELECT timed.*,
           -- Requests without an SLA are worked as if they had five days.
           coalesce(deadline - requested_at, interval '5 days') AS span,
           CASE WHEN r_outcome < :cancelled_share THEN 'cancelled' ELSE 'resolved' END
               AS outcome
    FROM timed
),
outcomes AS MATERIALIZED (
    SELECT planned.*,
           CASE WHEN outcome = 'cancelled' THEN requested_at + span * (0.02 + 0.2 * r_close)
                WHEN r_outcome < :cancelled_share + :late_share
                THEN requested_at + span * (1.02 + r_close)
                ELSE requested_at + span * (0.05 + 0.93 * r_close) END AS planned_close
    FROM planned
),
shaped AS (
    SELECT outcomes.*,
           CASE WHEN planned_close <= :now THEN planned_close END AS closed_at,
           CASE WHEN planned_close <= :now THEN outcome
                WHEN :now - requested_at < interval '4 hours' THEN 'submitted'
                WHEN r_state < 0.4 THEN 'acknowledged'
                ELSE 'in_progress' END AS detailed_status,
           CASE WHEN outcome = 'cancelled' AND r_state < 0.5 THEN 'INVALID'
                WHEN outcome = 'cancelled' AND r_state < 0.8 THEN 'CANNOT_LOCATE'
                WHEN outcome = 'cancelled' THEN 'WITHDRAWN'
                WHEN r_state < 0.8 THEN 'WORK_COMPLETED'
                WHEN r_state < 0.93 THEN 'NO_ACTION_NEEDED'
                ELSE 'REFERRED' END AS closing_code
    FROM outcomes
)
INSERT INTO service_requests (
    jurisdiction_id, service_id, department_id, status, detailed_status, state_code,
    status_notes, description, service_notice, address, address_id, zipcode, location,
    media_urls, attributes, channel, requested_at, updated_at, closed_at, deadline,
    district_id, vote_count)
SELECT :jurisdiction_id, service_id, (CAST(:department_ids AS int[]))[s],
       CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END,
       detailed_status,
       CASE WHEN closed_at IS NOT NULL THEN closing_code END,
       CASE WHEN closed_at IS NOT NULL
            THEN (CAST(:state_labels AS jsonb)) ->> closing_code END,
       (CAST(:descriptions AS text[]))[(CAST(:description_starts AS int[]))[s]
            + floor(r_text * (CAST(:description_counts AS int[]))[s])::int],
       (CAST(:notices AS text[]))[s],
       address, address_id, zipcode,
       ST_SetSRID(ST_MakePoint(long, lat), 4326)::geography,
       '{}',
       (CAST(:answers AS jsonb[]))[(CAST(:answer_starts AS int[]))[s]
            + floor(r_text * (CAST(:answer_counts AS int[]))[s])::int],
       (CAST(:channels AS text[]))[width_bucket(r_channel, CAST(:channel_thresholds AS float8[]))],
       requested_at,
       CASE WHEN closed_at IS NOT NULL THEN closed_at
            WHEN detailed_status = 'submitted' THEN requested_at
            ELSE requested_at + (:now - requested_at) * 0.25 END,
       closed_at, deadline,
       (SELECT district.id FROM districts AS district
        WHERE district.jurisdiction_id = :jurisdiction_id
          AND ST_Covers(district.geom, ST_SetSRID(ST_MakePoint(long, lat), 4326))
        ORDER BY district.id LIMIT 1),
       0
FROM shaped
-- Ids grow with time, as they do on a live server.
ORDER BY requested_at, g
"""  # noqa: S608 (constant SQL built from this module's own fragments)

# The microseconds of requested_at are random draws too: they pick which requests become
# duplicates, get votes, surveys and reporters, repeatably for a seed and without more columns.
PICK = "(extract(microseconds FROM {alias}.requested_at)::bigint % 100)"

# Duplicates are reports of the same problem: a chosen request is moved a few metres from the
# latest earlier request of its service that was still open when it was filed (well within the
# service's duplicate radius), and linked to it.
DUPLICATES_SQL = f"""
WITH candidates AS MATERIALIZED (
    SELECT child.id, child.service_id, child.requested_at,
           extract(microseconds FROM child.requested_at)::bigint AS draw,
           service.duplicate_radius_m AS radius_m, service.duplicate_window_days AS window_days
    FROM service_requests AS child JOIN services AS service ON service.id = child.service_id
    WHERE child.jurisdiction_id = :jurisdiction_id AND child.id > :after_id
      AND service.duplicate_radius_m IS NOT NULL
      AND {PICK.format(alias="child")} < :duplicate_percent
),
links AS (
    SELECT candidates.id AS child_id, parent.*,
           ST_Project(parent.location,
                      least(candidates.radius_m / 3.0, :duplicate_offset_m)
                      * (candidates.draw / 36000 % 100) / 100.0,
                      radians(candidates.draw / 100 % 360)) AS moved
    FROM candidates
    CROSS JOIN LATERAL (
        SELECT p.id AS parent_id, p.location, p.address, p.zipcode, p.status,
               p.detailed_status, p.state_code, p.closed_at
        FROM service_requests AS p
        WHERE p.jurisdiction_id = :jurisdiction_id AND p.id > :after_id
          AND p.service_id = candidates.service_id
          AND p.requested_at < candidates.requested_at
          AND p.requested_at >= candidates.requested_at
                                - make_interval(days => candidates.window_days)
          AND (p.closed_at IS NULL OR p.closed_at > candidates.requested_at)
          AND p.id NOT IN (SELECT id FROM candidates)
        ORDER BY p.requested_at DESC
        LIMIT 1
    ) AS parent
)
-- A duplicate follows its parent: closed with it, with the same state code (issue 3).
UPDATE service_requests AS child
SET duplicate_of_id = links.parent_id, location = links.moved, address = links.address,
    address_id = NULL, zipcode = links.zipcode, status = links.status,
    detailed_status = CASE WHEN links.closed_at IS NULL THEN 'submitted'
                           ELSE links.detailed_status END,
    state_code = links.state_code, closed_at = links.closed_at,
    status_notes = CASE WHEN links.closed_at IS NOT NULL
                        THEN 'Closed with request ' || links.parent_id END,
    updated_at = coalesce(links.closed_at, child.requested_at),
    district_id = (SELECT district.id FROM districts AS district
                   WHERE district.jurisdiction_id = :jurisdiction_id
                     AND ST_Covers(district.geom, links.moved::geometry)
                   ORDER BY district.id LIMIT 1)
FROM links WHERE child.id = links.child_id
"""  # noqa: S608 (constant SQL built from this module's own fragments)

UPDATES_SQL = """
INSERT INTO request_updates (jurisdiction_id, service_request_id, created_at, actor, kind,
                             from_status, to_status, state_code, description, public, data)
SELECT r.jurisdiction_id, r.id, step.created_at, step.actor, step.kind, step.from_status,
       step.to_status, step.state_code, step.description, true, '{}'
FROM service_requests AS r
CROSS JOIN LATERAL (VALUES
    (1, r.requested_at, r.channel, 'submitted', NULL, 'submitted', NULL,
     'Submitted via ' || r.channel),
    (2, r.requested_at, 'system', 'duplicate', NULL, NULL, NULL,
     'Linked to open request ' || r.duplicate_of_id || ' nearby'),
    (3, r.requested_at + (coalesce(r.closed_at, r.updated_at) - r.requested_at) * 0.25,
     'staff', 'status', 'submitted',
     CASE WHEN r.detailed_status = 'in_progress' THEN 'in_progress' ELSE 'acknowledged' END,
     NULL, 'Assigned to a crew'),
    (4, r.closed_at, 'staff', 'status',
     CASE WHEN r.detailed_status = 'cancelled' OR r.duplicate_of_id IS NOT NULL THEN 'submitted'
          ELSE 'acknowledged' END,
     r.detailed_status, r.state_code, r.status_notes)
) AS step (n, created_at, actor, kind, from_status, to_status, state_code, description)
WHERE r.jurisdiction_id = :jurisdiction_id AND r.id > :after_id
  AND CASE step.n
      WHEN 1 THEN true
      WHEN 2 THEN r.duplicate_of_id IS NOT NULL
      WHEN 3 THEN r.duplicate_of_id IS NULL AND r.detailed_status NOT IN ('submitted', 'cancelled')
      ELSE r.closed_at IS NOT NULL END
ORDER BY r.id, step.n
"""

VOTES_SQL = f"""
INSERT INTO votes (service_request_id, voter_hash, created_at)
SELECT r.id, md5(:seed || '-voter-' || r.id || '-' || voter),
       r.requested_at + (coalesce(r.closed_at, :now) - r.requested_at) * voter / 10.0
FROM service_requests AS r,
     generate_series(1, 1 + {PICK.format(alias="r")} % 5) AS voter
WHERE r.jurisdiction_id = :jurisdiction_id AND r.id > :after_id
  AND r.duplicate_of_id IS NULL AND {PICK.format(alias="r")} >= 100 - :vote_percent
"""  # noqa: S608 (constant SQL built from this module's own fragments)

VOTE_COUNTS_SQL = """
UPDATE service_requests AS r SET vote_count = counted.n
FROM (SELECT service_request_id, count(*) AS n FROM votes GROUP BY service_request_id) AS counted
WHERE counted.service_request_id = r.id AND r.jurisdiction_id = :jurisdiction_id
  AND r.id > :after_id
"""

SURVEYS_SQL = f"""
INSERT INTO surveys (service_request_id, token_hash, created_at, rating, responded_at)
SELECT r.id, md5(:seed || '-survey-' || r.id), r.closed_at,
       -- The city's scale, 1 to 3: mostly satisfied (3), some angry (1).
       least(3, 1 + floor(3 * sqrt((extract(microseconds FROM r.requested_at)::bigint / 100
                                    % 1000) / 1000.0)))::smallint,
       least(:now, r.closed_at + interval '20 hours')
FROM service_requests AS r
WHERE r.jurisdiction_id = :jurisdiction_id AND r.id > :after_id
  AND r.detailed_status = 'resolved' AND {PICK.format(alias="r")} < :survey_percent
"""  # noqa: S608 (constant SQL built from this module's own fragments)

REPORTERS_SQL = f"""
INSERT INTO reporters (service_request_id, first_name, last_name, email)
SELECT r.id, 'Demo', 'Resident ' || r.id, 'resident' || r.id || '@example.org'
FROM service_requests AS r
WHERE r.jurisdiction_id = :jurisdiction_id AND r.id > :after_id
  AND {PICK.format(alias="r")} BETWEEN 40 AND 39 + :reporter_percent
"""  # noqa: S608 (constant SQL built from this module's own fragments)

CLEAR_SQL = [
    "DELETE FROM outbox WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM votes WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM surveys WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM subscriptions WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM idempotency_keys WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM reporters WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM request_updates WHERE service_request_id IN (SELECT id FROM doomed)",
    "DELETE FROM service_requests WHERE id IN (SELECT id FROM doomed)",
]


@dataclass
class DemoSummary:
    """What load_demo did, printed by the CLI."""

    jurisdiction_id: str
    requests: int
    generated: bool

    def __str__(self) -> str:
        if not self.generated:
            return (f"{self.jurisdiction_id}: already has {self.requests} requests; "
                    "nothing generated (use --force to replace them)")
        return f"{self.jurisdiction_id}: {self.requests} demo requests generated"


def _cumulative(weights: list[float]) -> list[float]:
    """width_bucket thresholds: bucket i (1-based) covers [t[i-1], t[i])."""
    total = sum(weights)
    thresholds, running = [], 0.0
    for weight in weights:
        thresholds.append(running / total)
        running += weight
    return thresholds


def _hour_slots(now: datetime, zone) -> tuple[list[float], list[float]]:
    """Start (epoch seconds) and weight of every whole hour of the past year, local pattern."""
    end = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(days=DAYS_OF_HISTORY)
    starts, weights = [], []
    slot = start
    while slot <= end:
        local = slot.astimezone(zone)
        # A mild seasonal swing: more reports in summer, fewer in deep winter.
        season = 1 + 0.2 * math.sin(2 * math.pi * (local.timetuple().tm_yday - 110) / 365)
        starts.append(slot.timestamp())
        weights.append(WEEKDAY_WEIGHTS[local.weekday()] * HOUR_WEIGHTS[local.hour] * season)
        slot += timedelta(hours=1)
    return starts, _cumulative(weights)


def _address_weights(session: DbSession, jurisdiction_id: str,
                     hot_spots: HotSpots) -> list[float]:
    """Each address point's weight (ordered by id, as the SQL numbers them): hot spots."""
    point = cast(Address.location, Geometry)
    points = session.execute(
        select(func.ST_X(point), func.ST_Y(point))
        .where(Address.jurisdiction_id == jurisdiction_id).order_by(Address.id)
    ).all()
    weights = []
    for long, lat in points:
        weight = BACKGROUND_WEIGHT
        for spot_long, spot_lat, spread_m, spot_weight in hot_spots:
            dx = (long - spot_long) * 111_320 * math.cos(math.radians(lat))
            dy = (lat - spot_lat) * 111_320
            weight += spot_weight * math.exp(-(dx * dx + dy * dy) / (2 * spread_m * spread_m))
        weights.append(weight)
    return _cumulative(weights)


def _business_calendar(jurisdiction: Jurisdiction, first_day: date,
                       last_day: date) -> tuple[list[int], list[date]]:
    """For each day from first_day, how many business days up to it; and the business days."""
    work = work_calendar(jurisdiction)
    ordinals, business_days = [], []
    day = first_day
    while day <= last_day:
        if work.is_business_day(day):
            business_days.append(day)
        ordinals.append(len(business_days))
        day += timedelta(days=1)
    return ordinals, business_days


def _flattened(services: Sequence[Service], table: Mapping[str, Any],
               default: object) -> tuple[list, list, list]:
    """Per-service lists as one array plus 1-based starts and counts, indexable in SQL."""
    values: list[Any] = []
    starts: list[int] = []
    counts: list[int] = []
    for service in services:
        entries = table.get(service.service_code) or [default]
        starts.append(len(values) + 1)
        counts.append(len(entries))
        values.extend(entries)
    return values, starts, counts


def generation_parameters(session: DbSession, jurisdiction: Jurisdiction, count: int,
                          now: datetime, hot_spots: HotSpots = HOT_SPOTS) -> dict:
    """Everything GENERATE_SQL binds: the lookup arrays described in the module docstring."""
    services = session.scalars(
        select(Service).where(Service.jurisdiction_id == jurisdiction.id,
                              Service.active.is_(True)).order_by(Service.id)
    ).all()
    zone = work_calendar(jurisdiction).zone
    slot_starts, slot_thresholds = _hour_slots(now, zone)
    first_day = datetime.fromtimestamp(slot_starts[0], UTC).astimezone(zone).date()
    ordinals, business_days = _business_calendar(
        jurisdiction, first_day, now.astimezone(zone).date() + timedelta(days=CALENDAR_DAYS_AHEAD)
    )
    descriptions, description_starts, description_counts = _flattened(services, DESCRIPTIONS,
                                                                         None)
    answers, answer_starts, answer_counts = _flattened(services, ATTRIBUTES, {})
    return {
        "count": count,
        "now": now,
        "jurisdiction_id": jurisdiction.id,
        "timezone": jurisdiction.timezone,
        "service_ids": [s.id for s in services],
        "service_thresholds": _cumulative([SERVICE_WEIGHTS.get(s.service_code, 1)
                                           for s in services]),
        "department_ids": [s.department_id for s in services],
        "sla_days": [s.sla_days for s in services],
        "business": [s.sla_calendar == "business" for s in services],
        "notices": [s.sla_explanation if (s.sla_days or 0) > 30 else None for s in services],
        "slot_starts": slot_starts,
        "slot_thresholds": slot_thresholds,
        "address_thresholds": _address_weights(session, jurisdiction.id, hot_spots),
        "first_day": first_day,
        "ordinals": ordinals,
        "business_days": business_days,
        "descriptions": descriptions,
        "description_starts": description_starts,
        "description_counts": description_counts,
        "answers": [json.dumps(a) for a in answers],
        "answer_starts": answer_starts,
        "answer_counts": answer_counts,
        "channels": list(CHANNELS),
        "channel_thresholds": _cumulative(list(CHANNEL_WEIGHTS)),
        "state_labels": json.dumps(STATE_LABELS),
        "exact_share": EXACT_ADDRESS_SHARE,
        "jitter_m": JITTER_M,
        "cancelled_share": CANCELLED_SHARE,
        "late_share": LATE_SHARE,
    }


def _without_secondary_indexes(session: DbSession, table: str) -> list[str]:
    """Drop a table's secondary indexes; returns the DDL that recreates them.

    A bulk load is several times faster when its indexes are built once afterwards (sorted
    builds, GiST included) than when a million rows are inserted into each of them.
    """
    definitions = session.execute(text("""
        SELECT index.relname, pg_get_indexdef(index.oid)
        FROM pg_index AS i
        JOIN pg_class AS index ON index.oid = i.indexrelid
        WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary AND NOT i.indisunique
    """), {"table": table}).all()
    for name, _ in definitions:
        session.execute(text(f'DROP INDEX "{name}"'))
    return [ddl for _, ddl in definitions]


def _clear_requests(session: DbSession, jurisdiction_id: str) -> None:
    session.execute(text("DROP TABLE IF EXISTS doomed"))
    session.execute(text("CREATE TEMP TABLE doomed ON COMMIT DROP AS "
                         "SELECT id FROM service_requests WHERE jurisdiction_id = :j"),
                    {"j": jurisdiction_id})
    for statement in CLEAR_SQL:
        session.execute(text(statement))
    session.execute(text("DROP TABLE doomed"))


def _load_large_city(session: DbSession) -> Jurisdiction:
    """The large city's jurisdiction (the demo catalog under its own id and boundary), its
    wards and its address points; the places only when the city has none yet."""
    data, _, _ = parse_catalog(CATALOG)
    data["jurisdiction"] = {**data["jurisdiction"], **LARGE_JURISDICTION}
    boundary = read_geojson_area(LARGE_DIR / "boundary.geojson", "jurisdiction.boundary")
    jurisdiction, _ = apply_catalog(session, data, boundary, catalog_digest(data, boundary))
    has_places = session.scalar(select(func.count()).select_from(Address)
                                .where(Address.jurisdiction_id == jurisdiction.id))
    if not has_places:
        columns, rows = LARGE_WARD_GRID
        session.execute(text(LARGE_WARDS_SQL), {"jurisdiction_id": jurisdiction.id,
                                                "columns": columns, "rows": rows})
        session.execute(text(LARGE_ADDRESSES_SQL), {"jurisdiction_id": jurisdiction.id})
    return jurisdiction


def load_demo(session: DbSession, count: int = 3000, seed: int = 311, force: bool = False, *,
              now: datetime | None = None, city: str = "small",
              progress: Callable[[str], None] = lambda _step: None) -> DemoSummary:
    """Load the demo catalog, districts and addresses, then generate `count` requests in SQL;
    `progress` is told each step as it starts (a million requests take minutes).

    city "small" is the demo suburb of demo/; "large" a city of Chicago's extent (see
    LARGE_DIR), for benchmarks at millions of requests.
    """
    progress("catalog, wards and addresses")
    if city == "large":
        jurisdiction = _load_large_city(session)
        hot_spots = LARGE_HOT_SPOTS
    else:
        jurisdiction, _ = load_catalog(session, CATALOG)
        load_districts(session, jurisdiction.id, DISTRICTS, DISTRICT_CODE_FIELD,
                       DISTRICT_NAME_FIELD)
        load_addresses(session, jurisdiction.id, ADDRESSES)
        hot_spots = HOT_SPOTS
    existing = session.scalar(
        select(func.count()).select_from(ServiceRequest)
        .where(ServiceRequest.jurisdiction_id == jurisdiction.id)
    ) or 0
    if existing and not force:
        return DemoSummary(jurisdiction.id, existing, generated=False)
    if existing:
        progress(f"removing the {existing:,} existing demo requests")
        _clear_requests(session, jurisdiction.id)
    session.flush()
    now = now or datetime.now(UTC)
    after_id = session.scalar(select(func.coalesce(func.max(ServiceRequest.id), 0)))
    # Parallel workers would draw random() in a different order; work_mem keeps the sort of
    # a million rows in memory.
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    # setseed takes a value in [-1, 1].
    session.execute(text("SELECT setseed(:s)"), {"s": (seed % 2_000_003) / 2_000_003})
    parameters = generation_parameters(session, jurisdiction, count, now, hot_spots)
    rebuild = (_without_secondary_indexes(session, "service_requests")
               if count >= BULK_LOAD_ROWS else [])
    progress(f"generating {count:,} requests")
    session.execute(text(GENERATE_SQL), parameters)
    if rebuild:
        session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    if rebuild:
        progress("rebuilding the request indexes")
    for ddl in rebuild:
        session.execute(text(ddl))
    common = {"jurisdiction_id": jurisdiction.id, "after_id": after_id, "now": now,
              "seed": str(seed)}
    progress("linking duplicates")
    session.execute(text(DUPLICATES_SQL), {**common, "duplicate_percent": DUPLICATE_PERCENT,
                                             "duplicate_offset_m": DUPLICATE_OFFSET_M})
    progress("writing the public history")
    session.execute(text(UPDATES_SQL), common)
    progress("votes, surveys and reporters")
    session.execute(text(VOTES_SQL), {**common, "vote_percent": VOTE_PERCENT})
    session.execute(text(VOTE_COUNTS_SQL), common)
    session.execute(text(SURVEYS_SQL), {**common, "survey_percent": SURVEY_PERCENT})
    session.execute(text(REPORTERS_SQL), {**common, "reporter_percent": REPORTER_PERCENT})
    progress("computing the public form of every request")
    # The rows above were written in SQL: their public form is computed by the one function.
    refresh_public_forms(session, jurisdiction_id=jurisdiction.id)
    progress("analyzing and building the low-zoom tile grid")
    session.execute(text("ANALYZE service_requests"))
    # Point tiles read this copy of the published points (migration 1600); the load wrote it
    # in id order, and a dense tile reads far fewer pages when neighbours sit together.
    session.execute(text("CLUSTER request_tile_points USING ix_request_tile_points_geom"))
    session.execute(text("ANALYZE request_tile_points"))
    # Low-zoom tiles read the pre-aggregated grid: build it for the new requests.
    refresh_grid(session)
    return DemoSummary(jurisdiction.id, count, generated=True)
