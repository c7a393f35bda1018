"""Calls: the path a call goes to is built only from ids that cannot change its shape."""

from __future__ import annotations

import pytest

from langchain_posthog.api.calls import api_path
from langchain_posthog.api.errors import (
    PostHogConfigError,
)


@pytest.mark.parametrize("bad", ["../1", "1/2", "1?x=1", "1#f", "a b", "%2F", "..", "."])
def test_api_path_refuses_ids_that_change_the_path(bad: str) -> None:
    with pytest.raises(PostHogConfigError, match="not a valid id"):
        api_path("/api/projects/{project_id}/feature_flags/{id}/", project_id=2, id=bad)
