"""Compact text for a model: page notes that lead somewhere, durations in two units."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._render import duration
from tests.actions import content_of, recorded_toolkit


@pytest.mark.parametrize(
    ("answer", "offset", "says"),
    [
        ({"count": 5, "results": []}, 10, "there are 5, at offsets 0 to 4"),
        ({"count": 5, "results": []}, 5, "there are 5, at offsets 0 to 4"),
        ({"count": 1, "results": []}, 3, "there are 1, at offset 0"),
        ({"count": 0, "results": []}, 10, "there are none"),
        ({"count": 5, "results": []}, 0, "though PostHog counts 5"),
        ({"count": 5, "results": [], "next": "https://x/?offset=2"}, 2, "though PostHog counts 5"),
        ({"results": [], "next": None}, 40, "the list ends before it"),
    ],
)
def test_an_empty_page_says_where_the_items_are(answer: Any, offset: int, says: str) -> None:
    flags = next(a for a in ACTIONS if a.name == "posthog_list_feature_flags")
    with recorded_toolkit(lambda body: answer, project_id=2) as toolkit:
        content = content_of(toolkit, flags, {"offset": offset})
    assert says in content, content
    assert "call again" not in content, content
    if offset:  # flags exist, or may: not "No flags match."
        assert "match" not in content, content


def test_a_full_page_still_points_at_the_next() -> None:
    answer = {"count": 120, "results": [{"id": 1, "key": "a"}] * 50}
    flags = next(a for a in ACTIONS if a.name == "posthog_list_feature_flags")
    with recorded_toolkit(lambda body: answer, project_id=2) as toolkit:
        content = content_of(toolkit, flags, {"offset": 50})
    assert content.startswith(
        "Feature flags 51-100 of 120. More exist: call again with offset=100."
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(37, "37s"), (59.6, "1m"), (252, "4m 12s"), (3600, "1h"), (7530, "2h 5m"), (97200, "1d 3h")],
)
def test_durations_read_in_their_two_largest_units(seconds: float, text: str) -> None:
    # Funnels' time to convert and recordings' lengths both use it.
    assert duration(seconds) == text
    assert duration("12") == duration(None) == duration(True) == ""
