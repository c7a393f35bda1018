"""A row's context: links into PostHog's UI name the project, or say where they open."""

from __future__ import annotations

from langchain_posthog.actions._row import Context

APP = "https://us.posthog.com"


def test_a_link_uses_the_bound_project_and_only_the_answer_for_current() -> None:
    assert Context("7", APP).ui("cohorts/3", {"team_id": 2}) == f"{APP}/project/7/cohorts/3"
    ctx = Context("@current", APP)
    assert ctx.ui("experiments/4", {"feature_flag": {"team_id": 9}}) == (
        f"{APP}/project/9/experiments/4"
    )
    for answer in (None, {}, {"team_id": None}, {"team_id": True}, {"team_id": "2"}):
        assert ctx.ui("cohorts/3", answer) == (
            f"{APP}/cohorts/3 (opens in the viewer's current project)"
        )
