"""Shared test setup: a hermetic environment, VCR replay from cassettes/, and toolkits."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.api.ratelimit import DEFAULT_BUDGETS
from langchain_posthog.api.redaction import REDACTED, redact

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"

# Keys used by every test. They look real so that leak tests search for something meaningful.
# To re-record cassettes against a real PostHog, set the POSTHOG_RECORD_* variables (README,
# "Re-recording the cassettes"): requests then go to that host and project, and the hooks below
# write them back as us.posthog.com and project 2, without keys, tokens or emails.
_RECORD = os.environ
PERSONAL_KEY = _RECORD.get("POSTHOG_RECORD_PERSONAL_API_KEY") or (
    "phx_TESTPERSONALKEY0000000000000000000000000000"
)
PROJECT_KEY = _RECORD.get("POSTHOG_RECORD_PROJECT_API_KEY") or (
    "phc_TESTPROJECTKEY00000000000000000000000000000"
)
PROJECT_ID = int(_RECORD.get("POSTHOG_RECORD_PROJECT_ID") or 2)
# Toolkits that make hundreds of calls in one test would otherwise wait out PostHog's budgets.
UNLIMITED: dict[str, str | None] = dict.fromkeys(DEFAULT_BUDGETS)
HOST = _RECORD.get("POSTHOG_RECORD_HOST") or "us"
CASSETTE_PROJECT_ID = 2
CASSETTE_HOSTS = {"app": "https://us.posthog.com", "ingest": "https://us.i.posthog.com"}

# Fields that change on every call and must not decide whether a recorded request matches.
VOLATILE = frozenset({"uuid", "sentAt", "api_key"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--transport",
        choices=("httpx", "aiohttp"),
        default="httpx",
        help="the async transport of the stand-in tests' toolkits (aiohttp needs the extra)",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="write what tests/test_golden.py sees to tests/golden/ instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    from tests import standin

    standin.TRANSPORT = config.getoption("transport")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's POSTHOG_* variables never reach a test."""
    for name in list(os.environ):
        if name.startswith("POSTHOG_"):
            monkeypatch.delenv(name)


def decode_body(body: Any) -> Any:
    """A recorded request body as JSON (gunzipped), or ``None``."""
    if body in (None, b"", ""):
        return None
    if isinstance(body, str):
        body = body.encode()
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    try:
        return json.loads(body)
    except ValueError:
        return body


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def json_body_matcher(r1: Any, r2: Any) -> None:
    """Bodies match when their JSON is equal, whitespace, gzip and volatile fields aside."""
    a, b = _without_volatile(decode_body(r1.body)), _without_volatile(decode_body(r2.body))
    assert a == b, f"request bodies differ: {a!r} != {b!r}"


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body_matcher)


def _scrub_request(request: Any) -> Any:
    if PROJECT_ID != CASSETTE_PROJECT_ID or HOST != "us":
        request.uri = _cassette_uri(request.uri)
    body = decode_body(request.body)
    if isinstance(body, dict | list):
        scrubbed = _scrub_destination(redact(body, (PERSONAL_KEY, PROJECT_KEY)))
        request.body = json.dumps(scrubbed).encode()
    return request


def _cassette_uri(uri: str) -> str:
    """A recorded URI as the replaying tests send it: US cloud, project 2."""
    from urllib.parse import urlsplit

    from langchain_posthog.api.hosts import resolve_hosts

    app, ingest = resolve_hosts(HOST)
    parts = urlsplit(uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.replace(
        f"/api/projects/{PROJECT_ID}/", f"/api/projects/{CASSETTE_PROJECT_ID}/", 1
    )
    mapped = {app: CASSETTE_HOSTS["app"], ingest: CASSETTE_HOSTS["ingest"]}.get(origin, origin)
    return mapped + path + (f"?{parts.query}" if parts.query else "")


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    raw = response["body"]["string"]
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return response
    response["body"]["string"] = json.dumps(_scrub_emails(redact(data))).encode()
    return response


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _scrub_emails(value: Any) -> Any:
    """Real people's emails (under ``email``, or in names PostHog fills from them) go."""
    if isinstance(value, dict):
        return {
            k: "user@example.com" if k == "email" and v else _scrub_emails(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_emails(v) for v in value]
    if isinstance(value, str):
        return _EMAIL.sub(_example_email, value)
    return value


def _example_email(match: re.Match[str]) -> str:
    # Addresses at example domains are the hand-written cassettes' own; keep them.
    return (
        match.group(0)
        if match.group(0).endswith((".example.com", "@example.com"))
        else ("user@example.com")
    )


# Destination fields PostHog treats as secret that are too generic to redact everywhere.
_DESTINATION_SECRETS = frozenset({"user", "client_email"})


def _scrub_destination(body: Any) -> Any:
    config = body.get("destination", {}).get("config") if isinstance(body, dict) else None
    if isinstance(config, dict):
        for key in _DESTINATION_SECRETS & config.keys():
            config[key] = REDACTED
    return body


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    # No record_mode here: it would override the command line (CI: --record-mode=none).
    return {
        "filter_headers": [("authorization", None), ("cookie", None), ("set-cookie", None)],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "json_body"],
        "allow_playback_repeats": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def toolkit() -> Iterator[PostHogToolkit]:
    """A toolkit bound to the project the cassettes use, with every tool."""
    with PostHogToolkit(
        host=HOST,
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        project_id=PROJECT_ID,
        include_destructive=True,
        max_retries=0,
    ) as kit:
        yield kit


@pytest.fixture
def unbound_toolkit() -> Iterator[PostHogToolkit]:
    """A toolkit with no bound project: tools take project_id, defaulting to @current."""
    with PostHogToolkit(
        host=HOST,
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        include_destructive=True,
    ) as kit:
        yield kit
