"""'Make your own' on the Data tab: classes, pictures from the camera, uploads or the clipboard, then train on them.

The logic lives in `cnnapp.data.builder`; the dataset's folder is kept in the browser (`gr.BrowserState`), so a reload
continues it. "Use this dataset" packs it as a `.zip` and chooses it exactly as an uploaded `.zip` is chosen.
"""

from __future__ import annotations

import base64
import binascii
import io
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from cnnapp.data.builder import Builder
from cnnapp.data.images import fit_square, load_rgb
from cnnapp.errors import CnnappError, DataError
from cnnapp.files import atomic_write
from cnnapp.ui.common import KEEP_LAST, PRIVATE, error_text, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.widgets import streaming_camera

STORAGE_KEY = "cnnapp-builder"
THUMB_PX = 96
GALLERY_MAX = 48  # newest pictures shown per class
BURST_EVERY_S = 0.25
BURST_LIMIT_S = 120
GALLERY_EVERY = 4  # during a burst, the thumbnails refresh every this many pictures
CAMERA = (640, 480)
SNAPSHOT_JS = """(folder, current, shot) => {
  const video = document.querySelector("#builder-cam video");
  if (!video || !video.videoWidth) return [folder, current, ""];
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.scale(-1, 1);  // mirrored, as the camera shows it and as its recorded frames arrive
  context.drawImage(video, -canvas.width, 0);
  return [folder, current, canvas.toDataURL("image/jpeg", 0.9)];
}"""


def _require(root: Path, folder: str | None) -> Builder:
    made = Builder.open(folder, root)
    if made is None:
        raise DataError(say("builder.no_dataset"))
    return made


def _thumbs(made: Builder, current: str | None) -> tuple[list[tuple[Image.Image, str]], list[str]]:
    if not current or current not in made.classes():
        return [], []
    every = made.examples(current)
    paths = every[::-1][:GALLERY_MAX]
    thumbs = [
        (fit_square(load_rgb(p, draft_size=THUMB_PX), THUMB_PX), f"#{len(every) - i}") for i, p in enumerate(paths)
    ]
    return thumbs, [p.name for p in paths]


def _status(made: Builder | None) -> str:
    if made is None:
        return say("builder.empty")
    counts = made.counts()
    head = say("builder.counts", classes=len(counts), pictures=sum(counts.values()))
    problems = made.warnings()
    return "\n".join([head, *(f"- ⚠ {w}" for w in problems)] if problems else [head, say("builder.ready")])


def view(root: Path, folder: str | None, current: str | None = None) -> tuple:
    """(folder, class list, status, thumbnails, their file names) for the dataset at `folder`."""
    made = Builder.open(folder, root)
    if made is None:
        return None, gr.Radio(choices=[], value=None), _status(None), [], []
    counts = made.counts()
    current = current if current in counts else next(iter(counts), None)
    choices = [(f"{name} · {n}", name) for name, n in counts.items()]
    return str(made.folder), gr.Radio(choices=choices, value=current), _status(made), *_thumbs(made, current)


@user_errors
def add_class(root: Path, folder: str | None, name: str | None, new: str | None) -> tuple:
    """Add a class (starting the dataset when there is none yet) and pick it; clears the name box."""
    made = Builder.open(folder, root) or Builder.create(name or "my-dataset", root)
    added = made.add_class(new)
    return *view(root, str(made.folder), added), ""


@user_errors
def rename_class(root: Path, folder: str | None, current: str | None, new: str | None) -> tuple:
    made = _require(root, folder)
    if not current:
        raise DataError(say("builder.no_class"))
    return *view(root, folder, made.rename_class(current, new)), ""


@user_errors
def delete_class(root: Path, folder: str | None, current: str | None) -> tuple:
    made = _require(root, folder)
    if not current:
        raise DataError(say("builder.no_class"))
    made.delete_class(current)
    return view(root, folder)


@user_errors
def rename_dataset(root: Path, folder: str | None, name: str | None) -> str | Any:
    """Give the dataset a new name (nothing to do before it exists)."""
    made = Builder.open(folder, root)
    return gr.skip() if made is None else str(made.renamed(name).folder)


def _add(root: Path, folder: str | None, current: str | None, items: list[Any]) -> tuple:
    made = _require(root, folder)
    if not current:
        raise DataError(say("builder.no_class"))
    _, problems = made.add_examples(current, items)
    for problem in problems:
        gr.Warning(problem)
    return view(root, folder, current)


def _decode(data_url: str | None) -> Image.Image:
    if not data_url:
        raise DataError(say("builder.no_camera"))
    try:
        data = base64.b64decode(data_url.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise DataError(say("builder.bad_snapshot")) from None
    return load_rgb(io.BytesIO(data))


@user_errors
def add_snapshot(root: Path, folder: str | None, current: str | None, data_url: str | None) -> tuple:
    """Save the camera picture the browser grabbed (a JPEG data URL) into the chosen class."""
    if not current:
        raise DataError(say("builder.no_class"))
    return *_add(root, folder, current, [_decode(data_url)]), ""


@user_errors
def add_files(root: Path, folder: str | None, current: str | None, files: list[str] | None) -> tuple:
    """Save uploaded pictures (decoded safely; the unreadable ones are reported) and clear the upload box."""
    return *_add(root, folder, current, list(files or [])), None


@user_errors
def add_pasted(root: Path, folder: str | None, current: str | None, image: np.ndarray | None) -> tuple:
    return *(_add(root, folder, current, [image]) if image is not None else (gr.skip(),) * 5), None


def add_burst_frame(root: Path, folder: str | None, current: str | None, frame: np.ndarray | None) -> tuple:
    """Save one recorded camera frame; the counts follow every frame, the thumbnails every few."""
    made = Builder.open(folder, root)
    if made is None or frame is None or current not in made.classes():
        return gr.skip(), gr.skip(), "⚠ " + say("builder.no_class"), gr.skip(), gr.skip()
    try:
        _, problems = made.add_examples(current, [frame])
    except CnnappError as exc:  # the disk budget: said in the panel, the recording goes on in the browser
        problems = [error_text(exc)]
    if problems:  # full: the recording goes on in the browser, the panel says why nothing more is kept
        return gr.skip(), gr.skip(), "⚠ " + problems[0], gr.skip(), gr.skip()
    shown = view(root, folder, current)
    if len(made.examples(current)) % GALLERY_EVERY:
        return gr.skip(), shown[1], shown[2], gr.skip(), gr.skip()
    return shown


def select_picture(names: list[str], evt: gr.SelectData) -> str | None:
    """The file name of the clicked thumbnail."""
    return names[evt.index] if 0 <= evt.index < len(names) else None


@user_errors
def delete_picture(root: Path, folder: str | None, current: str | None, picked: str | None) -> tuple:
    made = _require(root, folder)
    if not picked or not current:
        raise DataError(say("builder.no_picture"))
    made.delete_example(current, picked)
    return *view(root, folder, current), None


@user_errors
def download(root: Path, folder: str | None) -> gr.File:
    """A copy of the dataset's `.zip` in the system temp folder (which the app may serve), shown for download."""
    archive = _require(root, folder).export_zip()
    target = Path(tempfile.gettempdir()) / "cnnapp-made" / archive.parent.name / archive.name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as tmp:
            shutil.copyfile(archive, tmp)
    return gr.File(str(target), visible=True)


def dataset_name(root: Path, folder: str | None) -> str | Any:
    """The name of the dataset the browser comes back to (unchanged when there is none)."""
    made = Builder.open(folder, root)
    return gr.skip() if made is None else made.name


def use(root: Path, choose: Callable[[str | Path, str, Any], tuple], folder: str | None, current: Any = None) -> tuple:
    """Choose the dataset for training through `choose` (the Data tab's, as for an uploaded `.zip`); `current` is
    the dataset chosen now, which `choose` keeps when this one cannot be used."""
    made = _require(root, folder)
    return choose(made.export_zip(), made.name, current)


def build(ctx: UIContext) -> Callable[[Callable[[str | Path, str], tuple], list[gr.components.Component]], Any]:
    """The panel. Returns `wire(choose, outputs)`, which connects "Use this dataset" to the Data tab's `choose`
    (`choose(source, name)` returns the values of `outputs`) and returns the event, for chaining."""
    root = ctx.root
    made = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=STORAGE_KEY)
    names, picked, shot = gr.State([]), gr.State(None), gr.Textbox(visible=False)
    with gr.Accordion(T("builder.title"), open=False, elem_id="builder"):
        gr.Markdown(T("builder.intro"))
        name = gr.Textbox("my-dataset", label=T("builder.name"), max_lines=1, elem_id="builder-name")
        with gr.Row(equal_height=True):
            new = gr.Textbox(
                label=T("builder.new_class"),
                placeholder=T("builder.new_class_hint"),
                max_lines=1,
                scale=3,
                min_width=160,
            )
            add = gr.Button(T("builder.add_class"), scale=1, min_width=110, elem_id="builder-add-class")
        classes = gr.Radio([], label=T("builder.classes"), elem_id="builder-classes")
        with gr.Row(equal_height=True):
            rename_to = gr.Textbox(label=T("builder.rename_to"), max_lines=1, scale=3, min_width=160)
            rename = gr.Button(T("builder.rename"), scale=1, min_width=110)
            remove = gr.Button(T("builder.delete_class"), variant="stop", scale=1, min_width=110)
        with gr.Tabs():
            with gr.Tab(T("builder.camera_tab")):
                camera = streaming_camera(T("builder.camera"), "builder-cam", *CAMERA)
                snapshot = gr.Button(T("builder.snapshot"), variant="primary", elem_id="builder-snapshot")
            with gr.Tab(T("builder.upload_tab")):
                files = gr.File(file_count="multiple", file_types=["image"], label=T("builder.files"), height=120)
            with gr.Tab(T("builder.paste_tab")):
                paste = gr.Image(sources=["clipboard"], type="numpy", label=T("builder.paste"), height=200)
        status = gr.Markdown(elem_id="builder-status")
        gallery = gr.Gallery(
            label=T("builder.gallery"),
            columns=4,
            height=300,
            object_fit="cover",
            allow_preview=False,
            elem_id="builder-gallery",
            elem_classes="cnn-gallery",  # wraps at phone width
        )
        with gr.Row():
            delete = gr.Button(T("builder.delete_picture"), min_width=150)
            zip_button = gr.Button(T("builder.download"), min_width=150, elem_id="builder-download")
            use_button = gr.Button(T("builder.use"), variant="primary", min_width=150, elem_id="builder-use")
        archive = gr.File(label=T("builder.zip"), visible=False, interactive=False, elem_id="builder-zip")

    shown = [made, classes, status, gallery, names]
    shown_view = user_errors(partial(view, root))
    ctx.demo.load(shown_view, [made, classes], shown, **PRIVATE).then(
        user_errors(partial(dataset_name, root)), made, name, **PRIVATE
    )
    add.click(partial(add_class, root), [made, name, new], [*shown, new], **PRIVATE)
    new.submit(partial(add_class, root), [made, name, new], [*shown, new], **PRIVATE)
    classes.input(shown_view, [made, classes], shown, **KEEP_LAST)
    rename.click(partial(rename_class, root), [made, classes, rename_to], [*shown, rename_to], **PRIVATE)
    remove.click(partial(delete_class, root), [made, classes], shown, **PRIVATE)
    name.blur(partial(rename_dataset, root), [made, name], made, **KEEP_LAST)
    snapshot.click(partial(add_snapshot, root), [made, classes, shot], [*shown, shot], js=SNAPSHOT_JS, **PRIVATE)
    camera.stream(
        user_errors(partial(add_burst_frame, root)),
        [made, classes, camera],
        shown,
        stream_every=BURST_EVERY_S,
        time_limit=BURST_LIMIT_S,
        show_progress="hidden",
        **PRIVATE,
    )
    files.upload(partial(add_files, root), [made, classes, files], [*shown, files], **PRIVATE)
    paste.upload(partial(add_pasted, root), [made, classes, paste], [*shown, paste], **PRIVATE)
    gallery.select(user_errors(select_picture), names, picked, **PRIVATE)
    delete.click(partial(delete_picture, root), [made, classes, picked], [*shown, picked], **PRIVATE)
    zip_button.click(partial(download, root), made, archive, **PRIVATE)

    def wire(choose: Callable[[str | Path, str, Any], tuple], outputs: list[gr.components.Component]) -> Any:
        return use_button.click(user_errors(partial(use, root, choose)), [made, ctx.dataset], outputs, **PRIVATE)

    return wire
