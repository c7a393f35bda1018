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
    definitions,
    error_tracking,
    experiment_results,
    experiments,
    feature_flags,
    flag_status,
    insights,
    persons,
    query,
    recordings,
    saved_insights,
    survey_updates,
    surveys,
    trends,
)
from langchain_posthog.actions._row import Action

ACTIONS: tuple[Action, ...] = (
    *account.ACTIONS,
    *feature_flags.ACTIONS,
    *flag_status.ACTIONS,
    *capture.ACTIONS,
    *insights.ACTIONS,
    *saved_insights.ACTIONS,
    *query.ACTIONS,
    *trends.ACTIONS,
    *error_tracking.ACTIONS,
    *cohorts.ACTIONS,
    *persons.ACTIONS,
    *experiments.ACTIONS,
    *experiment_results.ACTIONS,
    *surveys.ACTIONS,
    *survey_updates.ACTIONS,
    *dashboards.ACTIONS,
    *annotations.ACTIONS,
    *recordings.ACTIONS,
    *batch_exports.ACTIONS,
    *definitions.ACTIONS,
)

__all__ = ["ACTIONS"]
