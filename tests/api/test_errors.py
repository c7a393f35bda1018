"""Errors carry their fields unchanged from where they are raised to the words a model reads."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from langchain_posthog.api.errors import PostHogAPIError, PostHogTransportError

API_ERROR = PostHogAPIError(
    502, method="POST", path="/api/projects/2/batch_exports/", detail="boom", safe_to_retry=False
)
TRANSPORT_ERROR = PostHogTransportError(
    "timeout", "POST", "/api/projects/2/feature_flags/", attempts=2, safe_to_retry=False
)


@pytest.mark.parametrize("error", [API_ERROR, TRANSPORT_ERROR], ids=["api", "transport"])
def test_fields_are_set_once_and_a_reworded_copy_keeps_the_others(
    error: PostHogAPIError | PostHogTransportError,
) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.safe_to_retry = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        del error.path
    reworded = dataclasses.replace(error, path="/elsewhere/")
    assert reworded.safe_to_retry is False
    assert "/elsewhere/" in str(reworded) and "/elsewhere/" not in str(error)


@pytest.mark.parametrize("error", [API_ERROR, TRANSPORT_ERROR], ids=["api", "transport"])
def test_errors_pickle_copy_and_raise_with_every_field(
    error: PostHogAPIError | PostHogTransportError,
) -> None:
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(again) is type(error) and str(again) == str(error)
        assert dataclasses.asdict(again) == dataclasses.asdict(error)
    with pytest.raises(type(error)) as caught:
        raise error from None
    assert caught.value.__traceback__ is not None


def test_a_transport_failure_is_one_line_saying_whether_to_try_again() -> None:
    timeout = PostHogTransportError(
        "timeout", "GET", "/api/projects/2/feature_flags/", attempts=2, safe_to_retry=True
    )
    assert "\n" not in str(timeout)
    assert str(timeout).startswith("GET /api/projects/2/feature_flags/ timed out after 2 attempts")
    assert "safe to try again" in str(timeout)
    assert "check before trying again" in str(TRANSPORT_ERROR)
