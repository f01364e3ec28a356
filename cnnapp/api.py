"""The HTTP API's logic as plain functions: start, compare, resume and stop trainings, read a status, predict (one
image or a .zip of them), list.

They take and return plain values and raise `CnnappError` subclasses with a message for the caller;
`cnnapp.ui.endpoints` wires them to the named endpoints (its `ENDPOINTS`). `session` is the caller's (see
`cnnapp.jobs.sessions`): with runs per visitor a caller sees and uses only the runs it started.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cnnapp import quotas, workspace
from cnnapp.data.archive import check_zip
from cnnapp.errors import CnnappError, ConfigError, DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.admission import Request
from cnnapp.jobs.uploads import discard, keep_upload
from cnnapp.jobs.worker import JobManager
from cnnapp.limits import check_top_k, load_json
from cnnapp.messages import msg
from cnnapp.runs import STARTED, stalled, time_left
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve

SERVER_PATH_OPTIONS = ("data", "weights")
CONFIG_EXAMPLE = '{"arch": "lenet5", "epochs": 2}'
STATUS_EPOCHS = 20  # epochs of metrics /run_status returns unless asked for all
DOWNLOADS = (
    Path(tempfile.gettempdir()) / "cnnapp-downloads"
)  # files made for a caller to download (the app serves them)

if TYPE_CHECKING:
    from cnnapp.serving.folder_predict import FolderResult


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready row objects (NaN → None)."""
    return json.loads(frame.to_json(orient="records"))


def parse_config(text: str | None) -> dict[str, Any]:
    """A JSON object of training options (the CLI's names) and an optional run `name`. Raises ConfigError."""
    try:
        values = load_json(text, "config") if text and text.strip() else {}
    except ConfigError as exc:
        raise type(exc)(msg("api.config_example", problem=exc.message, example=CONFIG_EXAMPLE)) from None
    if not isinstance(values, dict):
        raise ConfigError(msg("api.config_not_object", example=CONFIG_EXAMPLE))
    for key in values:
        if key.replace("-", "_") in SERVER_PATH_OPTIONS:
            raise ConfigError(msg("api.server_path", key=key))
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
    with _kept(jobs, dataset, session) as (kept, dataset_name):
        queued = dataclasses.replace(cfg, data=str(kept))  # the kept copy of the archive resolve saw
        return jobs.submit(queued, session, dataset_name=dataset_name, name=name).id


def compare(
    jobs: JobManager, dataset: str | Path | None, config: str | None, session: str | None = None
) -> list[dict[str, Any]]:
    """Queue the Compare grid (pretrained × frozen, as the Compare tab) on an uploaded `.zip` with a JSON config of
    the shared options, as one request (admitted whole or refused whole). One object per setting: its `setting`, the
    `run_id` queued for it, or None and the `reason` it cannot run (e.g. no weights offline)."""
    from cnnapp.training import compare as grid  # imports torch: the registry checks each setting

    sessions.require(session)
    values = parse_config(config)
    values.pop("name", None)  # the grid names its runs by setting
    base = TrainConfig.from_dict({**values, "data": str(dataset or ".")})
    cells = grid.plan(base)
    runnable = [cfg for _, cfg, _ in cells if cfg is not None]
    if not runnable:
        raise ConfigError(msg("api.grid_none", reason=cells[0][2]))
    jobs.admit(Request("grid", session, runs=len(runnable)))
    with _kept(jobs, dataset, session) as (kept, dataset_name):
        queued = [dataclasses.replace(cfg, data=str(kept)) for cfg in runnable]
        runs = iter(jobs.submit_all(queued, session, "grid", dataset_name))
    return [
        {"setting": label, "run_id": next(runs).id if cfg else None, "reason": reason} for label, cfg, reason in cells
    ]


def resume_training(jobs: JobManager, run_id: str, session: str | None = None) -> str:
    """Queue an interrupted, cancelled or failed run to continue from its checkpoint (under the same admission rule
    as a start); returns what will happen. Raises RunError or LimitError."""
    return jobs.resume(run_id, session)


@contextlib.contextmanager
def _kept(jobs: JobManager, dataset: str | Path | None, session: str | None) -> Iterator[tuple[Path, str]]:
    """The uploaded archive, recognised by its content whatever its name (a browser's Blob arrives as `blob`),
    checked from its listing, fitted in the disk budgets (`quotas`) and kept in the workspace for the runs; removed
    again when queueing fails."""
    if not dataset:
        raise DataError(msg("api.no_dataset"))
    upload = Path(dataset)
    extracted = check_zip(upload)  # by its bytes: "not a .zip archive" only when it is not one
    quotas.make_room(quotas.size_of(upload) + extracted, session, jobs.root)  # kept, extracted
    kept = keep_upload(upload, jobs.root)
    quotas.record(kept.parent, session, jobs.root)
    try:
        yield kept, upload.name
    except CnnappError:
        shutil.rmtree(kept.parent, ignore_errors=True)
        raise


def stop_training(jobs: JobManager, run_id: str, session: str | None = None) -> str:
    """Cancel a queued run or stop a running one (it saves a checkpoint); returns what was done. Raises RunError."""
    return str(jobs.stop(run_id, session))


def run_status(
    run_id: str, root: Path | None = None, session: str | None = None, all_epochs: bool = False
) -> dict[str, Any]:
    """State, progress, message and the last STATUS_EPOCHS epochs' metrics (`all_epochs`: every one) of one run.

    Raises RunError for an unknown id."""
    run = sessions.get_run(run_id, root, session)
    saved = run.reconcile()  # status.json read once: every field below comes from the same moment
    status = run.summary(saved)
    event = run.last_event() if status["state"] == "running" else None
    progress = {k: event.get(k) for k in ("stage", "batch", "batches")} if event else {}
    if event:  # the time left, counted down to now; None and `waiting` while no batch has come for a while
        progress.update(eta_s=time_left(event), waiting=stalled(event))
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
        "val_balanced_accuracy": report.get("val_balanced_accuracy"),
        "macro_f1": report.get("macro_f1"),
        "metrics": records(metrics if all_epochs else metrics.tail(STATUS_EPOCHS)),
    }


def predict(
    image: Any, model: str | None, top_k: int | float = 5, root: Path | None = None, session: str | None = None
) -> dict[str, float]:
    """Top-k label → probability for one image (a path, PIL image or array) with a run id or `imagenet:<arch>`."""
    if image is None:
        raise DataError(msg("api.no_image"))
    _require_model(model)
    k = check_top_k(top_k)
    (top,) = sessions.load_predictor(str(model), root, session).predict([image], top_k=k)
    return dict(top)


def _require_model(model: str | None) -> None:
    if not model or not str(model).strip():
        raise ConfigError(msg("api.no_model"))


def predict_batch(
    archive: str | Path | None,
    model: str | None,
    top_k: int | float = 5,
    root: Path | None = None,
    session: str | None = None,
    sort: bool = False,
    min_confidence: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, Path | None, FolderResult]:
    """Classify every image of an uploaded `.zip` with a run id or `imagenet:<arch>`: the CSV of predictions, with
    `sort` a `.zip` of the images in a folder per predicted class (`unsure/` below `min_confidence`), and what was
    done (the files skipped with their reasons). The archive meets a dataset upload's checks (its listing, the disk
    budgets) before anything is extracted; the files returned are deleted a while later (`jobs.uploads.GRACE_S`)."""
    from cnnapp.serving import folder_predict  # imports torch: not on the first page

    if not archive:
        raise DataError(msg("api.no_archive"))
    _require_model(model)
    k = check_top_k(top_k)
    min_confidence = folder_predict.check_min_confidence(min_confidence)
    upload = Path(archive)
    extracted = check_zip(upload)  # by its bytes: "not a .zip archive" only when it is not one
    quotas.make_room(extracted * (2 if sort else 1), session, root)  # extracted (and sorted)
    predictor = sessions.load_predictor(str(model), root, session)
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    out, name = Path(tempfile.mkdtemp(dir=DOWNLOADS)), upload.stem or "images"
    csv_path, sort_dir, sorted_zip = out / f"{name}-predictions.csv", out / "sorted" if sort else None, None
    options = {"top_k": k, "sort_dir": sort_dir, "min_confidence": min_confidence, "progress": progress or False}
    try:
        result = folder_predict.write_csv(predictor, upload, csv_path, scratch=workspace.datasets_dir(root), **options)
        if sort_dir:
            sorted_zip = Path(shutil.make_archive(str(out / f"{name}-sorted"), "zip", sort_dir))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        if sort_dir:
            shutil.rmtree(sort_dir, ignore_errors=True)
    discard(csv_path, sorted_zip, folder=DOWNLOADS)
    return csv_path, sorted_zip, result


def list_runs(root: Path | None = None, session: str | None = None) -> list[dict[str, Any]]:
    """The runs table (`session`'s runs) as one object per run, newest first."""
    return records(sessions.list_runs(root, session))
