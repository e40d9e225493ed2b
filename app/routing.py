"""URL converters."""

from werkzeug.routing import BaseConverter


class FormatConverter(BaseConverter):
    """GeoReport v2's format extension. Anything else is no route: a 404 in the error format.
    The id before it may hold dots; the pattern splits on the last one."""

    regex = "json|xml"
