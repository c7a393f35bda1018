"""Neither key ever appears in content, artifacts, errors, logs, reprs or cassettes."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.api.redaction import REDACTED
from tests.actions.test_batch_exports import credentials_in
from tests.conftest import CASSETTES, PERSONAL_KEY, PROJECT_ID, PROJECT_KEY
from tests.standin import responses

KEYS = (PERSONAL_KEY, PROJECT_KEY)
KEY_SHAPE = re.compile(r"ph[xc]_[A-Za-z0-9]{8,}")


def leaks(text: str) -> list[str]:
    return [k for k in KEYS if k in text] + KEY_SHAPE.findall(text)


def test_no_cassette_holds_a_key_a_credential_or_an_auth_header() -> None:
    for path in CASSETTES.rglob("*.yaml"):
        text = path.read_text()
        assert not leaks(text) and not credentials_in(text), path.name
        assert not re.search(r"(?im)^\s*-?\s*authorization:", text), path.name
        assert "Bearer" not in text, path.name


# -- every tool, with secrets in its own arguments ---------------------------------------------

# A value sent under a credential name: not one of the toolkit's keys, but a secret all the same.
TOKEN = "tok_CALLERSECRET0000000000000000"
SECRETS = (PERSONAL_KEY, PROJECT_KEY, TOKEN)
TEXT = f"notes {PERSONAL_KEY} and {PROJECT_KEY}"
PROPERTIES = {"note": TEXT, "api_token": TOKEN}

# Each tool's example, with the secrets wherever it takes free text or free-form properties
# (None removes an argument of the example). A tool that takes neither has an empty row, so a new
# tool fails here until its row says which.
SECRET_ARGS: dict[str, dict[str, Any]] = {
    "posthog_list_projects": {},
    "posthog_get_current_user": {},
    "posthog_list_feature_flags": {"search": TEXT},
    "posthog_get_feature_flag": {},
    "posthog_get_feature_flag_status": {},
    "posthog_create_feature_flag": {"name": TEXT, "tags": [PERSONAL_KEY]},
    "posthog_update_feature_flag": {"name": TEXT},
    "posthog_bulk_delete_feature_flags": {"ids": None, "filters": {"search": TEXT}},
    "posthog_capture_event": {"distinct_id": PERSONAL_KEY, "properties": PROPERTIES},
    "posthog_capture_events": {
        "events": [
            {"event": "signed_up", "distinct_id": PROJECT_KEY, "properties": PROPERTIES},
            {"event": TEXT, "distinct_id": "user-42"},
        ]
    },
    "posthog_create_insight": {"name": TEXT, "description": TEXT, "tags": [PROJECT_KEY]},
    "posthog_list_trend_insights": {"short_id": PERSONAL_KEY, "limit": None},
    "posthog_list_insights": {"search": TEXT},
    "posthog_update_insight": {"name": TEXT, "description": TEXT, "tags": [PERSONAL_KEY]},
    "posthog_run_funnel": {"events": [f"e {PERSONAL_KEY}", f"e {PROJECT_KEY}"]},
    "posthog_run_trends": {"where": f"properties.note = '{TEXT}'", "breakdown": PERSONAL_KEY},
    "posthog_run_hogql_query": {"query": f"SELECT '{PERSONAL_KEY}', '{PROJECT_KEY}' FROM events"},
    "posthog_list_errors": {"search": TEXT},
    "posthog_list_cohorts": {},
    "posthog_create_cohort": {
        "name": TEXT,
        "description": TEXT,
        "groups": [[{"property": "note", "value": PERSONAL_KEY}]],
    },
    "posthog_get_person": {"distinct_id": PERSONAL_KEY},
    "posthog_update_person_properties": {"distinct_id": PROJECT_KEY, "set": PROPERTIES},
    "posthog_list_experiments": {},
    "posthog_create_experiment": {"name": TEXT, "description": TEXT},
    "posthog_get_experiment": {},
    "posthog_update_experiment": {"name": TEXT, "description": TEXT},
    "posthog_get_experiment_results": {},
    "posthog_create_survey": {"name": TEXT},
    "posthog_get_survey": {},
    "posthog_get_survey_response_counts": {},
    "posthog_summarize_survey_responses": {},
    "posthog_update_survey": {"name": TEXT, "description": TEXT},
    "posthog_create_dashboard": {"name": TEXT, "description": TEXT, "tags": [PERSONAL_KEY]},
    "posthog_get_dashboard": {},
    "posthog_update_dashboard": {"name": TEXT, "description": TEXT, "tags": [PERSONAL_KEY]},
    "posthog_create_annotation": {"content": TEXT},
    "posthog_list_annotations": {"search": TEXT},
    "posthog_create_recording_playlist": {"name": TEXT, "description": TEXT},
    "posthog_get_session_recording": {},
    "posthog_list_session_recordings": {"distinct_id": PERSONAL_KEY},
    "posthog_create_batch_export": {"name": TEXT},
    "posthog_list_event_definitions": {"search": TEXT},
    "posthog_list_property_definitions": {"search": TEXT, "event_names": [PERSONAL_KEY]},
    "posthog_list_actions": {},
}


def secret_args(action: Any) -> dict[str, Any]:
    args = {**action.example, **SECRET_ARGS[action.name]}
    return {k: v for k, v in args.items() if v is not None}


def test_every_tool_has_a_row_of_secret_arguments() -> None:
    assert set(SECRET_ARGS) == {a.name for a in ACTIONS}
    for action in ACTIONS:
        action.args.model_validate(secret_args(action))


def _seen(request: httpx.Request) -> str:
    """Everything a request carried: its URL with the query, its key, its body."""
    body = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return " ".join(
        [str(request.url), request.headers.get("Authorization", ""), body.decode("utf-8")]
    )


def _echo_into_names(value: Any, found: str) -> Any:
    if isinstance(value, dict):
        echoed = {k: _echo_into_names(v, found) for k, v in value.items()}
        if isinstance(value.get("name"), str):
            echoed["name"] = f"{value['name']} {found}"
        return echoed
    if isinstance(value, list):
        return [_echo_into_names(v, found) for v in value]
    return value


def repeating_server(status: int) -> Callable[[httpx.Request], httpx.Response]:
    """A PostHog that answers everything with ``status``, repeating everything it was sent.

    A success is PostHog's recorded answer, with every name, an ``echo`` and an ``api_token``
    holding what the request carried; an error holds it in its detail and field name.
    """

    def handle(request: httpx.Request) -> httpx.Response:
        seen = _seen(request)
        found = " ".join(s for s in SECRETS if s in seen)
        if status >= 400:
            error = {"type": "validation_error", "code": "invalid", "attr": found or None}
            return httpx.Response(status, json={**error, "detail": f"bad request: {seen}"})
        recorded = responses.answer(request.method, request.url.path, request.content)
        assert recorded is not None, f"nothing recorded for {request.method} {request.url.path}"
        body = _echo_into_names(recorded.body, found)
        if isinstance(body, dict):
            body.update(echo=seen, api_token=found, detail=f"saw {found}")
        return httpx.Response(status, json=body)

    return handle


def secret_toolkit(status: int) -> PostHogToolkit:
    handle = repeating_server(status)

    async def ahandle(request: httpx.Request) -> httpx.Response:
        return handle(request)

    return PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        project_id=PROJECT_ID,
        include_destructive=True,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handle)),
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(ahandle)),
    )


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
async def test_no_secret_from_the_arguments_or_the_keys_comes_back(
    action: Any, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours and httpx's
    toolkit = secret_toolkit(status)
    tool = next(t for t in toolkit.get_tools() if t.name == action.name)
    args = secret_args(action)
    call = {"name": tool.name, "args": args, "id": "1", "type": "tool_call"}
    messages = [tool.invoke(call), await tool.ainvoke(call)]
    results = [toolkit.execute(action.name, args), await toolkit.aexecute(action.name, args)]
    for message in messages:
        assert message.status == ("success" if status < 300 else "error"), message.content
    for result in results:
        assert result.successful == (status < 300), result.error
    texts = [repr(tool), repr(toolkit), caplog.text]
    texts += [str(r.msg) + str(r.args) for r in caplog.records]
    for message in messages:
        texts += [str(message.content), json.dumps(message.artifact, default=str), repr(message)]
    for result in results:
        texts += [str(result.content), str(result.error), json.dumps(result.data, default=str)]
    for text in texts:
        assert not [s for s in SECRETS if s in text], text[:800]
    if status < 300:  # the repeated secrets were read and masked, not dropped
        assert all(REDACTED in json.dumps(r.data) for r in results)
    await toolkit.aclose()
