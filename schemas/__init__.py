"""marshmallow schemas for every request and response body, and for the catalog file."""
