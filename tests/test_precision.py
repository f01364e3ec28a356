"""The precision a model is served in: bf16 only where its answers on a check batch are fp32's, so that `/predict`,
`cnnapp predict` and the exported (fp32) ONNX model give the same answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import DEMO
from PIL import Image
from test_rest_sessions import call, upload
from torch import nn

from cnnapp.data.examples import fashion_mnist_arrays
from cnnapp.data.transforms import BatchPrep, prepare_arrays
from cnnapp.models.registry import get_spec
from cnnapp.serving.export.card import model_card
from cnnapp.serving.export.onnx import export_onnx
from cnnapp.serving.export.run_model import load_run_model
from cnnapp.serving.inference import Predictor, bf16_agrees, check_arrays, serving_precision, to_square_array
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train

SPEC = get_spec("lenet5")


class FixedLogits(nn.Module):
    """Logits `bias` for every image (through a linear layer, which bf16 autocast runs in bf16)."""

    def __init__(self, *bias: float):
        super().__init__()
        self.fc = nn.Linear(3, len(bias))
        with torch.no_grad():
            self.fc.weight.zero_()
            self.fc.bias.copy_(torch.tensor(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean((2, 3)))


def served(model: nn.Module) -> Predictor:
    return Predictor(model, SPEC, ["first", "second"], 28, "fixed", precision="bf16")


def test_a_model_whose_top_class_flips_under_bf16_is_served_in_fp32():
    model = FixedLogits(1.0, 1.001)  # apart in fp32; one number in bf16 (8 bits of mantissa), so argmax is "first"
    x = prepare_arrays(check_arrays(None, 28), BatchPrep(SPEC.mean, SPEC.std, torch.device("cpu")))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(x).argmax(1).eq(0).all(), "the construction: bf16 ties the two logits"
    assert not bf16_agrees(model, x)
    predictor = served(model)
    assert predictor.bf16 is False
    assert predictor.predict([np.zeros((28, 28, 3), np.uint8)], top_k=1)[0][0][0] == "second"  # fp32's answer


def test_a_model_whose_probabilities_move_under_bf16_is_served_in_fp32():
    model = FixedLogits(200.0, 200.75)  # bf16 rounds 200.75 to 201: the same top class, 0.68 → 0.73
    assert served(model).bf16 is False


def test_a_model_whose_answers_bf16_keeps_is_served_in_bf16():
    assert served(FixedLogits(0.0, 5.0)).bf16 is True
    assert Predictor(FixedLogits(0.0, 5.0), SPEC, ["a", "b"], 28, "fixed", precision="fp32").bf16 is False


def _held_out(folder: Path, count: int) -> list[Path]:
    """The first `count` images of Fashion-MNIST's test split (never in the bundled training set), as PNG files."""
    folder.mkdir()
    images, _ = fashion_mnist_arrays("test")
    paths = [folder / f"{i:03d}.png" for i in range(count)]
    for path, image in zip(paths, images):
        Image.fromarray(image, mode="L").save(path)
    return paths


@pytest.mark.slow  # a training, an export, a live app and the CLI
def test_predict_the_cli_and_the_onnx_export_agree_on_held_out_images(workspace, serve, tmp_path):
    run, status = train(TrainConfig(data=str(DEMO), arch="lenet5", epochs=1, batch_size=16), progress=False)
    assert status["state"] == "completed"
    assert len(check_arrays(run, 28)) == 64, "the check batch is the run's validation images"
    images = _held_out(tmp_path / "held-out", 200)
    rm = load_run_model(run)

    session = ort.InferenceSession(str(export_onnx(run, tmp_path / "onnx")), providers=["CPUExecutionProvider"])
    prep = BatchPrep(rm.spec.mean, rm.spec.std, torch.device("cpu"))
    batch = prepare_arrays([to_square_array(p, rm.img_size) for p in images], prep)  # as cnnapp prepares them
    onnx_top = [rm.classes[i] for i in session.run(None, {"input": batch.numpy()})[0].argmax(1)]

    cli = subprocess.run(
        [sys.executable, "-m", "cnnapp", "predict", "--run", run.id, "--top-k", "1", *map(str, images)],
        capture_output=True,
        text=True,
        check=True,
    )
    cli_top = [json.loads(line)["predictions"][0]["label"] for line in cli.stdout.splitlines()]

    with serve() as app:
        base = app.url.rstrip("/")
        answers = [call(base, "predict", [upload(base, p), run.id, 1]) for p in images]
    served_top = [data[0]["label"] for _, data in answers]

    def agreement(a: list[str], b: list[str]) -> float:
        return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)

    precision = serving_precision(rm.model, rm.spec, rm.img_size, run)
    print(f"serving precision {precision}; top-1 agreement /predict-ONNX {agreement(served_top, onnx_top):.1%}")
    assert agreement(served_top, onnx_top) >= 0.995 and agreement(cli_top, onnx_top) >= 0.995
    assert agreement(served_top, cli_top) == 1.0, "one predictor, one precision"
    assert f"cnnapp serves it in {precision}" in model_card(rm, {})
