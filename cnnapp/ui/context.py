"""What the tabs share: the workspace, the job manager and the components other tabs read or update."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from cnnapp.jobs.worker import JobManager


@dataclass
class UIContext:
    """Shared state of one app.

    `session` is the browser's session token (see `cnnapp.jobs.sessions`; kept in localStorage, so it
    survives reloads): every handler that touches runs takes it as its last input, and lists that
    depend on it refresh on `session.change`, which fires once the token is known. `dataset` holds
    the chosen dataset (`{"path", "source", "name"}`, or None), `saved_dataset` the browser's copy of it
    (restored, after checking, when the page loads again), `saved_form` the Train tab's form (browser states
    live outside the tabs: a tab not shown yet has no components in the page); `selected_run` the
    run id the user last started or picked (kept by the browser); `watched_run` the run the Train tab follows (kept
    by the browser: see `cnnapp.ui.run_panel`); `runs_changed` is bumped whenever runs appear, finish or are
    deleted, so that tabs listing runs refresh. `arch` and `augment` are created unrendered here and rendered by the
    Train tab; other tabs may read them or listen to them.
    """

    demo: gr.Blocks
    root: Path
    jobs: JobManager
    session: gr.BrowserState
    dataset: gr.State
    saved_dataset: gr.BrowserState
    saved_form: gr.BrowserState
    selected_run: gr.BrowserState
    watched_run: gr.BrowserState
    runs_changed: gr.State
    arch: gr.Dropdown
    augment: gr.Dropdown
