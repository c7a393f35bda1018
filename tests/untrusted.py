"""Planting text in PostHog's recorded answers, and reading back what a model was shown.

A row's ``user_text`` paths (langchain_posthog/actions/_row.py) say where its answers hold text
that people wrote. :func:`plant` writes a value at every string those paths cover in an answer
(and a new key where a path ends in ``*``, and a text field a path names where the answer left
it out); :class:`Replay` serves a scenario's recorded answers, planted, in the order the
cassette has them. :func:`literals` and :func:`outside` split what the model read into quoted
values and the toolkit's own words.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from tests.conftest import CASSETTES
from tests.standin.responses import answer_of

Step = tuple[str, Any]  # ("key", name) or ("item", index)
Token = tuple[str, ...]  # ("key", name), ("item",), ("star",) or ("any",)
LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
# Text fields PostHog leaves out when empty: planted where a path names one, so that the line a
# renderer writes for it is tried too.
FILLED = frozenset({
    "name", "description", "label", "custom_name", "derived_name", "conclusion_comment",
    "error", "start_url", "distinct_id", "email", "first_name", "last_name", "content",
    "breakdown_value",
})  # fmt: skip


def tokens(path: str) -> tuple[Token, ...]:
    """A user_text path as tokens: ``results[].properties.*`` -> key, item, key, star."""
    found: list[Token] = []
    for part in path.split("."):
        if part in ("*", "**"):
            found.append(("star",) if part == "*" else ("any",))
            continue
        name = part.split("[", 1)[0]
        if name:
            found.append(("key", name))
        found += [("item",)] * part.count("[]")
    return tuple(found)


def full_match(pattern: tuple[Token, ...], steps: tuple[Step, ...]) -> bool:
    """Whether ``pattern`` names exactly the place ``steps`` lead to."""
    if not pattern:
        return not steps
    head, rest = pattern[0], pattern[1:]
    if head == ("any",):
        return any(full_match(rest, steps[i:]) for i in range(len(steps) + 1))
    if not steps:
        return False
    kind, value = steps[0]
    if head == ("star",):
        ok = kind == "key"
    elif head == ("item",):
        ok = kind == "item"
    else:
        ok = kind == "key" and value == head[1]
    return ok and full_match(rest, steps[1:])


def covers(paths: tuple[str, ...], steps: tuple[Step, ...]) -> bool:
    """Whether a path covers the place ``steps`` lead to: names it, or an object holding it."""
    return any(
        full_match(tokens(path), steps[:end]) for path in paths for end in range(len(steps) + 1)
    )


def strings(value: Any, steps: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], str]]:
    """Every string in a JSON value, with the steps that lead to it."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*steps, ("key", key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*steps, ("item", index)))
    elif isinstance(value, str):
        yield steps, value


def _objects(value: Any, steps: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], Any]]:
    if isinstance(value, dict | list):
        yield steps, value
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        kind = "key" if isinstance(value, dict) else "item"
        for key, item in pairs:
            yield from _objects(item, (*steps, (kind, key)))


def plant(answer: Any, paths: tuple[str, ...], text: str) -> Any:
    """A copy of a JSON answer with ``text`` wherever ``paths`` say people wrote text."""
    planted = copy.deepcopy(answer)
    holders = list(_objects(planted))
    for steps, _ in list(strings(planted)):
        if covers(paths, steps):
            _set(planted, steps, text)
    for steps, holder in holders:
        if not isinstance(holder, dict):
            continue
        for path in paths:
            pattern = tokens(path)
            if not pattern or not full_match(pattern[:-1], steps):
                continue
            last = pattern[-1]
            if last == ("star",) and text not in holder:
                # A new key, with a value of the kind its neighbours have.
                holder[text] = copy.deepcopy(next(iter(holder.values()), text))
            elif last[0] == "key" and last[1] in FILLED and holder.get(last[1]) in (None, ""):
                holder[last[1]] = text
    return planted


def _set(root: Any, steps: tuple[Step, ...], value: Any) -> None:
    for _, key in steps[:-1]:
        root = root[key]
    root[steps[-1][1]] = value


def plant_csv(text: str, paths: tuple[str, ...], value: str) -> str:
    """PostHog's CSV of a list, with ``value`` in the columns ``paths`` cover.

    A column is the flattened path of a list item's field (``query.source.series.0.event``).
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    columns = [_column_steps(name) for name in rows[0]]
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # as PostHog writes it: rows end in CRLF, cells quoted as needed
    writer.writerow(rows[0])
    for row in rows[1:]:
        cells = zip(columns, row, strict=True)
        writer.writerow([value if covers(paths, steps) and cell else cell for steps, cell in cells])
    return out.getvalue()


def _column_steps(name: str) -> tuple[Step, ...]:
    parts = name.split(".")
    steps: list[Step] = [("key", "results"), ("item", 0)]
    steps += [("item", int(p)) if p.isdigit() else ("key", p) for p in parts]
    return tuple(steps)


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    content_type: str
    body: Any  # parsed JSON, or text


@cache
def recorded(cassette: str) -> tuple[Exchange, ...]:
    """A cassette's exchanges, in order."""
    data = yaml.safe_load((CASSETTES / cassette).read_text()) or {}
    found = []
    for interaction in data.get("interactions") or []:
        request, response = interaction["request"], interaction["response"]
        kind, body = answer_of(response)
        method, path = request["method"].upper(), urlsplit(request["uri"]).path
        found.append(Exchange(method, path, int(response["status"]["code"]), kind, body))
    return tuple(found)


@dataclass
class Replay:
    """A PostHog that answers a cassette's requests in order, each answer changed first."""

    cassette: str
    change: Callable[[Any], Any]
    sent: list[tuple[str, str]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        exchanges = recorded(self.cassette)
        index = len(self.sent)
        self.sent.append((request.method, request.url.path))
        if index >= len(exchanges):
            self.wrong.append(f"unrecorded {request.method} {request.url.path}")
            return httpx.Response(500, json={"detail": "not recorded"})
        exchange = exchanges[index]
        if (exchange.method, exchange.path) != (request.method, request.url.path):
            self.wrong.append(f"{request.method} {request.url.path} for {exchange.path}")
        body = self.change(exchange.body) if exchange.status < 300 else exchange.body
        content = body if isinstance(body, str) else json.dumps(body)
        headers = {"content-type": exchange.content_type}
        return httpx.Response(exchange.status, content=content.encode(), headers=headers)


def literals(content: str, *, csv_form: bool = False) -> list[str]:
    """The strings a model was shown as data: each JSON literal (or CSV cell), decoded.

    A CSV cell holding a JSON object or list gives its strings too.
    """
    if not csv_form:
        return [json.loads(match.group(0)) for match in LITERAL.finditer(content)]
    found = []
    for row in csv.reader(io.StringIO(content, newline="")):
        for cell in row:
            try:
                text = json.loads('"' + cell.replace('"', '\\"') + '"')
            except ValueError:
                continue
            found.append(text)
            with contextlib.suppress(ValueError):
                found += [s for _, s in strings(json.loads(text))]
    return found


def outside(content: str) -> str:
    """What the toolkit itself wrote: the content without its quoted values."""
    return LITERAL.sub("", content)
