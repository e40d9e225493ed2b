"""Errors raised below the views; Flask-free so operations can raise them (app.errors renders)."""


class Open311Error(Exception):
    """A problem to show the client; `status` is the HTTP status and Open311 error code."""

    status = 400

    def __init__(self, *descriptions: str, status: int | None = None, headers=None) -> None:
        super().__init__(*descriptions)
        self.descriptions = list(descriptions) or ["Bad request"]
        if status is not None:
            self.status = status
        self.headers = headers or {}


class BadRequest(Open311Error):
    """Anything wrong with the input that is not one of the cases below (GeoReport v2: 400)."""

    status = 400


class Unauthorized(Open311Error):
    """No or unknown staff token."""

    status = 401


class Forbidden(Open311Error):
    """Missing or wrong api_key, or a role without the right (GeoReport v2: 403)."""

    status = 403


class NotFound(Open311Error):
    """What was asked for does not exist (GeoReport v2: 404)."""

    status = 404


class Conflict(Open311Error):
    """The change is impossible in the request's current state."""

    status = 409


class UnprocessableContent(Open311Error):
    """Well-formed, but contradicting what the server already holds (an Idempotency-Key
    replayed with another body)."""

    status = 422


class TooManyRequests(Open311Error):
    """A daily limit on one client address or one recipient was reached."""

    status = 429


class PayloadTooLarge(Open311Error):
    """A body over the configured size."""

    status = 413


class ServiceUnavailable(Open311Error):
    """The database cannot be reached right now; retry later."""

    status = 503
