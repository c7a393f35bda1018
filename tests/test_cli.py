"""The langchain-posthog command line: every command, one-line failures, and the check's steps.

The check runs against the stand-in on 127.0.0.1 (``--host`` pointed at it) or replays cassettes
for PostHog Cloud. Each verdict is one line: ``ok``/``skip`` on stdout, ``FAIL`` on stderr."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_posthog import cli
from langchain_posthog.actions import ACTIONS
from langchain_posthog.cli import main, mask_key
from langchain_posthog.doctor import INGESTION_PROBE
from langchain_posthog.toolsets import TOOLSET_NAMES, TOOLSETS, toolset_of
from tests.conftest import PERSONAL_KEY, PROJECT_KEY
from tests.standin import LOOPBACK_ONLY, StandIn, fast, serve

# The stand-in tests reach 127.0.0.1 and nothing else; the cassette tests reach nothing.
pytestmark = LOOPBACK_ONLY

KEYS = (PERSONAL_KEY, PROJECT_KEY)

KEY_SHAPE = re.compile(r"ph[xc]_[A-Za-z0-9]{8,}")

ME = "/api/users/@me/"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toolkits the command makes wait milliseconds between retries, not seconds."""
    build = cli._toolkit

    def quick(options: Any, **settings: Any) -> Any:
        toolkit = build(options, **settings)
        fast(toolkit)
        return toolkit

    monkeypatch.setattr(cli, "_toolkit", quick)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", PROJECT_KEY)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    for server in serve():
        # Capture's readiness route answers a fixed text (rust/capture/src/router.rs).
        server.route("GET", lambda path: path == INGESTION_PROBE, lambda r: (200, "capture"))
        yield server


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    """Exit code, stdout lines and stderr lines of one command, with no key in either."""
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's own way out, should it ever take it
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    for text in (out, err):
        assert not [k for k in KEYS if k in text] and not KEY_SHAPE.findall(text), text
        assert "Traceback" not in text
    return code, out.splitlines(), err.splitlines()


def verdicts(lines: list[str]) -> dict[str, str]:
    """``{"ok host reachable": detail, ...}`` from a check's output lines."""
    found = {}
    for line in lines:
        match = re.fullmatch(r"(ok|skip|FAIL) +([a-z ]+): (.+)", line)
        assert match, f"not a verdict line: {line!r}"
        found[f"{match[1]} {match[2]}"] = match[3]
    return found


def listed(out: str) -> dict[str, tuple[str, str]]:
    """``{tool: (its toolset, its line)}`` from the output of ``langchain-posthog tools``."""
    found, toolset = {}, ""
    for line in out.splitlines()[1:]:
        if not line.startswith(" "):
            toolset = line.split(":", 1)[0]
        else:
            found[line.split()[0]] = (toolset, line)
    return found


def test_tools_lists_every_action_with_scope_under_its_toolset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tools"]) == 0
    out = capsys.readouterr().out
    tools = listed(out)
    assert set(tools) == {a.name for a in ACTIONS}
    for action in ACTIONS:
        toolset, line = tools[action.name]
        assert toolset == toolset_of(action.name)
        assert action.scope in line.split()
        if action.catalogue:
            assert f"POSTHOG_{action.catalogue}" in line
    for group in TOOLSETS:
        if group.tools:
            assert f"{group.name}: {group.description}" in out.splitlines()


@pytest.mark.parametrize("where", ["before", "after"])
def test_tools_shows_only_the_toolsets_asked_for(
    where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["tools", "--toolset", "flags", "--toolset", "analytics"]
    settings = ["--host", "eu"]
    assert main([*settings, *command] if where == "before" else [*command, *settings]) == 0
    tools = listed(capsys.readouterr().out)
    expected = {a.name for a in ACTIONS if toolset_of(a.name) in {"flags", "analytics"}}
    assert set(tools) == expected and "posthog_run_funnel" in expected
    assert {toolset for toolset, _ in tools.values()} == {"flags", "analytics"}


def test_tools_refuses_an_unknown_toolset_naming_the_closest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["tools", "--toolset", "flags", "--toolset", "survey"], capsys)
    assert code == 1 and out == [] and len(err) == 1
    assert "no toolset 'survey'" in err[0] and "Did you mean 'surveys'?" in err[0]
    assert all(name in err[0] for name in TOOLSET_NAMES)


@pytest.mark.parametrize("where", ["before", "after"])
def test_schema_prints_what_a_model_receives(
    where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ["--project-id", "2"]
    command = ["schema", "posthog_get_feature_flag"]
    assert main([*settings, *command] if where == "before" else [*command, *settings]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["function"]["name"] == "posthog_get_feature_flag"
    assert set(schema["function"]["parameters"]["properties"]) == {"id", "key"}
    assert "project_id" not in schema["function"]["parameters"]["properties"]


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_get_feature_flag.yaml")
@pytest.mark.usefixtures("keys", "vcr")
def test_call_prints_content_or_artifact(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--project-id", "2", "call", "posthog_get_feature_flag", "--args", '{"id": 1234}'])
        == 0
    )
    assert '"new-onboarding" (id 1234)' in capsys.readouterr().out
    args = ["call", "POSTHOG_GET_FEATURE_FLAG_DETAILS", "--args", '{"id": 1234}']
    assert main([*args, "--project-id", "2", "--artifact"]) == 0
    assert json.loads(capsys.readouterr().out)["key"] == "new-onboarding"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "posthog_get_feature_flag", "--args", "{oops"], "--args is not valid JSON"),
        (["call", "posthog_get_feature_flag", "--args", "[1]"], "must be a JSON object"),
        (["call", "posthog_get_feature_flag", "--args", '{"id": "x"}'], "nothing was sent"),
        (["call", "posthog_bulk_delete_feature_flags", "--args", '{"ids": [1]}'], "destructive"),
        (["schema", "posthog_nope"], "no tool named"),
        (["schema", "posthog_list_error"], "Did you mean 'posthog_list_errors'?"),
    ],
)
@pytest.mark.usefixtures("keys")
def test_failures_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2_without_a_traceback_or_a_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_posthog", "--personal-api-key", PERSONAL_KEY, "fly"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")},
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr and "Traceback" not in done.stderr
    assert PERSONAL_KEY not in done.stderr + done.stdout


OTHER_KEY = "phx_" + "E" * 43  # a second personal key, to see which one was sent


@pytest.mark.parametrize(
    ("placement", "sent"),
    [
        (["check", "--host", "{url}", "--project-id", "2"], OTHER_KEY),
        (["check", "--host", "{url}", "--project-id", "2", "--personal-api-key", PERSONAL_KEY],
         PERSONAL_KEY),
        (["--host", "{url}", "--project-id", "2", "--personal-api-key", PERSONAL_KEY, "check"],
         PERSONAL_KEY),
        (["--host", "{url}", "check", "--project-id", "2", f"--personal-api-key={PERSONAL_KEY}"],
         PERSONAL_KEY),
        # Given on both sides, the one after the command wins.
        (["--host", "http://127.0.0.1:9", "--project-id", "7", "--personal-api-key", OTHER_KEY,
          "check", "--host", "{url}", "--project-id", "2", "--personal-api-key", PERSONAL_KEY],
         PERSONAL_KEY),
    ],
    ids=["after", "after-with-key", "before", "split", "both"],
)  # fmt: skip
def test_settings_go_before_or_after_the_command(
    placement: list[str],
    sent: str,
    standin: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", OTHER_KEY)  # an option overrides it
    argv = [arg.replace("{url}", standin.url) for arg in placement]
    code, out, err = run(argv, capsys)
    assert code == 0 and err == []
    assert verdicts(out)["ok host reachable"] == standin.url
    assert verdicts(out)["ok project"].startswith("project 2 is Acme web;")
    assert standin.received("GET", ME)[0].headers["authorization"] == f"Bearer {sent}"


def test_call_takes_settings_after_the_command(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["call", "posthog_get_feature_flag", "--args", '{"id": 7}', "--host", standin.url]
    argv += ["--project-id", "2", "--personal-api-key", PERSONAL_KEY]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "(id 7)" in "\n".join(out)
    assert [r.path for r in standin.received()] == ["/api/projects/2/feature_flags/7/"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["check", "--personal-api-key", PERSONAL_KEY, "--bogus"], 2),
        (["check", "--bogus", "--project-api-key", PROJECT_KEY], 2),
        (["check", "--personal-api-key"], 2),
        ([PERSONAL_KEY], 2),
        (["check", PERSONAL_KEY], 2),
        (["tools", f"--personal-api-keys={PERSONAL_KEY}"], 2),
        (["schema"], 2),
        (["--host", PERSONAL_KEY, "check"], 1),
        (["call", "posthog_get_feature_flag", "--project-id", PROJECT_KEY], 1),
        (["check", "--personal-api-key", PROJECT_KEY], 1),
        (["check", "--project-api-key", PERSONAL_KEY, "--personal-api-key", PERSONAL_KEY], 1),
    ],
)
def test_no_error_prints_a_key(
    argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    got, _, err = run(argv, capsys)  # run() fails on any key in stdout or stderr
    assert got == code
    assert len(err) == 1
    assert err[0].split(":")[0] in {"langchain-posthog", "FAIL key valid", "FAIL settings"}


def test_mask_key_keeps_the_prefix_and_the_last_four_at_most() -> None:
    assert mask_key(PERSONAL_KEY) == "phx_...0000"
    assert mask_key(PROJECT_KEY) == "phc_...0000"
    assert mask_key("short-secret") == "..."


def test_a_key_in_the_environment_is_masked_in_errors_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "not-a-posthog-shaped-secret-123456"
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", secret)
    code = main(["--host", secret, "check"])
    err = capsys.readouterr().err
    assert code == 1 and secret not in err and "...3456" in err


def test_call_errors_name_the_command_lines_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The toolkit's messages name its Python settings; the command line names its own options.
    for variable in ("POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_API_KEY", "POSTHOG_HOST"):
        monkeypatch.delenv(variable, raising=False)
    code, _, err = run(["call", "posthog_get_feature_flag", "--args", '{"id": 1}'], capsys)
    assert code == 1 and "pass --personal-api-key" in err[0]
    assert "personal_api_key=" not in err[0]
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    argv = ["call", "posthog_bulk_delete_feature_flags", "--args", '{"ids": [1]}']
    code, _, err = run(argv, capsys)
    assert code == 1 and err[0].endswith("is destructive: add --allow-destructive.")
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    argv = ["call", "posthog_get_feature_flag", "--args", '{"id": 1}', "--host", url]
    code, _, err = run(argv, capsys)
    assert code == 1 and "(POSTHOG_HOST or --host)" in err[0] and "host=" not in err[0]
    # check's FAIL lines too.
    code, _, err = run(["check", "--host", url], capsys)
    assert code == 1 and "(POSTHOG_HOST or --host)" in err[0] and "host=" not in err[0]
    code, _, err = run(["check", "--personal-api-key", PROJECT_KEY], capsys)
    assert err[0].startswith(
        "FAIL key valid: the personal key (--personal-api-key or its variable) holds a project"
    )
