"""Feature flags: the recorded scenarios, flags found by key, and a flag's status."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.actions import Server, body, make_toolkit, refusal
from tests.conftest import PERSONAL_KEY
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
        "posthog_get_feature_flag",
        "posthog_get_feature_flag.by_key.yaml",
        {"key": "new-onboarding"},
        expect=('"new-onboarding" (id 1234)', "0% of all users", "/project/2/feature_flags/1234"),
        # The other flag the search found is not the one asked for.
        forbid=("new-onboarding-v2", "1301"),
        artifact_keys=("id", "key", "filters"),
    ),
    Scenario(
        "posthog_get_feature_flag",
        "posthog_get_feature_flag.unknown_key.yaml",
        {"key": "new-onbaording"},
        ok=False,
        expect=('key "new-onbaording"', 'the closest are "new-onboarding" (id 1234)'),
        forbid=("old-banner",),
    ),
    Scenario(
        "posthog_get_feature_flag_status",
        "posthog_get_feature_flag_status.yaml",
        example("posthog_get_feature_flag_status"),
        expect=(
            'Flag "new-onboarding" (id 1234): active.',
            "Still in use",
            'PostHog\'s reason: "Flag is active and being evaluated"',
            "https://us.posthog.com/project/2/feature_flags/1234",
        ),
        forbid=("posthog_bulk_delete_feature_flags", "null"),
        artifact_keys=("status", "reason", "flag"),
    ),
    Scenario(
        "posthog_get_feature_flag_status",
        "posthog_get_feature_flag_status.stale.yaml",
        {"id": 101},
        expect=(
            'Flag "old-banner" (id 101): stale.',
            "every user gets the same value",
            "hard-code that value",
            'PostHog\'s reason: "This boolean flag will always evaluate to \\"true\\""',
            "posthog_bulk_delete_feature_flags, ids [101]",
            "/project/2/feature_flags/101",
        ),
        artifact_keys=("status", "reason", "flag"),
    ),
    Scenario(
        "posthog_get_feature_flag_status",
        "posthog_get_feature_flag_status.inactive.yaml",
        {"key": "legacy-checkout"},
        expect=(
            'Flag "legacy-checkout" (id 87): inactive.',
            "Not evaluated for 30+ days",
            '"Flag has not been called in 45 days"',
            "ids [87]",
        ),
        artifact_keys=("status", "reason", "flag"),
    ),
    Scenario(
        "posthog_get_feature_flag_status",
        "posthog_get_feature_flag_status.not_found.yaml",
        {"id": 99999},
        ok=False,
        expect=("404", "id 99999", "posthog_list_feature_flags"),
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


# -- a flag by id or by key -----------------------------------------------------------------------

LOOKUPS = ["posthog_get_feature_flag", "posthog_get_feature_flag_status"]


@pytest.mark.parametrize("tool", LOOKUPS)
@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({}, "give exactly one of id or key"),
        ({"id": 1234, "key": "new-onboarding"}, "give exactly one of id or key"),
        ({"key": "new onboarding"}, "key: use only letters, digits, _ and -"),
        ({"id": 0}, "id: must be at least 1"),
        ({"id": "new-onboarding"}, "id: the flag's number; a flag's key goes in key instead"),
        ({"key": ""}, "key: is empty: give the key"),
    ],
)
def test_a_flag_is_named_by_exactly_one_of_id_or_key_and_nothing_is_sent_otherwise(
    tool: str, args: dict[str, Any], problem: str
) -> None:
    error = refusal(tool, args)
    assert problem in error, error


def _flag(ident: int, key: str) -> dict[str, Any]:
    return {"id": ident, "key": key, "name": "", "active": True, "filters": {"groups": []}}


def _page(count: int, *flags: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"count": count, "next": None, "results": list(flags)})


def test_a_key_among_many_matches_is_found_on_a_later_page() -> None:
    first = [_flag(i, f"checkout-{i}") for i in range(1, 101)]
    server = Server(_page(101, *first), _page(101, _flag(500, "checkout")))
    result = make_toolkit(server).execute("posthog_get_feature_flag", {"key": "checkout"})
    assert result.successful, result.error
    assert result.data["id"] == 500
    offsets = [r.url.params["offset"] for r in server.requests]
    assert offsets == ["0", "100"]
    assert all(r.url.params["search"] == "checkout" for r in server.requests)


def test_a_key_is_matched_exactly_and_one_differing_in_case_is_named() -> None:
    server = Server(_page(2, _flag(7, "Checkout"), _flag(8, "checkout-v2")))
    result = make_toolkit(server).execute("posthog_get_feature_flag", {"key": "checkout"})
    assert not result.successful and result.error is not None
    assert 'the key "checkout" (keys are case-sensitive)' in result.error
    assert result.error.index('"Checkout" (id 7)') < result.error.index('"checkout-v2" (id 8)')
    assert len(server.requests) == 1  # the matches were the candidates: no second list


def test_a_key_pasted_as_a_flag_key_is_searched_for_but_never_repeated() -> None:
    server = Server(_page(0), _page(1, _flag(3, "beta")))
    result = make_toolkit(server).execute("posthog_get_feature_flag", {"key": PERSONAL_KEY})
    assert not result.successful and result.error is not None
    assert PERSONAL_KEY not in result.error and 'the key "[redacted]"' in result.error


def test_a_project_without_flags_says_so() -> None:
    server = Server(_page(0), _page(0))
    result = make_toolkit(server).execute("posthog_get_feature_flag", {"key": "gone"})
    assert not result.successful and result.error is not None
    assert "it has no feature flags" in result.error
    assert [r.url.path for r in server.requests] == ["/api/projects/2/feature_flags/"] * 2


def test_a_flags_status_by_id_names_the_flag_and_a_deleted_one_says_to_clean_up_code() -> None:
    flag = {**_flag(42, "old-promo"), "deleted": True}
    status = {"status": "deleted", "reason": "Flag has been deleted"}
    server = Server(httpx.Response(200, json=flag), httpx.Response(200, json=status))
    result = make_toolkit(server).execute("posthog_get_feature_flag_status", {"id": 42})
    assert result.successful, result.error
    flag_path = "/api/projects/2/feature_flags/42/"
    assert [r.url.path for r in server.requests] == [flag_path, flag_path + "status/"]
    content = result.content or ""
    assert content.startswith('Flag "old-promo" (id 42): deleted.')
    assert "Remove code that still reads the key" in content
    assert "posthog_bulk_delete_feature_flags" not in content  # already deleted
    assert result.data["flag"]["key"] == "old-promo" and result.data["status"] == "deleted"


@pytest.mark.parametrize("destructive", [False, True])
def test_a_stale_flags_next_step_names_bulk_delete_only_where_it_can_be_called(
    destructive: bool,
) -> None:
    status = {"status": "stale", "reason": "Not called in 30 days"}

    def server() -> Server:
        return Server(httpx.Response(200, json=_flag(7, "old")), httpx.Response(200, json=status))

    toolkit = make_toolkit(server(), include_destructive=destructive)
    tool = next(t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag_status")
    offered = str(tool.invoke({"id": 7}))
    executed = make_toolkit(server(), include_destructive=destructive).execute(
        "posthog_get_feature_flag_status", {"id": 7}
    )
    for content in (offered, executed.content or ""):
        assert ("posthog_bulk_delete_feature_flags, ids [7]" in content) is destructive, content
        assert ("deleted in PostHog, from the link below" in content) is not destructive, content
        assert "/project/2/feature_flags/7" in content


@pytest.mark.parametrize(
    "args",
    [
        {"id": 1234},
        {"id": 1234, "rollout_percentage": None, "name": None},
        {"id": 1234, "tags": None},
    ],
)
def test_an_update_that_changes_nothing_is_refused(args: dict[str, Any]) -> None:
    # OpenAI's strict mode sends null for every optional field; PATCH {} would be told "Updated".
    error = refusal("posthog_update_feature_flag", args)
    assert "nothing to change: give key, name, filters, rollout_percentage" in error


def test_the_one_by_one_fallback_says_how_many_matching_flags_are_left() -> None:
    # PostHog without bulk_delete/ answers 405; the fallback deletes one page of flags.
    flags = [_flag(i, f"old-{i}") for i in range(1, 101)]
    server = Server(
        httpx.Response(405, json={"detail": "Method not allowed."}),
        httpx.Response(200, json={"count": 150, "next": "...", "results": flags}),
        default=lambda request: httpx.Response(200, json={"id": 1, "key": "old-1"}),
    )
    result = make_toolkit(server, include_destructive=True).execute(
        "posthog_bulk_delete_feature_flags", {"filters": {"search": "old-"}}
    )
    assert result.successful, result.error
    assert len(server.requests) == 2 + 100
    assert result.content is not None and "Deleted 100 flag(s)" in result.content
    assert "50 more flag(s) match the filters and were not deleted" in result.content


def test_operators_and_filters_posthog_takes_are_taken_though_not_shown() -> None:
    # The catalogue's callers know PostHog's whole list; a model is shown the common ones.
    server = Server(default=lambda request: httpx.Response(201, json=_flag(1, "adults")))
    kit = make_toolkit(server, include_destructive=True)
    adults = {"key": "age", "operator": "gte", "value": 18, "type": "person"}
    filters = {"groups": [{"properties": [adults]}], "aggregation_group_type_index": None}
    result = kit.execute("POSTHOG_CREATE_FEATURE_FLAG", {"key": "adults", "filters": filters})
    assert result.successful, result.error
    assert body(server.requests[-1])["filters"] == {"groups": [{"properties": [adults]}]}
    create = next(t for t in kit.get_tools() if t.name == "posthog_create_feature_flag")
    shown = str(create.tool_call_schema.model_json_schema())
    assert "'icontains'" in shown and "'gte'" not in shown
    narrowed = {"search": "old-", "created_by_id": 5, "evaluation_runtime": "server"}
    result = kit.execute("posthog_bulk_delete_feature_flags", {"filters": narrowed})
    assert result.successful, result.error
    assert body(server.requests[-1]) == {"filters": narrowed}
    # They only narrow a delete: alone, they could match nearly every flag.
    sent = len(server.requests)
    for alone in ({"evaluation_runtime": "all"}, {"created_by_id": 5}):
        result = kit.execute("posthog_bulk_delete_feature_flags", {"filters": alone})
        assert "filters need at least one of search, active, type or tags" in (result.error or "")
    assert len(server.requests) == sent


def test_a_flag_on_groups_is_refused_with_the_reason() -> None:
    filters = {"groups": [{"rollout_percentage": 50}], "aggregation_group_type_index": 0}
    error = refusal("posthog_create_feature_flag", {"key": "k", "filters": filters})
    assert "flags that roll out by group (company, account) are not supported here" in error
