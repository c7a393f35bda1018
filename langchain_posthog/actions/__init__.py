"""The action table: every PostHog action this package offers, one row each.

Each area's module holds its argument models and its rows; this module only gathers them.
"""

# No `from __future__ import annotations` here: it binds the name `annotations` in this package,
# and the import below would then take that for the annotations area instead of importing it.
from langchain_posthog.actions import (
    account,
    annotations,
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
    *annotations.ACTIONS,
    *recordings.ACTIONS,
    *batch_exports.ACTIONS,
)

__all__ = ["ACTIONS"]
