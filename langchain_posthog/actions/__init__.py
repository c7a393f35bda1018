"""The action table: every PostHog action this package offers, one row each.

Each area's module holds its argument models and its rows; this module only gathers them.
"""

from __future__ import annotations

from langchain_posthog.actions import (
    account,
    batch_exports,
    capture,
    cohorts,
    dashboards,
    experiments,
    feature_flags,
    insights,
    persons,
    query,
    recordings,
    saved_insights,
    surveys,
)
from langchain_posthog.actions._row import Action

ACTIONS: tuple[Action, ...] = (
    *account.ACTIONS,
    *feature_flags.ACTIONS,
    *capture.ACTIONS,
    *insights.ACTIONS,
    *saved_insights.ACTIONS,
    *query.ACTIONS,
    *cohorts.ACTIONS,
    *persons.ACTIONS,
    *experiments.ACTIONS,
    *surveys.ACTIONS,
    *dashboards.ACTIONS,
    *recordings.ACTIONS,
    *batch_exports.ACTIONS,
)

__all__ = ["ACTIONS"]
