"""Removing secrets from anything PostHog sends back before it reaches a model or a log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

REDACTED = "[redacted]"

# Keys whose values are credentials wherever they appear in PostHog's JSON: project tokens in
# project and user payloads, and batch-export destination credentials.
SENSITIVE_KEYS = frozenset(
    {
        "api_token",
        "secret_api_token",
        "secret_api_token_backup",
        "personal_api_key",
        "project_api_key",
        "api_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "password",
        "private_key",
        "private_key_id",
        "private_key_passphrase",
        "token",
        "bucket_credentials",
        "authorization",
        "client_secret",
    }
)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Return ``value`` with credentials replaced by ``[redacted]``.

    Values under :data:`SENSITIVE_KEYS` are replaced whatever they hold, and any string that
    contains one of ``secrets`` (the toolkit's own keys) has it masked, so a key echoed back in an
    unexpected field still never leaves the client.
    """
    known = tuple(s for s in secrets if s)
    return _redact(value, known)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {
            _redact(key, secrets): REDACTED
            if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and item not in (None, "")
            else _redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, secrets) for item in value]
    if isinstance(value, str) and secrets:
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
    return value


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Mask every occurrence of ``secrets`` in free text (error details, logged messages)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _needles(names: frozenset[str]) -> tuple[bytes, ...]:
    """The fewest names such that every name in ``names`` contains one of them."""
    kept: list[str] = []
    for name in sorted(names, key=len):
        if not any(short in name for short in kept):
            kept.append(name)
    return tuple(name.encode() for name in kept)


# A sensitive key that is in a body contains one of these (9 searches instead of 17).
_SENSITIVE_NAMES = _needles(SENSITIVE_KEYS)
_PLAIN_SECRET = re.compile(r"[A-Za-z0-9_-]+")


@cache
def _literal(secrets: tuple[str, ...]) -> tuple[bytes, ...] | None:
    """The keys as they would be spelled in plain JSON, or None if one could be escaped."""
    if not all(_PLAIN_SECRET.fullmatch(secret) for secret in secrets):
        return None
    return tuple(secret.encode() for secret in secrets)


def may_hold_secrets(raw: bytes, secrets: tuple[str, ...]) -> bool:
    r"""Whether :func:`redact` could change the JSON parsed from ``raw``.

    Redacting walks every value and costs about as much as parsing, and most answers hold
    nothing to redact. When the body is plain ASCII without ``\u`` escapes, every key and
    string in the parsed JSON is spelled literally in the bytes, so a sensitive key name or a
    key of ours that is not there cannot be in the JSON either. Anything else is redacted.
    """
    if not raw.isascii() or b"\\u" in raw or b"\x00" in raw:
        return True
    literal = _literal(secrets)
    if literal is None or any(map(raw.__contains__, literal)):
        return True
    lowered = raw.lower()
    return any(map(lowered.__contains__, _SENSITIVE_NAMES))
