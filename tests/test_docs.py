"""The README says what the code does."""

from __future__ import annotations

import re
import subprocess
import sys

from langchain_posthog.actions import ACTIONS
from tests.conftest import ROOT

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
