"""Export tab: pick a trained run, download it as ONNX (fp32 or int8) or as a model folder (.zip), optionally push it
to the Hub."""

from __future__ import annotations

import html
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

import gradio as gr

from cnnapp.errors import DataError
from cnnapp.jobs import sessions
from cnnapp.runs import WEIGHTS, RunDir
from cnnapp.ui.common import LATEST, PRIVATE, run_dropdown, session_runs, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say

TITLE = "Export"  # the tab's id; its shown title is `export.title`
FORMATS = ("onnx", "safetensors")  # the format choices' values, shown as `export.format_*`
KEEP_S = 3600  # downloads older than this are removed from the temporary folder


def usable_runs(root: Path, session: str | None = None) -> list[tuple[str, str]]:
    """(label, run id) of the session's runs that have saved weights, newest first."""
    return session_runs(root, session, needs=WEIGHTS)[0]


def run_choices(
    root: Path, current: str | None, preferred: str | None, session: str | None = None, dataset: dict | None = None
) -> gr.Dropdown:
    """The run list, its value chosen as `run_dropdown` says."""
    choices, best = session_runs(root, session, needs=WEIGHTS, dataset=dataset)
    return run_dropdown(choices, current, preferred, best)


def _scratch() -> Path:
    """A fresh folder for one download, under the system temp folder (which the app may serve)."""
    base = Path(tempfile.gettempdir()) / "cnnapp-exports"
    base.mkdir(parents=True, exist_ok=True)
    for old in base.iterdir():
        try:
            if time.time() - old.stat().st_mtime > KEEP_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(dir=base))


def _run(root: Path, run_id: str | None, session: str | None) -> RunDir:
    if not run_id:
        raise DataError(say("export.no_run"))
    return sessions.get_run(run_id, root, session)


def _usage(fmt: str, run_id: str, classes: list[str], img_size: int) -> str:
    shown = ", ".join(f"`{html.escape(c)}`" for c in classes[:20]) + (" …" if len(classes) > 20 else "")
    if fmt == "onnx":
        return say("export.onnx_ready", file=f"{html.escape(run_id)}.onnx", size=img_size, classes=shown)
    return say("export.zip_ready", file=f"{html.escape(run_id)}.zip", classes=shown)


def _int8_usage(download: Path, facts: dict, classes: list[str]) -> str:
    """What the int8 file is: its size against fp32's and how often it agrees with fp32 (`onnx.quantize_int8`)."""
    shown = ", ".join(f"`{html.escape(c)}`" for c in classes[:20]) + (" …" if len(classes) > 20 else "")
    agreement = (
        say("export.int8_agreement", agreement=facts["agreement"], images=facts["images"])
        if facts.get("agreement") is not None
        else say("export.int8_no_val")
    )
    return say(
        "export.int8_ready",
        file=html.escape(download.name),
        size=f"{facts['int8_bytes'] / 1e6:.2f} MB",
        fp32=f"{facts['fp32_bytes'] / 1e6:.2f} MB",
        ratio=facts["fp32_bytes"] / facts["int8_bytes"],
        agreement=agreement,
        classes=shown,
    )


def make_download(
    root: Path, run_id: str | None, choice: str, session: str | None = None, int8: bool = False
) -> tuple[str, str]:
    """Export the run and return (file to download, what it is); `int8` quantises the ONNX model."""
    from cnnapp.files import read_json
    from cnnapp.serving.export.folder import export_folder, zip_export
    from cnnapp.serving.export.onnx import INT8_FACTS, export_onnx

    run = _run(root, run_id, session)
    fmt = choice if choice in FORMATS else "safetensors"
    scratch = _scratch()
    if fmt == "onnx" and int8:
        written = export_onnx(run, scratch / "onnx", int8=True)
        download = scratch / f"{run.id}.int8.onnx"
        written.replace(download)
        return str(download), _int8_usage(download, read_json(written.parent / INT8_FACTS), run.labels())
    if fmt == "onnx":
        written = export_onnx(run, scratch / "onnx")
        download = scratch / f"{run.id}.onnx"
        written.replace(download)
    else:
        folder = export_folder(run, scratch / run.id)
        download = zip_export(folder)
    return str(download), _usage(fmt, run.id, run.labels(), int(run.config().get("img_size", 0)))


def push(root: Path, run_id: str | None, repo_id: str, token: str, private: bool, session: str | None = None) -> str:
    """Export the model folder and upload it with the token typed in (never the server's own)."""
    from cnnapp.serving.export.folder import export_folder
    from cnnapp.serving.export.hub import check_push, push_to_hub

    run = _run(root, run_id, session)
    repo_id = (repo_id or "").strip()
    check_push(repo_id, token, env_token=False)
    folder = export_folder(run, _scratch() / run.id)
    url = push_to_hub(folder, repo_id, token=token, private=private, env_token=False)
    return say("export.uploaded", repo=html.escape(repo_id), url=html.escape(url, quote=True))


def build(ctx: UIContext) -> None:
    """The Export tab."""
    gr.Markdown(T("export.intro"))
    with gr.Row(equal_height=True):
        run = gr.Dropdown(label=T("export.run"), info=T("export.run_info"), scale=3, elem_id="export-run")
        fmt = gr.Radio(
            [(T(f"export.format_{name}"), name) for name in FORMATS],
            value="safetensors",
            label=T("export.format"),
            scale=3,
            elem_id="export-format",
        )
    int8 = gr.Checkbox(label=T("export.int8"), info=T("export.int8_info"), value=False, elem_id="export-int8")
    export_btn = gr.Button(T("export.export"), variant="primary", elem_id="export-button")
    note = gr.Markdown(T("export.no_runs"), elem_id="export-note")
    download = gr.File(label=T("export.download"), interactive=False, elem_id="export-file")
    with gr.Accordion(T("export.hub"), open=False):
        gr.Markdown(T("export.hub_text"))
        with gr.Row(equal_height=True):
            repo = gr.Textbox(
                label=T("export.repo"), placeholder="your-name/my-classifier", scale=2, elem_id="export-repo"
            )
            token = gr.Textbox(
                label=T("export.token"), type="password", placeholder="hf_…", scale=2, elem_id="export-token"
            )
            private = gr.Checkbox(label=T("export.private"), value=False, scale=1)
        push_btn = gr.Button(T("export.push"), elem_id="export-push")
        pushed = gr.Markdown(elem_id="export-pushed")

    session = ctx.session
    refresh = {
        "fn": user_errors(partial(run_choices, ctx.root)),
        "inputs": [run, ctx.selected_run, session, ctx.dataset],
        "outputs": run,
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    run.change(
        lambda r: (say("export.choose" if r else "export.no_runs"), None),
        run,
        [note, download],
        show_progress="hidden",
        **PRIVATE,
    )
    export_btn.click(
        user_errors(partial(make_download, ctx.root)),
        [run, fmt, session, int8],
        [download, note],
        concurrency_limit=1,
        **PRIVATE,
    )
    push_btn.click(
        user_errors(partial(push, ctx.root)),
        [run, repo, token, private, session],
        pushed,
        concurrency_limit=1,
        **PRIVATE,
    )
