"""Smoke test of the built wheel, as ``pip install langchain-posthog`` would install it.

    <clean venv>/bin/python -I <checkout>/tests/smoke_wheel.py

.ci/run runs it with the interpreter of a fresh virtual environment holding only the built wheel
(with the ``aiohttp`` extra), pytest and pyyaml, from a directory outside the checkout. It checks
what a user gets, not the checkout:

- ``langchain_posthog`` is imported from that environment's site-packages, installed from a
  wheel file (not editable), and every module and data file of the checkout's package is in it,
  and imports;
- the metadata: the version ``pyproject.toml`` names, ``License-Expression: MIT``, the LICENSE
  file, and the ``langchain-posthog`` console script;
- a toolkit built from it runs one tool, sync and over aiohttp's async transport, against the
  loopback PostHog stand-in shipped with the tests (``tests/standin``, which needs pytest and
  pyyaml): nothing leaves 127.0.0.1.

The checkout is put on ``sys.path``, after site-packages, only to import the stand-in; the last
check shows that no ``langchain_posthog`` module was taken from it.

It prints one line per check and ends with ``smoke: N passed, N failed``; it exits 1 when a check
fails.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import sys
import sysconfig
import tomllib
import traceback
from collections.abc import Callable
from importlib.metadata import distribution, entry_points
from pathlib import Path

# Imported before the checkout is on sys.path: this can only be the installed package.
import langchain_posthog

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(sysconfig.get_paths()["purelib"]).resolve()
DIST = distribution("langchain-posthog")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _installed(module_file: str | None) -> bool:
    path = Path(module_file or "").resolve()
    return path.is_relative_to(SITE) and not path.is_relative_to(ROOT)


def imported_from_the_installed_wheel() -> str:
    assert _installed(langchain_posthog.__file__), langchain_posthog.__file__
    direct_url = json.loads(DIST.read_text("direct_url.json") or "{}")
    assert "archive_info" in direct_url, f"not installed from a wheel file: {direct_url}"
    assert direct_url["url"].endswith(f"langchain_posthog-{VERSION}-py3-none-any.whl")
    return str(Path(langchain_posthog.__file__).parent)


def every_module_and_data_file_is_installed() -> str:
    package = ROOT / "langchain_posthog"
    wanted = {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    installed = {file.as_posix() for file in DIST.files or []}
    missing = sorted(wanted - installed)
    assert not missing, f"in the checkout but not in the wheel: {missing}"
    absent = [name for name in sorted(wanted) if not Path(str(DIST.locate_file(name))).is_file()]
    assert not absent, f"listed in the wheel's RECORD but not on disk: {absent}"
    modules = [
        info.name
        for info in pkgutil.walk_packages(langchain_posthog.__path__, "langchain_posthog.")
        if info.name != "langchain_posthog.__main__"
    ]
    for name in modules:
        importlib.import_module(name)
    return f"{len(wanted)} files, {len(modules)} modules imported"


def metadata_names_the_version_and_the_license() -> str:
    metadata = DIST.metadata
    assert DIST.version == VERSION, (DIST.version, VERSION)
    assert metadata["License-Expression"] == "MIT", metadata["License-Expression"]
    assert metadata.get_all("License-File") == ["LICENSE"], metadata.get_all("License-File")
    licenses = [file for file in DIST.files or [] if file.name == "LICENSE"]
    assert [file.parent.name for file in licenses] == ["licenses"], licenses
    shipped = Path(str(DIST.locate_file(licenses[0]))).read_text()
    assert shipped == (ROOT / "LICENSE").read_text()
    assert any("extra == 'aiohttp'" in r for r in metadata.get_all("Requires-Dist") or [])
    return f"langchain-posthog {DIST.version}, License-Expression MIT, {licenses[0]}"


def console_script_is_installed() -> str:
    (script,) = entry_points(group="console_scripts", name="langchain-posthog")
    assert script.value == "langchain_posthog.cli:main", script.value
    assert callable(script.load())
    executable = Path(sysconfig.get_paths()["scripts"]) / "langchain-posthog"
    assert executable.is_file(), executable
    return str(executable)


def a_tool_runs_against_the_loopback_standin() -> str:
    sys.path.append(str(ROOT))  # after site-packages: only tests/ can come from the checkout
    from langchain_posthog import PostHogToolkit
    from tests.conftest import PERSONAL_KEY, PROJECT_ID
    from tests.standin import StandIn

    path = f"/api/projects/{PROJECT_ID}/feature_flags/1234/"
    with StandIn() as server:
        toolkit = PostHogToolkit(
            personal_api_key=PERSONAL_KEY,
            host=server.url,
            project_id=PROJECT_ID,
            transport="aiohttp",
            max_retries=0,
        )
        (tool,) = [t for t in toolkit.get_tools() if t.name == "posthog_get_feature_flag"]

        def call(call_id: str) -> dict[str, object]:
            return {"name": tool.name, "args": {"id": 1234}, "id": call_id, "type": "tool_call"}

        async def run_async() -> object:
            try:
                return await tool.ainvoke(call("async"))
            finally:
                await toolkit.aclose()

        answers = [tool.invoke(call("sync")), asyncio.run(run_async())]
        for message in answers:
            assert message.status == "success", message.content
            assert '"new-onboarding" (id 1234)' in message.content, message.content
            assert message.artifact["id"] == 1234
        received = server.received("GET", path)
    assert len(received) == 2, [(r.method, r.path) for r in server.received()]
    for request in received:
        assert request.headers["user-agent"] == f"langchain-posthog/{VERSION}"
        assert request.headers["authorization"] == f"Bearer {PERSONAL_KEY}"
    assert PERSONAL_KEY not in repr(toolkit) + "".join(str(m.content) for m in answers)
    return f"GET {path} answered twice (sync; async over aiohttp) by {server.url}"


def nothing_came_from_the_checkout() -> str:
    ours = {
        name: module.__file__
        for name, module in sys.modules.items()
        if name == "langchain_posthog" or name.startswith("langchain_posthog.")
    }
    strays = {name: file for name, file in ours.items() if not _installed(file)}
    assert not strays, (
        f"{len(strays)} imported from outside site-packages, as {next(iter(strays.values()), '')}"
    )
    assert any(name.startswith("tests.standin") for name in sys.modules)
    return f"{len(ours)} langchain_posthog modules, all from {SITE}"


CHECKS: list[Callable[[], str]] = [
    imported_from_the_installed_wheel,
    every_module_and_data_file_is_installed,
    metadata_names_the_version_and_the_license,
    console_script_is_installed,
    a_tool_runs_against_the_loopback_standin,
    nothing_came_from_the_checkout,
]


def main() -> int:
    failed = 0
    for check in CHECKS:
        name = check.__name__.replace("_", " ")
        try:
            detail = check()
        except Exception:
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
        else:
            print(f"ok   {name}: {detail}", flush=True)
    print(f"smoke: {len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
