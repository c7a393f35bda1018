"""One row per recorded scenario: a tool, its arguments, a cassette, and what the model must read.

Each area has a module here with a ``SCENARIOS`` list; tests/test_scenarios.py runs every row,
sync and async, and checks that each cassette is played to its end.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any


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


def all_scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    for module in pkgutil.iter_modules(__path__):
        found += importlib.import_module(f"{__name__}.{module.name}").SCENARIOS
    return found
