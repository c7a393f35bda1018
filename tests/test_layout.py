"""The layout holds: the PostHog side knows no LangChain, areas borrow nothing, files stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "langchain_posthog"
MODULES = sorted(PACKAGE.rglob("*.py"))


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    found |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    return found


def name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("api/*.py")), ids=name)
def test_the_posthog_side_imports_neither_langchain_nor_the_action_table(path: Path) -> None:
    wrong = {
        module
        for module in imports(path)
        if module.startswith(("langchain_core", "langgraph"))
        or (
            module.startswith("langchain_posthog.")
            and not module.startswith(("langchain_posthog.api", "langchain_posthog.about"))
        )
    }
    assert not wrong, f"{name(path)} imports {sorted(wrong)}"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("actions/[!_]*.py")), ids=name)
def test_no_area_imports_another(path: Path) -> None:
    areas = {f"langchain_posthog.actions.{p.stem}" for p in PACKAGE.glob("actions/[!_]*.py")}
    assert not imports(path) & areas, f"{name(path)} borrows from another area"


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400
