"""What a release ships: the license, the changelog, and one version, written in one place.

The built wheel and sdist themselves are checked by .ci/run and tests/smoke_wheel.py.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import langchain_posthog
from langchain_posthog.api import wire
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
# Keep a Changelog's kinds of change.
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")


def test_the_license_file_is_the_mit_license_the_metadata_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_the_sdist_carries_the_license_and_the_changelog() -> None:
    include = PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    for name in ("LICENSE", "CHANGELOG.md", "README.md", "langchain_posthog"):
        assert name in include
    assert PROJECT["urls"]["Changelog"].endswith("/CHANGELOG.md")


def test_the_version_is_written_only_in_pyproject() -> None:
    # The package reads it from its installed metadata (an editable install made from this
    # checkout carries pyproject's version), and sends it in its User-Agent.
    assert version("langchain-posthog") == PROJECT["version"]
    assert wire.USER_AGENT.split("/") == ["langchain-posthog", PROJECT["version"]]
    # about.py's "0.0.0" stands for a checkout that was never installed: no version at all.
    literal = re.compile(r"""["'](\d+\.\d+\.\d+)["']""")
    written = [
        f"{path.name}: {found}"
        for path in (ROOT / "langchain_posthog").rglob("*.py")
        for found in literal.findall(path.read_text())
        if found != "0.0.0"
    ]
    assert written == [], f"a version literal outside pyproject.toml: {written}"
    assert not hasattr(langchain_posthog, "__version__") or (
        langchain_posthog.__version__ == PROJECT["version"]
    )


def _sections() -> list[tuple[str, str]]:
    """The changelog's ``## `` sections: (heading, body)."""
    parts = re.split(r"^## (.+)$", CHANGELOG, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_the_changelog_keeps_a_changelog_shape() -> None:
    assert CHANGELOG.startswith("# Changelog\n")
    sections = _sections()
    assert sections[0][0] == "[Unreleased]"
    released = []
    for heading, _ in sections[1:]:
        match = re.fullmatch(r"\[(\d+)\.(\d+)\.(\d+)\] - \d{4}-\d{2}-\d{2}", heading)
        assert match, f"not a release heading: {heading!r}"
        released.append(tuple(int(n) for n in match.groups()))
    assert released == sorted(released, reverse=True), "newest release first"
    assert (0, 1, 0) in released
    for heading, body in sections:
        kinds = re.findall(r"^### (.+)$", body, flags=re.M)
        assert set(kinds) <= set(KINDS), f"{heading}: {kinds}"
        assert len(kinds) == len(set(kinds)), f"{heading}: a kind of change twice"


def test_the_version_bump_follows_from_the_unreleased_changes() -> None:
    # While the major version is 0, a release with a breaking change raises the minor version;
    # otherwise the patch. pyproject already names the version the Unreleased section becomes.
    unreleased = _sections()[0][1]
    newest = tuple(int(n) for n in re.findall(r"^## \[(\d+)\.(\d+)\.(\d+)\]", CHANGELOG, re.M)[0])
    major, minor, patch = newest
    assert major == 0
    breaking = "**Breaking" in unreleased
    expected = f"0.{minor + 1}.0" if breaking else f"0.{minor}.{patch + 1}"
    assert PROJECT["version"] == expected
    assert f"released as {expected}" in unreleased
