"""Secrets: generated with `secrets`, stored only as SHA-256 digests."""

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret (api keys, staff tokens, survey and confirmation links)."""
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """The digest stored instead of the secret. Secrets are random, so no salt is needed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    """An HMAC of a personal value (a voter's email or device id), so it can be counted
    once without being stored."""
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()
