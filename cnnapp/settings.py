"""cnnapp's settings: every `CNNAPP_*` environment variable, parsed and checked in one place.

`get()` returns the current `Settings`, read once and read again only when one of the variables
changes (tests and operators may switch them while a process runs). A bad value raises SettingsError
naming the variable and the form it expects; the app (`app.py`) and the command line call `get()` at
start-up, so a typo stops them at once instead of falling back to a default. An unset or empty
variable means the default. Adding a setting is one `_setting(...)` field in `Settings`; `python -m
cnnapp.settings` prints the README's table of them.

`OFFLINE_ENV` is the environment that keeps gradio, albumentations and huggingface_hub off the network
(tests, benchmarks, CI); it lives in `offline.env`, which CI's shell script sources too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cnnapp.errors import SettingsError
from cnnapp.messages import msg

UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}  # binary, as gradio reads "2gb"
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(?:([kmgt]?)(?:i?b)?)?")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_int(text: str, minimum: int = 0) -> int:
    """A whole number of at least `minimum` ('4', '200_000'). Raises ValueError."""
    value = int(text.strip())
    if value < minimum:
        raise ValueError(f"{value} is below {minimum}")
    return value


def parse_float(text: str) -> float:
    """A positive number ('200', '2.5'). Raises ValueError."""
    value = float(text.strip())
    if not 0 < value < float("inf"):
        raise ValueError(f"{value} is not a positive number")
    return value


def parse_size(text: str) -> int:
    """Bytes from '1048576', '500mb', '2gb', '1.5GiB', '64k' (units are powers of 1024). Raises ValueError."""
    match = _SIZE.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a size")
    return int(float(match[1]) * UNITS[match[2] or ""])


def parse_bool(text: str) -> bool:
    """True for 1/true/yes/on, False for 0/false/no/off (any case). Raises ValueError."""
    word = text.strip().lower()
    if word not in TRUE + FALSE:
        raise ValueError(f"{text!r} is not a yes/no value")
    return word in TRUE


@dataclass(frozen=True)
class Kind:
    """How a variable's text becomes a value, and the form named when it cannot."""

    parse: Callable[[str], Any]
    form: str


PATH = Kind(lambda text: Path(text).expanduser(), "a folder path")
COUNT = Kind(lambda text: parse_int(text, 1), "a whole number of at least 1, e.g. 2")
THREADS = Kind(parse_int, "a whole number, 0 for automatic, e.g. 4")
SIZE = Kind(parse_size, "a size such as 2gb, 500mb, 1.5GiB or a number of bytes")
WHOLE = Kind(parse_int, "a whole number, e.g. 2")
RATIO = Kind(parse_float, "a positive number, e.g. 200")
MINUTES = Kind(lambda text: parse_float(text) if float(text) else 0.0, "a number of minutes, 0 for no limit, e.g. 60")
FLAG = Kind(parse_bool, "1, true, yes or on (or 0, false, no, off)")


SPACE_VARIABLE = "SPACE_ID"  # set by Hugging Face on every Space ("owner/name")


def _setting(env: str, kind: Kind, default: str | None, doc: str) -> Any:
    """A `Settings` field read from `env`; `default` is written as a user would write it (None: automatic)."""
    meta = {"env": env, "kind": kind, "default": default, "doc": doc}
    return field(default=None if default is None else kind.parse(default), metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Every environment variable cnnapp reads (see each field's `doc`; `python -m cnnapp.settings` lists them)."""

    home: Path | None = _setting(
        "CNNAPP_HOME",
        PATH,
        None,
        "Workspace folder (runs, datasets, caches); unset: /data/cnnapp on a Space "
        "with persistent storage, else the current folder",
    )
    threads: int = _setting(
        "CNNAPP_THREADS", THREADS, "0", "Torch threads of this process; 0: the cores shared by this machine's ranks"
    )
    worker_threads: int = _setting(
        "CNNAPP_WORKER_THREADS", THREADS, "0", "Torch threads of each training the app starts; 0: all cores but one"
    )
    inference_threads: int = _setting(
        "CNNAPP_INFERENCE_THREADS",
        THREADS,
        "0",
        "Torch threads of the app's predictions; 0: the cores its running trainings leave, at least 1",
    )
    max_jobs: int = _setting("CNNAPP_MAX_JOBS", COUNT, "1", "Trainings the app runs at once (more wait in a queue)")
    warm_trainer: bool = _setting(
        "CNNAPP_WARM_TRAINER",
        FLAG,
        "1",
        "Keep the next training's process started, with its libraries loaded, so that a training begins at once",
    )
    cache_memory: int = _setting(
        "CNNAPP_CACHE_MEMORY", SIZE, "2gb", "Largest decoded-image cache kept in memory (0: never in memory)"
    )
    cache_disk: int = _setting(
        "CNNAPP_CACHE_DISK",
        SIZE,
        "16gb",
        "Largest decoded-image cache kept on disk; beyond it images are decoded for every batch",
    )
    model_cache: int = _setting(
        "CNNAPP_MODEL_CACHE", COUNT, "4", "Models kept loaded for predictions (the least recently used is dropped)"
    )
    model_cache_memory: int = _setting(
        "CNNAPP_MODEL_CACHE_MEMORY",
        SIZE,
        "1gb",
        "Most memory the loaded models take together (the newest is kept whatever its size)",
    )
    max_image_pixels: int = _setting(
        "CNNAPP_MAX_IMAGE_PIXELS", COUNT, "64000000", "Largest width × height of an image (decompression bombs)"
    )
    zip_max_bytes: int = _setting("CNNAPP_ZIP_MAX_BYTES", SIZE, "4gb", "Largest size an uploaded .zip may expand to")
    zip_max_files: int = _setting("CNNAPP_ZIP_MAX_FILES", COUNT, "200000", "Most files an uploaded .zip may hold")
    zip_max_ratio: float = _setting(
        "CNNAPP_ZIP_MAX_RATIO", RATIO, "200", "Largest expanded / compressed size ratio of a .zip (zip bombs)"
    )
    session_runs: bool = _setting(
        "CNNAPP_SESSION_RUNS",
        FLAG,
        None,
        "Each visitor sees and uses only the runs they started (public servers); unset: on when the app runs on a "
        f"Hugging Face Space (`{SPACE_VARIABLE}` is set), else off; 0 turns it off on a Space",
    )
    max_upload: int = _setting("CNNAPP_MAX_UPLOAD", SIZE, "2gb", "Largest file the app accepts as an upload")
    builder_max_per_class: int = _setting(
        "CNNAPP_BUILDER_MAX_PER_CLASS", COUNT, "300", "Limit: pictures one class of a dataset made in the app may hold"
    )
    builder_max_pictures: int = _setting(
        "CNNAPP_BUILDER_MAX_PICTURES", COUNT, "1500", "Limit: pictures a dataset made in the app may hold in all"
    )
    # the limits a visitor's request is checked against (cnnapp.limits; README, "Limits")
    max_epochs: int = _setting("CNNAPP_MAX_EPOCHS", COUNT, "200", "Limit: `epochs`, and `unfreeze_epochs`, of one run")
    max_workers: int | None = _setting(
        "CNNAPP_MAX_WORKERS", WHOLE, None, "Limit: DataLoader worker processes of one run (`workers`); unset: the cores"
    )
    max_img_size: int = _setting("CNNAPP_MAX_IMG_SIZE", COUNT, "512", "Limit: input size in pixels (`img_size`)")
    max_batch_size: int = _setting("CNNAPP_MAX_BATCH_SIZE", COUNT, "1024", "Limit: `batch_size`")
    max_train_memory: int | None = _setting(
        "CNNAPP_MAX_TRAIN_MEMORY",
        SIZE,
        None,
        "Limit: one training's estimated activation memory (each layer's output and its gradient at `img_size`, "
        "times `batch_size`; a frozen backbone counts two layers' outputs); unset: 60% of the machine's "
        "(or container's) memory",
    )
    max_dataset_files: int = _setting("CNNAPP_MAX_DATASET_FILES", COUNT, "100000", "Limit: images in a dataset")
    max_dataset_bytes: int = _setting(
        "CNNAPP_MAX_DATASET_BYTES",
        SIZE,
        "16gb",  # 5,000 phone photos of 12 MP (~2.5 MB each): decoded at the training's size, their bytes cost reading
        "Limit: bytes of a dataset's images (an upload meets the zip limit and the disk budget first)",
    )
    max_classes: int = _setting("CNNAPP_MAX_CLASSES", COUNT, "1000", "Limit: classes in a dataset")
    max_config_bytes: int = _setting(
        "CNNAPP_MAX_CONFIG_BYTES",
        SIZE,
        "64kb",
        "Limit: size of a JSON config (API `config`, `--config`); nesting deeper than 8 levels is refused too",
    )
    max_run_minutes: float = _setting(
        "CNNAPP_MAX_RUN_MINUTES",
        MINUTES,
        "60",
        "Limit: wall-clock minutes of one training process, also one the app adopted after a restart; then it "
        "stops as after Stop (`cancelled` with the reason, a checkpoint saved, resumable); 0: no limit",
    )
    max_runs_per_request: int = _setting(
        "CNNAPP_MAX_RUNS_PER_REQUEST",
        COUNT,
        "8",
        "Limit: runs one request creates (a Start or Resume 1, a Compare grid 4, the optimizer race 7)",
    )
    max_queued_per_session: int = _setting(
        "CNNAPP_MAX_QUEUED_PER_SESSION",
        COUNT,
        "2",
        "Limit: requests one session may have waiting for a slot (a Start, a Resume, a grid or a race each count "
        "once: one grid and one race fit)",
    )
    max_queued_total: int = _setting(
        "CNNAPP_MAX_QUEUED_TOTAL",
        COUNT,
        "6",
        "Limit: requests waiting for a slot on the whole server, all sessions together (many API sessions "
        "cannot queue more)",
    )
    min_free_disk: int = _setting("CNNAPP_MIN_FREE_DISK", SIZE, "500mb", "Limit: free disk space needed to queue a run")
    disk_budget: int = _setting(
        "CNNAPP_DISK_BUDGET",
        SIZE,
        "20gb",
        "Limit: disk the inputs take together (uploads kept for trainings, extracted archives, uploaded folders, "
        "datasets made in the app); extracted archives unused for an hour are evicted first, oldest use first",
    )
    session_disk_budget: int = _setting(
        "CNNAPP_SESSION_DISK_BUDGET",
        SIZE,
        "4gb",
        "Limit: disk one visitor's uploads, extracted archives and made datasets may take",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default `os.environ`). Raises SettingsError for the first bad value."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            env, kind = f.metadata["env"], f.metadata["kind"]
            text = environ.get(env, "").strip()
            if not text:
                continue
            try:
                values[f.name] = kind.parse(text)
            except ValueError:
                raise SettingsError(msg("settings.invalid", variable=env, value=repr(text), form=kind.form)) from None
        if "session_runs" not in values:  # a Space is public: its visitors are kept apart unless the operator says no
            values["session_runs"] = bool(environ.get(SPACE_VARIABLE, "").strip())
        return cls(**values)


ENV_NAMES = {f.name: f.metadata["env"] for f in fields(Settings)}
_current: tuple[tuple[str | None, ...], Settings] | None = None


def get() -> Settings:
    """The settings from the environment now (cached until one of the variables changes). Raises SettingsError."""
    global _current
    key = tuple(os.environ.get(env) for env in ENV_NAMES.values())
    if _current is None or _current[0] != key:
        _current = (key, Settings.from_env())
    return _current[1]


def as_env(**values: Any) -> dict[str, str]:
    """Environment variables that give a child process these settings, e.g. `as_env(threads=3)`."""
    return {ENV_NAMES[name]: str(value) for name, value in values.items()}


def table() -> str:
    """The settings as a Markdown table (variable, default, meaning), as in the README."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = f.metadata["default"]
        rows.append(f"| `{f.metadata['env']}` | {'automatic' if default is None else default} | {f.metadata['doc']} |")
    return "\n".join(rows)


def _read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and line[0] != "#")
    return {key.strip(): value.strip() for key, value in pairs}


OFFLINE_ENV = _read_env_file(Path(__file__).with_name("offline.env"))


def use_offline_env() -> None:
    """Set `OFFLINE_ENV` in this process, keeping any value already set (call before importing gradio)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


if __name__ == "__main__":
    print(table())
