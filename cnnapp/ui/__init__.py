"""The Gradio app: `build_app()` assembles the header, the HTTP API and one tab per module in `TABS`.

A later tab (Evaluate, Compare, Explain, Learn, Export) is a module with `TITLE` and `build(ctx)`,
added to `TABS`. Building the app imports neither torch nor timm (handlers import them when first
used), so the first page is served in seconds.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import gradio as gr

from cnnapp import settings, workspace
from cnnapp.ui import (
    compare_tab,
    data_tab,
    endpoints,
    evaluate_tab,
    explain_tab,
    export_tab,
    learn_tab,
    predict_tab,
    runs_tab,
    train_tab,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import default_dataset
from cnnapp.ui.theme import CSS, HEAD, HEADER, THEME
from cnnapp.worker import JobManager

TABS: list[ModuleType] = [
    data_tab,
    train_tab,
    predict_tab,
    runs_tab,
    evaluate_tab,
    compare_tab,
    explain_tab,
    export_tab,
    learn_tab,
]
DEFAULT_ARCH = "tf_efficientnet_lite0"
UPLOAD_CACHE = (3600, 86400)  # gradio's delete_cache: every hour, delete uploads and outputs older than a day
# localStorage key; the fixed secret keeps tokens readable after a restart (they are random, not derived from it)
SESSION_KEY = "cnnapp-session"
NEW_TOKEN = (
    "(token) => token || Array.from(crypto.getRandomValues(new Uint8Array(16)),"
    ' (b) => b.toString(16).padStart(2, "0")).join("")'
)


def build_app(root: Path | None = None, jobs: JobManager | None = None) -> gr.Blocks:
    """The whole app; `root` is the workspace (default `$CNNAPP_HOME`), `jobs` the training job manager."""
    root = Path(root) if root else workspace.home()
    with gr.Blocks(title="cnnapp · train image classifiers", delete_cache=UPLOAD_CACHE) as demo:
        gr.Markdown(HEADER, elem_id="cnn-header")
        ctx = UIContext(
            demo=demo,
            root=root,
            jobs=jobs or JobManager(root),
            session=gr.BrowserState(None, storage_key=SESSION_KEY, secret=SESSION_KEY),
            dataset=gr.State(default_dataset()),
            selected_run=gr.State(None),
            watched_run=gr.State(None),
            runs_changed=gr.State(0.0),
            arch=gr.Dropdown(
                [DEFAULT_ARCH],
                value=DEFAULT_ARCH,
                allow_custom_value=True,
                label="Architecture",
                info="any timm model name works too",
                render=False,
                elem_id="arch",
            ),
            augment=gr.Dropdown(
                data_tab.AUGMENT_CHOICES,
                value="none",
                allow_custom_value=True,
                label="Augmentations",
                info="preset or list, e.g. hflip,crop=0.8,rotate=15 (preview on the Data tab)",
                render=False,
            ),
        )
        endpoints.build(ctx)
        for trigger in (demo.load, ctx.session.change):  # a new browser gets its token (made in the browser) at once
            trigger(None, ctx.session, ctx.session, js=NEW_TOKEN)
        with gr.Tabs():
            for tab in TABS:
                with gr.Tab(tab.TITLE):
                    tab.build(ctx)
    for fn in demo.fns.values():  # the HTTP API is exactly the documented endpoints; UI events stay private
        if fn.api_name not in endpoints.ENDPOINTS:
            fn.api_visibility = "private"
    return demo


def launch_options(**overrides: Any) -> dict[str, Any]:
    """`demo.launch()` arguments: theme, CSS, the folder-upload script, address and upload limit (and any overrides).

    The server listens on 127.0.0.1 unless `GRADIO_SERVER_NAME` says otherwise (Spaces set 0.0.0.0);
    uploads are limited to `CNNAPP_MAX_UPLOAD` (default 2gb; e.g. 500mb).
    """
    return {
        "theme": THEME,
        "css": CSS,
        "head": HEAD,
        "footer_links": ["api"],
        "server_name": os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        "max_file_size": settings.get().max_upload,
        **overrides,
    }
