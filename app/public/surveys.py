"""The satisfaction survey link sent on closure: POST /surveys/{token}, answered once."""

from datetime import UTC, datetime

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app import workflow
from app.extensions import db
from app.operations.surveys import MAX_COMMENT, answer_survey
from app.public import blp


class SurveyFormSchema(Schema):
    """A survey answer: 1 unsatisfied, 2 neutral, 3 satisfied."""

    rating = fields.Integer(required=True, strict=True, validate=validate.Range(
        workflow.RATING_MIN, workflow.RATING_MAX))
    comment = fields.String(validate=validate.Length(max=MAX_COMMENT))


class SurveyAnswerSchema(Schema):
    """What was recorded."""

    rating = fields.Integer()
    comment = fields.String(allow_none=True)
    responded_at = fields.DateTime()


@blp.route("/surveys/<token>")
class SurveyByToken(MethodView):
    """A closed request's satisfaction survey."""

    @blp.arguments(SurveyFormSchema)
    @blp.response(201, SurveyAnswerSchema)
    def post(self, form: dict, token: str):
        """Answer the survey once: 404 for an unknown link, 409 when already answered."""
        survey = answer_survey(db.session, token, form["rating"], form.get("comment"),
                               datetime.now(UTC))
        db.session.commit()
        return survey
