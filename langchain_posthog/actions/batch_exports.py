"""Batch exports: scheduled exports of events, persons or sessions to a warehouse or bucket.

Destination credentials are write-only. They are ``SecretStr`` in the arguments (hidden in reprs),
the models hide their input in validation errors, and the real values are only revealed while the
request body is built. Whatever PostHog answers is stripped of the destination's secret fields,
and any credential the caller sent is masked wherever it turns up in an answer or an error.
"""

# Argument models have no docstrings: pydantic would send them to the model as descriptions.

import json
from dataclasses import replace
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    Field,
    GetJsonSchemaHandler,
    SecretStr,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema
from pydantic_core import CoreSchema

from langchain_posthog.actions._batch_forms import SECRET_FIELDS, UNHONOURED, posthog_forms
from langchain_posthog.actions._destinations import (
    GOOGLE_TOKEN_URI,
    KINDS,
    REVEAL,
    BigQueryDestination,
    DatabricksDestination,
    HttpDestination,
    Private,
    S3Destination,
    SnowflakeDestination,
    SqlDestination,
    Text,
)
from langchain_posthog.actions._filters import QueryProperty
from langchain_posthog.actions._render import named, quoted, said, term
from langchain_posthog.actions._row import Context
from langchain_posthog.actions._shapes import AUTHORS, Area, create_row
from langchain_posthog.api.calls import Call, Plan
from langchain_posthog.api.errors import PostHogAPIError
from langchain_posthog.api.redaction import mask_text, redact
from langchain_posthog.schema import strict_schema_wanted

EXPORTS = Area("batch_export", "batch_exports", "batch export", ui="pipeline/batch-exports")


def _destination_schema(kinds: tuple[type[Private], ...]) -> dict[str, Any]:
    """Describe ``destination`` to the model: the ``type`` enum and each type's fields in words.

    The arguments are validated as a discriminated union on ``type`` (a missing or unknown field
    is named in the error), but six ``oneOf`` members cost a model over 500 tokens on every call,
    and one object listing every field about 440; a line per type says the same for about 230.
    """
    tags: list[str] = []
    lines = []
    for kind in kinds:
        schema = kind.model_json_schema(by_alias=True)
        tag = schema["properties"].pop("type")
        names = tag.get("enum") or [tag["const"]]
        tags += names
        required = set(schema.get("required", ()))
        listed = []
        for name, field in schema["properties"].items():
            inner = next((o for o in field.get("anyOf", ()) if o != {"type": "null"}), field)
            note = "/".join(inner["enum"]) if "enum" in inner else field.get("description")
            optional = "" if name in required else "?"
            listed.append(f"{name}{optional}" + (f" ({note})" if note else ""))
        lines.append(f"{'/'.join(names)}: {', '.join(listed)}")
    return {
        "type": "object",
        "description": "Fields per type, ? optional. " + "; ".join(lines) + ".",
        "properties": {"type": {"type": "string", "enum": tags}},
        "required": ["type"],
    }


class _DescribedInWords:
    """Give ``destination`` the schema above, built when a schema is first asked for.

    OpenAI's strict mode lets a model send only the properties a schema declares, so the strict
    schema is the union itself.
    """

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if strict_schema_wanted():
            return handler(core_schema)
        return _destination_schema(KINDS)


Destination = Annotated[
    S3Destination
    | SnowflakeDestination
    | SqlDestination
    | BigQueryDestination
    | DatabricksDestination
    | HttpDestination,
    Field(discriminator="type"),
    _DescribedInWords(),
]


class CreateBatchExportArgs(Private):
    name: Text
    destination: Destination
    interval: Literal["hour", "day", "week", "every 5 minutes"]
    model: Literal["events", "persons", "sessions"] | None = None
    paused: bool | None = None
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None
    hogql_query: str | None = Field(None, description="SELECT choosing the exported columns.")
    # Rows to export, ANDed; hogql_query's WHERE says the same to a model in fewer tokens.
    filters: SkipJsonSchema[list[QueryProperty] | None] = None
    unhonoured = UNHONOURED

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """PostHog's nested destination and its ``schema``, read as the tool's own fields."""
        return posthog_forms(super().from_catalogue(data))

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


def _secrets(args: CreateBatchExportArgs) -> tuple[str, ...]:
    """Return the credentials the caller sent, to mask wherever they might be echoed."""
    destination = getattr(args, "destination", None)
    if destination is None:
        return ()
    values = (getattr(destination, name, None) for name in type(destination).model_fields)
    found = [v.get_secret_value() for v in values if isinstance(v, SecretStr)]
    # Also as JSON would quote them, and line by line: a PEM key echoed in an error message
    # may come back escaped or re-wrapped.
    variants = {json.dumps(s)[1:-1] for s in found} | {
        line.strip() for s in found for line in s.splitlines() if len(line.strip()) >= 8
    }
    return tuple(s for s in sorted({*found, *variants}, key=len, reverse=True) if len(s) >= 4)


def _create_body(args: CreateBatchExportArgs) -> dict[str, Any]:
    body = args.model_dump(exclude_none=True, exclude={"destination", "filters"}, mode="json")
    if args.filters is not None:
        body["filters"] = [f.to_api() for f in args.filters]
    dest = args.destination
    config = dest.model_dump(
        exclude_none=True,
        exclude={"type", "integration_id"},
        by_alias=True,
        mode="json",
        context={REVEAL: True},
    )
    if isinstance(dest, SnowflakeDestination):
        config["authentication_type"] = "password" if dest.password else "keypair"
    if isinstance(dest, BigQueryDestination):
        config["token_uri"] = GOOGLE_TOKEN_URI  # the same in every Google service-account key
    if isinstance(dest, HttpDestination):
        # PostHog only accepts its own capture endpoints (a PostHog-to-PostHog migration).
        config = {"url": f"https://{config.pop('region')}.i.posthog.com/batch/", **config}
    destination: dict[str, Any] = {"type": dest.type, "config": config}
    if isinstance(dest, DatabricksDestination):
        destination["integration_id"] = dest.integration_id
    body["destination"] = destination
    return body


def _without_secrets(data: Any, args: CreateBatchExportArgs) -> Any:
    if isinstance(data, dict) and isinstance(data.get("destination"), dict):
        destination = dict(data["destination"])
        hidden = SECRET_FIELDS.get(str(destination.get("type")), frozenset())
        if isinstance(destination.get("config"), dict):
            config = destination["config"].items()
            destination["config"] = {k: v for k, v in config if k not in hidden}
        data = {**data, "destination": destination}
    return redact(data, _secrets(args))


def _create_plan(args: CreateBatchExportArgs, ctx: Context) -> Plan[Any]:
    reply = yield Call("POST", EXPORTS.at(ctx), json=_create_body(args))
    return _without_secrets(reply.data, args)


def _target(kind: str, config: dict[str, Any]) -> str:
    def dotted(*names: str) -> str:
        return ".".join(str(config[n]) for n in names if config.get(n))

    if kind == "S3":
        where = f"s3://{config.get('bucket_name') or '?'}/{config.get('prefix') or ''}"
        return where + (f" ({config['region']})" if config.get("region") else "")
    if kind == "BigQuery":
        return dotted("project_id", "dataset_id", "table_id")
    if kind == "Snowflake":
        return said("{}: ", config.get("account")) + dotted("database", "schema", "table_name")
    if kind in {"Postgres", "Redshift"}:
        port = f":{config['port']}" if config.get("port") else ""
        table = dotted("schema", "table_name")
        return f"{config.get('host') or '?'}{port}/{config.get('database') or '?'}" + (
            f" {table}" if table else ""
        )
    if kind == "Databricks":
        return dotted("catalog", "schema", "table_name")
    return str(config.get("url") or f"https://{config.get('region') or 'us'}.i.posthog.com/batch/")


_EVERY = {"hour": "every hour", "day": "every day", "week": "every week"}
_WINDOW = (("start_at", "from"), ("end_at", "until"))


def _created_text(data: Any, args: CreateBatchExportArgs, ctx: Context) -> str:
    destination = data.get("destination") if isinstance(data.get("destination"), dict) else {}
    kind = str(destination.get("type") or args.destination.type)
    sent = args.destination.model_dump(exclude_none=True, by_alias=True, mode="json")
    shown = {k: v for k, v in sent.items() if k not in SECRET_FIELDS.get(kind, ())}
    answered = destination.get("config") or {}
    config = {**shown, **{k: v for k, v in answered.items() if v not in (None, "")}}
    interval = str(data.get("interval") or args.interval)
    lines = [
        named(data),
        f"To: {term(kind)} {quoted(_target(kind, config))}",
        f"Exports {term(data.get('model') or 'events')} {_EVERY.get(interval, term(interval))}; "
        + ("paused" if data.get("paused") else "active"),
    ]
    window = [f"{word} {term(data[key])}" for key, word in _WINDOW if data.get(key)]
    if window:
        lines.append("Runs " + " ".join(window))
    return "\n".join(lines)


def _explain(
    error: PostHogAPIError, args: CreateBatchExportArgs, ctx: Context
) -> str | PostHogAPIError:
    detail = mask_text(error.detail or "", _secrets(args))
    words = detail.lower()
    if error.status == 402 or "data pipelines" in words or "addon" in words:
        return (
            "Creating a batch export needs the Data Pipelines add-on, a paid PostHog add-on this "
            f"organization does not have ({error.status}: {detail.rstrip('.')}). Tell the user "
            "to add it in PostHog's billing settings; retrying will not help."
        )
    if error.status == 403 and "not enabled" in words:
        return (
            f"PostHog has not enabled this for the project (403): {detail.rstrip('.')}. Use "
            "interval hour, day or week and model events or persons."
        )
    # The default wording, of the same error with the credentials masked.
    return replace(error, detail=detail)


ACTIONS = [
    create_row(
        EXPORTS,
        "posthog_create_batch_export",
        "Schedule exports of events, persons or sessions to a warehouse, a bucket or another "
        "PostHog project. Needs the paid Data Pipelines add-on. Credentials are never shown back.",
        CreateBatchExportArgs,
        _created_text,
        plan=_create_plan,
        catalogue="CREATE_BATCH_EXPORT",
        user_text=("name", "destination.config", "hogql_query", "filters", *AUTHORS),
        explain=_explain,
        example={
            "name": "Events to S3",
            "interval": "hour",
            "model": "events",
            "destination": {
                "type": "S3",
                "bucket_name": "acme-posthog",
                "region": "eu-west-1",
                "prefix": "events/",
                "aws_access_key_id": "<access key id>",
                "aws_secret_access_key": "<secret access key>",
                "file_format": "Parquet",
                "compression": "zstd",
            },
        },
    ),
]
