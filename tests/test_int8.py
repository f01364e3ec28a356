"""int8 ONNX for phones: onnxruntime's static quantisation of a trained run, its size and its top-1 agreement with the
fp32 file on the run's held-out validation images, stated in the folder's card."""

from __future__ import annotations

import json
import re
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest

from cnnapp import cli
from cnnapp.errors import ExportError
from cnnapp.runs import RunDir
from cnnapp.serving.export import export_run
from cnnapp.serving.export.onnx import INT8_NAME, read_onnx_metadata
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train
from cnnapp.ui import export_tab


def _trained(demo_dir: Path, home: Path, **options) -> RunDir:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNAPP_HOME", str(home))
        cfg = TrainConfig(data=str(demo_dir), batch_size=32, seed=0, **options)
        run, status = train(cfg, progress=False)
    assert status["state"] == "completed", status
    return run


def _check(run: RunDir, out: Path, least_ratio: float, least_agreement: float) -> dict:
    """Export int8, then check the file, its metadata, the card's figures against a fresh measurement."""
    path = export_run(run, "onnx", out, int8=True)
    assert path == out / INT8_NAME and (out / "model.onnx").is_file()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    meta = read_onnx_metadata(path)
    assert meta["run_id"] == run.id and meta["quantization"].startswith("int8")
    assert session.get_outputs()[0].name == "probabilities"
    card = (out / "README.md").read_text()
    agreement = float(re.search(r"([\d.]+)% of the run's (\d+) validation images", card).group(1)) / 100
    images = int(re.search(r"of the run's (\d+) validation images", card).group(1))
    fp32, int8 = (out / "model.onnx").stat().st_size, path.stat().st_size
    assert f"{fp32 / int8:.1f}× smaller" in card
    assert images >= 40 and agreement >= least_agreement, card
    assert fp32 / int8 >= least_ratio, (fp32, int8)
    return {"fp32_bytes": fp32, "int8_bytes": int8, "ratio": round(fp32 / int8, 2), "agreement": agreement,
            "val_images": images}  # fmt: skip


def _record(name: str, figures: dict) -> None:
    """The measured figures in the test's output (`pytest -s`), for the README."""
    print(f"int8 {name}: {json.dumps(figures)}")


@pytest.mark.slow  # a real LeNet-5 training on the 400-image example, then the quantisation
def test_int8_lenet_agrees_with_fp32_on_held_out_images(demo_dir, tmp_path):
    run = _trained(demo_dir, tmp_path / "home", arch="lenet5", epochs=3)
    _record("lenet5@28", _check(run, tmp_path / "out", least_ratio=2.5, least_agreement=0.98))
    path, note = export_tab.make_download(tmp_path / "home", run.id, "onnx", int8=True)  # the Export tab's box
    assert Path(path).name == f"{run.id}.int8.onnx" and "smaller than fp32" in note and "validation images" in note
    assert ort.InferenceSession(path, providers=["CPUExecutionProvider"]).get_inputs()[0].name == "input"


@pytest.mark.slow  # a real frozen EfficientNet-Lite0 (the phone architecture) at 128 px, then the quantisation
def test_int8_efficientnet_lite_is_smaller_and_agrees_with_fp32(demo_dir, tmp_path):
    """At the default 128 px (86% accurate) it measured 100% (one image in 80 is 1.25%). A 64 px run (72% accurate)
    measured 94-95% whatever the calibration: its head's small margins are the cause, not the quantisation."""
    run = _trained(demo_dir, tmp_path / "home", epochs=2)
    _record("tf_efficientnet_lite0@128", _check(run, tmp_path / "out", least_ratio=3.0, least_agreement=0.98))


def test_int8_is_for_onnx_only(tmp_path):
    with pytest.raises(ExportError, match="--int8 quantises the ONNX model: use it with --format onnx"):
        export_run(tmp_path, "safetensors", int8=True)
    args = cli.build_parser().parse_args(["export", "--run", "x", "--format", "onnx", "--int8"])
    assert args.int8 is True and args.format == "onnx"
