"""The HTTP API's logic as plain functions: start a training, read its status, predict, list runs.

They take and return plain values and raise `CnnappError` subclasses with a message for the caller;
`cnnapp.ui.endpoints` wires them to the named endpoints `/start_training`, `/run_status`,
`/predict` and `/list_runs`. `session` is the caller's (see `cnnapp.jobs.sessions`): with
`CNNAPP_SESSION_RUNS=1` a caller sees and uses only the runs it started.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from cnnapp.data.archive import check_zip
from cnnapp.errors import CnnappError, ConfigError, DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.uploads import keep_upload
from cnnapp.jobs.worker import JobManager
from cnnapp.limits import check_top_k, load_json
from cnnapp.runs import STARTED
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve

SERVER_PATH_OPTIONS = ("data", "weights")
CONFIG_EXAMPLE = '{"arch": "lenet5", "epochs": 2}'
STATUS_EPOCHS = 20  # epochs of metrics /run_status returns unless asked for all


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready row objects (NaN → None)."""
    return json.loads(frame.to_json(orient="records"))


def parse_config(text: str | None) -> dict[str, Any]:
    """A JSON object of training options (the CLI's names) and an optional run `name`. Raises ConfigError."""
    try:
        values = load_json(text, "config") if text and text.strip() else {}
    except ConfigError as exc:
        raise type(exc)(f"{exc}; send an object such as {CONFIG_EXAMPLE}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"config must be a JSON object of training options, such as {CONFIG_EXAMPLE}")
    for key in values:
        if key.replace("-", "_") in SERVER_PATH_OPTIONS:
            raise ConfigError(
                f"'{key}' names a file on the server and cannot be set through the API; upload the dataset as a .zip"
            )
    return values


def start_training(jobs: JobManager, dataset: str | Path | None, config: str | None, session: str | None = None) -> str:
    """Check an uploaded `.zip` dataset (its listing) and a JSON config, queue the training for `session` and
    return its run id at once. The training process extracts and checks the images (state `ingesting`, where
    the dataset's file, size and class limits apply); a dataset it cannot use fails the run, with the reason
    in its message and `ingest.json`.

    Everything that needs no upload (the config and the run's name, the limits, free space) is checked before the
    archive is opened; the config is resolved then, once, and queued as it is.
    """
    sessions.require(session)
    values = parse_config(config)
    name = provenance.clean_name(values.pop("name", None))
    cfg = resolve(TrainConfig.from_dict({**values, "data": str(dataset)})) if dataset else None
    jobs.admit(session)
    if not dataset:
        raise DataError("no dataset: upload a .zip of <class>/<image> folders")
    upload = Path(dataset)
    if upload.suffix.lower() != ".zip":
        raise DataError(
            f"'{upload.name}' is not a .zip archive; upload the dataset as a .zip of <class>/<image> folders"
        )
    check_zip(upload)
    kept = keep_upload(upload, jobs.root)
    try:
        queued = dataclasses.replace(cfg, data=str(kept))  # the kept copy of the archive resolve saw
        return jobs.submit(queued, session, dataset_name=upload.name, name=name).id
    except CnnappError:
        shutil.rmtree(kept.parent, ignore_errors=True)
        raise


def stop_training(jobs: JobManager, run_id: str, session: str | None = None) -> str:
    """Cancel a queued run or stop a running one (it saves a checkpoint); returns what was done. Raises RunError."""
    return jobs.stop(run_id, session)


def run_status(
    run_id: str, root: Path | None = None, session: str | None = None, all_epochs: bool = False
) -> dict[str, Any]:
    """State, progress, message and the last STATUS_EPOCHS epochs' metrics (`all_epochs`: every one) of one run.

    Raises RunError for an unknown id."""
    run = sessions.get_run(run_id, root, session)
    saved = run.reconcile()  # status.json read once: every field below comes from the same moment
    status = run.summary(saved)
    event = run.last_event() if status["state"] == "running" else None
    progress = {k: event.get(k) for k in ("stage", "batch", "batches", "eta_s")} if event else {}
    if status["state"] in STARTED:  # reading the dataset: files checked so far, of all, per second
        progress.update({k: v for k, v in saved.items() if k in ("files_done", "files_total", "files_per_s")})
    report = run.report()
    report = report if isinstance(report, dict) else {}
    metrics = run.metrics()
    return {
        **status,
        "epochs": status["epochs"] or saved.get("epochs"),
        **progress,
        "val_accuracy": report.get("val_accuracy"),
        "metrics": records(metrics if all_epochs else metrics.tail(STATUS_EPOCHS)),
    }


def predict(
    image: Any, model: str | None, top_k: int | float = 5, root: Path | None = None, session: str | None = None
) -> dict[str, float]:
    """Top-k label → probability for one image (a path, PIL image or array) with a run id or `imagenet:<arch>`."""
    if image is None:
        raise DataError("no image given: upload a picture to classify")
    if not model or not str(model).strip():
        raise ConfigError("no model given: pass a run id or imagenet:<arch>, e.g. imagenet:tf_efficientnet_lite0")
    k = check_top_k(top_k)
    (top,) = sessions.load_predictor(str(model), root, session).predict([image], top_k=k)
    return dict(top)


def list_runs(root: Path | None = None, session: str | None = None) -> list[dict[str, Any]]:
    """The runs table (`session`'s runs) as one object per run, newest first."""
    return records(sessions.list_runs(root, session))
