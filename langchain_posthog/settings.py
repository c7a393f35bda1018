"""The toolkit's settings: the environment fall-back, and the checks made before any request.

Every check raises :class:`PostHogConfigError` with a message that says what to change and never
quotes a key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import SecretStr, ValidationError

from langchain_posthog.api.errors import PostHogConfigError

# Settings that fall back to an environment variable when left as None.
ENVIRONMENT = {
    "personal_api_key": "POSTHOG_PERSONAL_API_KEY",
    "project_api_key": "POSTHOG_PROJECT_API_KEY",
    "host": "POSTHOG_HOST",
    "ingest_host": "POSTHOG_INGEST_HOST",
    "project_id": "POSTHOG_PROJECT_ID",
}
_SECRETS = frozenset({"personal_api_key", "project_api_key"})


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """``" Did you mean 'x'?"`` for the known name closest to ``name``, or ``""``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_names(settings: Iterable[str], known: Sequence[str]) -> None:
    """Refuse a setting the toolkit does not have, naming the closest one it does."""
    for name in settings:
        if name not in known:
            raise PostHogConfigError(
                f"PostHogToolkit has no setting {name!r}.{did_you_mean(name, known)} "
                f"Settings: {', '.join(known)}."
            )


def setting(value: Any, name: str) -> Any:
    """An explicit setting, else its environment variable; either refused when blank.

    An explicit value always wins, so a blank one is an error rather than a silent fall back
    to the environment; a variable that is set but blank is refused in the same way.
    """
    variable = ENVIRONMENT[name]
    if value is None:
        raw = os.environ.get(variable)
        if raw is None:
            return None
        if not raw.strip():
            raise PostHogConfigError(
                f"{variable} is set but blank: give it a value, or unset it{_unset(name)}."
            )
        return SecretStr(raw.strip()) if name in _SECRETS else raw.strip()
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    if not text.strip():
        raise PostHogConfigError(
            f"{name} is blank: give it a value, or leave it out to use {variable}."
        )
    if isinstance(value, SecretStr):
        return SecretStr(text.strip())
    return value.strip() if isinstance(value, str) else value


def _unset(name: str) -> str:
    return {"host": " (the default is 'us')", "project_id": " to let the model choose"}.get(
        name, ""
    )


def secret(value: SecretStr | None) -> str | None:
    """The key's text, or ``None`` when there is none."""
    text = value.get_secret_value() if value is not None else ""
    return text or None


def check_keys(personal: str | None, project: str | None) -> None:
    """Refuse a project key given as the personal key, or the other way round."""
    if personal and personal.startswith("phc_"):
        raise PostHogConfigError(
            "personal_api_key holds a project API key (phc_...). The personal key (phx_..., from "
            "Settings -> Personal API keys) goes in personal_api_key or POSTHOG_PERSONAL_API_KEY; "
            "the project key (phc_...) goes in project_api_key or POSTHOG_PROJECT_API_KEY."
        )
    if project and project.startswith("phx_"):
        raise PostHogConfigError(
            "project_api_key holds a personal API key (phx_...). The project key (phc_..., from "
            "Project settings) goes in project_api_key or POSTHOG_PROJECT_API_KEY; the personal "
            "key (phx_...) goes in personal_api_key or POSTHOG_PERSONAL_API_KEY."
        )


PROJECT_ID_WANTED = "project_id must be a numeric project id or '@current'"


def invalid_settings(error: ValidationError) -> str:
    """One line per wrong setting, in pydantic's words; never the value (it may be a key)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        name = str(problem["loc"][0]) if problem["loc"] else "settings"
        # project_id is a string or an int to pydantic: one error for each, where one will do.
        text = PROJECT_ID_WANTED if name == "project_id" else f"{name}: {problem['msg']}"
        lines.append(f"- {text}")
    return "Invalid PostHogToolkit settings:\n" + "\n".join(dict.fromkeys(lines))
