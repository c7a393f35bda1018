"""Toolsets: the tools grouped by what a user wants to do, one row per group.

``PostHogToolkit(toolsets=[...])`` offers only the tools of the named sets; the command line and
the README group the tools the same way. Every tool of the action table sits in exactly one set
(tests/test_toolsets.py holds the two tables to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_posthog.api.errors import PostHogConfigError
from langchain_posthog.settings import did_you_mean


@dataclass(frozen=True)
class Toolset:
    """One group of tools.

    Attributes:
        name: what ``PostHogToolkit(toolsets=[...])`` and ``--toolset`` take.
        description: one line saying what the tools are for.
        tools: the tool names, as in the action table.
    """

    name: str
    description: str
    tools: tuple[str, ...]


TOOLSETS: tuple[Toolset, ...] = (
    Toolset(
        "account",
        "The key's own user and the projects it can reach.",
        ("posthog_get_current_user", "posthog_list_projects"),
    ),
    Toolset(
        "flags",
        "Feature flags: find, read, create, change and roll them out.",
        (
            "posthog_list_feature_flags",
            "posthog_get_feature_flag",
            "posthog_create_feature_flag",
            "posthog_update_feature_flag",
            "posthog_get_feature_flag_status",
            "posthog_bulk_delete_feature_flags",
        ),
    ),
    Toolset(
        "experiments",
        "A/B experiments on feature flags: set them up, run them, read them.",
        (
            "posthog_list_experiments",
            "posthog_get_experiment",
            "posthog_create_experiment",
            "posthog_update_experiment",
            "posthog_get_experiment_results",
        ),
    ),
    Toolset(
        "analytics",
        "Questions about the data: trends over time, funnels, and HogQL (SQL) queries.",
        ("posthog_run_trends", "posthog_run_funnel", "posthog_run_hogql_query"),
    ),
    Toolset(
        "discovery",
        "What the project tracks: event and property definitions, and actions.",
        (
            "posthog_list_event_definitions",
            "posthog_list_property_definitions",
            "posthog_list_actions",
        ),
    ),
    Toolset(
        "insights",
        "Saved analysis: insights, dashboards and annotations.",
        (
            "posthog_list_insights",
            "posthog_list_trend_insights",
            "posthog_create_insight",
            "posthog_update_insight",
            "posthog_get_dashboard",
            "posthog_create_dashboard",
            "posthog_update_dashboard",
            "posthog_list_annotations",
            "posthog_create_annotation",
        ),
    ),
    Toolset(
        "persons",
        "People and groups of them: persons, their properties, and cohorts.",
        (
            "posthog_get_person",
            "posthog_update_person_properties",
            "posthog_list_cohorts",
            "posthog_create_cohort",
        ),
    ),
    Toolset(
        "surveys",
        "Surveys, their questions and their responses.",
        (
            "posthog_get_survey",
            "posthog_create_survey",
            "posthog_get_survey_response_counts",
            "posthog_summarize_survey_responses",
            "posthog_update_survey",
        ),
    ),
    Toolset(
        "recordings",
        "Session replays and their playlists.",
        (
            "posthog_list_session_recordings",
            "posthog_get_session_recording",
            "posthog_create_recording_playlist",
        ),
    ),
    Toolset(
        "errors",
        "Error tracking: the exceptions users run into.",
        ("posthog_list_errors",),
    ),
    Toolset(
        "pipeline",
        "Batch exports of events, persons or sessions to a warehouse, a bucket or a project.",
        ("posthog_create_batch_export",),
    ),
    Toolset(
        "capture",
        "Send events to PostHog (needs the project API key).",
        ("posthog_capture_event", "posthog_capture_events"),
    ),
)

TOOLSET_NAMES: tuple[str, ...] = tuple(t.name for t in TOOLSETS)

_BY_TOOL = {tool: toolset.name for toolset in TOOLSETS for tool in toolset.tools}


def toolset_of(tool: str) -> str:
    """The name of the toolset a tool belongs to."""
    return _BY_TOOL[tool]


def check_toolset_names(names: Sequence[str]) -> None:
    """Refuse an empty list, or a name no toolset has (naming the closest and every valid one)."""
    valid = ", ".join(TOOLSET_NAMES)
    if not names:
        raise PostHogConfigError(
            f"toolsets is empty: name at least one of {valid}, or leave it out for every tool."
        )
    for name in names:
        if name not in TOOLSET_NAMES:
            raise PostHogConfigError(
                f"There is no toolset {name!r}.{did_you_mean(name, TOOLSET_NAMES)} "
                f"Toolsets: {valid}."
            )


__all__ = ["TOOLSETS", "TOOLSET_NAMES", "Toolset", "check_toolset_names", "toolset_of"]
