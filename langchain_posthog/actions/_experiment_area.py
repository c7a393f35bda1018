"""Where experiments live in PostHog's API and UI, shared by the experiment modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from langchain_posthog.actions._shapes import Area

ExperimentId = Annotated[int, Field(ge=1)]
EXPERIMENTS = Area(
    "experiment",
    "experiments",
    "experiment",
    ui="experiments",
    not_found="Find the experiment's id with posthog_list_experiments.",
    text=(
        "name", "description", "feature_flag_key", "feature_flag.key", "feature_flag.name",
        "feature_flag.filters", "parameters.feature_flag_variants", "metrics",
        "metrics_secondary", "saved_metrics", "conclusion_comment", "holdout.name",
    ),
)  # fmt: skip
