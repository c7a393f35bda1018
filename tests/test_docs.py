"""The README says what the code does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import langchain.agents.factory
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.types import Command
from pydantic import ValidationError

from langchain_posthog.actions import ACTIONS
from langchain_posthog.actions._render import DATA_NOTE
from tests.actions import recorded_toolkit
from tests.conftest import PERSONAL_KEY, ROOT
from tests.test_agent import ScriptedModel

README = (ROOT / "README.md").read_text()


def test_readme_tool_table_matches_the_action_table() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import readme_tools
    finally:
        sys.path.pop(0)
    assert readme_tools.replace(README) == README, "run: python scripts/readme_tools.py --write"
    for action in ACTIONS:
        assert f"`{action.name}`" in README


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert "examples/chatbot.py" in blocks[0]
    assert "pytest" in blocks[1] and "--record-mode=none" in blocks[1]
    assert "--block-network" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    extraction = next(line for line in script.splitlines() if "test-command:start" in line)
    assert "README.md" in script and 'bash -euo pipefail -c "$command"' in script
    command = subprocess.run(
        [
            "bash",
            "-c",
            extraction.split("$(", 1)[1].rstrip(" \\") + " | grep -v -e '<!--' -e '^```'",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    block = README.split("<!-- test-command:start -->")[1].split("<!-- test-command:end -->")[0]
    assert command and command in block
    assert command.startswith("python3 -m venv .venv") and "pytest" in command


SECURITY = README.split("\n## Security\n", 1)[1].split("\n## ", 1)[0]


def test_the_security_example_is_what_a_model_reads() -> None:
    shown = re.search(r"```text\n(.*?)\n```", SECURITY, re.S)
    assert shown, "the Security section shows what a model reads"
    lines = shown.group(1).splitlines()
    bio = json.loads(next(line for line in lines if '"bio"' in line).split(": ", 1)[1])

    def with_bio(answer: Any) -> Any:
        for person in answer.get("results") or [answer]:
            person["properties"] = {"bio": bio, **person["properties"]}
        return answer

    with recorded_toolkit(with_bio) as toolkit:
        result = toolkit.execute("posthog_get_person", {"distinct_id": "user-42"})
    content = (result.content or "").splitlines()
    assert all(line in content for line in lines), result.content
    assert content[-1] == DATA_NOTE


def test_the_security_guard_pauses_every_call_that_changes_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = re.search(r"```python\n(.*?)\n```", SECURITY, re.S)
    assert code, "the Security section shows the guard"
    asked: list[str] = []

    def model(name: str, **kwargs: Any) -> ScriptedModel:
        asked.append(name)
        # What a model that obeyed an injected instruction would do.
        call = {"name": "posthog_bulk_delete_feature_flags", "args": {"ids": [1, 2]}, "id": "c1"}
        return ScriptedModel(messages=iter([AIMessage(content="", tool_calls=[call])]))

    monkeypatch.setattr(langchain.agents.factory, "init_chat_model", model)
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "2")
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)  # sockets are blocked: a call that ran would fail
    tools = namespace["tools"]
    assert set(namespace["gated"]) == {t.name for t in tools if t.metadata["scope"] != "read"}
    agent = namespace["agent"]
    paused = agent.invoke(
        {"messages": [HumanMessage("Tidy up our flags.")]}, {"configurable": {"thread_id": "t"}}
    )
    (waiting,) = paused["__interrupt__"]
    assert waiting.value["name"] == "posthog_bulk_delete_feature_flags"
    assert not any(isinstance(m, ToolMessage) for m in paused["messages"])
    # As the section says, a reviewer's wrong edit is refused on resume, naming the field.
    edit = {"name": "posthog_bulk_delete_feature_flags", "args": {"ids": ["one"]}}
    with pytest.raises(ValidationError, match="ids"):
        agent.invoke(
            Command(resume={waiting.id: {"type": "edit", "edited_action": edit}}),
            {"configurable": {"thread_id": "t"}},
        )
    assert asked == ["openai:gpt-4.1-mini"]
