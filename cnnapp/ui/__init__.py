"""The Gradio app: `build_app()` assembles the header, the HTTP API and one tab per module in `TABS`.

A later tab (Evaluate, Compare, Explain, Learn, Export) is a module with `TITLE` and `build(ctx)`,
added to `TABS`; the page shows its title as `<name>.title` says in the page's language (`TITLE`, in English, stays
the tab's id). Building the app imports neither torch nor timm (handlers import them when first
used), so the first page is served in seconds.
"""

from __future__ import annotations

import html
import os
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from cnnapp import settings, workspace
from cnnapp.jobs.worker import JobManager
from cnnapp.models import OFFLINE_ARCH
from cnnapp.ui import (
    compare_tab,
    data_tab,
    endpoints,
    evaluate_tab,
    explain_tab,
    export_tab,
    learn,
    predict_tab,
    request_log,
    rest,
    runs_tab,
    train_tab,
)
from cnnapp.ui.common import KEEP_LAST, LATEST, PRIVATE, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import AUGMENT_CHOICES, SAVED_KEY, default_dataset
from cnnapp.ui.i18n import I18N, T, say
from cnnapp.ui.theme import CSS, HEAD, LANG_SWITCH_JS, LANG_VALUE_JS, LANGUAGES, THEME, FirstScript

TABS: list[ModuleType] = [
    data_tab,
    train_tab,
    predict_tab,
    runs_tab,
    evaluate_tab,
    compare_tab,
    explain_tab,
    export_tab,
    learn,
]
TAB_TEXT = {tab: T(f"{tab.__name__.rsplit('.', 1)[-1].removesuffix('_tab')}.title") for tab in TABS}
DEFAULT_ARCH = OFFLINE_ARCH
UPLOAD_CACHE = (3600, 86400)  # gradio's delete_cache: every hour, delete uploads and outputs older than a day
# localStorage key; the fixed secret keeps tokens readable after a restart (they are random, not derived from it)
SESSION_KEY = "cnnapp-session"
SELECTED_KEY = "cnnapp-selected-run"  # localStorage keys of the selected run, the open tab and the Train form
TAB_KEY = "cnnapp-tab"
FOLLOWED_KEY = "cnnapp-followed-run"  # the Train tab's followed run: a reload shows it (`run_panel`)
FORM_KEY = "cnnapp-train-form"
NEW_TOKEN = (
    "(token) => token || Array.from(crypto.getRandomValues(new Uint8Array(16)),"
    ' (b) => b.toString(16).padStart(2, "0")).join("")'
)


def build_app(root: Path | None = None, jobs: JobManager | None = None) -> gr.Blocks:
    """The whole app; `root` is the workspace (default `$CNNAPP_HOME`), `jobs` the training job manager."""
    request_log.install()  # a failed request is one line in the server's log, not a traceback
    root = Path(root) if root else workspace.home()
    with gr.Blocks(title="cnnapp · train image classifiers", delete_cache=UPLOAD_CACHE) as demo:
        with gr.Row(elem_id="cnn-top"):  # the switch beside the title; above it on a phone (theme.CSS)
            gr.Markdown(T("common.header"), elem_id="cnn-header")
            language = gr.Radio(
                LANGUAGES,
                label=T("common.language"),
                show_label=False,  # the choices name themselves; the label stays for screen readers
                container=False,
                scale=0,
                min_width=0,
                elem_id="lang-switch",
            )
        language.input(None, language, None, js=LANG_SWITCH_JS, **KEEP_LAST)
        demo.load(None, None, language, js=LANG_VALUE_JS, **PRIVATE)
        next_run = gr.Markdown(elem_id="next-run")
        ctx = UIContext(
            demo=demo,
            root=root,
            jobs=jobs or JobManager(root),
            session=gr.BrowserState(None, storage_key=SESSION_KEY, secret=SESSION_KEY),
            dataset=gr.State(default_dataset()),
            saved_dataset=gr.BrowserState(None, storage_key=SAVED_KEY, secret=SESSION_KEY),
            saved_form=gr.BrowserState(None, storage_key=FORM_KEY, secret=SESSION_KEY),
            selected_run=gr.BrowserState(None, storage_key=SELECTED_KEY, secret=SESSION_KEY),
            watched_run=gr.BrowserState(None, storage_key=FOLLOWED_KEY, secret=SESSION_KEY),
            runs_changed=gr.State(0.0),
            arch=gr.Dropdown(
                [DEFAULT_ARCH],
                value=DEFAULT_ARCH,
                allow_custom_value=True,
                label=T("train.arch"),
                info=T("train.arch_info"),
                render=False,
                elem_id="arch",
            ),
            augment=gr.Dropdown(
                AUGMENT_CHOICES,
                value="none",
                allow_custom_value=True,
                label=T("train.augment"),
                info=T("train.augment_info"),
                render=False,
            ),
        )
        endpoints.build(ctx)
        for trigger in (demo.load, ctx.session.change):  # a new browser gets its token (made in the browser) at once
            trigger(None, ctx.session, ctx.session, js=NEW_TOKEN)
        saved_tab = gr.BrowserState(None, storage_key=TAB_KEY, secret=SESSION_KEY)  # fixed: readable after a restart
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # every tab in view, none in a "⋯" menu
            for tab in TABS:  # the id stays the English title: the saved tab is restored in either language
                with gr.Tab(TAB_TEXT[tab], id=tab.TITLE) as page:
                    tab.build(ctx)
                page.select(partial(remember_tab, tab.TITLE), None, saved_tab, show_progress="hidden", **PRIVATE)
        demo.load(user_errors(restore_tab), saved_tab, tabs, **PRIVATE)
        header = {
            "fn": user_errors(partial(next_start, root)),
            "inputs": [ctx.dataset, ctx.arch],
            "outputs": next_run,
            **PRIVATE,
        }
        gr.on([demo.load, ctx.dataset.change, ctx.arch.change], **header, show_progress="hidden", trigger_mode=LATEST)
    for fn in demo.fns.values():  # the HTTP API is exactly the documented endpoints; UI events stay private
        if fn.api_name not in endpoints.ENDPOINTS:
            fn.api_visibility = "private"
    # gradio's direct routes (POST /gradio_api/run/<name>, /api/<name>) would run an endpoint outside the queue, past
    # its concurrency limit (16 predictions, one .zip at a time): every call joins the queue instead
    return demo.queue(api_open=False)


def restore_tab(saved: Any) -> gr.Tabs:
    """The tab this browser showed last (a reload keeps it)."""
    return gr.Tabs(selected=saved) if isinstance(saved, str) and saved in {tab.TITLE for tab in TABS} else gr.Tabs()


def remember_tab(title: str) -> str:
    return title


def next_start(root: Path, dataset: dict | None, arch: str | None) -> str:
    """What the next Start trains: the architecture and the dataset (shown under the page title)."""
    from cnnapp.models.registry import display_name  # torch: after the page is shown

    data = html.escape(dataset["name"], quote=False) if dataset else say("common.no_dataset_yet")
    return say("common.next_start", arch=html.escape(display_name(arch or ""), quote=False), data=data)


def launch_options(root: Path | None = None, **overrides: Any) -> dict[str, Any]:
    """`demo.launch()` arguments: theme, CSS, the page's scripts, address, upload limit, the UI's text in English and
    Spanish, the one-request REST route (`rest`) on the workspace `root` (default `$CNNAPP_HOME`, as `build_app`'s),
    and any overrides.

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
        "i18n": I18N,
        "app_kwargs": {
            "middleware": [Middleware(FirstScript)],  # the language script, before gradio's app starts
            "routes": rest.routes(Path(root) if root else workspace.home()),  # before gradio's: none of its shadows
        },
        **overrides,
    }
