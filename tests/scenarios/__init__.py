"""One row per recorded scenario: a tool, its arguments, a cassette, and what the model must read.

Each area has a module here with a ``SCENARIOS`` list; tests/test_scenarios.py runs every row,
sync and async, and checks that each cassette is played to its end.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS


@dataclass(frozen=True)
class Scenario:
    tool: str
    cassette: str
    args: dict[str, Any]
    ok: bool = True
    # Text the content must contain (facts a model needs) and must not contain.
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    # Keys the artifact (PostHog's JSON) must hold, on success.
    artifact_keys: tuple[str, ...] = ()
    bound: bool = True
    toolkit: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.cassette.removesuffix(".yaml")

    def make_toolkit(self) -> PostHogToolkit:
        """The toolkit this scenario's cassette was written for (every tool, no retries)."""
        from tests.conftest import HOST, PERSONAL_KEY, PROJECT_ID, PROJECT_KEY

        settings: dict[str, Any] = {
            "host": HOST,
            "personal_api_key": PERSONAL_KEY,
            "project_api_key": PROJECT_KEY,
            "include_destructive": True,
            "max_retries": 0,
            **self.toolkit,
        }
        if self.bound:
            settings.setdefault("project_id", PROJECT_ID)
        return PostHogToolkit(**settings)


def all_scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    for module in pkgutil.iter_modules(__path__):
        found += importlib.import_module(f"{__name__}.{module.name}").SCENARIOS
    return found


def example(tool: str) -> dict[str, Any]:
    """The arguments of ``tool``'s row example (what its docs and success cassette show)."""
    return dict(next(a for a in ACTIONS if a.name == tool).example)


def success_scenario(tool: str) -> Scenario:
    """The success scenario ``cassettes/<tool>.yaml`` plays, or one made from the row's example."""
    for scenario in all_scenarios():
        if scenario.tool == tool and scenario.ok and scenario.cassette == f"{tool}.yaml":
            return scenario
    return Scenario(tool, f"{tool}.yaml", example(tool))
