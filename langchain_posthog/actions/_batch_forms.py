"""PostHog's own shapes of a batch export: secret fields, nested destination, schema.

PostHog nests a destination's settings under ``config`` and derives a few of them (Snowflake's
``authentication_type``, BigQuery's ``token_uri``, the HTTP destination's ``url``); the tool takes
them flat. PostHog derives ``schema`` from ``hogql_query``. Callers written against the catalogue
send PostHog's forms; these functions read them without the schema a model reads growing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# PostHog's BatchExportDestination.secret_fields: never shown back, per destination type.
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "S3": frozenset({"aws_access_key_id", "aws_secret_access_key"}),
    "Snowflake": frozenset({"user", "password", "private_key", "private_key_passphrase"}),
    "Postgres": frozenset({"user", "password"}),
    "Redshift": frozenset({"user", "password", "aws_access_key_id", "aws_secret_access_key"}),
    "BigQuery": frozenset({"private_key", "private_key_id", "client_email", "token_uri"}),
    "HTTP": frozenset({"token"}),
}
# The catalogue's parameters PostHog cannot honour on a batch export, and why.
UNHONOURED: Mapping[str, tuple[Any, str]] = {
    "timezone": ("UTC", "PostHog runs batch exports on UTC intervals; leave timezone out"),
}
_HTTP_URL = re.compile(r"^https://(us|eu)\.i\.posthog\.com/batch/?$")
_DERIVED = ("authentication_type", "token_uri")


def posthog_forms(data: dict[str, Any]) -> dict[str, Any]:
    """A create's arguments with PostHog's destination and ``schema`` read as the tool's own."""
    if "destination" in data:
        data["destination"] = flat_destination(data["destination"])
    schema = data.pop("schema", None)
    if schema is not None:
        query = query_of_schema(schema)
        if data.get("hogql_query") not in (None, query):
            raise ValueError("schema and hogql_query differ; give the columns once")
        data["hogql_query"] = query
    return data


def flat_destination(value: Any) -> Any:
    """``{"type", "config": {...}}`` as ``{"type", ...config}``; anything else as given."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not isinstance(value, dict) or not isinstance(value.get("config"), dict):
        return value
    flat = {k: v for k, v in value.items() if k not in ("config", "integration")}
    config = {k: v for k, v in value["config"].items() if k not in _DERIVED}
    url = config.pop("url", None)
    if url is not None:
        match = _HTTP_URL.match(str(url))
        if not match:
            raise ValueError(
                "destination.config.url: PostHog's HTTP destination only sends to "
                "https://us.i.posthog.com/batch/ or https://eu.i.posthog.com/batch/"
            )
        config["region"] = match.group(1)
    return {**config, **flat}


def query_of_schema(schema: Any) -> str:
    """The ``hogql_query`` a PostHog batch-export ``schema`` stands for."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            raise ValueError(
                "schema: not valid JSON; give the exported columns as hogql_query"
            ) from None
    if isinstance(schema, dict) and isinstance(schema.get("hogql_query"), str):
        return str(schema["hogql_query"])
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list) or not fields:
        raise ValueError(
            "schema: give {'fields': [{'expression': ..., 'alias': ...}]} or the columns as "
            "hogql_query 'SELECT ... FROM events'"
        )
    columns = []
    for i, field in enumerate(fields):
        if not isinstance(field, dict) or not isinstance(field.get("expression"), str):
            raise ValueError(f"schema.fields[{i}]: needs an expression")
        alias = field.get("alias")
        columns.append(f"{field['expression']} AS {alias}" if alias else field["expression"])
    return f"SELECT {', '.join(columns)} FROM events"
