"""PostHog recordings."""

from __future__ import annotations

from langchain_posthog.tool import Action

ACTIONS: list[Action] = []
