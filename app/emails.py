"""Email addresses: one rule for what is accepted, and one for when two spellings are the same
voter.

Syntax only (email-validator, no DNS lookup): a report must not wait on, or fail with, the
resolver. One address per field: a list (`a@x, b@y`) or a header break (CR/LF) is refused, so
that one field can never address two people or inject a header.
"""

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320
GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


class InvalidEmail(ValueError):
    """The text is not one valid email address."""


def valid_address(text: str) -> str:
    """The address, normalised by email-validator (domain lowercased, IDNA); InvalidEmail with
    the reason otherwise."""
    if len(text) > MAX_LENGTH:
        raise InvalidEmail(f"an email address has at most {MAX_LENGTH} characters")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(f"{text[:80]!r} is not one valid email address: {error}") from None


def same_person_key(address: str) -> str:
    """The form under which two spellings of one mailbox are one voter: lowercase, without a
    `+tag`, and without dots for Gmail (which ignores them)."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"
