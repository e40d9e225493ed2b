"""The only code that writes. Operations take the session, flush, and never commit."""
