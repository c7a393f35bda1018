"""Dashboards: the recorded scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenarios import Scenario, example, params, play

SCENARIOS = [
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.yaml",
        example("posthog_create_dashboard"),
        expect=(
            'Created dashboard "Growth" (id 12)',
            "https://us.posthog.com/project/2/dashboard/12",
            "dashboards [12]",
        ),
        forbid=("null", "created_by"),
        artifact_keys=("id", "name", "tiles"),
    ),
    Scenario(
        "posthog_create_dashboard",
        "posthog_create_dashboard.forbidden.yaml",
        example("posthog_create_dashboard"),
        ok=False,
        expect=("403", "dashboard:write"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.yaml",
        {"id": 12},
        expect=(
            'Dashboard "Growth" (id 12), pinned',
            "Weekly growth numbers",
            'Tags: "growth", "weekly"',
            "Tiles (4):",
            '"Weekly signups" (TrendsQuery, insight 345)',
            '"Pageview to signup conversion" (FunnelsQuery, insight 346)',
            '"Top referrers" (HogQLQuery, insight 347)',
            'text: "Numbers refresh every Monday morning.',
            "/project/2/dashboard/12",
        ),
        # The deleted tile, the cached results and PostHog's layout payload stay in the artifact.
        forbid=("Old retention", "layouts", "1804", "null"),
        artifact_keys=("id", "tiles"),
    ),
    Scenario(
        "posthog_get_dashboard",
        "posthog_get_dashboard.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "/dashboard/"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)
