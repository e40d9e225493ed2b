"""Staff API routes: thin; authenticate, lock, call an operation, commit once, render."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request
from flask.views import MethodView
from geoalchemy2 import Geometry
from sqlalchemy import cast, func, select

from app import workflow
from app.csv_safety import csv_safe_text
from app.datetimes import localize, w3c
from app.exceptions import BadRequest, Forbidden, NotFound
from app.extensions import db
from app.lookups import (
    AnyJurisdiction,
    City,
    jurisdiction_of,
    resolve_city,
    resolve_jurisdiction,
)
from app.media import checked_media_urls
from app.models import (
    Department,
    District,
    Jurisdiction,
    Reporter,
    RequestUpdate,
    Service,
    ServiceRequest,
    StaffUser,
)
from app.operations import idempotency
from app.operations.closures import close_batch
from app.operations.escalation import escalate
from app.operations.merge import merge, unmerge
from app.operations.notes import add_note
from app.operations.public_form import release_location
from app.operations.reassign import reassign
from app.operations.submit import REPORTER_FIELDS, Actor, SubmitForm, submit_request
from app.operations.transitions import TransitionForm, transition
from app.performance import performance_report
from app.staff import blp
from app.staff.auth import actor_label, current_staff, ensure_may_work, locked_request_for
from schemas.staff import (
    ClosureFormSchema,
    ClosureResultSchema,
    EscalationFormSchema,
    LocationReleaseFormSchema,
    MergeFormSchema,
    NoteFormSchema,
    PerformanceArgsSchema,
    PerformanceReportSchema,
    ReassignFormSchema,
    StaffArgsSchema,
    StaffRequestDetailSchema,
    StaffRequestPageSchema,
    StaffRequestsArgsSchema,
    StaffSubmitFormSchema,
    TransitionFormSchema,
)

CSV_COLUMNS = ("level", "department", "service_code", "opened", "closed", "closed_on_time",
               "on_time_pct", "survey_responses", "satisfaction_avg", "needs_review")


def _staff_city(staff: StaffUser, jurisdiction_id: str | None) -> City:
    """Department staff work in their department's city; others name it or have only one.
    Remembered per process (app/lookups.py): what reads need, without a round trip."""
    if staff.department is not None:
        return resolve_city(db.session, staff.department.jurisdiction_id)
    return resolve_city(db.session, jurisdiction_id)


def _staff_jurisdiction(staff: StaffUser, jurisdiction_id: str | None) -> Jurisdiction:
    """_staff_city as a mapped object, for writes that relate rows to it."""
    return resolve_jurisdiction(db.session, _staff_city(staff, jurisdiction_id).id)


def _point():
    geometry = cast(ServiceRequest.location, Geometry)
    return func.ST_Y(geometry).label("lat"), func.ST_X(geometry).label("long")


# The queue's `total` is exact up to this many requests; beyond, it says "at least this many".
TOTAL_CAP = 1_000


# What an entry reads of the request: columns, not the mapped object, whose loading (identity
# map, instance state) cost more than the page's SQL for 50 requests.
_ENTRY_COLUMNS = (
    ServiceRequest.id, ServiceRequest.status, ServiceRequest.detailed_status,
    ServiceRequest.state_code, ServiceRequest.status_notes, ServiceRequest.description,
    ServiceRequest.address, ServiceRequest.channel, ServiceRequest.requested_at,
    ServiceRequest.updated_at, ServiceRequest.deadline, ServiceRequest.closed_at,
    ServiceRequest.paused_at, ServiceRequest.escalated_at, ServiceRequest.escalation_reason,
    ServiceRequest.duplicate_of_id,
)


def _queue_query(jurisdiction: AnyJurisdiction):
    return (
        select(*_ENTRY_COLUMNS, Service.service_code, Service.service_name,
               Department.code.label("department"), District.code.label("district"), *_point())
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .outerjoin(District, District.id == ServiceRequest.district_id)
        .where(ServiceRequest.jurisdiction_id == jurisdiction.id)
    )


def _entry(row: Any, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {
        "service_request_id": str(row.id),
        "status": row.status,
        "detailed_status": row.detailed_status,
        "state_code": row.state_code,
        "status_notes": row.status_notes,
        "service_code": row.service_code,
        "service_name": row.service_name,
        "department": row.department,
        "district": row.district,
        "description": row.description,
        "address": row.address,
        "lat": row.lat,
        "long": row.long,
        "channel": row.channel,
        "requested_datetime": w3c(row.requested_at, zone),
        "updated_datetime": w3c(row.updated_at, zone),
        "expected_datetime": w3c(row.deadline, zone),
        "closed_datetime": w3c(row.closed_at, zone),
        "paused_since": w3c(row.paused_at, zone),
        "overdue": row.status == "open" and row.deadline is not None and now > row.deadline,
        "escalated_datetime": w3c(row.escalated_at, zone),
        "escalation_reason": row.escalation_reason,
        "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
    }


def _detail(service_request: ServiceRequest) -> dict[str, Any]:
    """Everything about one request, for staff: history and reporter contact included."""
    service_request_id = service_request.id
    jurisdiction = jurisdiction_of(db.session, service_request)
    zone = ZoneInfo(jurisdiction.timezone)
    row = db.session.execute(
        _queue_query(jurisdiction).where(ServiceRequest.id == service_request_id)).one()
    reporter = db.session.scalar(select(Reporter).where(
        Reporter.service_request_id == service_request_id))
    updates = db.session.scalars(select(RequestUpdate).where(
        RequestUpdate.service_request_id == service_request_id).order_by(RequestUpdate.id))
    return _entry(row, zone, datetime.now(UTC)) | {
        "attributes": service_request.attributes,
        "media_urls": service_request.media_urls,
        "reporter": {name: getattr(reporter, name) for name in REPORTER_FIELDS}
        if reporter else None,
        "updates": [
            {"update_id": str(u.id), "datetime": w3c(u.created_at, zone), "actor": u.actor,
             "kind": u.kind, "from_status": u.from_status, "to_status": u.to_status,
             "state_code": u.state_code, "description": u.description, "public": u.public,
             "data": u.data}
            for u in updates
        ],
    }


@blp.route("/requests")
class StaffServiceRequests(MethodView):
    """The work queue."""

    @blp.arguments(StaffRequestsArgsSchema, location="query")
    @blp.response(200, StaffRequestPageSchema)
    def get(self, args: dict):
        """Requests to work: escalated first, then by deadline; paginated."""
        staff = current_staff()
        jurisdiction = _staff_city(staff, args.get("jurisdiction_id"))
        now = datetime.now(UTC)
        # Filters on the request's own columns (codes through subqueries), so that the count
        # can read the open-queue index alone, without the joins of the page.
        conditions = [ServiceRequest.jurisdiction_id == jurisdiction.id]
        if staff.role == "department":
            conditions.append(ServiceRequest.department_id == staff.department_id)
        if "status" in args:
            column = (ServiceRequest.status if args["status"] in ("open", "closed")
                      else ServiceRequest.detailed_status)
            conditions.append(column == args["status"])
        if "service_code" in args:
            conditions.append(ServiceRequest.service_id.in_(select(Service.id).where(
                Service.jurisdiction_id == jurisdiction.id,
                Service.service_code == args["service_code"])))
        if "department" in args:
            conditions.append(ServiceRequest.department_id.in_(
                select(Department.id).where(Department.jurisdiction_id == jurisdiction.id,
                                            Department.code == args["department"])))
        if "district" in args:
            conditions.append(ServiceRequest.district_id.in_(
                select(District.id).where(District.jurisdiction_id == jurisdiction.id,
                                          District.code == args["district"])))
        if "escalated" in args:
            conditions.append(ServiceRequest.escalated_at.is_not(None) if args["escalated"]
                              else ServiceRequest.escalated_at.is_(None))
        if "overdue" in args:
            overdue = (ServiceRequest.status == "open") & (ServiceRequest.deadline < now)
            conditions.append(overdue if args["overdue"] else ~overdue)
        query = _queue_query(jurisdiction).where(*conditions)
        page, per_page = args["page"], args["per_page"]
        # Counting the whole joined queue cost more than the page itself (79 ms at 1M
        # requests, 727 ms at 5M): ids only, no join, and no further than TOTAL_CAP.
        counted = select(ServiceRequest.id).where(*conditions).limit(TOTAL_CAP + 1).subquery()
        total = db.session.execute(select(func.count()).select_from(counted)).scalar_one()
        rows = db.session.execute(
            query.order_by(ServiceRequest.escalated_at.is_(None),
                           ServiceRequest.deadline.asc().nulls_last(), ServiceRequest.id)
            .limit(per_page + 1).offset((page - 1) * per_page)  # one more: is there a next?
        ).all()
        zone = ZoneInfo(jurisdiction.timezone)
        # Sent as built: each entry already holds the schema's fields in its order, with its
        # types, so StaffRequestPageSchema's dump (which documents the page) would only copy
        # it, and copying 50 entries field by field took 70% of the page's CPU (issue 12).
        # A test checks that the dump changes nothing.
        return jsonify({"requests": [_entry(row, zone, now) for row in rows[:per_page]],
                        "page": page, "per_page": per_page, "total": min(total, TOTAL_CAP),
                        "total_exact": total <= TOTAL_CAP, "has_more": len(rows) > per_page})

    @blp.arguments(StaffSubmitFormSchema)
    @blp.response(201, StaffRequestDetailSchema)
    def post(self, form: dict):
        """File a request on behalf of a caller (phone, email, walk_in, council, mayor)."""
        staff = current_staff()
        if staff.role not in workflow.CREATING_ROLES:
            raise Forbidden(f"only {', '.join(workflow.CREATING_ROLES)} staff file requests")
        owner = idempotency.Owner(staff_user_id=staff.id)
        content_hash = idempotency.body_hash(request.get_json(silent=True))
        retry_key, first = idempotency.replay(db.session, owner,
                                              request.headers.get("Idempotency-Key"),
                                              content_hash=content_hash)
        if first is not None:  # a retry: the first answer again, nothing filed
            return _detail(first)
        jurisdiction = _staff_jurisdiction(staff, form.get("jurisdiction_id"))
        answers = {code: [str(v) for v in value] if isinstance(value, list) else [str(value)]
                   for code, value in (form.get("attributes") or {}).items()}
        submitted = SubmitForm(
            service_code=form["service_code"], lat=_coordinate_text(form.get("lat")),
            long=_coordinate_text(form.get("long")),
            address_string=form.get("address_string"), address_id=form.get("address_id"),
            zipcode=form.get("zipcode"), description=form.get("description"),
            media_urls=checked_media_urls(form["media_urls"]), attributes=answers,
            channel=form["channel"],
            reporter={k: form[k] for k in REPORTER_FIELDS if form.get(k)},
        )
        service_request = submit_request(
            db.session, jurisdiction, submitted,
            Actor(label=actor_label(staff), staff_role=staff.role),
        )
        idempotency.remember(db.session, owner, retry_key, service_request,
                             content_hash=content_hash)
        db.session.commit()
        return _detail(service_request)


def _coordinate_text(value: float | None) -> str | None:
    """The body's number as the submit operation reads coordinates (Open311 sends text);
    repr keeps every digit."""
    return None if value is None else repr(value)


@blp.route("/requests/<service_request_id>")
class StaffServiceRequestById(MethodView):
    """One request."""

    @blp.arguments(StaffArgsSchema, location="query")
    @blp.response(200, StaffRequestDetailSchema)
    def get(self, _args: dict, service_request_id: str):
        """Everything, with the full history (`updates`) and the reporter's contact."""
        staff = current_staff()
        if not service_request_id.isdigit() or len(service_request_id) > 18:
            raise NotFound(f"service request {service_request_id!r} was not found")
        service_request = db.session.get(ServiceRequest, int(service_request_id))
        if service_request is None:
            raise NotFound(f"service request {service_request_id!r} was not found")
        ensure_may_work(staff, service_request)
        return _detail(service_request)


def _change(service_request_id: str,
            apply: Callable[[ServiceRequest, str, datetime], object]) -> dict[str, Any]:
    """Lock a request the caller may work on, apply one change as the caller, commit once and
    answer the request as it now is."""
    staff = current_staff()
    service_request = locked_request_for(staff, service_request_id)
    apply(service_request, actor_label(staff), datetime.now(UTC))
    db.session.commit()
    return _detail(service_request)


@blp.route("/requests/<service_request_id>/transitions")
class Transitions(MethodView):
    """Lifecycle moves."""

    @blp.arguments(TransitionFormSchema)
    @blp.response(200, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Move to another state: 400 for missing fields, 409 for an impossible move."""
        move = TransitionForm(form["to"], form.get("state_code"), form.get("description"))
        return _change(service_request_id, lambda service_request, actor, now: transition(
            db.session, service_request, move, actor, now))


@blp.route("/requests/<service_request_id>/notes")
class Notes(MethodView):
    """Notes."""

    @blp.arguments(NoteFormSchema)
    @blp.response(201, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Add a public or internal note."""
        return _change(service_request_id, lambda service_request, actor, now: add_note(
            db.session, service_request, form["text"], form["public"], actor=actor, now=now))


@blp.route("/requests/<service_request_id>/reassign")
class Reassign(MethodView):
    """Routing."""

    @blp.arguments(ReassignFormSchema)
    @blp.response(200, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Send to another department or service; the deadline is recomputed."""
        return _change(service_request_id, lambda service_request, actor, now: reassign(
            db.session, service_request, department_code=form.get("department"),
            service_code=form.get("service_code"), actor=actor, now=now,
            staff_role=current_staff().role))


@blp.route("/requests/<service_request_id>/location-release")
class LocationRelease(MethodView):
    """Releasing a stricter location precision."""

    @blp.arguments(LocationReleaseFormSchema)
    @blp.response(200, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Publish the request under its service's current public_location when that is
        looser than the strictest it had (400 when there is nothing to release); the note is
        kept in its history."""
        return _change(service_request_id, lambda service_request, actor, now: release_location(
            db.session, service_request, form["note"], actor, now))


@blp.route("/requests/<service_request_id>/escalations")
class Escalations(MethodView):
    """Escalation."""

    @blp.arguments(EscalationFormSchema)
    @blp.response(201, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Escalate for overdue, imminent_threat, recurring or unsatisfied; else 409."""
        return _change(service_request_id, lambda service_request, actor, now: escalate(
            db.session, service_request, form["reason"], form.get("note"), actor=actor,
            now=now))


@blp.route("/requests/<service_request_id>/merge")
class Merge(MethodView):
    """Duplicates."""

    @blp.arguments(MergeFormSchema)
    @blp.response(200, StaffRequestDetailSchema)
    def post(self, form: dict, service_request_id: str):
        """Merge this request into another as its duplicate."""
        def merge_into_a_request_in_scope(service_request: ServiceRequest, actor: str,
                                          now: datetime) -> object:
            # Both sides are written: the parent must be the caller's to touch too.
            if str(form["into"]) != str(service_request.id):
                locked_request_for(current_staff(), form["into"])
            return merge(db.session, service_request, form["into"], actor, now)

        return _change(service_request_id, merge_into_a_request_in_scope)

    @blp.response(200, StaffRequestDetailSchema)
    def delete(self, service_request_id: str):
        """Undo a merge."""
        def unmerge_from_a_request_in_scope(service_request: ServiceRequest, actor: str,
                                            now: datetime) -> object:
            if service_request.duplicate_of_id is not None:
                locked_request_for(current_staff(), service_request.duplicate_of_id)
            return unmerge(db.session, service_request, actor, now)

        return _change(service_request_id, unmerge_from_a_request_in_scope)


@blp.route("/closures")
class Closures(MethodView):
    """Administrative batch closure."""

    @blp.arguments(ClosureFormSchema)
    @blp.response(200, ClosureResultSchema)
    def post(self, form: dict):
        """Close every open request of a service filed before a date (admin only)."""
        staff = current_staff()
        if staff.role != "admin":
            raise Forbidden("only admin staff close requests in batch")
        jurisdiction = _staff_jurisdiction(staff, form.get("jurisdiction_id"))
        before = localize(form["requested_before"], ZoneInfo(jurisdiction.timezone))
        closed = close_batch(db.session, jurisdiction, service_code=form["service_code"],
                             requested_before=before, state_code=form["state_code"],
                             description=form.get("description"), actor=actor_label(staff),
                             now=datetime.now(UTC))
        db.session.commit()
        return {"closed": len(closed), "service_request_ids": [str(i) for i in closed]}


def _wants_csv(args: dict) -> bool:
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def performance_csv(report: dict[str, Any]) -> Response:
    """The report as CSV: one line per service, then one per department."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for level in ("services", "departments"):
        for row in report[level]:
            writer.writerow({name: csv_safe_text(value)
                             for name, value in ({"level": level[:-1]} | row).items()})
    filename = f"performance-{report['month']}.csv"
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/reports/performance")
class Performance(MethodView):
    """SLA and satisfaction per service and department."""

    @blp.arguments(PerformanceArgsSchema, location="query")
    @blp.response(200, PerformanceReportSchema)
    @blp.alt_response(200, description="CSV (Accept: text/csv or format=csv)",
                      content_type="text/csv", success=True)
    def get(self, args: dict):
        """A month (YYYY-MM, in the city's timezone): opened, closed, on time, satisfaction."""
        staff = current_staff()
        jurisdiction = _staff_jurisdiction(staff, args.get("jurisdiction_id"))
        department = args.get("department")
        if staff.role == "department":
            own = staff.department.code if staff.department else None
            if department and department != own:
                raise Forbidden("department staff see their own department's report only")
            department = own
        elif department and not db.session.scalar(select(Department.id).where(
                Department.jurisdiction_id == jurisdiction.id, Department.code == department)):
            raise BadRequest(f"department {department!r} is unknown")
        report = performance_report(db.session, jurisdiction, args["month"], department)
        if _wants_csv(args):
            return performance_csv(report)
        return report
