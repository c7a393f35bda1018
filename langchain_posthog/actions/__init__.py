"""The action table: every PostHog action this package offers, one row each.

Each area's module holds its argument models and its rows; this module only gathers them.
"""

from __future__ import annotations

from langchain_posthog.actions import account, feature_flags
from langchain_posthog.tool import Action

ACTIONS: tuple[Action, ...] = (
    *account.ACTIONS,
    *feature_flags.ACTIONS,
)

__all__ = ["ACTIONS"]
