"""The only code that writes. Operations take the session, flush, and never commit."""

# Registers the flush hook that stores every request's public form.
from app.operations import public_form  # noqa: F401
