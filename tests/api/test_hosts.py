"""Hosts: the cloud regions, a self-hosted URL with a path, and what is refused."""

from __future__ import annotations

import httpx
import pytest

from langchain_posthog import PostHogConfigError, PostHogToolkit
from langchain_posthog.api.hosts import resolve_hosts
from tests.conftest import PERSONAL_KEY, PROJECT_KEY


@pytest.mark.parametrize(
    ("host", "ingest", "expected"),
    [
        (None, None, ("https://us.posthog.com", "https://us.i.posthog.com")),
        ("eu", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        ("EU", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        ("https://app.posthog.com/", None, ("https://us.posthog.com", "https://us.i.posthog.com")),
        ("https://eu.i.posthog.com", None, ("https://eu.posthog.com", "https://eu.i.posthog.com")),
        (
            "https://ph.acme.dev:8443/",
            None,
            ("https://ph.acme.dev:8443", "https://ph.acme.dev:8443"),
        ),
        (
            "ph.acme.dev",
            "https://capture.acme.dev",
            ("https://ph.acme.dev", "https://capture.acme.dev"),
        ),
        ("us", "https://us.posthog.com", ("https://us.posthog.com", "https://us.i.posthog.com")),
    ],
)
def test_hosts(host: str | None, ingest: str | None, expected: tuple[str, str]) -> None:
    assert resolve_hosts(host, ingest) == expected


@pytest.mark.parametrize("bad", ["ftp://example.com", "https://", "javascript:alert(1)"])
def test_bad_host_refused(bad: str) -> None:
    with pytest.raises(PostHogConfigError, match="host"):
        resolve_hosts(bad)


def recording_server(seen: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"id": 7, "key": "beta", "name": "Beta", "active": True})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "host",
    ["https://corp.example/posthog", "https://corp.example/posthog/", "corp.example/posthog/api/"],
)
async def test_a_host_with_a_path_prefix_is_honoured_for_every_request(host: str) -> None:
    seen: list[str] = []
    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        host=host,
        project_id=2,
        http_client=httpx.Client(transport=recording_server(seen)),
        async_http_client=httpx.AsyncClient(transport=recording_server(seen)),
    )
    sync = kit.execute("posthog_get_feature_flag", {"id": 7})
    async_ = await kit.aexecute("posthog_get_feature_flag", {"id": 7})
    capture = kit.execute("posthog_capture_event", {"event": "x", "distinct_id": "u"})
    assert sync.successful and async_.successful and capture.successful, capture.error
    assert seen[:2] == ["https://corp.example/posthog/api/projects/2/feature_flags/7/"] * 2
    assert seen[2].startswith("https://corp.example/posthog/")
    assert "https://corp.example/posthog/project/2/feature_flags/7" in (sync.content or "")


def test_a_host_with_a_query_is_refused() -> None:
    with pytest.raises(PostHogConfigError, match="query or fragment"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, host="https://corp.example/?x=1")


@pytest.mark.parametrize("setting", ["host", "ingest_host"])
def test_a_host_with_credentials_is_refused_without_quoting_them(setting: str) -> None:
    with pytest.raises(PostHogConfigError, match="user name or password") as caught:
        PostHogToolkit(
            personal_api_key=PERSONAL_KEY, **{setting: "https://ada:s3cret@corp.example"}
        )
    assert "s3cret" not in str(caught.value)
