"""Removing secrets from everything the toolkit hands back, and from its log records.

One step does it: :func:`redact`. The client runs PostHog's answers through it with the
toolkit's keys (langchain_posthog.api.answers); the tests' cassettes are recorded through it
(tests/conftest.py); and a tool call runs everything else through its :class:`Redactor`: the
artifact (which a plan may build from the arguments it sent), the content, the error message
and the log records made while it runs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar, Token
from functools import cache
from typing import Any, TypeVar

from langchain_posthog.api.calls import Call, Plan, Reply

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


def redact(value: Any, secrets: Iterable[str] = (), *, clean: Iterable[Any] = ()) -> Any:
    """Return ``value`` with credentials replaced by ``[redacted]``.

    Values under :data:`SENSITIVE_KEYS` are replaced whatever they hold, and any string that
    contains one of ``secrets`` (the toolkit's own keys) has it masked, so a key echoed back in an
    unexpected field still never leaves the client. Objects in ``clean``, already redacted with
    the same ``secrets``, are kept as they are (by identity) instead of being walked again.
    """
    known = tuple(s for s in secrets if s)
    return _redact(value, known, frozenset(map(id, clean)))


def _redact(value: Any, secrets: tuple[str, ...], clean: frozenset[int]) -> Any:
    if clean and id(value) in clean:
        return value
    if isinstance(value, dict):
        return {
            _redact(key, secrets, clean): REDACTED
            if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and item not in (None, "")
            else _redact(item, secrets, clean)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, secrets, clean) for item in value]
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


# A value sent under a credential name is masked wherever it comes back only from this length
# on: a shorter one ("abc", "1") is too likely to be an ordinary word or number of the answer,
# and masking it there would garble the content. Under its name it is redacted whatever it is.
MIN_SENT_SECRET = 8

T = TypeVar("T")


def sent_secrets(value: Any) -> set[str]:
    """The strings a request body or query holds under credential names, at any depth.

    Each also as JSON would escape it, as PostHog may quote it back in an error.
    """
    found: set[str] = set()

    def under_name(item: Any) -> None:
        if isinstance(item, str):
            if len(item) >= MIN_SENT_SECRET:
                found.update({item, json.dumps(item)[1:-1]})
        elif isinstance(item, dict):
            for inner in item.values():
                under_name(inner)
        elif isinstance(item, list):
            for inner in item:
                under_name(inner)

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and key.lower() in SENSITIVE_KEYS:
                    under_name(inner)
                else:
                    walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
    return found


class Redactor:
    """The secrets of one tool call, and the one step everything the call returns goes through.

    It starts with the toolkit's keys. Every request the call's plan sends adds the values it
    carries under credential names (an event property ``api_token``, a person's ``password``),
    so that PostHog repeating one back, in an answer or an error, or a plan building its result
    from its own arguments, is masked too. Answers the client has already redacted are not walked
    again, unless the call sent such values, which the client does not know. Used as a context
    manager, it masks the log records made in that context (a thread, an asyncio task) too.
    """

    _token: Token[Redactor | None]

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(s for s in secrets if s)
        self._sent = False
        self._clean: list[Any] = []

    def watch(self, plan: Plan[T]) -> Plan[T]:
        """``plan`` as it is, noting what each of its calls sends and each reply's data."""
        reply: Reply | None = None
        error: Exception | None = None
        try:
            while True:
                try:
                    step = plan.throw(error) if error is not None else plan.send(reply)  # type: ignore[arg-type]
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                if isinstance(step, Call):
                    self._note(step)
                reply, error = None, None
                try:
                    reply = yield step
                except Exception as exc:  # what the client throws in: PostHog's errors
                    error = exc
                else:
                    if isinstance(reply, Reply):
                        self._clean.append(reply.data)
        finally:
            plan.close()

    def _note(self, call: Call) -> None:
        if call.json is None and not call.params:
            return
        found = sent_secrets([call.json, dict(call.params or {})]) - set(self.secrets)
        if found:
            self.secrets = tuple(sorted({*self.secrets, *found}, key=len, reverse=True))
            self._sent = True

    def data(self, value: Any) -> Any:
        """``value`` (an artifact) with every secret of the call redacted."""
        if self._sent:
            return redact(value, self.secrets)
        if any(value is data for data in self._clean):
            return value  # the client's own answer, already redacted
        return redact(value, self.secrets, clean=self._clean)

    def text(self, text: str) -> str:
        """``text`` (content, an error message, a log line) with every secret of the call masked."""
        return mask_text(text, self.secrets)

    def __enter__(self) -> Redactor:
        """Mask this call's secrets in the log records made in this context, until the exit."""
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self._token)


_ACTIVE: ContextVar[Redactor | None] = ContextVar("langchain_posthog_redactor", default=None)


class _MaskingFilter(logging.Filter):
    """Runs a log record made during a tool call through that call's :class:`Redactor`.

    A context variable says which call is running, so each record gets its own call's secrets,
    in threads and asyncio tasks alike, and records made outside a call are left alone.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = _ACTIVE.get()
        if redactor is None or not redactor.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it when it is formatted
            return True
        masked = redactor.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            masked = redactor.text(trace)
            if masked != trace:
                # Handlers print exc_text when it is set; the exception itself holds the secret.
                record.exc_text, record.exc_info = masked, None
        return True


# This package's records, and httpx's: httpx logs every request's URL with its query string,
# where a search text or a distinct id a model passed may hold a secret.
for _name in ("langchain_posthog", "httpx"):
    logging.getLogger(_name).addFilter(_MaskingFilter())


# A PostHog key's shape: personal (phx_), project (phc_) and other ph?_ tokens.
_KEY_SHAPE = re.compile(r"\bph[a-z]_[A-Za-z0-9_-]{6,}")


def mask_key_shapes(text: str) -> str:
    """Mask anything shaped like a PostHog key, for text that quotes a caller's input."""
    return _KEY_SHAPE.sub(lambda match: match.group(0)[:4] + "..." + REDACTED, text)
