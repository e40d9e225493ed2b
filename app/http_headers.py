"""Headers every response carries."""

from flask import Flask, Response, request

# An API serves data, never pages: nothing may be framed, sniffed or run from it.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def register_response_headers(app: Flask) -> None:
    """Attach the security headers (and HSTS behind TLS) to every response."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # The names present read once: each setdefault() would scan the header list again.
        present = header_names(response)
        missing = [(name, value) for name, value in SECURITY_HEADERS.items()
                   if name.lower() not in present]
        if request.is_secure and "strict-transport-security" not in present:
            missing.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        response.headers.extend(missing)
        return response


def header_names(response: Response) -> set[str]:
    """The names of the headers `response` carries, in lower case (header names are)."""
    return {name.lower() for name, _ in response.headers}
