"""langchain-tests' standard suites, one class per action, generated from the action table.

Every tool gets ToolsUnitTests; read tools also get ToolsIntegrationTests, replayed from the
cassette named after the tool (``cassettes/<tool>.yaml``), which answers the row's example.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_posthog import PostHogToolkit
from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._row import Action
from tests.conftest import PERSONAL_KEY, PROJECT_ID, PROJECT_KEY


def _tool(action: Action) -> Any:
    toolkit = PostHogToolkit(
        personal_api_key=PERSONAL_KEY,
        project_api_key=PROJECT_KEY,
        project_id=PROJECT_ID,
        include_destructive=True,
        max_retries=0,
    )
    return next(t for t in toolkit.get_tools() if t.name == action.name)


def _suite(base: type, action: Action, **namespace: Any) -> type:
    return type(
        f"Test{base.__name__.removeprefix('Tools')}_{action.name}",
        (base,),
        {
            "tool_constructor": property(lambda self: _tool(action)),
            "tool_invoke_params_example": property(lambda self: dict(action.example)),
            **namespace,
        },
    )


for _action in ACTIONS:
    _unit = _suite(ToolsUnitTests, _action)
    globals()[_unit.__name__] = _unit
    if _action.scope == "read":
        _integration = _suite(
            ToolsIntegrationTests,
            _action,
            pytestmark=[pytest.mark.vcr, pytest.mark.default_cassette(f"{_action.name}.yaml")],
        )
        globals()[_integration.__name__] = _integration
