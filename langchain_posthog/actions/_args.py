"""The base of every tool's arguments, and the argument types the areas share.

``ArgsModel`` refuses unknown fields, decodes the JSON strings models send for objects and lists,
and gives the JSON schema a model reads (compact, or OpenAI's strict form). Nothing here depends
on LangChain.
"""

import copy
import re
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import (
    DEFAULT_REF_TEMPLATE,
    GenerateJsonSchema,
    JsonSchemaMode,
    model_json_schema,
)

from langchain_posthog.schema import CompactJsonSchema, StrictJsonSchema, from_json_text

PROJECT_ID_DESCRIPTION = (
    "Project id from posthog_list_projects; '@current' is the key's current project."
)


def _id_as_text(value: Any) -> Any:
    # posthog_list_projects shows "(id 2)", so models often send the number itself.
    return str(value) if type(value) is int else value


# The validator after the Field, so that the JSON schema keeps the pattern.
ProjectId = Annotated[
    str,
    Field(pattern=r"^(\d{1,20}|@current)$", description=PROJECT_ID_DESCRIPTION),
    BeforeValidator(_id_as_text),
]


class ArgsModel(BaseModel):
    """Base of every tool's arguments: unknown fields are refused, JSON strings are decoded.

    Models often send an object or a list as a JSON string; where a field wants structure, a
    string that parses is accepted as what it encodes. A ``null`` for a field that has a default
    means "not given" (OpenAI's strict mode makes a model send one for every optional field).

    ``model_json_schema()`` is what a model reads: compact by default, or OpenAI's strict form
    for a class with ``strict_schema`` set (see ``langchain_posthog.schema``). Any other
    ``schema_generator`` passed explicitly is used as given.
    """

    # Validators are built on first use, not at import: the package defines ~60 models and a
    # toolkit seldom uses them all (benchmarks/import_time.py).
    model_config = ConfigDict(extra="forbid", defer_build=True)
    strict_schema: ClassVar[bool] = False
    # Two fields of which exactly one is given (``one_of``), or not both (``not_both``), and what
    # to tell a model that gave another number; checked before the model's own validators.
    one_of: ClassVar[tuple[str, str, str] | None] = None
    not_both: ClassVar[tuple[str, str, str] | None] = None
    # An update's fields in words, for "nothing to change: give ..." when none is given (every
    # field but ``id`` is a change).
    changes: ClassVar[str | None] = None
    # The catalogue this toolkit replaces names some parameters differently: {its name: ours}.
    # Accepted as ours and never advertised, so the schema a model reads does not grow.
    renamed: ClassVar[Mapping[str, str]] = {}
    # Catalogue parameters PostHog cannot honour here: {name: (the value that changes nothing,
    # why any other cannot work and what to do instead)}. The harmless value is dropped.
    unhonoured: ClassVar[Mapping[str, tuple[Any, str]]] = {}
    # Catalogue parameters PostHog derives itself (read-only in its API): accepted and dropped.
    derived: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool | None = None,
        ref_template: str = DEFAULT_REF_TEMPLATE,
        schema_generator: type[GenerateJsonSchema] | None = None,
        mode: JsonSchemaMode = "validation",
        *,
        union_format: Literal["any_of", "primitive_type_array"] = "any_of",
    ) -> dict[str, Any]:
        """The JSON schema a model receives for these arguments (see the class docstring)."""
        if schema_generator is None and (by_alias, ref_template, mode, union_format) == (
            None,
            DEFAULT_REF_TEMPLATE,
            "validation",
            "any_of",
        ):
            # Asked for on every bind_tools; callers may change what they get.
            return copy.deepcopy(_model_schema(cls))
        generator = schema_generator or (
            StrictJsonSchema if cls.strict_schema else CompactJsonSchema
        )
        return super().model_json_schema(
            by_alias, ref_template, generator, mode, union_format=union_format
        )

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        for rule, allowed in ((self.one_of, (1,)), (self.not_both, (0, 1))):
            if rule is not None:
                first, second, message = rule
                if _count_given(self, first, second) not in allowed:
                    raise ValueError(message)
        if self.changes is not None and not self.model_dump(exclude_none=True, exclude={"id"}):
            raise ValueError(f"nothing to change: give {self.changes}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _decode_json_strings(cls, data: Any) -> Any:
        if isinstance(data, str) and data.strip().startswith("{"):
            data = from_json_text(data)
        if not isinstance(data, dict):
            return data
        decoded = cls.from_catalogue(dict(data))
        for name, alias in _fields(cls, _has_default):
            for key in (name, alias):
                if key in decoded and decoded[key] is None:
                    del decoded[key]
        for name, alias in _fields(cls, _takes_structure):
            key = name if name in decoded else alias
            if key and key in decoded:
                decoded[key] = from_json_text(decoded[key])
        for name, alias in _fields(cls, _takes_number):
            # pydantic reads true as 1: an id of true would change object 1.
            value = decoded.get(name, decoded.get(alias) if alias else None)
            items = value if isinstance(value, list) else [value]
            items = list(value.values()) if isinstance(value, dict) else items
            flag = next((item for item in items if isinstance(item, bool)), None)
            if flag is not None:
                raise ValueError(
                    f"{name}: {str(flag).lower()} is not a number; give the number itself"
                )
        return decoded

    @classmethod
    def from_catalogue(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Read a call written against the catalogue (its names and shapes) as this model's own.

        Renames what ``renamed`` lists (unless our name is also given), drops an ``unhonoured``
        parameter at its harmless value and refuses it with its reason otherwise. A model with
        native PostHog shapes to translate extends this.
        """
        for theirs, ours in cls.renamed.items():
            if theirs in data and ours not in data and theirs not in cls.model_fields:
                data[ours] = data.pop(theirs)
        for name in cls.derived:
            if name not in cls.model_fields:
                data.pop(name, None)
        for name, (harmless, why) in cls.unhonoured.items():
            if name in data and name not in cls.model_fields:
                value = data.pop(name)
                if value is not None and value != harmless:
                    raise ValueError(f"{name}: {why}")
        return data


def _count_given(model: BaseModel, *names: str) -> int:
    return sum(getattr(model, name) is not None for name in names)


@cache
def _model_schema(model: type[ArgsModel]) -> dict[str, Any]:
    generator = StrictJsonSchema if model.strict_schema else CompactJsonSchema
    return model_json_schema(model, schema_generator=generator)


@cache
def _fields(
    model: type[BaseModel], wanted: Callable[[FieldInfo], bool]
) -> tuple[tuple[str, str | None], ...]:
    """Return (name, alias) of each of ``model``'s fields that is ``wanted``, once per model."""
    return tuple((name, info.alias) for name, info in model.model_fields.items() if wanted(info))


def _has_default(info: FieldInfo) -> bool:
    """A default that is not ``None``: a ``null`` given for it means "not given"."""
    return not info.is_required() and (
        info.default_factory is not None or info.get_default() is not None
    )


def _takes_structure(info: FieldInfo) -> bool:
    return _wants_structure(info.annotation)


def _takes_number(info: FieldInfo) -> bool:
    """Numbers, in lists or maps too, and never a bool: pydantic reads true as 1."""
    return _wants_number(info.annotation)


def _wants_number(annotation: Any) -> bool:
    members = _members(annotation)
    if bool in members:
        return False
    return any(
        m in (int, float)
        or (typing.get_origin(m) is list and _wants_number(typing.get_args(m)[0]))
        or (typing.get_origin(m) is dict and _wants_number(typing.get_args(m)[1]))
        for m in members
    )


def _wants_structure(annotation: Any) -> bool:
    """True when a field takes objects or lists and never a plain string."""
    members = _members(annotation)
    if str in members or any(typing.get_origin(m) is Literal for m in members):
        return False
    return any(
        typing.get_origin(m) in (list, dict, tuple)
        or m in (list, dict)
        or (isinstance(m, type) and issubclass(m, BaseModel))
        for m in members
    )


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


# An id that goes into a URL path: nothing that could add a segment, a query or a fragment.
PathId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")]
# A UUID's text, checked in validators rather than as a schema pattern (40 tokens a call).
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
Limit = Annotated[int, Field(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Field(ge=0, description="Items to skip, for the next page.")]


def text_max(limit: int) -> Any:
    """Check a text's length without a ``maxLength`` in the schema a model reads."""

    def check(value: str | None) -> str | None:
        if value is not None and not 0 < len(value) <= limit:
            raise ValueError(f"must be 1 to {limit} characters")
        if value is not None and not value.strip():
            raise ValueError("must hold more than spaces")
        return value

    return AfterValidator(check)


_KEY_CHARS = re.compile(r"^[a-zA-Z0-9_-]+$")


def key_chars() -> Any:
    """Check a flag or variant key's characters without a ``pattern`` in the schema."""

    def check(value: str) -> str:
        if not value:
            raise ValueError("is empty: give the key, e.g. new-onboarding")
        if not _KEY_CHARS.match(value):
            raise ValueError("use only letters, digits, _ and -")
        return value

    return AfterValidator(check)


def positive(least: int) -> Any:
    """Check a lower bound without a ``minimum`` in the schema a model reads."""

    def check(value: int | None) -> int | None:
        if value is not None and value < least:
            raise ValueError(f"must be at least {least}")
        return value

    return AfterValidator(check)
