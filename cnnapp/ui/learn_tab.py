"""Learn tab: the course (Tema 8, Redes Convolucionales), hands-on: convolution, pooling, stacking, flatten, softmax,
dropout, architectures, loss functions and optimizers.

The tab follows the page's language like the others: its text is in `cnnapp.ui.strings.learn` (static text by `T`,
handler text by `say`), the names that come in groups in `cnnapp.ui.learn_strings` (Spanish with the course's own
terms). `cnnapp.course` computes with torch and draw with matplotlib, so they are imported by the handlers (the first
page is built without torch); the tab's starting values are filled when the page loads. Longer than most modules
because its seven sub-tabs are wired together in one `build` (shared page load and tab-select events);
each section's handlers and layout are grouped under its own heading.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from cnnapp.errors import DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import ACTIVE, STATES
from cnnapp.training.config import RACE_PRESETS
from cnnapp.ui.common import EXAMPLE_DATASET, PRIVATE, pct, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn_strings import names
from cnnapp.ui.widgets import image_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Learn"  # the tab's id; its shown title is `learn.title`
KERNEL = "vertical edges"  # the kernel shown first
POOL_METHOD = "max"
SURFACE = "Rosenbrock"  # the surface raced first
POLL_S = 3.0
COURSE_LOGITS = "2.0, 1.0, 0.1"  # the classic softmax example
RUNS_COLUMNS = ("optimizer", "run", "state", "epoch", "best_val_acc")  # of the seven runs' table, as `learn.*`
RACE_COLUMNS = ("optimizer", "end_x", "end_y", "end_loss", "diverged")  # of the race's table, as `learn.*`
PRESETS = tuple(RACE_PRESETS)  # shown as `learn.preset_*`


def _example_image() -> str | None:
    folder = EXAMPLE_DATASET / "ankle_boot"
    return str(sorted(folder.iterdir())[0]) if folder.is_dir() else None


def _table(array: np.ndarray) -> pd.DataFrame:
    """A matrix for display: whole numbers without decimals, others rounded."""
    a = np.asarray(array)
    return pd.DataFrame(a.astype(int) if np.allclose(a, a.round()) else a.round(3))


def _say(*keys: str) -> dict[str, str]:
    """`learn.<key>` of each key, by key: the labels the engine's figures take."""
    return {key: say(f"learn.{key}") for key in keys}


def _size_text(formula_h: str, formula_w: str) -> str:
    t = _say("output_size", "output_height", "output_width")
    return (
        f"**{t['output_size']}** = {formula_h}"
        if formula_h == formula_w
        else f"**{t['output_height']}** = {formula_h}  \n**{t['output_width']}** = {formula_w}"
    )


# ----- convolution, pooling, stacking, architectures -------------------------------------------------------------


def kernel_table(name: str) -> pd.DataFrame:
    """The numbers of a named kernel, for the editable 3×3 table."""
    from cnnapp.course import convolution

    return pd.DataFrame(convolution.KERNELS[name].round(3))


def starting_values() -> tuple:
    """The shapes picture, the kernels, the first one's numbers, the pooling methods, the course's matrix (twice)."""
    from cnnapp.course import convolution

    course = _table(convolution.COURSE_MATRIX)
    kernels, methods = names("kernels"), names("methods")
    return (
        convolution.shapes_image(),
        gr.Dropdown(choices=[(kernels[k], k) for k in convolution.KERNELS], value=KERNEL),
        kernel_table(KERNEL),
        gr.Radio(choices=[(methods[m], m) for m in convolution.POOLING], value=POOL_METHOD),
        course,
        course,
    )


def convolve(image: np.ndarray | None, kernel: pd.DataFrame, padding: float, stride: float, relu: bool) -> tuple:
    """The image as the kernel sees it (gray), the feature map, and the output size worked out."""
    from cnnapp.course import convolution

    if image is None:
        return None, None, say("learn.no_image")
    result = convolution.convolve(image, kernel, int(padding), int(stride), relu)
    h, w = result.shape
    return (
        convolution.to_image(convolution.to_gray(image), min_side=224),
        convolution.to_image(result.feature_map, min_side=224),
        _size_text(result.formula_h, result.formula_w) + f" → {say('learn.feature_map_size')} **{h} × {w}**",
    )


def pool_matrix(matrix: pd.DataFrame, method: str, kernel: float, stride: float) -> tuple[pd.DataFrame, str]:
    """Pool the table's matrix; the output size worked out."""
    from cnnapp.course import convolution

    a = convolution.as_matrix(matrix)
    out = convolution.pool(a, method, int(kernel), int(stride))
    formula = convolution.formula(a.shape[0], int(kernel), 0, int(stride))
    shown = names("methods").get(method, method)
    text = say("learn.pool_size", method=shown, k=int(kernel), s=int(stride), formula=formula)
    return _table(out), f"**{text}**"


def pool_picture(image: np.ndarray | None, method: str, kernel: float, stride: float) -> tuple[Image.Image | None, str]:
    """Pool an image channel by channel (shown enlarged to the input's display size)."""
    from cnnapp.course import convolution

    if image is None:
        return None, ""
    out = convolution.pool_image(image, method, int(kernel), int(stride))
    shown = Image.fromarray(out).resize((image.shape[1], image.shape[0]), Image.Resampling.NEAREST)
    return shown, f"{image.shape[0]}×{image.shape[1]} px → **{out.shape[0]}×{out.shape[1]}** px"


def stack(matrix: pd.DataFrame, padding: float, stride: float) -> tuple[Figure, list[tuple[Image.Image, str]], str]:
    """The stacked volume in 3-D, each filter's map, and its shape."""
    from cnnapp.course import convolution

    t, kernels = _say("filter", "side", "filters", "volume_word", "rows", "columns"), names("kernels")
    result = convolution.stack(matrix, padding=int(padding), stride=int(stride))
    n = convolution.as_matrix(matrix).shape[0]
    formula = convolution.formula(n, 3, int(padding), int(stride))
    h, w, _ = result.volume.shape
    slices = [
        (image, f"{t['filter']} {i + 1}: {kernels.get(name, name)} → {h}×{w}")
        for i, ((image, _), name) in enumerate(zip(convolution.volume_slices(result), result.filters))
    ]
    figure = convolution.volume_figure(result)
    figure.axes[0].set(
        xlabel=t["rows"], ylabel=t["columns"], zlabel=t["filters"], title=f"{t['volume_word']} {result.shape_text}"
    )
    return (
        figure,
        slices,
        f"{t['side']} {formula}; {len(result.filters)} {t['filters']} → {t['volume_word']} **{result.shape_text}**",
    )


def _place(text: Any) -> Any:
    """ "1st in 2012" (the course's ILSVRC place) in the visitor's language."""
    for english, shown in names("places").items():
        if isinstance(text, str) and text.startswith(english):
            return shown + text[len(english) :]
    return text


def architectures() -> pd.DataFrame:
    """The architectures table with readable parameter counts."""
    from cnnapp.course import convolution

    table = convolution.architectures_table()
    table["params (computed)"] = table["params (computed)"].map("{:,}".format)
    table["ILSVRC place (course)"] = table["ILSVRC place (course)"].map(_place)
    return table.astype(object).where(table.notna(), "").rename(columns=names("arch_columns"))


# ----- flatten, softmax, dropout ---------------------------------------------------------------------------------


def flatten_view(channels: float, height: float, width: float) -> Figure:
    """A numbered C×H×W volume and its flattened vector."""
    from cnnapp.course import layers

    volume, vector = layers.flatten(int(channels), int(height), int(width))
    return layers.flatten_figure(volume, vector, _say("channel", "vector"))


def softmax_view(logits: str, temperature: float) -> tuple[Figure, str]:
    """Bars of softmax(z / T) and the predicted class."""
    from cnnapp.course import layers

    z = layers.parse_logits(logits)
    probs = layers.softmax(z, float(temperature))
    text = say("learn.softmax_sum", total=probs.sum(), top=int(probs.argmax()) + 1, p=probs.max())
    return layers.softmax_figure(z, float(temperature), _say("class", "probability")), text


def dropout_view(p: float, seed: float) -> tuple[Figure, str]:
    """Dropout on the example feature map: the map, the mask and the scaled result, with the counts."""
    from cnnapp.course import layers

    r = layers.dropout(layers.feature_map(), float(p), int(seed))
    text = say(
        "learn.dropout_summary",
        kept=int(r.mask.sum()),
        total=r.mask.size,
        share=r.mask.mean(),
        expected=1 - r.p,
        scale=1 / (1 - r.p),
        before=r.feature_map.mean(),
        after=r.output.mean(),
    )
    return layers.dropout_figure(r, _say("before", "mask", "after")), text


# ----- loss functions ------------------------------------------------------------------------------------------------


def loss_view(target: float, prediction: float) -> Figure:
    """The four losses against the prediction for the chosen target."""
    from cnnapp.course import losses

    t = _say("target_short", "prediction_axis", "loss_axis")
    labels = {"target": t["target_short"], "prediction": t["prediction_axis"], "loss": t["loss_axis"]}
    return losses.loss_figure(float(target), float(prediction), names("loss_names"), labels)


def batch_view(table: pd.DataFrame) -> pd.DataFrame:
    """Each example's loss under the four functions, and the batch's cost (their mean) in the last row."""
    from cnnapp.course import losses

    y, p, each, cost = losses.batch(table)
    example, losses = say("learn.example"), names("loss_names")
    rows = [
        {
            example: str(i + 1),
            "y": f"{y[i]:g}",
            "ŷ": f"{p[i]:g}",
            **{losses[k]: round(float(each[k][i]), 4) for k in each},
        }
        for i in range(len(y))
    ]
    cost_row = {losses[k]: round(v, 4) for k, v in cost.items()}
    rows.append({example: say("learn.cost_row"), "y": "", "ŷ": "", **cost_row})
    return pd.DataFrame(rows)


def batch_start() -> pd.DataFrame:
    """The example batch for the editable table."""
    from cnnapp.course import losses

    return pd.DataFrame(losses.EXAMPLE_BATCH, columns=["y", "ŷ"])


# ----- optimizers ----------------------------------------------------------------------------------------------------


def _runner_labels() -> dict[str, str]:
    from cnnapp.course import optimizer_race

    return {name: names("runner_names").get(name, name) for name in optimizer_race.RUNNERS}


def surface_defaults(name: str) -> tuple[gr.Dropdown, float, float, pd.DataFrame]:
    """The surfaces (the named one chosen), its start point and the learning rates that race well on it (editable)."""
    from cnnapp.course import optimizer_race

    s = optimizer_race.surface(name)
    labels, surfaces = _runner_labels(), names("surfaces")
    lrs = pd.DataFrame(
        {say("learn.optimizer"): [labels[k] for k in s.lrs], say("learn.learning_rate"): list(s.lrs.values())}
    )
    choices = [(surfaces.get(k, k), k) for k in optimizer_race.SURFACES]
    return gr.Dropdown(choices=choices, value=name), s.start[0], s.start[1], lrs


def race_view(name: str, x: float, y: float, steps: float, lrs: pd.DataFrame) -> tuple[Figure, pd.DataFrame]:
    """Race the optimizers on the surface from (x, y): trajectories over contours, loss per step, where each ended."""
    from cnnapp.course import convolution, optimizer_race

    t = _say("step", "loss_above_min", "yes", "no", "optimizer", "end_x", "end_y", "end_loss", "diverged")
    if x is None or y is None or lrs is None or lrs.empty:  # the tab was opened before its starting values arrived
        _, x, y, lrs = surface_defaults(name)
    rates = convolution.as_matrix(lrs.iloc[:, 1:], "learning rates")[:, 0] if isinstance(lrs, pd.DataFrame) else []
    if len(rates) != len(optimizer_race.RUNNERS):
        raise DataError(f"the learning-rate table needs one row per optimizer ({len(optimizer_race.RUNNERS)})")
    trajectories = optimizer_race.race(name, (float(x), float(y)), int(steps), dict(zip(optimizer_race.RUNNERS, rates)))
    labels = _runner_labels()
    shown = {labels[k]: v for k, v in trajectories.items()}
    figure = optimizer_race.race_figure(name, shown, {"step": t["step"], "loss": t["loss_above_min"]})
    figure.axes[0].set_title(f"{names('surfaces').get(name, name)}: {optimizer_race.surface(name).formula}")
    table = optimizer_race.final_table(shown).assign(
        loss=lambda f: f["loss"].map(lambda v: f"{v:.4g}"),
        diverged=lambda f: f["diverged"].map({True: t["yes"], False: t["no"]}),
    )
    columns = {
        "optimizer": t["optimizer"],
        "x": t["end_x"],
        "y": t["end_y"],
        "loss": t["end_loss"],
        "diverged": t["diverged"],
    }
    return figure, table.rename(columns=columns)


def queue_runs(
    jobs: JobManager, preset: str, epochs: float, lr: float | None, session: str | None = None
) -> tuple[list[str], gr.Timer, float]:
    """Queue the seven optimizer runs on the example dataset through the job manager, for the session."""
    from cnnapp.course import optimizer_race

    if not EXAMPLE_DATASET.is_dir():
        raise DataError(say("learn.no_example"))
    base = optimizer_race.base_config(EXAMPLE_DATASET, preset, int(epochs), float(lr or 3e-3))
    runs = optimizer_race.queue_optimizer_runs(base, partial(jobs.submit, session=session))
    gr.Info(say("learn.queued"))
    return [r.id for r in runs], gr.Timer(active=True), time.time()


def show_runs(
    root: Path, run_ids: list[str] | None, session: str | None = None
) -> tuple[str, pd.DataFrame, Figure | None, gr.Timer]:
    """The seven runs' states and their validation curves overlaid; the poll timer runs while any is active."""
    from cnnapp.course import optimizer_race

    t = _say("epoch", "val_acc_axis", "val_loss_axis")
    columns = [say(f"learn.{k}") for k in RUNS_COLUMNS]
    runs = [sessions.get_run(r, root, session) for r in run_ids or []]
    if not runs:
        return say("learn.no_runs"), pd.DataFrame(columns=columns), None, gr.Timer(active=False)
    summaries = [r.summary() for r in runs]
    table = pd.DataFrame(
        [
            [
                optimizer_race.NAMES.get(s["optimizer"], s["optimizer"]),
                s["run_id"],
                say(f"compare.state_{s['state']}") if s["state"] in STATES else s["state"],
                f"{s['epoch']}/{s['epochs']}",
                pct(s["best_val_acc"]),
            ]
            for s in summaries
        ],
        columns=columns,
    )
    curves = optimizer_race.optimizer_curves(runs)
    curves["optimizer"] = curves["optimizer"].map(lambda o: optimizer_race.NAMES.get(o, o))
    labels = {"epoch": t["epoch"], "val_acc": t["val_acc_axis"], "val_loss": t["val_loss_axis"]}
    active = any(s["state"] in ACTIVE for s in summaries)
    return "", table, optimizer_race.curves_figure(curves, labels), gr.Timer(active=active)


def poll_runs(root: Path, run_ids: list[str] | None, session: str | None = None) -> tuple:
    """`show_runs` on the timer; when the last run ends, tell the other tabs that runs changed."""
    shown = show_runs(root, run_ids, session)
    return *shown, (gr.skip() if shown[-1].active else time.time())


def _matrix(label: Any, elem_id: str, interactive: bool, **layout: Any) -> gr.Dataframe:
    """A table the user edits (`interactive`) or one of results, in the compact `cnn-table` style."""
    return gr.Dataframe(interactive=interactive, label=label, elem_id=elem_id, elem_classes="cnn-table", **layout)


def _build_convolution() -> dict:
    gr.Markdown(T("learn.conv_text"))
    with gr.Row():
        with gr.Column(min_width=280):
            c = {
                "image": gr.Image(
                    type="numpy",
                    label=T("learn.image"),
                    height=260,
                    sources=["upload", "clipboard"],
                    elem_id="learn-conv-image",
                ),
                "kernel_name": gr.Dropdown([KERNEL], value=KERNEL, label=T("learn.kernel"), elem_id="learn-kernel"),
                "kernel": gr.Dataframe(
                    interactive=True,
                    label=T("learn.kernel_numbers"),
                    row_count=3,
                    column_count=3,
                    elem_id="learn-kernel-table",
                    elem_classes="cnn-table",
                ),
            }
            with gr.Row():
                c["padding"] = gr.Slider(0, 3, value=0, step=1, label=T("learn.padding"), min_width=120)
                c["stride"] = gr.Slider(1, 4, value=1, step=1, label=T("learn.stride"), min_width=120)
            c["relu"] = gr.Checkbox(value=False, label=T("learn.relu"))
        with gr.Column(min_width=280):
            with gr.Row():
                c["seen"] = gr.Image(type="pil", label=T("learn.input_gray"), interactive=False, height=260)
                c["fmap"] = gr.Image(
                    type="pil", label=T("learn.feature_map"), interactive=False, height=260, elem_id="learn-feature-map"
                )
            c["size"] = gr.Markdown(elem_id="learn-conv-size")
    return c


def _build_pooling(example: str | None) -> dict:
    gr.Markdown(T("learn.pool_text"))
    with gr.Row():
        c = {
            "method": gr.Radio([POOL_METHOD], value=POOL_METHOD, label=T("learn.method")),
            "kernel": gr.Slider(1, 4, value=2, step=1, label=T("learn.window")),
            "stride": gr.Slider(1, 4, value=2, step=1, label=T("learn.stride")),
        }
    with gr.Row():
        c["matrix"] = _matrix(T("learn.input_matrix"), "learn-pool-input", interactive=True)
        c["pooled"] = _matrix(T("learn.pooled"), "learn-pool-output", interactive=False)
    c["size"] = gr.Markdown()
    with gr.Row():
        c["image"] = gr.Image(
            example, type="numpy", label=T("learn.image"), height=220, sources=["upload", "clipboard"]
        )
        c["pooled_image"] = gr.Image(type="pil", label=T("learn.pooled_image"), interactive=False, height=220)
    c["pooled_text"] = gr.Markdown()
    return c


def _build_stacking() -> dict:
    gr.Markdown(T("learn.stack_text"))
    with gr.Row():
        c = {"input": _matrix(T("learn.stack_input"), "learn-stack-input", interactive=True)}
        with gr.Column():
            c["padding"] = gr.Slider(0, 2, value=0, step=1, label=T("learn.padding"))
            c["stride"] = gr.Slider(1, 3, value=1, step=1, label=T("learn.stride"))
            c["text"] = gr.Markdown(elem_id="learn-volume-text")
    with gr.Row():
        c["volume"] = gr.Plot(label=T("learn.volume"), format="png")
        c["slices"] = image_grid(T("learn.one_map_per_filter"), 4, "learn-slices")
    return c


def _build_layers() -> dict:
    gr.Markdown(T("learn.flatten_text"))
    with gr.Row():
        c = {
            "channels": gr.Slider(1, 4, value=2, step=1, label=T("learn.channels")),
            "height": gr.Slider(1, 5, value=3, step=1, label=T("learn.height")),
            "width": gr.Slider(1, 5, value=3, step=1, label=T("learn.width")),
        }
    c["flat"] = gr.Plot(label=T("learn.flatten_plot"), format="png", show_label=False, elem_id="learn-flatten")
    gr.Markdown(T("learn.softmax_text"))
    with gr.Row():
        c["logits"] = gr.Textbox(COURSE_LOGITS, label=T("learn.logits"), elem_id="learn-logits")
        c["temperature"] = gr.Slider(
            0.1, 5, value=1, step=0.05, label=T("learn.temperature"), elem_id="learn-temperature"
        )
    c["softmax"] = gr.Plot(label=T("learn.probabilities"), format="png", show_label=False, elem_id="learn-softmax")
    c["softmax_text"] = gr.Markdown()
    gr.Markdown(T("learn.dropout_text"))
    with gr.Row():
        c["p"] = gr.Slider(0, 0.9, value=0.5, step=0.05, label=T("learn.dropout_p"), elem_id="learn-dropout-p")
        c["seed"] = gr.Number(0, precision=0, minimum=0, label=T("learn.seed"), min_width=120)
    c["dropout"] = gr.Plot(label=T("learn.dropout_plot"), format="png", show_label=False, elem_id="learn-dropout")
    c["dropout_text"] = gr.Markdown()
    return c


def _build_losses() -> dict:
    gr.Markdown(T("learn.loss_text"))
    with gr.Row():
        c = {
            "target": gr.Slider(0, 1, value=1, step=0.05, label=T("learn.target"), elem_id="learn-loss-target"),
            "prediction": gr.Slider(
                0.01, 0.99, value=0.7, step=0.01, label=T("learn.prediction"), elem_id="learn-loss-pred"
            ),
        }
    c["plot"] = gr.Plot(label=T("learn.loss_plot"), format="png", show_label=False, elem_id="learn-loss-plot")
    gr.Markdown(T("learn.batch_title"))
    with gr.Row():
        c["batch"] = _matrix(T("learn.batch_input"), "learn-batch", interactive=True, scale=1)
        c["losses"] = _matrix(T("learn.batch_output"), "learn-batch-losses", interactive=False, scale=3)
    return c


def _build_optimizers() -> dict:
    gr.Markdown(T("learn.race_text"))
    with gr.Row():
        with gr.Column(min_width=260, scale=1):
            c = {
                "surface": gr.Dropdown([SURFACE], value=SURFACE, label=T("learn.surface"), elem_id="learn-surface"),
            }
            with gr.Row():
                c["x"] = gr.Number(label=T("learn.start_x"), min_width=90)
                c["y"] = gr.Number(label=T("learn.start_y"), min_width=90)
            c["steps"] = gr.Slider(10, 1000, value=300, step=10, label=T("learn.steps"))
            c["lrs"] = _matrix(T("learn.lrs"), "learn-race-lrs", interactive=True, row_count=8)
            c["go"] = gr.Button(T("learn.race"), variant="primary", elem_id="learn-race")
        with gr.Column(scale=3):
            c["plot"] = gr.Plot(label=T("learn.race_plot"), format="png", show_label=False, elem_id="learn-race-plot")
            headers = [say(f"learn.{k}") for k in RACE_COLUMNS]
            c["table"] = _matrix(T("learn.race_table"), "learn-race-table", interactive=False, headers=headers)
    gr.Markdown(T("learn.runs_text"))
    with gr.Row(equal_height=True):
        presets = [(T(f"learn.preset_{k}"), k) for k in PRESETS]
        c["preset"] = gr.Radio(presets, value="lenet5", label=T("learn.model"))
        c["epochs"] = gr.Slider(1, 5, value=3, step=1, label=T("learn.epochs"))
        c["lr"] = gr.Number(value=3e-3, label=T("learn.run_lr"), min_width=120)
    with gr.Row():
        c["queue"] = gr.Button(T("learn.queue"), variant="primary", elem_id="learn-queue-optimizers")
        c["refresh"] = gr.Button(T("learn.refresh"), elem_id="learn-refresh-optimizers", scale=0, min_width=140)
    c["ids"] = gr.State([])
    c["empty"] = gr.Markdown(T("learn.no_runs"))
    headers = [say(f"learn.{k}") for k in RUNS_COLUMNS]
    c["runs"] = _matrix(T("learn.runs_table"), "learn-optimizer-runs", interactive=False, headers=headers)
    c["curves"] = gr.Plot(label=T("learn.runs_plot"), format="png", show_label=False, elem_id="learn-optimizer-curves")
    c["timer"] = gr.Timer(POLL_S, active=False)
    return c


def build(ctx: UIContext) -> None:
    """The Learn tab."""
    example = _example_image()
    with gr.Tabs():
        with gr.Tab(T("learn.tab_conv")):
            conv = _build_convolution()
        with gr.Tab(T("learn.tab_pool")):
            pool = _build_pooling(example)
        with gr.Tab(T("learn.tab_stack")):
            st = _build_stacking()
        with gr.Tab(T("learn.tab_layers")) as layers_tab:
            layers = _build_layers()
        with gr.Tab(T("learn.tab_arch")):
            gr.Markdown(T("learn.arch_text"))
            arch_table = gr.Dataframe(
                interactive=False,
                wrap=True,
                label=T("learn.architectures"),
                max_height=900,
                elem_id="learn-architectures",
                elem_classes="cnn-table",
                column_widths=["11%", "8%", "5%", "6%", "9%", "7%", "6%", "6%", "8%", "34%"],
            )
        with gr.Tab(T("learn.tab_loss")) as loss_tab:
            loss = _build_losses()
        with gr.Tab(T("learn.tab_optim")) as optim_tab:
            opt = _build_optimizers()

    def event(fn, inputs: list, outputs: list, **extra) -> dict:
        return {"fn": user_errors(fn), "inputs": inputs, "outputs": outputs, **PRIVATE, **extra}

    convolved = event(
        convolve,
        [conv["image"], conv["kernel"], conv["padding"], conv["stride"], conv["relu"]],
        [conv["seen"], conv["fmap"], conv["size"]],
    )
    pooled = event(
        pool_matrix, [pool["matrix"], pool["method"], pool["kernel"], pool["stride"]], [pool["pooled"], pool["size"]]
    )
    pooled_img = {
        "fn": user_errors(pool_picture),
        "inputs": [pool["image"], pool["method"], pool["kernel"], pool["stride"]],
        "outputs": [pool["pooled_image"], pool["pooled_text"]],
        **PRIVATE,
    }
    stacked = event(
        stack,
        [st["input"], st["padding"], st["stride"]],
        [st["volume"], st["slices"], st["text"]],
    )
    flat = event(flatten_view, [layers["channels"], layers["height"], layers["width"]], [layers["flat"]])
    soft = event(softmax_view, [layers["logits"], layers["temperature"]], [layers["softmax"], layers["softmax_text"]])
    dropped = event(dropout_view, [layers["p"], layers["seed"]], [layers["dropout"], layers["dropout_text"]])
    lossed = event(loss_view, [loss["target"], loss["prediction"]], [loss["plot"]])
    batched = event(batch_view, [loss["batch"]], [loss["losses"]])
    defaults = event(
        surface_defaults,
        [opt["surface"]],
        [opt["surface"], opt["x"], opt["y"], opt["lrs"]],
    )
    raced = event(
        race_view,
        [opt["surface"], opt["x"], opt["y"], opt["steps"], opt["lrs"]],
        [opt["plot"], opt["table"]],
    )
    session = ctx.session
    shown = event(
        partial(show_runs, ctx.root),
        [opt["ids"], session],
        [opt["empty"], opt["runs"], opt["curves"], opt["timer"]],
        show_progress="hidden",
    )

    started = ctx.demo.load(
        starting_values,
        None,
        [conv["image"], conv["kernel_name"], conv["kernel"], pool["method"], pool["matrix"], st["input"]],
        **PRIVATE,
    )
    for computed in (convolved, pooled, pooled_img, stacked):
        started.then(**computed)
    conv["kernel_name"].input(kernel_table, conv["kernel_name"], conv["kernel"], **PRIVATE).then(**convolved)
    gr.on(
        [
            conv["image"].input,
            conv["kernel"].input,
            conv["padding"].release,
            conv["stride"].release,
            conv["relu"].input,
        ],
        **convolved,
    )
    gr.on([pool["matrix"].input, pool["method"].input, pool["kernel"].release, pool["stride"].release], **pooled)
    gr.on([pool["image"].input, pool["method"].input, pool["kernel"].release, pool["stride"].release], **pooled_img)
    gr.on([st["input"].input, st["padding"].release, st["stride"].release], **stacked)
    ctx.demo.load(**event(architectures, [], [arch_table]))

    # the sections below are drawn when their tab is opened (from the current inputs), not for every page load
    for computed in (flat, soft, dropped):
        layers_tab.select(**computed)
    loss_tab.select(**lossed)
    loss_tab.select(**batched)
    optim_tab.select(**raced)
    optim_tab.select(**shown)  # the runs' states, and the table's headers in the visitor's language
    gr.on([layers["channels"].release, layers["height"].release, layers["width"].release], **flat)
    gr.on([layers["logits"].submit, layers["logits"].blur, layers["temperature"].change], **soft)
    gr.on([layers["p"].change, layers["seed"].change], **dropped)
    gr.on([loss["target"].change, loss["prediction"].change], **lossed)
    ctx.demo.load(batch_start, None, loss["batch"], **PRIVATE)
    loss["batch"].input(**batched)
    ctx.demo.load(**defaults)
    opt["surface"].input(**defaults).then(**raced)
    opt["go"].click(**raced)
    opt["queue"].click(
        **event(
            partial(queue_runs, ctx.jobs),
            [opt["preset"], opt["epochs"], opt["lr"], session],
            [opt["ids"], opt["timer"], ctx.runs_changed],
        )
    ).then(**shown)
    opt["refresh"].click(**shown)
    opt["timer"].tick(
        **event(
            partial(poll_runs, ctx.root),
            [opt["ids"], session],
            [opt["empty"], opt["runs"], opt["curves"], opt["timer"], ctx.runs_changed],
            show_progress="hidden",
        )
    )
