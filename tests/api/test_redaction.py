"""Redaction: log records masked with a call's own secrets, and the shortcut never skips one."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_posthog.api.redaction import (
    REDACTED,
    SENSITIVE_KEYS,
    Redactor,
    may_hold_secrets,
    redact,
)
from tests.conftest import PERSONAL_KEY

# A value sent under a credential name: not one of the toolkit's keys, but a secret all the same.
TOKEN = "tok_CALLERSECRET0000000000000000"


def test_log_records_are_masked_inside_a_call_with_its_own_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("langchain_posthog")
    with Redactor([PERSONAL_KEY]):
        try:
            raise ValueError(f"bad value {PERSONAL_KEY}")
        except ValueError:
            log.warning("could not read %s", f"x{PERSONAL_KEY}", exc_info=True)
    with Redactor([TOKEN]):
        logging.getLogger("httpx").info("GET /?q=%s", TOKEN)
    log.debug("outside any call %s", TOKEN)
    assert [r.getMessage() for r in caplog.records] == [
        f"could not read x{REDACTED}",
        f"GET /?q={REDACTED}",
        f"outside any call {TOKEN}",
    ]
    assert f"ValueError: bad value {REDACTED}" in caplog.text
    assert PERSONAL_KEY not in caplog.text


# The client skips redaction when a body cannot hold a secret (langchain_posthog/api/redaction.py,
# may_hold_secrets); what the artifact keeps must not depend on that shortcut.
_KEYS = st.sampled_from([*sorted(SENSITIVE_KEYS), "Token", "API_KEY", "to\u212aen", "name", "id"])

_SECRETS = st.sampled_from(["phx_abc123", "phc_XYZ-9", 'a"b', "k\\y", "tok\u00e9n"])

_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | _SECRETS
    | st.builds(str.__add__, st.text(max_size=3), _SECRETS),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.lists(_SECRETS, max_size=2), st.booleans())
def test_the_redaction_shortcut_never_skips_a_secret(
    value: Any, secrets: list[str], ascii_only: bool
) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    if not may_hold_secrets(raw, tuple(secrets)):
        assert redact(json.loads(raw), tuple(secrets)) == json.loads(raw)
