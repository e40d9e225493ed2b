"""FixMyStreet's servicerequestupdates extension (GET): what the departments did, so that a
FixMyStreet site can be this city's front end. Public history rows only, redacted."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from app import formats, workflow
from app.datetimes import localize, w3c
from app.exceptions import Forbidden
from app.extensions import db
from app.lookups import resolve_city
from app.models import RequestUpdate
from app.open311 import blp
from app.open311.params import MAX_RESULTS, date_window
from app.operations.access import find_api_key
from schemas.fields import W3CDateTime
from schemas.open311 import Open311ArgsSchema, Open311ErrorSchema

# FixMyStreet's update states (perllib/Open311/GetServiceRequestUpdates.pm), by our states and
# closure codes; anything else is plain open or closed.
FMS_STATE_BY_CODE = {
    "WORK_COMPLETED": "fixed",
    "NO_ACTION_NEEDED": "no_further_action",
    "REFERRED": "not_councils_responsibility",
    "DUPLICATE": "duplicate",
}
FMS_STATE_BY_STATUS = {
    workflow.ACKNOWLEDGED: "investigating",
    workflow.IN_PROGRESS: "in_progress",
    workflow.ON_HOLD: "action_scheduled",
    workflow.WAITING_FOR_REPORTER: "investigating",
}
PUBLIC_KINDS = ("status", "note")


class UpdatesArgsSchema(Open311ArgsSchema):
    """GET servicerequestupdates."""

    api_key = fields.String(metadata={"description": "Required"})
    start_date = W3CDateTime(metadata={"description": "updated_datetime >= start_date"})
    end_date = W3CDateTime(metadata={"description": "updated_datetime <= end_date"})


class RequestUpdateEntrySchema(Schema):
    """One request_update."""

    update_id = fields.String()
    service_request_id = fields.String()
    status = fields.String()
    updated_datetime = fields.String()
    description = fields.String()
    media_url = fields.String()
    external_status_code = fields.String(allow_none=True)


def fms_status(state: str | None, state_code: str | None) -> str:
    """The FixMyStreet state for one of our states and closure codes."""
    if state_code in FMS_STATE_BY_CODE:
        return FMS_STATE_BY_CODE[state_code]
    if state in workflow.CLOSED_STATES:
        return "closed"
    return FMS_STATE_BY_STATUS.get(state or "", "open")


def _state_at(update: Any) -> Any:
    """The request's state when `update` was written: the latest status row up to it."""
    earlier = RequestUpdate.__table__.alias("earlier")
    return (select(earlier.c.to_status)
            .where(earlier.c.service_request_id == update.service_request_id,
                   earlier.c.to_status.is_not(None), earlier.c.id <= update.id)
            .order_by(earlier.c.id.desc()).limit(1).scalar_subquery())


def _entry(row: Any, zone: ZoneInfo) -> dict[str, Any]:
    update: RequestUpdate = row.RequestUpdate
    state = row.state or workflow.SUBMITTED
    fallback = state.replace("_", " ").capitalize()
    return {
        "update_id": str(update.id),
        "service_request_id": str(update.service_request_id),
        "status": fms_status(state, update.state_code),
        "updated_datetime": w3c(update.created_at, zone),
        "description": update.public_description or fallback,
        "media_url": "",
        "external_status_code": update.state_code,
    }


@blp.route("/servicerequestupdates.<fmt:fmt>")
class ServiceRequestUpdates(MethodView):
    """FixMyStreet extension: request updates."""

    @blp.arguments(UpdatesArgsSchema, location="query")
    @blp.response(200, RequestUpdateEntrySchema(many=True))
    @blp.alt_response(403, schema=Open311ErrorSchema(many=True), description="no api_key")
    def get(self, args: dict, fmt: str):
        """Public status changes and notes between start_date and end_date, oldest first."""
        if find_api_key(db.session, args.get("api_key")) is None:
            raise Forbidden("api_key is missing or not valid")
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        zone = ZoneInfo(jurisdiction.timezone)
        start, end = date_window(
            localize(args["start_date"], zone) if "start_date" in args else None,
            localize(args["end_date"], zone) if "end_date" in args else None,
            datetime.now(UTC),
        )
        rows = db.session.execute(
            select(RequestUpdate, _state_at(RequestUpdate).label("state"))
            .where(RequestUpdate.jurisdiction_id == jurisdiction.id,
                   RequestUpdate.public.is_(True), RequestUpdate.kind.in_(PUBLIC_KINDS),
                   RequestUpdate.created_at >= start, RequestUpdate.created_at <= end)
            .order_by(RequestUpdate.created_at, RequestUpdate.id).limit(MAX_RESULTS)
        ).all()
        return formats.render([_entry(row, zone) for row in rows], fmt,
                              root="service_request_updates", item="request_update")
