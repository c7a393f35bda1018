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
    survey_updates,
    surveys,
)
from langchain_posthog.actions._row import Action

ACTIONS: tuple[Action, ...] = (
    *account.ACTIONS,
    *feature_flags.ACTIONS,
    *flag_status.ACTIONS,
    *capture.ACTIONS,
    *insights.ACTIONS,
    *query.ACTIONS,
    *error_tracking.ACTIONS,
    *cohorts.ACTIONS,
    *persons.ACTIONS,
    *experiments.ACTIONS,
    *experiment_results.ACTIONS,
    *surveys.ACTIONS,
    *survey_updates.ACTIONS,
    *dashboards.ACTIONS,
    *recordings.ACTIONS,
    *batch_exports.ACTIONS,
    *definitions.ACTIONS,
)

__all__ = ["ACTIONS"]
