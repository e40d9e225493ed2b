"""The pages' language: the switch's cookie, else the browser's Accept-Language."""

from typing import Any

from flask import request
from flask_babel import get_locale, gettext

from app.models import Service

LOCALES = {"en": "English", "es": "Español"}
DEFAULT_LOCALE = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(list(LOCALES)) or DEFAULT_LOCALE


def current_language() -> str:
    """The language code of this response, for `lang` and the switch."""
    return str(get_locale() or DEFAULT_LOCALE)


def service_text(service: Service | Any, field: str) -> str:
    """A service's name, description or group in the page's language, from the catalog's
    `translations:`; the catalog's own wording when it has none."""
    translated = (service.translations or {}).get(current_language(), {}).get(field)
    return translated or getattr(service, field) or ""


def attribute_texts(service: Service) -> dict[str, Any]:
    """The service's questions in the page's language, by attribute code (may be empty)."""
    translation: dict[str, Any] = (service.translations or {}).get(current_language(), {})
    return translation.get("attributes", {})


def status_label(code: str | None) -> str:
    """A workflow state or timeline kind in words of the page's language."""
    labels = {
        "submitted": gettext("submitted"),
        "acknowledged": gettext("acknowledged"),
        "in_progress": gettext("in progress"),
        "on_hold": gettext("on hold"),
        "waiting_for_reporter": gettext("waiting for the reporter"),
        "resolved": gettext("resolved"),
        "cancelled": gettext("cancelled"),
        "duplicate": gettext("linked as a duplicate"),
        "status": gettext("status changed"),
    }
    return labels.get(code or "", (code or "").replace("_", " "))
