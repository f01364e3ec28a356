"""Take a trained model away: ONNX, a self-contained model folder (timm-compatible), the Hugging Face Hub.

Two formats, both at the run's image size and with its classes and normalisation written in:

- `onnx`: `model.onnx`, fp32, a dynamic batch axis. Input `input`: float32 NCHW `[batch, 3, S, S]`,
  already prepared (RGB, shorter side resized to S with bilinear filtering, centre-cropped to S×S,
  scaled to [0, 1], normalised with the run's mean/std). Output `probabilities`: `[batch, classes]`,
  softmax already applied. Labels, normalisation and preprocessing are in the model's metadata_props.
  Exported with PyTorch's TorchScript-based exporter (`dynamo=False`): it needs only the `onnx`
  package (the dynamo exporter also needs `onnxscript`), it is fast, and it handles every registry
  architecture once adaptive pooling with a non-divisible output (AlexNet below 224 px, LeNet-5 at
  other than 28 px) is rewritten as the identical fixed averaging (two small matrix products).
- `safetensors`: a model folder of `model.safetensors` (the state dict), `config.json` (timm's Hub
  format: `architecture`, `num_classes`, `label_names`, `pretrained_cfg` with input size, mean/std,
  interpolation and crop; plus a `cnnapp` block) and a model card `README.md` with the run's metrics.
  timm loads it for timm architectures (`timm.create_model("local-dir:FOLDER", pretrained=True)`,
  or `hf-hub:USER/REPO` once pushed); `load_exported` loads every architecture.

Longer than most modules because every export target (ONNX, the model folder and its card, the Hub) shares one
`RunModel` and one description of the run's preprocessing, which must not drift apart between formats.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import torch
from torch import nn

import cnnapp
from cnnapp import workspace
from cnnapp.errors import CnnappError, ExportError
from cnnapp.files import atomic_write, write_json, write_text
from cnnapp.models.pretrained import read_checkpoint
from cnnapp.models.registry import ModelSpec, build, get_spec
from cnnapp.runs import RunDir, get_run, write_safetensors
from cnnapp.serving.inference import trained_model

FORMATS = ("onnx", "safetensors")
ONNX_OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
INTERPOLATION = "bilinear"
RESIZE = "resize the shorter side to img_size (bilinear), then centre-crop img_size×img_size"
FOLDER_WEIGHTS, FOLDER_CONFIG, FOLDER_CARD = "model.safetensors", "config.json", "README.md"  # timm's folder layout
FOLDER_FILES = (FOLDER_WEIGHTS, FOLDER_CONFIG, FOLDER_CARD)
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_SOURCE_ONLY_KEYS = (
    "tag",
    "license",
    "origin_url",
    "paper_ids",
    "paper_name",
    "notes",
    "hf_hub_id",
    "url",
    "file",
    "source",
)


@dataclass
class RunModel:
    """A run's trained model (fp32, eval mode, CPU) with what is needed to describe it."""

    run: RunDir
    model: nn.Module
    spec: ModelSpec
    classes: list[str]
    img_size: int
    config: dict


def load_run_model(run: RunDir | str | Path) -> RunModel:
    """The run's trained model (see `cnnapp.serving.inference.trained_model`) with what export needs to know."""
    run = run if isinstance(run, RunDir) else get_run(run, allow_paths=True)
    model, cfg, classes = trained_model(run)
    return RunModel(run, model, get_spec(cfg["arch"]), classes, int(cfg["img_size"]), cfg)


def default_out(run: RunDir, fmt: str, root: Path | None = None) -> Path:
    """`<workspace>/exports/<run_id>-<format>`."""
    return (root or workspace.home()) / "exports" / f"{run.id}-{fmt}"


# ----- ONNX ---------------------------------------------------------------------------------


def _averaging_matrix(size: int, out: int) -> torch.Tensor:
    """(out, size) weights reproducing adaptive average pooling along one axis exactly."""
    m = torch.zeros(out, size)
    for i in range(out):
        start, end = (i * size) // out, math.ceil((i + 1) * size / out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class FixedAdaptiveAvgPool2d(nn.Module):
    """`AdaptiveAvgPool2d` for one known input size, as `P_h @ x @ P_wᵀ` (exportable for any output size)."""

    def __init__(self, in_hw: tuple[int, int], out_hw: tuple[int, int]):
        super().__init__()
        self.register_buffer("ph", _averaging_matrix(in_hw[0], out_hw[0]))
        self.register_buffer("pwt", _averaging_matrix(in_hw[1], out_hw[1]).t().contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(torch.matmul(self.ph, x), self.pwt)


def _pair(value: int | tuple | None, like: tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return tuple(like[i] if v is None else v for i, v in enumerate(value))  # type: ignore[return-value]


def fix_adaptive_pools(model: nn.Module, img_size: int) -> int:
    """Replace adaptive average pools whose output does not divide their input (at `img_size`); return how many."""
    seen: dict[str, tuple[int, int]] = {}

    def recorder(name: str):
        def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            seen.setdefault(name, tuple(args[0].shape[-2:]))

        return hook

    pools = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    hooks = [m.register_forward_pre_hook(recorder(name)) for name, m in model.named_modules() if isinstance(m, pools)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, img_size, img_size))
    finally:
        for h in hooks:
            h.remove()
    replaced = 0
    for name, in_hw in seen.items():
        module = model.get_submodule(name)
        out_hw = _pair(module.output_size, in_hw)
        if all(i % o == 0 for i, o in zip(in_hw, out_hw)):
            continue
        if isinstance(module, nn.AdaptiveMaxPool2d):
            raise ExportError(
                f"adaptive max pooling from {in_hw} to {out_hw} cannot be exported to ONNX; try another --img-size"
            )
        model.set_submodule(name, FixedAdaptiveAvgPool2d(in_hw, out_hw))
        replaced += 1
    return replaced


def onnx_metadata(rm: RunModel) -> dict[str, str]:
    """The metadata_props written into the ONNX file."""
    return {
        "cnnapp_version": cnnapp.__version__,
        "run_id": rm.run.id,
        "arch": rm.spec.name,
        "labels": json.dumps(rm.classes, ensure_ascii=False),
        "num_classes": str(len(rm.classes)),
        "img_size": str(rm.img_size),
        "mean": json.dumps(list(rm.spec.mean)),
        "std": json.dumps(list(rm.spec.std)),
        "interpolation": INTERPOLATION,
        "crop_pct": "1.0",
        "preprocessing": f"RGB; {RESIZE}; scale to [0, 1]; subtract mean, divide by std; NCHW float32",
        "input": f"{INPUT_NAME}: float32 [batch, 3, {rm.img_size}, {rm.img_size}], normalised",
        "output": f"{OUTPUT_NAME}: float32 [batch, {len(rm.classes)}], softmax probabilities in the order of labels",
    }


def export_onnx(run: RunDir | str | Path, out: str | Path | None = None) -> Path:
    """Write `<out>/model.onnx` (probabilities, dynamic batch axis, metadata); return its path."""
    import onnx

    rm = load_run_model(run)
    folder = Path(out) if out else default_out(rm.run, "onnx")
    folder.mkdir(parents=True, exist_ok=True)
    model = rm.model
    fix_adaptive_pools(model, rm.img_size)
    wrapped = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    example = torch.randn(1, 3, rm.img_size, rm.img_size, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy-exporter deprecation notice and tracer warnings
            torch.onnx.export(
                wrapped,
                (example,),
                buffer,
                dynamo=False,
                opset_version=ONNX_OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            )
        proto = onnx.load_from_string(buffer.getvalue())
    except CnnappError:
        raise
    except Exception as exc:  # the exporter raises many types for unsupported operators
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(
            f"{rm.spec.name} could not be exported to ONNX ({first[:200]}); "
            "the model folder (--format safetensors) works for every architecture"
        ) from None
    onnx.helper.set_model_props(proto, onnx_metadata(rm))
    proto.doc_string = (
        f"{rm.spec.name} trained with cnnapp {cnnapp.__version__} (run {rm.run.id}); "
        "input normalised NCHW, output softmax probabilities"
    )
    onnx.checker.check_model(proto)
    target = folder / "model.onnx"
    with atomic_write(target) as tmp:
        onnx.save(proto, str(tmp))
    return target


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The metadata_props of an exported ONNX file (labels etc. as JSON strings)."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


# ----- model folder -------------------------------------------------------------------------


def _report_summary(report: dict | None) -> dict:
    report = report or {}
    keys = ("val_accuracy", "val_loss", "macro_f1", "test_accuracy", "best_epoch", "epochs_run", "train_seconds")
    return {k: report[k] for k in keys if report.get(k) is not None}


def _public_train_config(cfg: dict) -> dict:
    """The training config without local paths (only file and folder names are kept)."""
    clean = dict(cfg)
    for key in ("data", "weights"):
        if clean.get(key):
            clean[key] = Path(str(clean[key]).rstrip("/\\")).name
    return clean


def _cnnapp_block(rm: RunModel) -> dict:
    return {
        "version": cnnapp.__version__,
        "arch": rm.spec.name,
        "source": rm.spec.source,
        "classes": rm.classes,
        "num_classes": len(rm.classes),
        "img_size": rm.img_size,
        "mean": list(rm.spec.mean),
        "std": list(rm.spec.std),
        "interpolation": INTERPOLATION,
        "crop_pct": 1.0,
        "resize": RESIZE,
        "run_id": rm.run.id,
        "exported": datetime.now().isoformat(timespec="seconds"),
        "metrics": _report_summary(rm.run.report()),
        "train_config": _public_train_config(rm.config),
    }


def _data_config(rm: RunModel) -> dict:
    return {
        "input_size": (3, rm.img_size, rm.img_size),
        "mean": tuple(rm.spec.mean),
        "std": tuple(rm.spec.std),
        "interpolation": INTERPOLATION,
        "crop_pct": 1.0,
        "crop_mode": "center",
    }


def _write_timm_folder(rm: RunModel, folder: Path) -> dict:
    from timm.models import save_for_hf

    save_for_hf(
        rm.model,
        str(folder),
        model_config={"label_names": rm.classes},
        safe_serialization=True,
        data_config=_data_config(rm),
    )
    config = json.loads((folder / FOLDER_CONFIG).read_text())
    for key in _SOURCE_ONLY_KEYS:  # facts about timm's ImageNet weights, not about these weights
        config["pretrained_cfg"].pop(key, None)
    return config


def _write_plain_folder(rm: RunModel, folder: Path) -> dict:
    write_safetensors(rm.model, folder / FOLDER_WEIGHTS, metadata={"format": "pt", "arch": rm.spec.name})
    pretrained_cfg = dict(
        _data_config(rm), input_size=[3, rm.img_size, rm.img_size], mean=list(rm.spec.mean), std=list(rm.spec.std)
    )
    first_conv = next((n for n, m in rm.model.named_modules() if isinstance(m, nn.Conv2d)), None)
    pretrained_cfg.update(
        num_classes=len(rm.classes), fixed_input_size=False, first_conv=first_conv, classifier=rm.spec.head
    )
    return {
        "architecture": rm.spec.name,
        "num_classes": len(rm.classes),
        "label_names": rm.classes,
        "pretrained_cfg": pretrained_cfg,
    }


def export_folder(run: RunDir | str | Path, out: str | Path | None = None) -> Path:
    """Write the model folder (`model.safetensors`, `config.json`, `README.md`); return the folder."""
    rm = load_run_model(run)
    folder = Path(out) if out else default_out(rm.run, "safetensors")
    folder.mkdir(parents=True, exist_ok=True)
    config = _write_timm_folder(rm, folder) if rm.spec.source == "timm" else _write_plain_folder(rm, folder)
    config["cnnapp"] = _cnnapp_block(rm)
    write_json(folder / FOLDER_CONFIG, config, indent=2)
    write_text(folder / FOLDER_CARD, model_card(rm, config))
    return folder


def export_run(run: RunDir | str | Path, fmt: str, out: str | Path | None = None) -> Path:
    """Export in `fmt` (onnx → the .onnx file, safetensors → the folder)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    return export_onnx(run, out) if fmt == "onnx" else export_folder(run, out)


def load_exported(folder: str | Path) -> tuple[nn.Module, dict]:
    """(model in eval mode, config) from an exported model folder, for every architecture."""
    folder = Path(folder)
    try:
        config = json.loads((folder / FOLDER_CONFIG).read_text())
        arch, num_classes = config["architecture"], int(config["num_classes"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportError(
            f"{folder} is not an exported model folder (config.json missing or without architecture/num_classes)"
        ) from None
    model = build(get_spec(arch), num_classes)
    state = read_checkpoint(folder / FOLDER_WEIGHTS)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ExportError(
            f"model.safetensors in {folder} does not fit {arch} with {num_classes} classes ({str(exc).splitlines()[0]})"
        ) from None
    return model.eval(), config


# ----- model card ---------------------------------------------------------------------------


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
    cfg = _public_train_config(rm.config)
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
    summary = _report_summary(report)
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


# ----- archives and the Hub -----------------------------------------------------------------


def zip_export(path: str | Path) -> Path:
    """A `.zip` beside an exported folder (or file), for downloading; returns its path."""
    path = Path(path)
    base = path.parent / (path.stem if path.is_file() else path.name)
    return Path(shutil.make_archive(str(base), "zip", root_dir=path.parent, base_dir=path.name))


def _offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")
    return flag or bool(constants.HF_HUB_OFFLINE)


def _hub_token(token: str | None) -> str | None:
    if token:
        return token.strip()
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # a broken stored login or OIDC setup means no usable token
        return None


def check_push(repo_id: str, token: str | None = None, env_token: bool = True) -> str:
    """Raise ExportError unless a push to `repo_id` can be tried (valid id, online, a token); return the token.

    Without `token`, `env_token` allows `HF_TOKEN` or the saved login (the CLI); the app passes False so
    that visitors of a shared server never push with the server's own credentials.
    """
    if not REPO_ID.match(repo_id or ""):
        raise ExportError(f"'{repo_id}' is not a Hub repository id: use USER/REPO (letters, digits, '-', '_', '.')")
    if _offline():
        raise ExportError(
            "cannot push to the Hugging Face Hub: offline mode is on (HF_HUB_OFFLINE); "
            "unset it on a machine with network access"
        )
    token = (token or "").strip() or (_hub_token(None) if env_token else None)
    if not token:
        where = "pass --token or set HF_TOKEN" if env_token else "enter your token"
        raise ExportError(f"pushing to the Hugging Face Hub needs an access token with write permission: {where}")
    return token


def push_to_hub(
    folder: str | Path, repo_id: str, token: str | None = None, private: bool = False, env_token: bool = True
) -> str:
    """Upload an exported model folder to the Hub repo `repo_id` (created if missing); return its URL."""
    folder = Path(folder)
    token = check_push(repo_id, token, env_token)
    if not (folder / FOLDER_CONFIG).is_file():
        raise ExportError(f"{folder} is not an exported model folder; export with --format safetensors first")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type="model",
            allow_patterns=list(FOLDER_FILES) + ["model.onnx"],
            commit_message="Upload a model exported by cnnapp",
        )
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        hint = {
            401: "the token was rejected; check it",
            403: "the token cannot write to this repository; use a token with write permission",
        }
        raise ExportError(
            f"the Hub refused the upload to {repo_id} (HTTP {status}): {hint.get(status, str(exc).splitlines()[0])}"
        ) from None
    except Exception as exc:  # network failures come as httpx, OSError and hub types
        raise ExportError(
            f"could not reach the Hugging Face Hub ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); check the network"
        ) from None
    return str(url)
