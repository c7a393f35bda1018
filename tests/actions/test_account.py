"""The key's owner and projects: recorded scenarios, and a project without a timezone."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from langchain_posthog.actions import ACTIONS
from tests.actions import content_of, recorded_toolkit
from tests.scenarios import Scenario, params, play
from tests.test_model_text import without

SCENARIOS = [
    Scenario(
        "posthog_list_projects",
        "posthog_list_projects.yaml",
        {},
        expect=('"Acme web" (id 2)', '"Acme mobile" (id 7)', "Europe/Berlin", "no events yet"),
        forbid=("api_token", "phc_", "[redacted]"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_projects",
        "posthog_list_projects.unauthorized.yaml",
        {},
        ok=False,
        expect=("401", "POSTHOG_PERSONAL_API_KEY", "region", "https://us.posthog.com"),
    ),
    Scenario(
        "posthog_get_current_user",
        "posthog_get_current_user.yaml",
        {},
        expect=("Ada Lovelace", 'email "user@example.com"', '"Acme web" (id 2', "Acme"),
        forbid=("api_token", "phc_", "[redacted]"),
        artifact_keys=("uuid", "team", "organization"),
    ),
    Scenario(
        "posthog_get_current_user",
        "posthog_get_current_user.forbidden.yaml",
        {},
        ok=False,
        expect=("403", "user:read"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


@pytest.mark.parametrize("null", [False, True], ids=["left out", "null"])
def test_a_project_without_a_timezone_is_listed_without_one(null: bool) -> None:
    projects = next(a for a in ACTIONS if a.name == "posthog_list_projects")
    change = functools.partial(without, path=("results", "*", "timezone"), null=null)
    with recorded_toolkit(change, project_id=2) as toolkit:
        content = content_of(toolkit, projects)
    assert "timezone" not in content and "None" not in content, content
