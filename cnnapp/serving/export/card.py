"""The model folder's card (`README.md`): the run's metrics, per-class results, training configuration, how to load;
and the int8 ONNX folder's (`onnx_card`): both files' sizes and how often they agree.

Also what the folder's `config.json` shares with the card: the metrics summary and the training configuration without
local paths, so that both say the same.
"""

from __future__ import annotations

from pathlib import Path

import cnnapp
from cnnapp.serving.export.run_model import RESIZE, RunModel
from cnnapp.serving.inference import serving_precision


def report_summary(report: dict | None) -> dict:
    """The run's headline metrics (those it has), for the card's table and config.json's `cnnapp` block."""
    report = report or {}
    keys = ("val_accuracy", "val_loss", "macro_f1", "test_accuracy", "best_epoch", "epochs_run", "train_seconds")
    return {k: report[k] for k in keys if report.get(k) is not None}


def public_train_config(cfg: dict) -> dict:
    """The training config without local paths (only file and folder names are kept)."""
    clean = dict(cfg)
    for key in ("data", "weights"):
        if clean.get(key):
            clean[key] = Path(str(clean[key]).rstrip("/\\")).name
    return clean


def _cell(value: object) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _per_class_table(rows: list[dict]) -> str:
    return _table(
        ["class", "precision", "recall", "F1", "images"],
        [[r["class"], r["precision"], r["recall"], r["f1"], r["support"]] for r in rows],
    )


def _load_snippet(rm: RunModel) -> str:
    n = len(rm.classes)
    parts = []
    if rm.spec.source == "timm":
        parts.append(
            "With [timm](https://github.com/huggingface/pytorch-image-models) (`pip install timm`), "
            "from this folder or "
            "from the Hub after pushing (`hf-hub:USER/REPO`):\n\n```python\nimport timm\n\n"
            'model = timm.create_model("local-dir:path/to/this/folder", pretrained=True).eval()\n'
            'labels = model.pretrained_cfg["label_names"]\n'
            "cfg = timm.data.resolve_data_config({}, model=model)\n"
            "transform = timm.data.create_transform(**cfg)\n```\n\n"
            "or with the architecture name — pass `num_classes` in the overlay too, otherwise timm drops the "
            "classifier as a mismatch with its 1000 ImageNet classes:\n\n```python\n"
            f'model = timm.create_model("{rm.spec.name}", pretrained=True, num_classes={n},\n'
            "                          pretrained_cfg_overlay="
            f'dict(file="path/to/model.safetensors", num_classes={n}))\n```'
        )
    elif rm.spec.source == "torchvision":
        kwargs = ", aux_logits=False, init_weights=False" if rm.spec.name == "googlenet" else ""
        parts.append(
            "With torchvision (the state dict uses torchvision's own names):\n\n```python\n"
            "import torchvision\nfrom safetensors.torch import load_file\n\n"
            f"model = torchvision.models.{rm.spec.name}(num_classes={n}{kwargs})\n"
            'model.load_state_dict(load_file("model.safetensors"))\nmodel.eval()\n```'
        )
    parts.append(
        "With cnnapp (every architecture):\n\n```python\nfrom cnnapp.serving.export import load_exported\n\n"
        'model, config = load_exported("path/to/this/folder")\nlabels = config["label_names"]\n```'
    )
    return "\n\n".join(parts)


def model_card(rm: RunModel, config: dict) -> str:
    """The folder's README.md: metrics, per-class results, training configuration, how to load."""
    report = rm.run.report() or {}
    cfg = public_train_config(rm.config)
    library = "timm" if rm.spec.source == "timm" else "pytorch"
    tags = ["image-classification", "cnnapp", rm.spec.name] + (["timm"] if library == "timm" else [])
    front = (
        ["---", f"library_name: {library}", "pipeline_tag: image-classification", "metrics:", "- accuracy", "tags:"]
        + [f"- {t}" for t in tags]
        + ["---", ""]
    )
    start = (
        "ImageNet weights"
        if cfg.get("pretrained")
        else (
            f"the weights in `{cfg['weights']}`"
            if cfg.get("weights")
            else "random initialisation (trained from scratch)"
        )
    )
    lines = [
        f"# {rm.spec.name} image classifier ({len(rm.classes)} classes)",
        "",
        f"Trained with cnnapp {cnnapp.__version__} (run `{rm.run.id}`) from {start}. {rm.spec.description}.",
        "",
        "Classes (in output order): " + ", ".join(f"`{c}`" for c in rm.classes),
        "",
        "## Results",
        "",
    ]
    summary = report_summary(report)
    if summary:
        names = {
            "val_accuracy": "validation accuracy",
            "val_loss": "validation loss",
            "macro_f1": "validation macro F1",
            "test_accuracy": "test accuracy",
            "best_epoch": "best epoch (weights kept)",
            "epochs_run": "epochs run",
            "train_seconds": "training time (s)",
        }
        shown = [[names[k], f"{v:.1%}" if k.endswith("accuracy") else v] for k, v in summary.items()]
        lines += [_table(["metric", "value"], shown), ""]
    else:
        lines += ["The run has no evaluation report yet.", ""]
    if report.get("per_class"):
        lines += ["### Per class (validation)", "", _per_class_table(report["per_class"]), ""]
    if (report.get("test") or {}).get("per_class"):
        lines += ["### Per class (test)", "", _per_class_table(report["test"]["per_class"]), ""]
    metrics = rm.run.metrics()
    if len(metrics):
        cols = [
            c
            for c in ("epoch", "stage", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
            if c in metrics.columns
        ]
        lines += ["### Training curve", "", _table(cols, metrics[cols].astype(object).fillna("").values.tolist()), ""]
    lines += [
        "## Input",
        "",
        f"RGB images, {RESIZE} (img_size = {rm.img_size}), scaled to [0, 1] and normalised with "
        f"mean {list(rm.spec.mean)} and std {list(rm.spec.std)}. "
        "The model returns logits; apply softmax for probabilities.",
        f"cnnapp serves it in {serving_precision(rm.model, rm.spec, rm.img_size, rm.run)} (predict, /predict).",
        "",
        "## Training configuration",
        "",
        _table(["option", "value"], [[k, "" if v is None else v] for k, v in cfg.items()]),
        "",
        "## How to load",
        "",
        _load_snippet(rm),
        "",
        "Files: `model.safetensors` (weights), `config.json` (architecture, `label_names`, timm's `pretrained_cfg` "
        "with input size, mean/std, interpolation and crop, and a `cnnapp` block with the run's settings and metrics).",
        "",
    ]
    return "\n".join(front + lines)


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def onnx_card(rm: RunModel, facts: dict) -> str:
    """The ONNX folder's README.md when it holds an int8 model: what it is, its size against the fp32 file's, and its
    top-1 agreement with the fp32 file on the run's validation images (`onnx.quantize_int8`'s `facts`)."""
    agreement = facts.get("agreement")
    agree = (
        f"{agreement:.1%} of the run's {facts['images']} validation images get the same top-1 class from both files."
        if agreement is not None
        else "The run has no validation images: the agreement with the fp32 model was not measured."
    )
    rows = [
        ["`model.int8.onnx`", _mb(facts["int8_bytes"]), "int8 weights and activations (static quantisation, QDQ)"],
        ["`model.onnx`", _mb(facts["fp32_bytes"]), "fp32, the reference"],
    ]
    return "\n".join(
        [
            f"# {rm.spec.name} image classifier ({len(rm.classes)} classes), int8 ONNX",
            "",
            f"Exported by cnnapp {cnnapp.__version__} from run `{rm.run.id}` for phones and small devices: "
            f"{facts['fp32_bytes'] / facts['int8_bytes']:.1f}× smaller than the fp32 model.",
            "",
            _table(["file", "size", "what"], rows),
            "",
            f"{agree} Calibrated on {facts['calibration_images']} training images (onnxruntime's `quantize_static`).",
            "",
            "## Input",
            "",
            f"`input`: float32 `[batch, 3, {rm.img_size}, {rm.img_size}]`: RGB, {RESIZE}, scaled to [0, 1], "
            f"normalised with mean {list(rm.spec.mean)} and std {list(rm.spec.std)}. Output `probabilities`: "
            "softmax, in the order of the labels in the file's metadata (`labels`).",
            "",
            "Classes (in output order): " + ", ".join(f"`{c}`" for c in rm.classes),
            "",
        ]
    )
