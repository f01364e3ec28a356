"""The one serialisable training configuration, with validation that runs before any work starts."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cnnapp import settings
from cnnapp.errors import ConfigError
from cnnapp.limits import over
from cnnapp.messages import Message, msg
from cnnapp.training.defaults import LR_HEAD, OFFLINE_ARCH, defaults

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax")
# the models the Learn tab races the optimizers on (`optim_race.base_config`): here, torch-free, for the tab too
RACE_PRESETS: dict[str, dict[str, Any]] = {
    "lenet5": {"arch": "lenet5", "pretrained": False, "freeze": False, "batch_size": 32},
    "efficientnet_frozen": {
        "arch": OFFLINE_ARCH,
        "pretrained": True,
        "freeze": True,
        "img_size": 96,
        "batch_size": 32,
    },
}
# named recipes: option values a training takes for every option left at its default (CLI `--recipe`, the API's
# "recipe", the Train form's Recipe). speedrun: Fashion-MNIST's full 60k/10k to >= 0.93 test accuracy within
# 10 minutes on 2 CPU cores (bench/speedrun.py measures it): a small BatchNorm network, one-cycle AdamW, label
# smoothing, flips and crops
RECIPES: dict[str, dict[str, Any]] = {
    "none": {},
    "speedrun": {
        "arch": "speednet",
        "img_size": 28,
        "epochs": 12,  # measured at full size: 8 epochs 0.924 test accuracy in 330 s, 12 epochs 0.931 in 453 s
        "batch_size": 256,
        "optimizer": "adamw",
        "lr_head": 4e-3,
        "weight_decay": 0.01,
        "scheduler": "onecycle",
        "label_smoothing": 0.1,
        "augment": "hflip,crop=0.8",
        "channels_last": True,
    },
}
SCHEDULERS = ("none", "cosine", "onecycle")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
# unbalanced classes (README "Unbalanced classes"): auto = weights once the train split passes the warn ratio
BALANCES = ("none", "sampler", "weights", "auto")
SEED_MAX = 2**32 - 1
LR_MAX = 1.0  # the largest learning rate accepted: above it every optimizer here only diverges
LR_MIN = 1e-7  # the smallest a form offers (the learning-rate finder's first)
_KIND_WORDS = {kind: msg(f"config.kind_{kind}") for kind in ("int", "float", "bool", "str")}


@dataclass
class TrainConfig:
    """Everything that defines a training run. `None` means "choose from the architecture"."""

    data: str = ""
    arch: str = OFFLINE_ARCH
    pretrained: bool | None = None
    freeze: bool | None = None
    epochs: int = 5
    unfreeze_epochs: int = 0
    patience: int = 0
    lr_head: float = LR_HEAD
    lr_backbone: float | None = None
    optimizer: str = "adamw"
    weight_decay: float = 1e-4
    momentum: float = 0.9
    scheduler: str = "onecycle"
    label_smoothing: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0
    ema_decay: float = 0.0
    batch_size: int = 32
    img_size: int | None = None
    augment: str = "none"
    val_split: float = 0.2
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    feature_cache: bool = True
    weights: str | None = None
    workers: int = 0
    balance: str = "none"
    recipe: str = "none"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly values."""
        return dataclasses.asdict(self)

    def save(self, path: Path) -> None:
        """Write as `config.json`."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a mapping of option names (CLI spellings with dashes accepted); unknown names are errors."""
        known = {f.name: f for f in fields(cls)}
        clean = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(msg("config.unknown_option", key=key, options=list(known)))
            clean[name] = value
        return cls(**clean)

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        """Read a `config.json`."""
        return cls.from_dict(json.loads(Path(path).read_text()))


def _rate(value: float) -> bool:
    """A learning rate that can train: positive and at most `LR_MAX` (a larger one only makes the loss diverge)."""
    return math.isfinite(value) and 0 < value <= LR_MAX


def _option(name: str) -> Message:
    """An option's name as a person reads it (the form's label on a page, the option's name elsewhere)."""
    return msg(f"option.{name}")


def _coerce(cfg: TrainConfig) -> None:
    """Bring every value to its field's type (JSON strings such as "3" or "false" accepted; a bool is not a number)."""
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        kind = f.type.replace(" | None", "")
        if value is None and (kind != f.type or kind == "str"):  # None where a number or bool is needed is refused
            continue
        try:
            if kind in ("int", "float") and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
                raise ValueError
            if kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                setattr(cfg, f.name, int(value))
            elif kind == "float":
                setattr(cfg, f.name, float(value))
            elif kind == "bool" and not isinstance(value, bool):
                text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
                if text not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                setattr(cfg, f.name, text in ("true", "1", "yes"))
            elif kind == "str" and not isinstance(value, str):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise ConfigError(msg("config.wrong_type", option=f.name, kind=_KIND_WORDS[kind], value=shown)) from None


def _check_device(device: str) -> None:
    if device == "cuda":
        import torch  # only for a config that asks for a GPU; the app's first page stays torch-free

        if not torch.cuda.is_available():
            raise ConfigError(msg("device.no_cuda_here"))


def _apply_recipe(cfg: TrainConfig) -> None:
    """Give every option still at its default the recipe's value (what is given explicitly wins)."""
    if cfg.recipe not in RECIPES:
        raise ConfigError(msg("config.unknown_recipe", recipe=cfg.recipe, choices=list(RECIPES)))
    blank = TrainConfig()
    for name, value in RECIPES[cfg.recipe].items():
        if getattr(cfg, name) == getattr(blank, name):
            setattr(cfg, name, value)


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Validate every setting and fill the architecture-dependent defaults (`defaults.defaults`). Raises ConfigError.

    A run's config is resolved once, when it is submitted, and stored resolved: its training loads it as is.
    """
    from cnnapp.data.transforms import parse_augment
    from cnnapp.models.registry import check_input_size, display_name, pretrained_problem
    from cnnapp.training.budget import check_training

    cfg = dataclasses.replace(cfg)
    _coerce(cfg)
    _apply_recipe(cfg)
    if not cfg.data:
        raise ConfigError(msg("config.no_data"))
    problem = pretrained_problem(cfg.arch)  # refused here, before a run is queued, rather than when it starts
    start = defaults(cfg.arch, cfg.pretrained, cfg.weights, cfg.lr_head)
    cfg.pretrained = start.pretrained
    if cfg.pretrained and cfg.weights:
        raise ConfigError(msg("config.pretrained_and_weights"))
    if cfg.pretrained and problem:
        names = {"arch": display_name(cfg.arch), "offline": display_name(OFFLINE_ARCH)}
        raise ConfigError(msg("config.no_pretrained", problem=problem, **names))
    if cfg.freeze is None:
        cfg.freeze = start.freeze
    if cfg.img_size is None:
        cfg.img_size = start.img_size
    if cfg.img_size > settings.get().max_img_size:  # this server's limit first: it names its variable
        raise over(_option("img_size"), cfg.img_size, settings.get().max_img_size, "max_img_size")
    checks = [
        (cfg.epochs >= 1, msg("config.at_least", option=_option("epochs"), minimum=1, value=cfg.epochs)),
        (
            cfg.unfreeze_epochs >= 0,
            msg("config.zero_or_more", option=_option("unfreeze_epochs"), value=cfg.unfreeze_epochs),
        ),
        (cfg.patience >= 0, msg("config.patience", option=_option("patience"), value=cfg.patience)),
        (cfg.unfreeze_epochs == 0 or cfg.freeze, msg("config.needs_freeze")),
        (_rate(cfg.lr_head), msg("config.rate", option=_option("lr_head"), maximum=LR_MAX, value=cfg.lr_head)),
        (
            cfg.lr_backbone is None or _rate(cfg.lr_backbone),
            msg("config.rate", option=_option("lr_backbone"), maximum=LR_MAX, value=cfg.lr_backbone),
        ),
        (
            cfg.optimizer in OPTIMIZERS,
            msg("config.unknown_choice", option="optimizer", value=cfg.optimizer, choices=list(OPTIMIZERS)),
        ),
        (
            cfg.scheduler in SCHEDULERS,
            msg("config.unknown_choice", option="scheduler", value=cfg.scheduler, choices=list(SCHEDULERS)),
        ),
        (cfg.weight_decay >= 0, msg("config.zero_or_more", option="weight_decay", value=cfg.weight_decay)),
        (0 <= cfg.momentum < 1, msg("config.fraction", option="momentum", value=cfg.momentum)),
        (0 <= cfg.label_smoothing < 1, msg("config.fraction", option="label_smoothing", value=cfg.label_smoothing)),
        (math.isfinite(cfg.mixup) and cfg.mixup >= 0, msg("config.alpha", option="mixup", value=cfg.mixup)),
        (
            math.isfinite(cfg.cutmix) and cfg.cutmix >= 0,
            msg("config.alpha", option="cutmix", value=cfg.cutmix),
        ),
        (0 <= cfg.ema_decay < 1, msg("config.ema_decay", value=cfg.ema_decay)),
        (cfg.batch_size >= 1, msg("config.at_least", option=_option("batch_size"), minimum=1, value=cfg.batch_size)),
        (0 <= cfg.val_split < 1, msg("config.fraction", option="val_split", value=cfg.val_split)),
        (cfg.device in DEVICES, msg("config.one_of", option="device", choices=list(DEVICES))),
        (cfg.precision in PRECISIONS, msg("config.one_of", option="precision", choices=list(PRECISIONS))),
        (cfg.workers >= 0, msg("config.zero_or_more", option=_option("workers"), value=cfg.workers)),
        (
            0 <= cfg.seed <= SEED_MAX,
            msg("config.between", option=_option("seed"), minimum=0, maximum=SEED_MAX, value=cfg.seed),
        ),
        (
            cfg.balance in BALANCES,
            msg("config.unknown_choice", option="balance", value=cfg.balance, choices=list(BALANCES)),
        ),
        (cfg.img_size <= 1024, msg("config.too_large", option="img_size", value=cfg.img_size, maximum=1024)),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    if cfg.lr_backbone is None:
        cfg.lr_backbone = start.lr_backbone
    _check_device(cfg.device)
    check_input_size(cfg.arch, cfg.img_size)
    parse_augment(cfg.augment)
    check_training(cfg)
    return cfg
