"""Public routes (see app/public/__init__.py)."""
