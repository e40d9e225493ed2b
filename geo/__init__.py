"""Spatial helpers as SQLAlchemy expressions; spatial SQL lives here, not in handlers."""
