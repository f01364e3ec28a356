"""Evaluate on new data and test-time augmentation: a run scored on labelled images it has not seen as a folder or a
zip, as its own validation report is."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnapp import cli
from cnnapp.data.ingest import Dataset
from cnnapp.runs import INGEST, RunDir
from cnnapp.serving import tta
from cnnapp.serving.inference import Predictor
from cnnapp.training import evaluate
from cnnapp.training.metrics import balanced_accuracy, macro_f1
from tests.conftest import DEMO, trained_demo_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    return trained_demo_run(tmp_path_factory.mktemp("eval-new-home"))


def val_folder(run: RunDir, out: Path) -> Path:
    """The run's own validation images copied to `out/<class>/<image>`."""
    dataset = Dataset.load(run.file(INGEST))
    for path, label in zip(dataset.paths("val"), dataset.labels("val")):
        (out / dataset.classes[label]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, out / dataset.classes[label] / Path(path).name)
    return out


def test_balanced_accuracy_and_macro_f1_of_a_known_confusion_matrix():
    cm = np.array([[8, 2, 0], [0, 1, 1], [0, 0, 0]])  # class 2 has no images and is never predicted
    assert balanced_accuracy(cm) == pytest.approx((8 / 10 + 1 / 2) / 2)
    f1 = [2 * 1.0 * 0.8 / 1.8, 2 * (1 / 3) * 0.5 / (1 / 3 + 0.5), 0.0]
    assert macro_f1(cm) == pytest.approx(np.mean(f1))


def test_tta_views_are_the_image_its_mirror_and_four_corner_crops():
    batch = torch.arange(2 * 3 * 20 * 20, dtype=torch.float32).reshape(2, 3, 20, 20)
    views = tta.views(batch)
    assert len(views) == 6 and all(v.shape == batch.shape for v in views)
    assert torch.equal(views[0], batch) and torch.equal(views[1], batch.flip(-1))
    corners = torch.stack(views[2:])
    assert all(not torch.equal(corners[i], corners[j]) for i in range(4) for j in range(i + 1, 4))


def test_tta_probs_average_the_softmax_over_the_views():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(5)).eval()
    batch = torch.randn(3, 3, 16, 16)
    model = lambda x: net(x).softmax(1)  # noqa: E731
    probs = tta.tta_probs(model, batch)
    with torch.no_grad():
        plain, mirror = model(batch), model(batch.flip(-1))
    assert probs.shape == (3, 5) and torch.allclose(probs.sum(1), torch.ones(3))
    assert not torch.allclose(probs, plain, atol=1e-4)
    only_flip = tta.tta_probs(model, batch, crop=1.0)  # full-size "crops" are the image itself
    assert torch.allclose(only_flip, (5 * plain + mirror) / 6, atol=1e-5)


@pytest.mark.slow
def test_evaluating_the_runs_own_val_images_reproduces_its_report(run, tmp_path):
    data = val_folder(run, tmp_path / "new")
    report = evaluate.evaluate_data(run, data, out=tmp_path / "eval")
    own = run.report()
    assert report["num_images"] == 80 and report["unknown_classes"] == {}
    assert report["accuracy"] == own["val_accuracy"]
    assert report["confusion_matrix"] == own["confusion_matrix"]
    assert report["per_class"] == own["per_class"] and report["macro_f1"] == pytest.approx(own["macro_f1"])
    cm = np.asarray(own["confusion_matrix"])
    assert report["balanced_accuracy"] == pytest.approx(np.mean(np.diag(cm) / cm.sum(1)))
    assert len(report["top_losses"]) == min(16, 80 - int(np.trace(cm)))
    assert json.loads((tmp_path / "eval" / "report.json").read_text())["accuracy"] == own["val_accuracy"]
    assert len((tmp_path / "eval" / "predictions.csv").read_text().splitlines()) == 81


@pytest.mark.slow
def test_a_zip_with_an_unknown_class_and_missing_classes_is_reported_not_refused(run, tmp_path):
    data = tmp_path / "new"
    for name in ("bag", "trouser"):
        shutil.copytree(DEMO / name, data / name)
    shutil.copytree(DEMO / "sandal", data / "zebra")  # a class the run does not know
    archive = shutil.make_archive(str(tmp_path / "new"), "zip", data)
    report = evaluate.evaluate_data(run, archive, tta=True)
    assert report["unknown_classes"] == {"zebra": 40} and report["num_images"] == 80
    support = {row["class"]: row["support"] for row in report["per_class"]}
    assert support["bag"] == support["trouser"] == 40 and sum(support.values()) == 80
    assert report["tta_gain"] == pytest.approx(report["tta"]["accuracy"] - report["accuracy"])
    assert (Path(report["out"]) / "predictions_tta.csv").is_file()


@pytest.mark.slow
def test_the_cli_evaluates_with_tta_and_predicts_with_tta(run, tmp_path, capsys):
    data = val_folder(run, tmp_path / "new")
    assert cli.main(["evaluate", "--run", str(run.path), "--data", str(data), "--tta", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    assert f"accuracy {report['accuracy']:.2%} on 80 images" in printed and "with TTA" in printed
    image = str(next((data / "bag").iterdir()))
    assert cli.main(["predict", "--run", str(run.path), "--tta", "--top-k", "3", image]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    predictions = json.loads(line)["predictions"]
    expected = tta.predict(Predictor.from_run(run), image, 3)
    assert [p["label"] for p in predictions] == [label for label, _ in expected]


def test_a_zip_over_the_visitors_disk_budget_is_refused_before_it_is_extracted(run, tmp_path, monkeypatch):
    """The Evaluate tab's labelled zip meets the disk budgets as a Data-tab upload does, before anything is written."""
    from cnnapp.errors import LimitError
    from cnnapp.ui import evaluate_tab

    archive = shutil.make_archive(str(tmp_path / "new"), "zip", DEMO)
    monkeypatch.setenv("CNNAPP_SESSION_DISK_BUDGET", "100kb")
    before = {p for p in run.path.parent.parent.rglob("*")}
    with pytest.raises(LimitError, match="for one visitor"):
        evaluate_tab.evaluate_zip(run.path.parent.parent, run.id, archive, False, "alice")
    assert {p for p in run.path.parent.parent.rglob("*")} == before
