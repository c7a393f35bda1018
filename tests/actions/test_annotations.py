"""Annotations: marking a moment, listing a window, arguments refused before sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from langchain_posthog.actions._render import DATA_NOTE
from tests.actions import Server, make_toolkit, refusal
from tests.scenarios import Scenario, example, params, play

WINDOW = {"date_from": "2026-11-01", "date_to": "2026-11-20"}
INSIGHT_NOTE = {
    "content": "Pricing page A/B test started",
    "date_marker": "2026-11-10",
    "dashboard_item": 5501,
}

SCENARIOS = [
    Scenario(
        "posthog_create_annotation",
        "posthog_create_annotation.yaml",
        example("posthog_create_annotation"),
        expect=(
            'Created annotation 2026-11-18 14:05 UTC, project: "Deployed v2.3 (checkout rewrite)" '
            'by "Ada" (id 41)',
            "Open: https://us.posthog.com/project/2/data-management/annotations/41",
        ),
        forbid=("null", "ada@example.com"),
        artifact_keys=("id", "content", "date_marker"),
    ),
    Scenario(
        "posthog_create_annotation",
        "posthog_create_annotation.forbidden.yaml",
        example("posthog_create_annotation"),
        ok=False,
        expect=("403", "annotation:write"),
    ),
    Scenario(
        "posthog_create_annotation",
        "posthog_create_annotation.insight.yaml",
        INSIGHT_NOTE,
        expect=('2026-11-10 00:00 UTC, insight "Weekly signups": "Pricing page A/B test started"',),
        artifact_keys=("id", "dashboard_item"),
    ),
    Scenario(
        "posthog_create_annotation",
        "posthog_create_annotation.bad_insight.yaml",
        {**INSIGHT_NOTE, "dashboard_item": 99999},
        ok=False,
        expect=(
            "400",
            "dashboard_item",
            'Invalid pk "99999" - object does not exist; dashboard_item is an insight\'s id (not',
            "posthog_list_insights",
        ),
    ),
    Scenario(
        "posthog_list_annotations",
        "posthog_list_annotations.yaml",
        example("posthog_list_annotations"),
        expect=(
            "Annotations 1-3 of 3.\n"
            "From 2026-11-01 00:00 UTC to 2026-11-20 23:59 UTC, newest first:\n"
            # Text a user wrote stays in its quotes, on its line.
            '- 2026-11-19 15:40 UTC, organization: "Checkout outage: payments API 502s\\n'
            'rolled back at 16:10" by "Grace" (id 44)\n'
            '- 2026-11-18 14:05 UTC, project: "Deployed v2.3 (checkout rewrite)" by "Ada" (id 41)\n'
            '- 2026-11-10 00:00 UTC, insight "Weekly signups": "Pricing page A/B test started" '
            'by "Ada" (id 42)',
        ),
        forbid=("null", "example.com", "left out"),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_annotations",
        "posthog_list_annotations.window.yaml",
        # The window of a week compared with the week before (examples/analyst.py).
        {"date_from": "2026-11-05", "date_to": "2026-11-20"},
        expect=(
            "From 2026-11-05 00:00 UTC to 2026-11-20 23:59 UTC, newest first:",
            '- 2026-11-18 14:05 UTC, project: "Deployed v2.3 (checkout rewrite)" by "Ada" (id 41)',
        ),
        artifact_keys=("results", "count"),
    ),
    Scenario(
        "posthog_list_annotations",
        "posthog_list_annotations.forbidden.yaml",
        example("posthog_list_annotations"),
        ok=False,
        expect=("403", "annotation:read"),
    ),
    Scenario(
        "posthog_list_annotations",
        "posthog_list_annotations.no_match.yaml",
        {"search": "rollback", **WINDOW},
        expect=(
            'No annotations matching "rollback" from 2026-11-01 00:00 UTC to 2026-11-20 23:59 UTC: '
            "widen the dates or drop search.",
        ),
        artifact_keys=("results",),
    ),
    Scenario(
        "posthog_list_annotations",
        "posthog_list_annotations.unfiltered.yaml",
        WINDOW,
        expect=(
            "Annotations 1-5 of 5.",
            "2 on this page fall outside the dates and are left out",
            '"Deployed v2.3 (checkout rewrite)"',
        ),
        forbid=("Deployed v2.4", "referral"),
        artifact_keys=("results",),
    ),
]


@pytest.mark.parametrize(("scenario", "mode"), params(SCENARIOS))
async def test_scenario(scenario: Scenario, mode: str, vcr: Any) -> None:
    await play(scenario, mode, vcr)


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("posthog_create_annotation", {"content": ""}, "must be 1 to 400 characters"),
        ("posthog_create_annotation", {"content": "x" * 401}, "must be 1 to 400 characters"),
        (
            "posthog_create_annotation",
            {"content": "Deploy", "scope": "dashboard_item"},
            "scope dashboard_item needs dashboard_item, the insight's id",
        ),
        ("posthog_create_annotation", {"content": "Deploy", "scope": "team"}, "scope"),
        ("posthog_create_annotation", {"content": "Deploy", "date_marker": "yesterday"}, "-7d"),
        (
            "posthog_list_annotations",
            {"date_from": "2026-11-20", "date_to": "2026-11-01"},
            "date_from '2026-11-20' is after date_to '2026-11-01'",
        ),
        ("posthog_list_annotations", {"date_from": "last week"}, "-7d"),
        ("posthog_list_annotations", {"limit": 0}, "limit"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    tool: str, args: dict[str, Any], expected: str
) -> None:
    error = refusal(tool, args)
    assert expected in error, error


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"id": 50, "scope": "project", "content": "x"})


@pytest.mark.parametrize(
    ("given", "ago"),
    [
        ({}, timedelta(0)),
        ({"date_marker": "now"}, timedelta(0)),
        ({"date_marker": "-2h"}, timedelta(hours=2)),
    ],
)
def test_a_relative_or_missing_date_marker_is_sent_as_the_moment_it_stands_for(
    given: dict[str, Any], ago: timedelta
) -> None:
    server = Server(default=_created)
    before = datetime.now(UTC).replace(microsecond=0)
    result = make_toolkit(server).execute("posthog_create_annotation", {"content": "x", **given})
    after = datetime.now(UTC)
    assert result.successful, result.error
    sent = server.body()
    assert sent["scope"] == "project" and "dashboard_item" not in sent
    assert sent["date_marker"].endswith("Z") and "." not in sent["date_marker"]
    assert before - ago <= _moment(sent["date_marker"]) <= after - ago


def test_an_iso_date_marker_is_sent_in_utc() -> None:
    server = Server(default=_created)
    args = {"content": "x", "date_marker": "2026-11-18T16:05:00+02:00", "scope": "organization"}
    make_toolkit(server).execute("posthog_create_annotation", args)
    assert server.body() == {
        "content": "x",
        "date_marker": "2026-11-18T14:05:00Z",
        "scope": "organization",
    }


def test_an_insight_without_a_scope_is_the_insight_scope_and_a_scope_given_is_kept() -> None:
    server = Server(default=_created)
    toolkit = make_toolkit(server)
    toolkit.execute("posthog_create_annotation", INSIGHT_NOTE)
    toolkit.execute("posthog_create_annotation", {**INSIGHT_NOTE, "scope": "project"})
    first, second = server.bodies
    assert (first["scope"], first["dashboard_item"]) == ("dashboard_item", 5501)
    assert (second["scope"], second["dashboard_item"]) == ("project", 5501)


def _empty(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"count": 0, "next": None, "results": []})


def test_the_window_is_sent_as_iso_moments_posthog_reads() -> None:
    server = Server(default=_empty)
    toolkit = make_toolkit(server)
    before = datetime.now(UTC).replace(microsecond=0)
    toolkit.execute("posthog_list_annotations", {"date_from": "-7d"})
    after = datetime.now(UTC)
    toolkit.execute("posthog_list_annotations", {"date_to": "2026-11-20T14:00:00+02:00"})
    toolkit.execute("posthog_list_annotations", {"search": "deploy"})
    relative, until, searched = (dict(r.url.params) for r in server.requests)
    # PostHog parses these with datetime.fromisoformat and answers 400 to a relative date.
    week = timedelta(days=7)
    assert before - week <= _moment(relative["date_from"]) <= after - week
    assert "date_to" not in relative
    assert until == {"date_to": "2026-11-20T12:00:00Z", "limit": "50", "offset": "0"}
    assert searched == {"search": "deploy", "limit": "50", "offset": "0"}


def test_an_annotation_at_the_edge_of_the_window_is_inside_it() -> None:
    notes = [
        {"id": 1, "content": "last second", "date_marker": "2026-11-20T23:59:59Z"},
        {"id": 2, "content": "first second", "date_marker": "2026-11-01T00:00:00Z"},
        {"id": 3, "content": "a day late", "date_marker": "2026-11-21T00:00:00Z"},
    ]
    answer = {"count": 3, "results": notes}
    server = Server(default=lambda r: httpx.Response(200, json=answer))
    result = make_toolkit(server).execute("posthog_list_annotations", WINDOW)
    content = result.content or ""
    assert '"last second"' in content and '"first second"' in content
    assert '"a day late"' not in content and "1 on this page fall outside" in content


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ({}, "No annotations: mark one with posthog_create_annotation."),
        ({"search": "deploy"}, f'No annotations matching "deploy": drop search.\n{DATA_NOTE}'),
        ({"date_to": "2026-11-20"}, "No annotations until 2026-11-20 23:59 UTC: widen the dates."),
    ],
)
def test_an_empty_answer_says_what_to_try(args: dict[str, Any], said: str) -> None:
    result = make_toolkit(Server(default=_empty)).execute("posthog_list_annotations", args)
    assert result.content == said
