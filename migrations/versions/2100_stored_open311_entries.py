"""Every request's Open311 JSON entry, rendered when the request is written and stored in its
row (`open311_entry`), so that a page of GET requests.json aggregates 1000 stored texts instead
of rendering them.

Measured on the 1M demo city (bench case `open311_list`, the default page of 1000 requests):
PostgreSQL spent 8.8 ms of CPU a page, 6 to 7 of them rendering the entries (the escaping of 18
fields, three dates in the city's zone); reading the page's rows takes 0.8 ms. The entries in a
table of their own, looked up by id, still cost 1.7 ms more than reading them with the rows.

One function renders an entry (open311_entry_of): exactly what app.open311.render.entry_sql
renders (it is that SQL, frozen here); a test compares this copy with the code's and every
stored entry with a fresh rendering. A trigger calls it for every row inserted or updated; a
service's name or code, a department's name or a city's time zone changed renders every entry
of theirs again.

Upgrading a database that already holds requests rewrites every row once, in one transaction
(the table's size doubles until VACUUM reclaims the old versions; 2 min 17 s for the 1M demo
city); `demo load` writes the entries as it loads.

Revision ID: 2100
Revises: 2000
"""
from alembic import op

revision = "2100"
down_revision = "2000"
branch_labels = None
depends_on = None

# app.open311.render.entry_function() of this revision.
ENTRY_FUNCTION = """
CREATE OR REPLACE FUNCTION open311_entry_of(request service_requests) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN (SELECT '{"service_request_id" : ' || coalesce('"' || page.service_request_id || '"', 'null') || ', "status" : ' || coalesce(CAST(to_json(page.status) AS TEXT), 'null') || ', "status_notes" : ' || coalesce(CAST(to_json(page.status_notes) AS TEXT), 'null') || ', "service_name" : ' || coalesce(CAST(to_json(page.service_name) AS TEXT), 'null') || ', "service_code" : ' || coalesce(CAST(to_json(page.service_code) AS TEXT), 'null') || ', "description" : ' || coalesce(CAST(to_json(page.description) AS TEXT), 'null') || ', "agency_responsible" : ' || coalesce(CAST(to_json(page.agency_responsible) AS TEXT), 'null') || ', "service_notice" : ' || coalesce(CAST(to_json(page.service_notice) AS TEXT), 'null') || ', "requested_datetime" : ' || coalesce('"' || to_char(page.requested_datetime_local, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN (page.requested_datetime_offset < interval '0') THEN '-' || to_char(-page.requested_datetime_offset, 'HH24:MI') ELSE '+' || to_char(page.requested_datetime_offset, 'HH24:MI') END || '"', 'null') || ', "updated_datetime" : ' || coalesce('"' || to_char(page.updated_datetime_local, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN (page.updated_datetime_offset < interval '0') THEN '-' || to_char(-page.updated_datetime_offset, 'HH24:MI') ELSE '+' || to_char(page.updated_datetime_offset, 'HH24:MI') END || '"', 'null') || ', "expected_datetime" : ' || coalesce('"' || to_char(page.expected_datetime_local, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN (page.expected_datetime_offset < interval '0') THEN '-' || to_char(-page.expected_datetime_offset, 'HH24:MI') ELSE '+' || to_char(page.expected_datetime_offset, 'HH24:MI') END || '"', 'null') || ', "address" : ' || coalesce(CAST(to_json(page.address) AS TEXT), 'null') || ', "address_id" : ' || coalesce(CAST(to_json(page.address_id) AS TEXT), 'null') || ', "zipcode" : ' || coalesce(CAST(to_json(page.zipcode) AS TEXT), 'null') || ', "lat" : ' || coalesce(CASE WHEN (page.lat = trunc(page.lat)) THEN CAST(page.lat AS TEXT) || '.0' ELSE CAST(page.lat AS TEXT) END, 'null') || ', "long" : ' || coalesce(CASE WHEN (page.long = trunc(page.long)) THEN CAST(page.long AS TEXT) || '.0' ELSE CAST(page.long AS TEXT) END, 'null') || ', "media_url" : ' || coalesce(CAST(to_json(page.media_url) AS TEXT), 'null') || '}'
FROM (SELECT CAST(service_requests.id AS TEXT) AS service_request_id, service_requests.status AS status, service_requests.public_status_notes AS status_notes, services.service_name AS service_name, services.service_code AS service_code, service_requests.public_description AS description, departments.name AS agency_responsible, service_requests.service_notice AS service_notice, timezone(jurisdictions.timezone, service_requests.requested_at) AS requested_datetime_local, timezone(jurisdictions.timezone, service_requests.requested_at) - timezone('UTC', service_requests.requested_at) AS requested_datetime_offset, timezone(jurisdictions.timezone, service_requests.updated_at) AS updated_datetime_local, timezone(jurisdictions.timezone, service_requests.updated_at) - timezone('UTC', service_requests.updated_at) AS updated_datetime_offset, timezone(jurisdictions.timezone, service_requests.deadline) AS expected_datetime_local, timezone(jurisdictions.timezone, service_requests.deadline) - timezone('UTC', service_requests.deadline) AS expected_datetime_offset, service_requests.public_address AS address, service_requests.public_address_id AS address_id, service_requests.public_zipcode AS zipcode, ST_Y(service_requests.public_point) AS lat, ST_X(service_requests.public_point) AS long, service_requests.media_urls[1] AS media_url
FROM (SELECT (request).*) AS service_requests JOIN services ON services.id = service_requests.service_id LEFT OUTER JOIN departments ON departments.id = service_requests.department_id JOIN jurisdictions ON jurisdictions.id = service_requests.jurisdiction_id) AS page);
END $$
"""

# (table, the condition over service_requests r of the requests whose entries change)
CATALOG_TRIGGERS = (
    ("services", """r.service_id IN (
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.service_name, n.service_code) IS DISTINCT FROM (o.service_name, o.service_code))"""),
    ("departments", """r.department_id IN (
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.name IS DISTINCT FROM o.name)"""),
    ("jurisdictions", """r.jurisdiction_id IN (
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.timezone IS DISTINCT FROM o.timezone)"""),
)


def upgrade() -> None:
    op.execute("ALTER TABLE service_requests ADD COLUMN open311_entry text")
    op.execute(ENTRY_FUNCTION)
    op.execute("""
CREATE FUNCTION open311_entry_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.open311_entry := open311_entry_of(NEW);
    RETURN NEW;
END $$""")
    op.execute("""
CREATE TRIGGER open311_entry_stored BEFORE INSERT OR UPDATE ON service_requests
FOR EACH ROW EXECUTE FUNCTION open311_entry_stored()""")
    for table, requests_where in CATALOG_TRIGGERS:
        # The UPDATE's own trigger (above) renders the entries.
        touch = f"UPDATE service_requests r SET open311_entry = NULL WHERE {requests_where}"  # noqa: S608 (constants)
        op.execute(f"""
CREATE FUNCTION open311_entries_of_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {touch};
    RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER open311_entries_of_{table} AFTER UPDATE ON {table} "
                   "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION open311_entries_of_{table}()")
    # Every row is rendered once; the published points do not change, so the copy that tiles
    # read (migration 1600's trigger) is not written again for them.
    op.execute("ALTER TABLE service_requests DISABLE TRIGGER request_tile_points_update")
    op.execute("UPDATE service_requests SET open311_entry = NULL")
    op.execute("ALTER TABLE service_requests ENABLE TRIGGER request_tile_points_update")
    op.execute("ALTER TABLE service_requests ALTER COLUMN open311_entry SET NOT NULL")


def downgrade() -> None:
    for table, _ in CATALOG_TRIGGERS:
        op.execute(f"DROP TRIGGER open311_entries_of_{table} ON {table}")
        op.execute(f"DROP FUNCTION open311_entries_of_{table}()")
    op.execute("DROP TRIGGER open311_entry_stored ON service_requests")
    op.execute("DROP FUNCTION open311_entry_stored()")
    op.execute("DROP FUNCTION open311_entry_of(service_requests)")
    op.execute("ALTER TABLE service_requests DROP COLUMN open311_entry")
