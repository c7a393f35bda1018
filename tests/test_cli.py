"""The langchain-posthog command line: every command, and one-line failures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from langchain_posthog.actions import ACTIONS
from langchain_posthog.cli import main
from tests.conftest import CASSETTES, PERSONAL_KEY, PROJECT_KEY


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", PROJECT_KEY)


def test_tools_lists_every_action_with_scope(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools"]) == 0
    out = capsys.readouterr().out
    for action in ACTIONS:
        line = next(row for row in out.splitlines() if row.startswith(action.name + " "))
        assert action.scope in line
        if action.catalogue:
            assert f"POSTHOG_{action.catalogue}" in line


def test_schema_prints_what_a_model_receives(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project-id", "2", "schema", "posthog_get_feature_flag"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["function"]["name"] == "posthog_get_feature_flag"
    assert schema["function"]["parameters"]["required"] == ["id"]
    assert "project_id" not in schema["function"]["parameters"]["properties"]


@pytest.mark.vcr(str(CASSETTES / "posthog_list_projects.yaml"))
@pytest.mark.default_cassette("posthog_get_current_user.yaml")
@pytest.mark.usefixtures("keys", "vcr")
def test_check_reports_user_and_projects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "OK: the key works on https://us.posthog.com" in out
    assert "Ada Lovelace" in out and "Acme web (id 2)" in out and "Acme mobile (id 7)" in out
    assert PERSONAL_KEY not in out


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_get_current_user.unauthorized.yaml")
@pytest.mark.usefixtures("keys", "vcr")
def test_check_explains_a_rejected_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "rejected by https://us.posthog.com" in err and "POSTHOG_HOST=eu" in err


def test_check_refuses_a_project_key_in_the_personal_slot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PROJECT_KEY)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "personal_api_key holds a project API key" in err and err.count("\n") == 1
    assert PROJECT_KEY not in err


def test_check_without_a_key_says_where_to_get_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 1
    assert "POSTHOG_PERSONAL_API_KEY is not set" in capsys.readouterr().err


@pytest.mark.vcr
@pytest.mark.default_cassette("posthog_get_feature_flag.yaml")
@pytest.mark.usefixtures("keys", "vcr")
def test_call_prints_content_or_artifact(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--project-id", "2", "call", "posthog_get_feature_flag", "--args", '{"id": 1234}'])
        == 0
    )
    assert "new-onboarding (id 1234)" in capsys.readouterr().out
    args = [
        "--project-id",
        "2",
        "call",
        "POSTHOG_GET_FEATURE_FLAG_DETAILS",
        "--args",
        '{"id": 1234}',
    ]
    assert main([*args, "--artifact"]) == 0
    assert json.loads(capsys.readouterr().out)["key"] == "new-onboarding"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "posthog_get_feature_flag", "--args", "{oops"], "--args is not valid JSON"),
        (["call", "posthog_get_feature_flag", "--args", "[1]"], "must be a JSON object"),
        (["call", "posthog_get_feature_flag", "--args", '{"id": "x"}'], "nothing was sent"),
        (["call", "posthog_bulk_delete_feature_flags", "--args", '{"ids": [1]}'], "destructive"),
        (["schema", "posthog_nope"], "no tool named"),
    ],
)
@pytest.mark.usefixtures("keys")
def test_failures_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_posthog", "fly"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr and "Traceback" not in done.stderr
