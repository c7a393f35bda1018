"""The benchmark scripts still run against the toolkit as it is: a few calls each, nothing timed.

Each script checks that both sides of a comparison return the same text before it times them;
run here with a handful of calls, those checks catch a benchmark the package has left behind.
The measurements themselves are read from `python benchmarks/run.py`, never asserted.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.standin import LOOPBACK_ONLY

# The scripts' server runs on 127.0.0.1, in a process of its own.
pytestmark = LOOPBACK_ONLY


@pytest.fixture
def load() -> Iterator[object]:
    sys.path.insert(0, str(ROOT / "benchmarks"))

    def _load(name: str) -> ModuleType:
        return importlib.import_module(name)

    yield _load
    sys.path.remove(str(ROOT / "benchmarks"))
    for name in ("overhead", "overlap", "loopback", "import_time"):
        sys.modules.pop(name, None)


def test_per_call_overhead_runs_on_every_transport(load) -> None:  # type: ignore[no-untyped-def]
    result = load("overhead").measure(calls=3)
    assert set(result) == {"calls", "sync", "httpx", "aiohttp"}


def test_concurrent_bursts_run(load) -> None:  # type: ignore[no-untyped-def]
    overlap = load("overlap")
    rows = overlap.measure(sizes=[10], rounds=1)
    assert [row["n"] for row in rows] == [10]
    assert set(rows[0]["sides"]) == {(t, s) for t in overlap.TRANSPORTS for s in overlap.SIDES}


def test_import_counting_tells_the_collection_from_the_work(load) -> None:  # type: ignore[no-untyped-def]
    import_time = load("import_time")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    # The side said to hold full collections off makes none, though it allocates as much.
    held_off = import_time._count(import_time.OURS_NO_FULL, env, str(ROOT))
    assert held_off[0] == 0
    assert held_off[1] > 1_000
    # The headroom run stops at the first full collection after the baseline's imports.
    full, headroom = import_time._count(import_time.HEADROOM, env, str(ROOT))
    assert full >= 1
    assert headroom > 0
