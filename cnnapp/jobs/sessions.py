"""Runs scoped to the session that created them, for public servers (`CNNAPP_SESSION_RUNS=1`).

The job manager records a digest of the creating session in the run (`owner.json`) before anything
else describes it. With scoping on, a session lists, reads, uses, stops, resumes and deletes only its
own runs; any other run id is answered exactly as an unknown one, and runs without an owner (made
with the command line) belong to no visitor. Without the variable every run is everyone's.

A session is an opaque secret string: a browser's random token kept in its localStorage (it survives
page reloads), or `api:<gradio session hash>` for an API client (one per `gradio_client.Client`).
The app reaches runs only through this module.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cnnapp import runs, settings, workspace
from cnnapp.errors import RunError
from cnnapp.files import read_json, write_json
from cnnapp.messages import msg
from cnnapp.runs import OWNER, SUMMARY_COLUMNS, RunDir

if TYPE_CHECKING:
    from cnnapp.serving.inference import Predictor


def scoped() -> bool:
    """Whether runs are scoped to sessions (read on every call, so tests and operators can switch it)."""
    return settings.get().session_runs


def digest(session: str) -> str:
    """What a run stores of its session: a one-way digest, never the token itself."""
    return hashlib.sha256(f"cnnapp-session:{session}".encode()).hexdigest()


def require(session: str | None) -> None:
    """Refuse to create runs for a caller without a session while scoping is on. Raises RunError."""
    if scoped() and not session:
        raise RunError(msg("session.not_ready"))


def claim(run: RunDir, session: str | None) -> None:
    """Record `session` as the owner of a new run."""
    if session:
        write_json(run.file(OWNER), {"owner": digest(session)})


def owns(run: RunDir, session: str | None) -> bool:
    """Whether `session` may see and use `run`: always without scoping, else only the session that created it."""
    if not scoped():
        return True
    owner = (read_json(run.file(OWNER), {}) or {}).get("owner")
    return bool(session) and isinstance(owner, str) and hmac.compare_digest(owner, digest(session))


def get_run(run_id: str | None, root: Path | None = None, session: str | None = None) -> RunDir:
    """A run by id, validated inside the workspace and visible to `session`. Raises RunError."""
    text = str(run_id or "").strip()
    run = runs.get_run(text, root)
    if not owns(run, session):
        raise RunError(msg("runs.not_found", name=text))  # as for an unknown id
    return run


def all_runs(root: Path | None = None, session: str | None = None) -> list[RunDir]:
    """The runs `session` may see, newest first (never a run directory linked from outside the workspace)."""
    base = workspace.runs_dir(root)
    return [r for r in runs.all_runs(root) if workspace.is_within(r.path, base) and owns(r, session)]


def list_runs(root: Path | None = None, session: str | None = None) -> pd.DataFrame:
    """The runs table of `session`'s runs (reconciling dead processes as it reads)."""
    return pd.DataFrame([r.summary() for r in all_runs(root, session)], columns=SUMMARY_COLUMNS)


def load_predictor(model: str | None, root: Path | None = None, session: str | None = None) -> Predictor:
    """A predictor for `imagenet:<arch>` (everyone's) or one of `session`'s runs. Raises CnnappError."""
    from cnnapp.serving.inference import IMAGENET_PREFIX
    from cnnapp.serving.inference import load_predictor as load

    name = str(model or "").strip()
    if not name.startswith(IMAGENET_PREFIX):
        get_run(name, root, session)
    predictor = load(name, root)
    predictor.speed_up_later()  # the app keeps its models loaded: they are worth the fast path
    return predictor
