"""What a model reads when a call goes wrong: PostHog's 403s, and its own bad arguments."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from langchain_posthog import PostHogToolkit
from tests.actions import answering, make_toolkit
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY


@pytest.mark.parametrize(
    ("detail", "advice", "wrong"),
    [
        (
            "You don't have access to the project.",
            "not a member of this project",
            "scope",
        ),
        (
            "API key missing required scope 'feature_flag:read'",
            "lacks the 'feature_flag:read' scope",
            "member",
        ),
        (
            "API key does not have access to the requested project: ID 2.",
            "limited to other projects",
            "scope",
        ),
        (
            "Organization 'Acme' does not allow using personal API keys. Contact an admin to "
            "enable personal API keys for this organization.",
            "does not allow personal API keys for members",
            "scope",
        ),
        (
            "You don't have sufficient permissions in the project.",
            "too low a role",
            "scope",
        ),
    ],
)
def test_a_403_is_explained_from_its_body(detail: str, advice: str, wrong: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"type": "authentication_error", "detail": detail})

    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=2,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    result = kit.execute("posthog_get_feature_flag", {"id": 7})
    assert not result.successful and result.error
    assert detail.rstrip(".") in result.error and advice in result.error
    assert wrong not in result.error.split(detail.rstrip("."))[1]


KEYS = (PERSONAL_KEY, PROJECT_KEY)

KEY_SHAPE = re.compile(r"ph[xc]_[A-Za-z0-9]{8,}")


def leaks(text: str) -> list[str]:
    return [k for k in KEYS if k in text] + KEY_SHAPE.findall(text)


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("posthog_run_trends", {"series": [{"event": "$pageview"}], "date_from": PERSONAL_KEY}),
        ("posthog_run_trends", {"series": [{"event": "$pageview"}], "date_to": PERSONAL_KEY}),
        ("posthog_create_feature_flag", {"key": PERSONAL_KEY + "!"}),
    ],
)
def test_a_key_pasted_into_an_argument_is_not_repeated_by_the_validation_error(
    tool: str, args: dict[str, Any]
) -> None:
    toolkit = PostHogToolkit(personal_api_key=PERSONAL_KEY, project_id=PROJECT_ID)
    found = next(t for t in toolkit.get_tools() if t.name == tool)
    message = found.invoke({"name": tool, "args": args, "id": "c1", "type": "tool_call"})
    result = toolkit.execute(tool, args)
    field = next(iter(args.keys() - {"series"}))
    assert message.status == "error" and f"- {field}:" in message.content
    for text in (message.content, result.error or ""):
        assert PERSONAL_KEY not in text and not re.search(r"ph[xc]_[A-Za-z0-9]{8,}", text)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (httpx.Response(404, content=b""), "an empty Not Found response"),
        (
            httpx.Response(
                404,
                text="<html><title>404 Not Found</title></html>",
                headers={"Content-Type": "text/html"},
            ),
            "an HTML error page ('404 Not Found')",
        ),
    ],
)
def test_a_404_without_posthogs_json_error_also_points_at_the_host(
    answer: httpx.Response, said: str
) -> None:
    # Some PostHog endpoints answer a missing object with an empty 404 too, so the id stays the
    # first suspect; a host that is not PostHog's API answers every path this way.
    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        host="http://10.0.0.5:8000",
        http_client=httpx.Client(transport=httpx.MockTransport(lambda request: answer)),
    )
    error = kit.execute("posthog_get_feature_flag", {"id": 7}).error or ""
    assert error.startswith(f"Not found (404) in project {PROJECT_ID}: nothing with id 7 exists")
    assert said in error
    assert error.endswith(
        "The answer had no PostHog error body: if it should exist, check the host (POSTHOG_HOST "
        "or host=, and the path prefix if PostHog is behind a proxy; 'langchain-posthog check' "
        "tests them)."
    )
    json_404 = httpx.Response(404, json={"type": "invalid_request", "detail": "Not found."})
    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        http_client=httpx.Client(transport=httpx.MockTransport(lambda request: json_404)),
    )
    assert "POSTHOG_HOST" not in (kit.execute("posthog_get_feature_flag", {"id": 7}).error or "")


def test_a_404_names_a_tool_to_find_the_id_only_where_the_model_has_it() -> None:
    def error_with(**selection: Any) -> str:
        answer = {"type": "invalid_request", "detail": "Not found."}
        kit = make_toolkit(answering(answer, 404), **selection)
        tool = next(t for t in kit.get_tools() if t.name == "posthog_get_feature_flag")
        call = {"name": tool.name, "args": {"id": 7}, "id": "c", "type": "tool_call"}
        return str(tool.invoke(call).content)

    hint = "Find the flag's id with posthog_list_feature_flags (search by key)."
    assert error_with().endswith(hint)
    alone = error_with(include=["posthog_get_feature_flag"])
    assert alone == f"Not found (404) in project {PROJECT_ID}: nothing with id 7 exists."
