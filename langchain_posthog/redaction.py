"""Removing secrets from anything PostHog sends back before it reaches a model or a log."""

from __future__ import annotations

from collections.abc import Iterable
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
