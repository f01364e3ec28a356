"""The model folder (timm-compatible): `model.safetensors`, `config.json`, the card `README.md`; and loading it back.

`config.json` is timm's Hub format (`architecture`, `num_classes`, `label_names`, `pretrained_cfg` with input size,
mean/std, interpolation and crop) plus a `cnnapp` block. timm loads the folder for timm architectures
(`timm.create_model("local-dir:FOLDER", pretrained=True)`, or `hf-hub:USER/REPO` once pushed); `load_exported`
loads every architecture.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from torch import nn

import cnnapp
from cnnapp.errors import ExportError
from cnnapp.files import write_json, write_text
from cnnapp.messages import msg
from cnnapp.models.pretrained import read_checkpoint
from cnnapp.models.registry import build, get_spec
from cnnapp.runs import RunDir, write_safetensors
from cnnapp.serving.export.card import model_card, public_train_config, report_summary
from cnnapp.serving.export.run_model import INTERPOLATION, RESIZE, RunModel, default_out, load_run_model

FOLDER_WEIGHTS, FOLDER_CONFIG, FOLDER_CARD = "model.safetensors", "config.json", "README.md"  # timm's folder layout
FOLDER_FILES = (FOLDER_WEIGHTS, FOLDER_CONFIG, FOLDER_CARD)
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
        "metrics": report_summary(rm.run.report()),
        "train_config": public_train_config(rm.config),
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


def load_exported(folder: str | Path) -> tuple[nn.Module, dict]:
    """(model in eval mode, config) from an exported model folder, for every architecture."""
    folder = Path(folder)
    try:
        config = json.loads((folder / FOLDER_CONFIG).read_text())
        arch, num_classes = config["architecture"], int(config["num_classes"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportError(msg("export.not_folder_config", folder=str(folder))) from None
    model = build(get_spec(arch), num_classes)
    state = read_checkpoint(folder / FOLDER_WEIGHTS)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        problem = str(exc).splitlines()[0]
        raise ExportError(
            msg("export.weights_mismatch", folder=str(folder), arch=arch, classes=num_classes, problem=problem)
        ) from None
    return model.eval(), config


def zip_export(path: str | Path) -> Path:
    """A `.zip` beside an exported folder (or file), for downloading; returns its path."""
    path = Path(path)
    base = path.parent / (path.stem if path.is_file() else path.name)
    return Path(shutil.make_archive(str(base), "zip", root_dir=path.parent, base_dir=path.name))
