"""Toolsets: the table covers the action table exactly, and the toolkit offers only their tools."""

from __future__ import annotations

import copy
import pickle
from collections import Counter

import httpx
import pytest

from langchain_posthog import PostHogConfigError, PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.toolsets import TOOLSET_NAMES, TOOLSETS, toolset_of
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

ACTION_NAMES = {a.name for a in ACTIONS}


def names(toolkit: PostHogToolkit) -> set[str]:
    return {t.name for t in toolkit.get_tools()}


def test_every_action_is_in_exactly_one_toolset() -> None:
    counts = Counter(tool for toolset in TOOLSETS for tool in toolset.tools)
    assert {name: counts[name] for name in ACTION_NAMES if counts[name] != 1} == {}


def test_every_name_in_the_table_is_an_action() -> None:
    listed = {tool for toolset in TOOLSETS for tool in toolset.tools}
    assert listed - ACTION_NAMES == set()


def test_toolsets_have_unique_names_and_one_line_descriptions() -> None:
    assert len(set(TOOLSET_NAMES)) == len(TOOLSETS)
    for toolset in TOOLSETS:
        assert toolset.name.isidentifier() and toolset.name.islower()
        assert "\n" not in toolset.description and toolset.description.endswith(".")
        assert len(toolset.description) <= 100
        assert toolset.tools, f"toolset {toolset.name} has no tools"


def test_toolsets_offer_only_their_tools() -> None:
    everything = PostHogToolkit(
        personal_api_key=PERSONAL_KEY, project_api_key=PROJECT_KEY, include_destructive=True
    )
    assert everything.toolsets is None
    assert names(everything) == ACTION_NAMES
    for toolset in TOOLSETS:
        alone = PostHogToolkit(
            personal_api_key=PERSONAL_KEY,
            project_api_key=PROJECT_KEY,
            include_destructive=True,
            toolsets=[toolset.name],
        )
        assert names(alone) == set(toolset.tools)
        assert all(toolset_of(t.name) == toolset.name for t in alone.get_tools())
    two = PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["flags", "analytics"])
    assert names(two) == {
        "posthog_list_feature_flags",
        "posthog_get_feature_flag",
        "posthog_create_feature_flag",
        "posthog_update_feature_flag",
        "posthog_get_feature_flag_status",
        "posthog_run_trends",
        "posthog_run_funnel",
        "posthog_run_hogql_query",
    }


def test_toolsets_apply_after_read_only_destructive_and_key_rules() -> None:
    flags = next(t for t in TOOLSETS if t.name == "flags")
    reading = PostHogToolkit(personal_api_key=PERSONAL_KEY, read_only=True, toolsets=["flags"])
    read_flags = {n for n in flags.tools if next(a for a in ACTIONS if a.name == n).scope == "read"}
    assert read_flags and names(reading) == read_flags
    assert "posthog_bulk_delete_feature_flags" not in names(
        PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["flags"])
    )
    # The capture tools need the project key: without it nothing is left, which is refused, as
    # an agent given no tools would have nothing to call.
    with pytest.raises(PostHogConfigError, match=r"No tool is left to offer: .*project API key"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["capture"]).get_tools()
    with pytest.raises(PostHogConfigError, match="this toolkit is read_only"):
        PostHogToolkit(
            personal_api_key=PERSONAL_KEY, read_only=True, include=["posthog_create_feature_flag"]
        ).get_tools()
    with pytest.raises(PostHogConfigError, match="together select none"):
        PostHogToolkit(
            personal_api_key=PERSONAL_KEY, toolsets=["errors"], include=["posthog_get_person"]
        ).get_tools()


def test_toolsets_combine_with_include_and_exclude() -> None:
    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        toolsets=["flags", "experiments"],
        include=["posthog_get_feature_flag", "posthog_get_experiment", "posthog_run_trends"],
        exclude=["POSTHOG_GET_EXPERIMENT_DETAILS"],
    )
    assert names(kit) == {"posthog_get_feature_flag"}


def test_toolsets_do_not_limit_what_execute_runs() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"results": [], "count": 0})

    kit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_id=PROJECT_ID,
        toolsets=["analytics"],
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    assert "posthog_list_cohorts" not in names(kit)
    assert kit.execute("posthog_list_cohorts", {}).successful
    assert seen == [f"/api/projects/{PROJECT_ID}/cohorts/"]


@pytest.mark.parametrize(
    ("given", "closest"), [("flag", "flags"), ("Analytics", "analytics"), ("survey", "surveys")]
)
def test_an_unknown_toolset_is_refused_naming_the_closest_and_the_valid_ones(
    given: str, closest: str
) -> None:
    with pytest.raises(PostHogConfigError) as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["flags", given])
    message = str(caught.value)
    assert f"no toolset {given!r}" in message and f"Did you mean {closest!r}?" in message
    assert all(name in message for name in TOOLSET_NAMES)
    assert PERSONAL_KEY not in message


def test_an_unknown_toolset_with_no_close_name_lists_the_valid_ones() -> None:
    with pytest.raises(PostHogConfigError, match="no toolset 'billing'") as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["billing"])
    assert "Did you mean" not in str(caught.value)
    assert all(name in str(caught.value) for name in TOOLSET_NAMES)


def test_an_empty_toolset_list_is_refused() -> None:
    with pytest.raises(PostHogConfigError, match="toolsets is empty") as caught:
        PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=[])
    assert "leave it out" in str(caught.value) and "flags" in str(caught.value)


def test_repr_copies_and_pickles_keep_the_toolsets() -> None:
    kit = PostHogToolkit(personal_api_key=PERSONAL_KEY, toolsets=["surveys"])
    assert "toolsets=['surveys']" in repr(kit) and PERSONAL_KEY not in repr(kit)
    copied = copy.deepcopy(kit)
    assert copied.toolsets == ["surveys"] and copied.toolsets is not kit.toolsets
    copied.toolsets.append("flags")
    assert kit.toolsets == ["surveys"]
    assert names(pickle.loads(pickle.dumps(kit))) == names(kit)


@pytest.mark.parametrize("option", ["toolsets", "include", "exclude"])
def test_one_name_where_a_list_belongs_is_refused_saying_how_to_write_it(option: str) -> None:
    name = "flags" if option == "toolsets" else "posthog_get_feature_flag"
    with pytest.raises(PostHogConfigError, match=rf"{option} takes a list of names: {option}=\['"):
        PostHogToolkit(personal_api_key=PERSONAL_KEY, **{option: name})
