"""The ``langchain-posthog`` command: list tools, show schemas, check a setup, call a tool.

Settings come from the same ``POSTHOG_*`` environment variables as the toolkit, or from options
given before or after the command. Every failure is one line on stderr and a non-zero exit,
never a traceback, and no key is ever printed whole: at most ``phx_...`` and its last 4
characters.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_posthog.api.errors import PostHogError
from langchain_posthog.settings import did_you_mean
from langchain_posthog.toolsets import TOOLSET_NAMES

EXIT_FAILED = 1
EXIT_USAGE = 2

KEY_OPTIONS = {
    "--personal-api-key": "POSTHOG_PERSONAL_API_KEY",
    "--project-api-key": "POSTHOG_PROJECT_API_KEY",
}
# PostHog's keys and tokens start with ph, a letter and an underscore: phx_ personal keys,
# phc_ project keys, phs_ project secret keys.
_KEY_SHAPE = re.compile(r"\bph[a-z]_[A-Za-z0-9_-]{6,}")


def mask_key(key: str) -> str:
    """How this command shows a key, if at all: its ``phx_``-style prefix, ``...``, its last 4."""
    key = key.strip()
    prefix = key[:4] if re.match(r"ph[a-z]_", key) else ""
    return f"{prefix}...{key[-4:] if len(key) >= 20 else ''}"


class _Output:
    """Where a command writes. Every line is masked first, so no key is ever printed whole."""

    def __init__(self, secrets: Sequence[str]) -> None:
        # Longest first: a key that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, mask_key(secret))
        return _KEY_SHAPE.sub(lambda match: mask_key(match.group(0)), text)

    def line(self, text: str) -> None:
        print(self.mask(text), flush=True)

    def error(self, text: str) -> None:
        """An error line (a failed command, or a check's FAIL), in the command line's words."""
        for python, option in _CLI_WORDS:
            text = text.replace(python, option)
        print(self.mask(text), file=sys.stderr, flush=True)


def _secrets(argv: Sequence[str]) -> list[str]:
    """The keys a command line and the environment hold, found before anything is parsed."""
    found = [os.environ.get(variable, "") for variable in KEY_OPTIONS.values()]
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition("=")
        if name in KEY_OPTIONS:
            found.append(value if equals else (argv[i + 1] if i + 1 < len(argv) else ""))
    return [key.strip() for key in found if key.strip()]


class _UsageError(Exception):
    """A command line argparse refused. Its message may quote what was typed, keys included."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # Raised, not printed: main() masks any key the message quotes, and keeps it one line.
        raise _UsageError(message)


def _settings(parser: argparse.ArgumentParser, *, after: bool) -> None:
    """The settings every command takes, before the command or after it."""
    # After the command, an option left out must not overwrite what was given before it.
    default = argparse.SUPPRESS if after else None
    group = parser.add_argument_group("settings (before or after the command)")
    group.add_argument(
        "--host",
        default=default,
        help="us, eu or a self-hosted URL (default: $POSTHOG_HOST or us)",
    )
    group.add_argument(
        "--project-id", default=default, help="project to use (default: $POSTHOG_PROJECT_ID)"
    )
    for option, variable in KEY_OPTIONS.items():
        group.add_argument(
            option,
            default=default,
            metavar="KEY",
            help=f"default: ${variable}, which is safer: a key typed in a command stays in the "
            "shell's history and shows in the process list",
        )


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: a key typed after a shortened option name would not be recognised as
    # one, and could be quoted unmasked.
    parser = _Parser(
        prog="langchain-posthog",
        description="PostHog tools for LangChain agents, from the command line.",
        allow_abbrev=False,
    )
    _settings(parser, after=False)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, allow_abbrev=False)
        _settings(sub, after=True)
        return sub

    tools = command("tools", "list the tools by toolset, with their scopes and catalogue actions")
    tools.add_argument(
        "--toolset",
        action="append",
        metavar="NAME",
        help="only this toolset (repeat for more): " + ", ".join(TOOLSET_NAMES),
    )
    command("schema", "print the JSON schema a model receives for a tool").add_argument("name")
    check = command("check", "check the host, the keys, the project and the key's scopes")
    check.add_argument(
        "--read-only", action="store_true", help="check only what the read tools need"
    )
    call = command("call", "run one tool and print what the model would read")
    call.add_argument("name")
    call.add_argument("--args", default="{}", help="the tool's arguments as a JSON object")
    call.add_argument("--artifact", action="store_true", help="print PostHog's full JSON instead")
    call.add_argument(
        "--allow-destructive", action="store_true", help="allow destructive tools (bulk delete)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = _Output(_secrets(args))
    with _quiet_libraries():
        try:
            options = _parser().parse_args(args)
        except _UsageError as error:
            out.error(f"langchain-posthog: {_one_line(str(error))} (see --help)")
            return EXIT_USAGE
        try:
            return _COMMANDS[options.command](options, out)
        except PostHogError as error:
            return _fail(out, str(error))
        except KeyboardInterrupt:
            return _fail(out, "interrupted")


@contextlib.contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Keep log records and Python warnings off stderr while a command runs.

    The client logs each retry as a warning, and with no logging configured Python prints it on
    stderr, between the one-line verdicts this command promises; the final error already says
    how many attempts were made. The logger is left as it was found, for callers of main().
    """
    logger = logging.getLogger("langchain_posthog")
    quiet, propagate = logging.NullHandler(), logger.propagate
    logger.addHandler(quiet)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(quiet)
        logger.propagate = propagate


def _toolkit(options: argparse.Namespace, **settings: Any) -> Any:
    from langchain_posthog.toolkit import PostHogToolkit

    return PostHogToolkit(
        host=options.host,
        project_id=options.project_id,
        personal_api_key=options.personal_api_key,
        project_api_key=options.project_api_key,
        **settings,
    )


def _tools(options: argparse.Namespace, out: _Output) -> int:
    from langchain_posthog.actions import ACTIONS
    from langchain_posthog.toolsets import TOOLSETS, check_toolset_names

    if options.toolset is not None:
        check_toolset_names(options.toolset)
    groups = [
        (toolset, [a for a in ACTIONS if a.name in toolset.tools])
        for toolset in TOOLSETS
        if options.toolset is None or toolset.name in options.toolset
    ]
    header = ("tool", "scope", "catalogue action")
    rows = {
        a.name: (a.name, a.scope, f"POSTHOG_{a.catalogue}" if a.catalogue else "-")
        for _, actions in groups
        for a in actions
    }
    widths = [max(len(r[i]) for r in [header, *rows.values()]) for i in range(3)]

    def line(row: tuple[str, str, str]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    out.line(line(header))
    for toolset, actions in groups:
        # A toolset none of whose tools exist yet has nothing to show.
        if actions:
            out.line(f"{toolset.name}: {toolset.description}")
            for action in actions:
                out.line(line(rows[action.name]))
    return 0


def _schema(options: argparse.Namespace, out: _Output) -> int:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from langchain_posthog.actions import ACTIONS
    from langchain_posthog.tool import PostHogTool

    action = next((a for a in ACTIONS if options.name in {a.name, f"POSTHOG_{a.catalogue}"}), None)
    if action is None:
        hint = did_you_mean(options.name, [a.name for a in ACTIONS])
        return _fail(out, f"no tool named {options.name!r}.{hint} Run 'langchain-posthog tools'.")
    toolkit = _toolkit(options)
    tool = PostHogTool.from_action(action, toolkit.client, toolkit.bound_project)
    out.line(json.dumps(convert_to_openai_tool(tool), indent=2))
    return 0


def _check(options: argparse.Namespace, out: _Output) -> int:
    from langchain_posthog.doctor import Report, run_checks

    report = Report(out.line, out.error)
    run_checks(
        lambda **settings: _toolkit(options, read_only=options.read_only, **settings),
        report,
        personal_key=_given(options.personal_api_key, KEY_OPTIONS["--personal-api-key"]),
        project_key=_given(options.project_api_key, KEY_OPTIONS["--project-api-key"]),
    )
    return EXIT_FAILED if report.failed else 0


def _given(value: str | None, variable: str) -> str | None:
    """A key as the toolkit will read it: the option's value, else the environment's."""
    key = value if value is not None else os.environ.get(variable, "")
    return key.strip() or None


def _call(options: argparse.Namespace, out: _Output) -> int:
    try:
        args = json.loads(options.args)
    except ValueError as error:
        return _fail(out, f"--args is not valid JSON: {error}")
    if not isinstance(args, dict):
        return _fail(out, "--args must be a JSON object, like '{\"id\": 12}'")
    with _toolkit(options, include_destructive=options.allow_destructive) as toolkit:
        result = toolkit.execute(options.name, args)
    if not result.successful:
        return _fail(out, result.error or "failed")
    if options.artifact:
        out.line(json.dumps(result.data, indent=2, default=str))
    else:
        out.line(result.content or "")
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


# The toolkit's messages name its Python settings; on the command line, the options that set them.
_CLI_WORDS = (
    ("build the toolkit with include_destructive=True", "add --allow-destructive"),
    ("pass personal_api_key='phx_...'", "pass --personal-api-key"),
    ("pass project_api_key='phc_...'", "pass --project-api-key"),
    ("make a toolkit with project_api_key='phc_...'", "pass --project-api-key"),
    ("POSTHOG_HOST or host=", "POSTHOG_HOST or --host"),
    ("personal_api_key is blank", "--personal-api-key is blank"),
    ("project_api_key is blank", "--project-api-key is blank"),
    ("personal_api_key holds", "the personal key (--personal-api-key or its variable) holds"),
    ("project_api_key holds", "the project key (--project-api-key or its variable) holds"),
    ("goes in personal_api_key or", "goes in --personal-api-key or"),
    ("goes in project_api_key or", "goes in --project-api-key or"),
    ("project_id must be", "--project-id must be"),
)


def _fail(out: _Output, message: str) -> int:
    out.error(f"langchain-posthog: {_one_line(message)}")
    return EXIT_FAILED


_COMMANDS = {"tools": _tools, "schema": _schema, "check": _check, "call": _call}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
