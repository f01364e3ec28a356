"""Settings: one parser per kind, one rule for bad values, every CNNAPP_* variable declared once."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from cnnapp import settings
from cnnapp.errors import SettingsError
from cnnapp.settings import Settings, parse_bool, parse_int, parse_size

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnapp"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1048576", 1048576),
        ("0", 0),
        ("20kb", 20 * 1024),
        ("64k", 64 * 1024),
        ("500mb", 500 * 1024**2),
        ("500MB", 500 * 1024**2),
        ("2gb", 2 * 1024**3),
        (" 2 GB ", 2 * 1024**3),
        ("1.5GiB", int(1.5 * 1024**3)),
        ("1t", 1024**4),
        ("12b", 12),
    ],
)
def test_sizes_are_read_as_gradio_reads_them(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "2 gigabytes", "-1gb", "1e9", "gb", "2pb"])
def test_a_size_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_ints_and_bools():
    assert parse_int("4") == 4 and parse_int(" 200_000 ") == 200_000 and parse_int("0") == 0
    with pytest.raises(ValueError):
        parse_int("0", minimum=1)
    for bad in ("two", "1.5", ""):
        with pytest.raises(ValueError):
            parse_int(bad)
    assert all(parse_bool(t) for t in ("1", "true", "Yes", "ON"))
    assert not any(parse_bool(t) for t in ("0", "false", "No", "off"))
    with pytest.raises(ValueError):
        parse_bool("maybe")


def test_values_and_defaults_from_the_environment():
    default = Settings.from_env({})
    assert (default.max_jobs, default.cache_memory, default.session_runs, default.home) == (1, 2 * 1024**3, False, None)
    assert default.max_upload == 2 * 1024**3 and default.zip_max_ratio == 200 and default.max_image_pixels == 64_000_000
    chosen = Settings.from_env(
        {"CNNAPP_MAX_JOBS": "3", "CNNAPP_CACHE_DISK": "500mb", "CNNAPP_SESSION_RUNS": "yes", "CNNAPP_HOME": "~/w"}
    )
    assert (chosen.max_jobs, chosen.cache_disk, chosen.session_runs) == (3, 500 * 1024**2, True)
    assert chosen.home == Path("~/w").expanduser()
    assert Settings.from_env({"CNNAPP_MAX_JOBS": " "}).max_jobs == 1, "an empty variable means the default"


@pytest.mark.parametrize(
    "env,value,form",
    [
        ("CNNAPP_MAX_JOBS", "two", "whole number of at least 1"),
        ("CNNAPP_MAX_JOBS", "0", "whole number of at least 1"),
        ("CNNAPP_WORKER_THREADS", "-2", "whole number"),
        ("CNNAPP_CACHE_MEMORY", "lots", "a size such as 2gb"),
        ("CNNAPP_ZIP_MAX_RATIO", "0", "positive number"),
        ("CNNAPP_SESSION_RUNS", "maybe", "1, true, yes or on"),
    ],
)
def test_a_bad_value_is_a_clear_error_naming_the_variable(monkeypatch, env, value, form):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as caught:
        settings.get()
    message = str(caught.value)
    assert message.startswith(f"{env}={value!r} is not valid") and form in message and "\n" not in message


def test_a_bad_value_stops_the_command_line_at_start_up(monkeypatch):
    monkeypatch.setenv("CNNAPP_MAX_JOBS", "two")
    from cnnapp.cli import main

    assert main(["runs"]) == 2


def test_settings_follow_the_environment(monkeypatch, workspace):
    assert settings.get().home == workspace and settings.get() is settings.get(), "read once while nothing changes"
    monkeypatch.setenv("CNNAPP_ZIP_MAX_FILES", "5")
    assert settings.get().zip_max_files == 5
    monkeypatch.delenv("CNNAPP_ZIP_MAX_FILES")
    assert settings.get().zip_max_files == 200_000
    assert settings.as_env(home=workspace, threads=3) == {"CNNAPP_HOME": str(workspace), "CNNAPP_THREADS": "3"}


def _sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name != "settings.py"]


def test_every_cnnapp_variable_is_a_settings_field():
    declared = set(settings.ENV_NAMES.values())
    assert len(declared) == len(fields(Settings))
    for path in _sources():
        text = path.read_text()
        unknown = set(re.findall(r"CNNAPP_[A-Z_]*[A-Z]", text)) - declared
        assert not unknown, f"{path.relative_to(ROOT)} names {unknown}: declare them in cnnapp/settings.py"
        keys = [
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"CNNAPP_\w+", node.value)
        ]
        assert not keys, f"{path.relative_to(ROOT)} reads {keys} itself: use cnnapp.settings.get()"
        assert not re.search(r"(environ|getenv)\W+\w*\W*CNNAPP", text), f"{path.relative_to(ROOT)} reads the env"


def test_the_readme_lists_every_setting():
    assert settings.table() in (ROOT / "README.md").read_text()


def test_one_offline_environment_for_tests_bench_and_ci():
    assert settings.OFFLINE_ENV == {
        "GRADIO_ANALYTICS_ENABLED": "False",
        "NO_ALBUMENTATIONS_UPDATE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    sourced = subprocess.run(
        ["bash", "-c", "set -a; . cnnapp/offline.env; set +a; env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert {f"{k}={v}" for k, v in settings.OFFLINE_ENV.items()} <= set(sourced)
    assert ". cnnapp/offline.env" in (ROOT / ".ci" / "test").read_text()


def test_reading_settings_imports_neither_torch_nor_gradio():
    code = "import sys; from cnnapp import settings; settings.get(); "
    code += "print(sorted({'torch', 'gradio'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
