"""Hugging Face Space readiness: README front matter, requirements.txt = pyproject pins, the /data workspace."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from cnnapp import settings, workspace

ROOT = Path(__file__).resolve().parent.parent
SPACE_COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$")


def normalise(name: str) -> str:
    """PEP 503 name normalisation (`huggingface_hub` == `huggingface-hub`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str], source: str) -> dict[str, str]:
    out = {}
    for line in lines:
        match = PIN.match(line.strip())
        assert match, f"{source}: '{line}' is not an exact pin (name==version)"
        name = normalise(match.group(1))
        assert name not in out, f"{source}: {name} listed twice"
        out[name] = match.group(2)
    return out


def requirements() -> dict[str, str]:
    lines = []
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            assert line.startswith("--extra-index-url "), f"requirements.txt: unexpected option '{line}'"
            continue
        lines.append(line)
    return pins(lines, "requirements.txt")


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "README.md must start with the Space's YAML front matter"
    block = text[4:].split("\n---\n", 1)[0]
    return yaml.safe_load(block)


def test_requirements_agree_with_pyproject():
    wanted = pins(project()["dependencies"], "pyproject.toml")
    have = requirements()
    assert have == wanted, (
        f"only in pyproject: {sorted(wanted.keys() - have.keys())}, "
        f"only in requirements.txt: {sorted(have.keys() - wanted.keys())}, "
        f"different pins: {sorted(k for k in wanted.keys() & have.keys() if wanted[k] != have[k])}"
    )
    dev = pins(project()["optional-dependencies"]["dev"], "pyproject.toml [dev]")
    assert not dev.keys() & have.keys(), "test-only packages do not belong on the Space"


def test_readme_front_matter_configures_a_gradio_space():
    meta = front_matter()
    for key in (
        "title",
        "emoji",
        "colorFrom",
        "colorTo",
        "sdk",
        "sdk_version",
        "app_file",
        "license",
        "short_description",
    ):
        assert meta.get(key), f"front matter lacks {key}"
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == requirements()["gradio"], "sdk_version must be the pinned gradio version"
    assert (ROOT / meta["app_file"]).is_file()
    assert meta["colorFrom"] in SPACE_COLORS and meta["colorTo"] in SPACE_COLORS
    assert len(meta["short_description"]) <= 60
    assert meta["license"] == project()["license"].lower()
    assert str(meta.get("python_version", "3.11")).startswith("3.11")
    readme = (ROOT / "README.md").read_text()
    assert "# cnnapp" in readme and "## Architectures" in readme  # the rest of the README is intact
    assert readme.index("### Deploy as a Hugging Face Space") < readme.index("## Architectures")


def test_workspace_uses_data_on_a_space_with_storage(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNAPP_HOME")
    monkeypatch.chdir(tmp_path)
    real_is_dir, real_access = Path.is_dir, os.access
    state = {"exists": True, "writable": True}

    def is_dir(self: Path) -> bool:
        return state["exists"] if str(self) == "/data" else real_is_dir(self)

    def access(path, mode, *args, **kwargs) -> bool:
        return state["writable"] if str(path) == "/data" else real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    monkeypatch.setattr(os, "access", access)
    assert workspace.home() == Path("/data/cnnapp")
    assert workspace.runs_dir() == Path("/data/cnnapp/runs") and workspace.datasets_dir() == Path(
        "/data/cnnapp/datasets"
    )

    state["writable"] = False  # storage not attached read-write: stay in the working folder
    assert workspace.home() == tmp_path.resolve()
    state.update(exists=False, writable=True)  # no persistent storage (CPU basic without storage)
    assert workspace.home() == tmp_path.resolve()

    state["exists"] = True
    monkeypatch.setenv("CNNAPP_HOME", str(tmp_path / "mine"))  # an explicit workspace always wins
    assert workspace.home() == (tmp_path / "mine").resolve()


@pytest.mark.parametrize("line", ["torch>=2", "gradio", "-e ."])
def test_pin_parser_rejects_loose_requirements(line):
    with pytest.raises(AssertionError):
        pins([line], "example")


def test_a_space_keeps_its_visitors_apart_unless_the_operator_says_no():
    assert not settings.Settings.from_env({}).session_runs, "a machine of one's own shares its runs"
    assert settings.Settings.from_env({"SPACE_ID": "someone/cnnapp"}).session_runs, "a Space is public by default"
    assert not settings.Settings.from_env({"SPACE_ID": "someone/cnnapp", "CNNAPP_SESSION_RUNS": "0"}).session_runs
    assert settings.Settings.from_env({"CNNAPP_SESSION_RUNS": "1"}).session_runs
