"""Feature flags: the recorded scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenarios import Scenario, example, params, play

SCENARIOS = [
    Scenario(
        "posthog_list_feature_flags",
        "posthog_list_feature_flags.yaml",
        {"search": "onboarding"},
        expect=(
            '"new-onboarding" (id 1234)',
            '"onboarding-checklist" (id 1240)',
            "inactive",
            "0% of all users",
            '"email" icontains',
            'variants "control" 50%, "test" 50%',
            "1-2 of 2",
        ),
        forbid=("null", "created_by"),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_list_feature_flags",
        "posthog_list_feature_flags.forbidden.yaml",
        {"search": "onboarding"},
        ok=False,
        expect=("403", "feature_flag:read"),
    ),
    Scenario(
        "posthog_get_feature_flag",
        "posthog_get_feature_flag.yaml",
        {"id": 1234},
        expect=(
            '"new-onboarding" (id 1234)',
            "active",
            "0% of all users",
            "/project/2/feature_flags/1234",
        ),
        artifact_keys=("id", "key", "filters"),
    ),
    Scenario(
        "posthog_get_feature_flag",
        "posthog_get_feature_flag.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "project 2", "posthog_list_feature_flags"),
    ),
    Scenario(
        "posthog_get_feature_flag",
        "posthog_get_feature_flag.current_project.yaml",
        {"id": 1234},
        bound=False,
        expect=('"new-onboarding" (id 1234)', "https://us.posthog.com/feature_flags/1234"),
    ),
    Scenario(
        "posthog_create_feature_flag",
        "posthog_create_feature_flag.yaml",
        example("posthog_create_feature_flag"),
        expect=('Created flag "new-onboarding" (id 1234)', "25% of all users"),
        artifact_keys=("id", "key"),
    ),
    Scenario(
        "posthog_create_feature_flag",
        "posthog_create_feature_flag.duplicate_key.yaml",
        example("posthog_create_feature_flag"),
        ok=False,
        expect=("400", "field 'key'", "There is already a feature flag with this key"),
    ),
    Scenario(
        "posthog_update_feature_flag",
        "posthog_update_feature_flag.yaml",
        {"id": 1234, "rollout_percentage": 20},
        expect=(
            'Updated flag "new-onboarding" (id 1234)',
            "20% of all users",
            "was: 0% of all users",
        ),
        artifact_keys=("flag", "before"),
    ),
    Scenario(
        "posthog_update_feature_flag",
        "posthog_update_feature_flag.not_found.yaml",
        {"id": 99999, "rollout_percentage": 20},
        ok=False,
        expect=("404", "posthog_list_feature_flags"),
    ),
    Scenario(
        "posthog_bulk_delete_feature_flags",
        "posthog_bulk_delete_feature_flags.yaml",
        {"ids": [101, 102, 103]},
        expect=(
            "Deleted 2 flag(s)",
            '"old-banner" (id 101)',
            '"new-checkout" (id 102)',
            '"pricing-exp" (id 103): "Flag is used by an active experiment"',
        ),
        artifact_keys=("deleted", "errors"),
    ),
    Scenario(
        "posthog_bulk_delete_feature_flags",
        "posthog_bulk_delete_feature_flags.fallback.yaml",
        {"ids": [1234, 1240]},
        expect=("Deleted 1 flag(s)", '"new-onboarding" (id 1234)', "id 1240", "editor access"),
        artifact_keys=("deleted", "errors"),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)
