"""The ``langchain-posthog`` command: list tools, show schemas, check keys, call a tool.

Settings come from the same ``POSTHOG_*`` environment variables as the toolkit. Every failure is
one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from langchain_posthog.errors import PostHogError

EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, not argparse's usage dump
        print(f"langchain-posthog: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="langchain-posthog",
        description="PostHog tools for LangChain agents, from the command line.",
    )
    parser.add_argument("--host", help="us, eu or a self-hosted URL (default: $POSTHOG_HOST or us)")
    parser.add_argument("--project-id", help="project to use (default: $POSTHOG_PROJECT_ID)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("tools", help="list every tool with its scope and catalogue action")
    schema = commands.add_parser("schema", help="print the JSON schema a model receives for a tool")
    schema.add_argument("name")
    commands.add_parser("check", help="check the keys and region, and list your projects")
    call = commands.add_parser("call", help="run one tool and print what the model would read")
    call.add_argument("name")
    call.add_argument("--args", default="{}", help="the tool's arguments as a JSON object")
    call.add_argument("--artifact", action="store_true", help="print PostHog's full JSON instead")
    call.add_argument(
        "--allow-destructive", action="store_true", help="allow destructive tools (bulk delete)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    options = _parser().parse_args(argv)
    try:
        return _COMMANDS[options.command](options)
    except PostHogError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return _fail("interrupted")


def _toolkit(options: argparse.Namespace, **settings: Any) -> Any:
    from langchain_posthog.toolkit import PostHogToolkit

    return PostHogToolkit(host=options.host, project_id=options.project_id, **settings)


def _tools(options: argparse.Namespace) -> int:
    from langchain_posthog.actions import ACTIONS

    rows = [("tool", "scope", "catalogue action")]
    rows += [(a.name, a.scope, f"POSTHOG_{a.catalogue}" if a.catalogue else "-") for a in ACTIONS]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _schema(options: argparse.Namespace) -> int:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from langchain_posthog.actions import ACTIONS
    from langchain_posthog.tool import PostHogTool

    action = next((a for a in ACTIONS if options.name in {a.name, f"POSTHOG_{a.catalogue}"}), None)
    if action is None:
        return _fail(f"no tool named {options.name!r}; run 'langchain-posthog tools'")
    toolkit = _toolkit(options)
    tool = PostHogTool.from_action(action, toolkit.client, toolkit.bound_project)
    print(json.dumps(convert_to_openai_tool(tool), indent=2))
    return 0


def _check(options: argparse.Namespace) -> int:
    with _toolkit(options) as toolkit:
        if not toolkit.client.has_personal_key:
            return _fail(
                "POSTHOG_PERSONAL_API_KEY is not set: create a personal API key (phx_...) in "
                "PostHog under Settings -> Personal API keys"
            )
        user = toolkit.execute("posthog_get_current_user")
        if not user.successful:
            return _fail(_check_advice(user.error or "", toolkit.client.app_url))
        projects = toolkit.execute("posthog_list_projects")
        print(f"OK: the key works on {toolkit.client.app_url}")
        print(user.content)
        if projects.successful:
            print(projects.content)
        else:
            print(f"Could not list projects: {projects.error}")
        if not toolkit.client.has_project_key:
            print("Note: POSTHOG_PROJECT_API_KEY is not set, so the capture tools are off.")
    return 0


def _check_advice(error: str, app_url: str) -> str:
    if "401" in error:
        other = "eu" if "us." in app_url else "us"
        return (
            f"the personal API key was rejected by {app_url}. Check the key, and if your "
            f"PostHog account is on the other cloud region, set POSTHOG_HOST={other}"
        )
    return error.replace("\n", " ")


def _call(options: argparse.Namespace) -> int:
    try:
        args = json.loads(options.args)
    except ValueError as error:
        return _fail(f"--args is not valid JSON: {error}")
    if not isinstance(args, dict):
        return _fail("--args must be a JSON object, like '{\"id\": 12}'")
    with _toolkit(options, include_destructive=options.allow_destructive) as toolkit:
        result = toolkit.execute(options.name, args)
    if not result.successful:
        return _fail(" ".join((result.error or "failed").split()))
    if options.artifact:
        print(json.dumps(result.data, indent=2, default=str))
    else:
        print(result.content)
    return 0


def _fail(message: str) -> int:
    print(f"langchain-posthog: {message}", file=sys.stderr)
    return EXIT_FAILED


_COMMANDS = {"tools": _tools, "schema": _schema, "check": _check, "call": _call}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
