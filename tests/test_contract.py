"""Every cassette request (and every JSON response) is one PostHog's OpenAPI schema allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CASSETTES
from tests.contract import check, find, load_cassette

CASSETTE_FILES = sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert len(CASSETTE_FILES) >= 10


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_cassette_follows_posthog_spec(path: Path) -> None:
    interactions = load_cassette(path)
    assert interactions, f"{path.name} has no interactions"
    assert path.read_text().startswith("# Written by hand") or "recorded" in path.read_text()[:200]
    problems = [f"#{i} {p}" for i, x in enumerate(interactions) for p in check(x)]
    assert not problems, "\n".join(problems)


def test_checker_catches_departures() -> None:
    """The checker itself fails on what PostHog would refuse, so a green run means something."""
    base: dict[str, Any] = {
        "request": {
            "method": "POST",
            "uri": "https://us.posthog.com/api/projects/2/feature_flags/",
            "body": '{"key": "ok-key", "filters": {"groups": []}}',
        },
        "response": {"status": {"code": 201}, "body": {"string": "{}"}},
    }
    assert any("response" in p for p in check(base))  # {} lacks FeatureFlag's required fields
    wrong_type = {**base, "request": {**base["request"], "body": '{"key": 12}'}}
    assert any("request body" in p for p in check(wrong_type))
    unknown_param = {
        "request": {
            "method": "GET",
            "uri": "https://us.posthog.com/api/projects/2/feature_flags/?colour=red",
        },
        "response": {"status": {"code": 404}, "body": None},
    }
    assert any("colour" in p for p in check(unknown_param))
    wrong_host = {
        "request": {
            "method": "GET",
            "uri": "https://us.i.posthog.com/api/projects/2/feature_flags/1/",
        },
        "response": {"status": {"code": 404}, "body": None},
    }
    assert any("sent to" in p for p in check(wrong_host))
    responses_count = find("GET", "/api/projects/2/surveys/responses_count/")
    assert responses_count is not None
    assert responses_count[0].template.endswith("responses_count/")
    assert find("DELETE", "/api/projects/2/nonsense/") is None
