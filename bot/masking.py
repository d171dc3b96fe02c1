"""Hide secrets before a setting is printed or logged: passwords inside URLs, and values of secret settings.

Used by `pathways config check` and by the start-up error messages in bot/settings.py, so neither ever
echoes a database password or a token.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

__all__ = ["MASK", "mask_url", "mask_setting", "is_secret_name"]

MASK = "********"

# Query parameters that carry credentials in database and cache URLs (libpq, asyncpg, redis-py).
_SECRET_QUERY_KEYS = {"password", "passwd", "pass", "secret", "token", "sslpassword", "auth", "access_token"}
_SECRET_NAME = re.compile(r"(secret|token|password|passwd|credential|private|api_?key)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for setting names that hold credentials (PATHWAYS_SECRET, TWILIO_AUTH_TOKEN, ...)."""
    return bool(_SECRET_NAME.search(name))


def mask_url(url: str) -> str:
    """`postgresql://user:pw@host/db?password=x` -> `postgresql://user:********@host/db?password=********`.

    The user name and host stay visible (they help an operator check the target); the password goes even
    when it holds characters a URL should have escaped, such as '/', '?' or '@'.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    credentials = ""
    at = rest.rfind("@")  # the last '@': a password may hold an unescaped '@', '/', '?' or '#'
    if at != -1:
        user, colon, _password = rest[:at].partition(":")
        credentials = f"{user}:{MASK}@" if colon else f"{user}@"
        rest = rest[at + 1:]
    address, qmark, query = rest.partition("?")
    if qmark:
        query = _mask_query(query)
    return f"{scheme}{sep}{credentials}{address}{qmark}{query}"


def mask_setting(name: str, value: object) -> object:
    """A setting's value as it may be shown: secrets replaced by MASK, URLs with their passwords hidden."""
    if value is None:
        return None
    if hasattr(value, "get_secret_value") or is_secret_name(name):
        return MASK
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def _mask_query(query: str) -> str:
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    parts = []
    for part in query.split("&"):
        key, eq, _value = part.partition("=")
        parts.append(f"{key}={MASK}" if eq and unquote_plus(key).lower() in _SECRET_QUERY_KEYS else part)
    return "&".join(parts) + fragment
