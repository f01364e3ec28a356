"""The Evaluate, Compare, Explain and Learn tabs: registered in the app, their handlers on a real trained run
(no browser)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from cnnapp.course import convolution
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig
from cnnapp.ui import compare_tab, evaluate_tab, explain_tab, learn
from cnnapp.ui.common import user_errors
from cnnapp.ui.i18n import say
from cnnapp.ui.learn import architectures, pooling, shared, stacking
from cnnapp.ui.learn.convolution import convolve, kernel_table
from tests.conftest import trained_demo_run
from tests.test_i18n_tabs import speaking


# Tests on this trained run (about 5 s on 2 cores, once per module) are `slow`.
@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding one LeNet-5 run trained for 2 epochs on the demo set."""
    root = tmp_path_factory.mktemp("ui-home")
    trained_demo_run(root)
    return root


@pytest.fixture(scope="module")
def run_id(home: Path) -> str:
    return next((home / "runs").iterdir()).name


def test_the_tabs_are_registered_and_the_app_builds(tmp_path):
    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui import TABS, build_app

    for tab in (evaluate_tab, compare_tab, explain_tab, learn):
        assert tab in TABS and callable(tab.build)
    assert [t.TITLE for t in (evaluate_tab, compare_tab, explain_tab, learn)] == [
        "Evaluate",
        "Compare",
        "Explain",
        "Learn",
    ]
    assert isinstance(build_app(tmp_path, JobManager(tmp_path)), gr.Blocks)


@pytest.mark.slow
def test_evaluate_shows_a_run(home, run_id):
    dropdown, empty = evaluate_tab.run_choices(home, None, None)
    assert dropdown.value == run_id and empty == ""
    summary, split, table, counts, rows, loss, acc, gallery, note = evaluate_tab.show(home, run_id, "validation")
    assert "Validation accuracy" in summary and "%" in summary and split.value == "validation"
    assert list(table.columns) == ["class", "precision", "recall", "f1", "support"] and len(table) == 10
    assert all(isinstance(f, Figure) for f in (counts, rows, loss, acc))
    assert 0 < len(gallery) <= 16 and note == ""
    image, caption = gallery[0]
    assert isinstance(image, Image.Image) and image.size == (128, 128) and " → " in caption and caption.endswith("%)")
    assert evaluate_tab.show(home, run_id, "test")[1].value == "validation"  # no test split: falls back


@pytest.mark.slow
def test_evaluate_and_compare_a_run_in_spanish(home, run_id):
    with speaking("es"):
        summary, split, table, counts, rows, loss, acc, *_ = evaluate_tab.show(home, run_id, "validation")
        compared = compare_tab.show(home, [run_id])
    assert "Exactitud de validación" in summary and "imágenes de **validación**" in summary
    assert list(table.columns) == ["clase", "precisión", "exhaustividad (recall)", "F1", "soporte"]
    assert counts.axes[0].get_title() == "matriz de confusión (recuentos)" and rows.axes[0].get_ylabel() == "clase real"
    assert loss.axes[0].get_xlabel() == "época" and acc.axes[0].get_ylabel() == "exactitud (%)"
    assert {t.get_text() for t in loss.axes[0].get_legend().get_texts()} == {"entrenamiento", "validación"}
    assert "1 de 1 entrenamientos terminados" in compared[1]
    assert compared[2].loc[0, "configuración"] == "(a) desde 0" and compared[2].loc[0, "estado"] == "terminado"
    assert compared[3].axes[0].get_xlabel() == "época"


def test_evaluate_empty_states(tmp_path):
    dropdown, empty = evaluate_tab.run_choices(tmp_path, None, None)
    assert dropdown.value is None and "No evaluated run yet" in empty
    assert evaluate_tab.show(tmp_path, None, None)[0] == ""
    RunDir.create("lenet5", tmp_path).update_status(state="running", created=1.0)
    assert evaluate_tab.run_choices(tmp_path, None, None)[0].value is None  # unfinished runs are not listed


class FakeJobs:
    """Records submissions as queued run directories (no training)."""

    def __init__(self, root: Path):
        self.root = root
        self.submitted: list[dict] = []

    def submit(self, cfg: TrainConfig, session: str | None = None, dataset_name: str | None = None) -> RunDir:
        self.submitted.append(cfg.to_dict())  # resolved by the tab: the job manager queues it as it is
        run = RunDir.create(cfg.arch, self.root)
        cfg.save(run.file("config.json"))
        run.update_status(state="queued", created=float(len(self.submitted)))
        return run

    def submit_all(
        self,
        configs: list[TrainConfig],
        session: str | None = None,
        kind: str = "start",
        dataset_name: str | None = None,
    ) -> list[RunDir]:
        assert kind == "grid", "the grid is one request"
        return [self.submit(cfg, session, dataset_name) for cfg in configs]


def test_compare_queues_the_four_settings(tmp_path, demo_dir):
    jobs = FakeJobs(tmp_path)
    dataset = {"path": str(demo_dir), "name": "demo"}
    picked, timer, bumped = compare_tab.queue(jobs, None, dataset, "tf_efficientnet_lite0", 2, 0, 64, 0.01, "light")
    assert len(picked.value) == 4 and timer.active and bumped > 0
    flags = [(v["pretrained"], v["freeze"], v["unfreeze_epochs"]) for v in jobs.submitted]
    assert flags == [(False, False, 0), (True, True, 0), (True, False, 0), (True, True, 2)]
    assert all(
        v["epochs"] == 2 and v["img_size"] == 64 and v["lr_head"] == 0.01 and v["augment"] == "light"
        for v in jobs.submitted
    )
    empty, bar, table, figure, download, timer = compare_tab.show(tmp_path, picked.value)
    assert "0 of 4 runs finished" in bar
    assert empty == "" and len(table) == 4 and table["state"].eq("queued").all() and timer.active
    assert table["setting"].str[:3].tolist() == ["(a)", "(b)", "(c)", "(d)"]

    queue = user_errors(partial(compare_tab.queue, jobs, None))
    with pytest.raises(gr.Error, match="no dataset chosen"):
        queue(None, "tf_efficientnet_lite0", 1, 0, 64, None, "none")
    with pytest.raises(gr.Error, match="image size 8 px is too small"):
        queue(dataset, "lenet5", 1, 0, 8, None, "none")
    assert len(jobs.submitted) == 4  # nothing queued by the failed clicks
    queue(dataset, "lenet5", 1, 0, 32, None, "none")  # only (a) can run: (b)–(d) are skipped
    assert len(jobs.submitted) == 5 and jobs.submitted[-1]["pretrained"] is False


@pytest.mark.slow
def test_compare_table_curves_and_csv_of_finished_runs(home, run_id):
    empty, bar, table, figure, download, timer = compare_tab.show(home, [run_id])
    assert "1 of 1 runs finished" in bar
    assert empty == "" and len(table) == 1 and not timer.active
    assert table.loc[0, "setting"] == "(a) from scratch" and table.loc[0, "best val acc"].endswith("%")
    assert isinstance(figure, Figure) and len(figure.axes[0].lines) == 1
    csv = pd.read_csv(download.value["path"] if isinstance(download.value, dict) else download.value)
    assert csv["run_id"].tolist() == [run_id]
    assert compare_tab.poll(home, [run_id])[-1] > 0  # the grid is over: other tabs are told
    assert compare_tab.show(home, [])[0] == say("compare.empty")
    assert compare_tab.run_choices(home, [run_id, "gone"]).value == [run_id]


@pytest.mark.slow
def test_explain_grad_cam_and_feature_maps(home, run_id, demo_dir):
    image = str(sorted((demo_dir / "bag").iterdir())[0])
    classes, layers = explain_tab.on_model(home, run_id)
    assert classes.value == explain_tab.PREDICTED and "bag" in [
        c[0] if isinstance(c, tuple) else c for c in classes.choices
    ]
    assert layers.value[-1] == "features" and len(layers.value) >= 3
    overlay, caption = explain_tab.gradcam(home, image, run_id, "bag")
    assert overlay.size == (56, 28) and "Grad-CAM of **bag**" in caption
    _, predicted = explain_tab.gradcam(home, image, run_id, explain_tab.PREDICTED)
    _, caption = explain_tab.gradcam(home, image, run_id, "Egyptian cat")  # a class of another model: the predicted one
    assert caption == predicted and "Grad-CAM of **" in caption
    grids = explain_tab.feature_maps(home, image, run_id, layers.value)
    assert len(grids) == len(layers.value) and all(isinstance(im, Image.Image) for im, _ in grids)
    assert explain_tab.gradcam(home, None, run_id, None) == (None, say("explain.no_image"))
    assert explain_tab.feature_maps(home, image, run_id, []) == []


def test_learn_handlers():
    seen, fmap, size = convolve(convolution.shapes_image(), kernel_table("sobel x"), 1, 2, True)
    assert isinstance(fmap, Image.Image) and "⌊(96 − 3 + 2·1) / 2⌋ + 1 = 48" in size and "48 × 48" in size
    pooled, text = pooling.pool_matrix(shared.table(convolution.COURSE_MATRIX), "max", 2, 2)
    assert pooled.to_numpy().tolist() == [[4, 7, 8], [12, 14, 11], [7, 15, 13]] and "= 3" in text
    image = np.zeros((28, 28, 3), dtype=np.uint8)
    shown, text = pooling.pool_picture(image, "avg", 2, 2)
    assert shown.size == (28, 28) and "**14×14**" in text
    figure, slices, text = stacking.stack(shared.table(convolution.COURSE_MATRIX), 0, 1)
    assert isinstance(figure, Figure) and len(slices) == 8 and "**4 × 4 × 8**" in text
    table = architectures.architectures()
    assert table.set_index("architecture").loc["vgg16", "params (computed)"] == "138,357,544"
    with pytest.raises(gr.Error, match="numbers only"):
        user_errors(convolve)(image, pd.DataFrame([["x", 0, 0]] * 3), 0, 1, False)


def test_the_compare_table_shows_runs_still_queued(workspace, tmp_path):
    """Just-queued runs have no stages yet (NaN): the table crashed on every poll and never listed the grid."""
    import pandas as pd

    table = pd.DataFrame(
        [
            {c: None for c in compare_tab.SHOWN}
            | {"setting": "(a) from scratch", "state": "queued", "stages": float("nan")}
        ]
    )
    shown = compare_tab._shown(table)
    assert shown.iloc[0].tolist()[list(compare_tab.SHOWN).index("stages")] == "—"
