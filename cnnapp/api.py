"""The HTTP API's logic as plain functions: start a training, read its status, predict, list runs.

They take and return plain values and raise `CnnappError` subclasses with a message for the caller;
`cnnapp.ui.endpoints` wires them to the named endpoints `/start_training`, `/run_status`,
`/predict` and `/list_runs`. `session` is the caller's (see `cnnapp.sessions`): with
`CNNAPP_SESSION_RUNS=1` a caller sees and uses only the runs it started.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from cnnapp import sessions
from cnnapp.errors import ConfigError, DataError
from cnnapp.ingest import ingest, resolve_source
from cnnapp.worker import JobManager

SERVER_PATH_OPTIONS = ("data", "weights")
CONFIG_EXAMPLE = '{"arch": "lenet5", "epochs": 2}'


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready row objects (NaN → None)."""
    return json.loads(frame.to_json(orient="records"))


def parse_config(text: str | None) -> dict[str, Any]:
    """A JSON object of training options (the CLI's names). Raises ConfigError."""
    try:
        values = json.loads(text) if text and text.strip() else {}
    except ValueError as exc:
        raise ConfigError(f"config is not valid JSON ({exc}); send an object such as {CONFIG_EXAMPLE}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"config must be a JSON object of training options, such as {CONFIG_EXAMPLE}")
    for key in values:
        if key.replace("-", "_") in SERVER_PATH_OPTIONS:
            raise ConfigError(
                f"'{key}' names a file on the server and cannot be set through the API; upload the dataset as a .zip"
            )
    return values


def start_training(jobs: JobManager, dataset: str | Path | None, config: str | None, session: str | None = None) -> str:
    """Check an uploaded `.zip` dataset and a JSON config, queue the training for `session` and return its run id."""
    sessions.require(session)
    values = parse_config(config)
    if not dataset:
        raise DataError("no dataset: upload a .zip of <class>/<image> folders")
    if Path(dataset).suffix.lower() != ".zip":
        raise DataError(
            f"'{Path(dataset).name}' is not a .zip archive; upload the dataset as a .zip of <class>/<image> folders"
        )
    folder, _ = resolve_source(dataset, jobs.root)
    return jobs.submit({**values, "data": ingest(folder).root}, session, dataset_name=Path(dataset).name).id


def run_status(run_id: str, root: Path | None = None, session: str | None = None) -> dict[str, Any]:
    """State, progress, message and metrics so far of one run. Raises RunError for an unknown id."""
    run = sessions.get_run(run_id, root, session)
    status = run.summary()
    event = run.last_event() if status["state"] == "running" else None
    progress = {k: event.get(k) for k in ("stage", "batch", "batches", "eta_s")} if event else {}
    report = run.report() or {}
    return {
        **status,
        "epochs": status["epochs"] or run.status().get("epochs"),
        **progress,
        "val_accuracy": report.get("val_accuracy"),
        "metrics": records(run.metrics()),
    }


def predict(
    image: Any, model: str | None, top_k: int | float = 5, root: Path | None = None, session: str | None = None
) -> dict[str, float]:
    """Top-k label → probability for one image (a path, PIL image or array) with a run id or `imagenet:<arch>`."""
    if image is None:
        raise DataError("no image given: upload a picture to classify")
    if not model or not str(model).strip():
        raise ConfigError("no model given: pass a run id or imagenet:<arch>, e.g. imagenet:tf_efficientnet_lite0")
    try:
        k = int(top_k)
    except (TypeError, ValueError):
        raise ConfigError(f"top_k must be a whole number, got {top_k!r}") from None
    if k < 1:
        raise ConfigError(f"top_k must be at least 1, got {k}")
    (top,) = sessions.load_predictor(str(model), root, session).predict([image], top_k=k)
    return dict(top)


def list_runs(root: Path | None = None, session: str | None = None) -> list[dict[str, Any]]:
    """The runs table (`session`'s runs) as one object per run, newest first."""
    return records(sessions.list_runs(root, session))
