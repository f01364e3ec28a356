"""The command line: `python -m cnnapp {train,lr-find,predict,models,runs,compare,explain,export,datasets} ...`.

Longer than most modules because it holds the whole parser and one thin `cmd_*` per subcommand, so the CLI reads
in one place; each command only parses arguments and calls the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import fields

from cnnapp import settings
from cnnapp.errors import CnnappError
from cnnapp.training.config import OPTIMIZERS, RECIPES, SCHEDULERS, TrainConfig
from cnnapp.training.defaults import BACKBONE_DIVISOR, LR_HEAD, PRETRAINED_IMG_SIZE, SMALL_IMG_SIZE

HELP = {
    "data": "dataset: a folder of <class>/<image> (or train/val/test/<class>/<image>) or a .zip of one",
    "arch": "architecture name (see `python -m cnnapp models`; any timm model name also works)",
    "pretrained": "start from ImageNet weights (default: when the architecture has them here and no --weights)",
    "freeze": "train only the head, backbone frozen with BatchNorm in eval mode "
    "(default: when it starts from weights, --pretrained or --weights)",
    "epochs": "epochs of the first (or only) stage",
    "unfreeze_epochs": "after the frozen stage, unfreeze and train this many epochs at the backbone learning rate",
    "patience": "early stopping: end a stage once validation accuracy has not improved for this many epochs, "
    "keeping the best weights (0: off; each stage has its own patience)",
    "lr_head": f"learning rate of the classification head (default: {LR_HEAD:g})",
    "lr_backbone": f"learning rate of the backbone (default: lr-head/{BACKBONE_DIVISOR} when it starts from weights, "
    "else lr-head)",
    "optimizer": f"one of {', '.join(OPTIMIZERS)}",
    "weight_decay": "weight decay",
    "momentum": "momentum (sgd, rmsprop)",
    "scheduler": f"learning-rate schedule, one of {', '.join(SCHEDULERS)}",
    "label_smoothing": "label smoothing for the cross-entropy loss",
    "mixup": "mixup alpha (timm's Mixup): blend pairs of training images and their labels (0: off; e.g. 0.2)",
    "cutmix": "cutmix alpha (timm's Mixup): paste a patch of one training image into another, labels by area "
    "(0: off; e.g. 1.0)",
    "ema_decay": "keep an exponential moving average of the weights (timm's ModelEmaV3), validated and saved "
    "instead of the raw weights (0: off; e.g. 0.999)",
    "batch_size": "images per batch",
    "img_size": f"square input size in pixels (default: the architecture's, at most {PRETRAINED_IMG_SIZE} with "
    f"ImageNet weights, {SMALL_IMG_SIZE} from scratch: quick on a CPU)",
    "augment": "augmentations: a preset (none, light, medium, strong) "
    "or e.g. 'hflip,crop=0.8,rotate=15,noise,color,hue,gray'",
    "val_split": "fraction of train held out for validation when there is no val folder",
    "seed": "random seed (CPU runs are repeatable)",
    "device": "auto, cpu or cuda",
    "precision": "auto (bf16 where the hardware has it), fp32 or bf16",
    "channels_last": "channels_last memory format (faster CNNs on CPU)",
    "feature_cache": "with a frozen backbone, compute its features once and train the head on them",
    "weights": "local backbone checkpoint (.safetensors, or .pth read with weights_only)",
    "workers": "DataLoader worker processes (0: load in the training process)",
    "balance": "unbalanced classes: none, sampler (draw every class equally often), weights (inverse-frequency "
    "class weights in the loss) or auto (weights once the largest class outnumbers the smallest past the warn ratio)",
    "recipe": f"a named recipe for every option left at its default, one of {', '.join(RECIPES)} "
    "(speedrun: Fashion-MNIST to 0.93 in minutes on a CPU)",
}


def _add_train_options(p: argparse.ArgumentParser) -> None:
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = f.type.replace(" | None", "")
        if kind == "bool":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=HELP[f.name])
        else:
            caster = {"int": int, "float": float}.get(kind, str)
            p.add_argument(flag, type=caster, default=None, help=HELP[f.name], metavar=f.name.upper())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cnnapp", description="Train, fine-tune, compare, explain and use image classifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a classifier into a run directory")
    _add_train_options(t)
    t.add_argument("--config", help="JSON file of options (command-line options override it)")
    t.add_argument("--run-dir", help="write the run here instead of <workspace>/runs/<run_id>")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint")
    t.add_argument(
        "--queued", metavar="RUN_DIR", help="train the run the app queued there, with the config it stored (as is)"
    )
    t.add_argument("--quiet", action="store_true", help="no progress bars")

    f = sub.add_parser(
        "lr-find", help="suggest a learning rate: the range test (an exponential sweep, as fastai's lr_find)"
    )
    _add_train_options(f)
    f.add_argument("--config", help="JSON file of options (command-line options override it)")
    f.add_argument("--steps", type=int, help="mini-batches in the sweep (default: 100)")
    f.add_argument("--start-lr", type=float, metavar="LR", help="first learning rate (default: 1e-7)")
    f.add_argument("--end-lr", type=float, metavar="LR", help="last learning rate (default: 10)")
    f.add_argument(
        "--out", metavar="FILE", help="also write the curve: a .png plot, or .json (the suggestion and every point)"
    )
    f.add_argument("--format", choices=("text", "json"), default="text", help="what to print (default: text)")
    f.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("predict", help="classify images with a trained run or an ImageNet model")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="run directory or run id")
    src.add_argument("--arch", help="architecture for the ImageNet classifier (with --pretrained)")
    p.add_argument("--pretrained", action="store_true", help="use the ImageNet-pretrained classifier of --arch")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--tta", action="store_true", help="test-time augmentation: average over the flip and four crops")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, or one folder or .zip to classify whole")
    # a folder or a .zip: a CSV of every image's prediction (cnnapp.serving.folder_predict)
    p.add_argument("--out", metavar="FILE.csv", help="folder or .zip: write the CSV here (default: print it)")
    p.add_argument("--sort", metavar="OUT_DIR", help="folder or .zip: copy each image into OUT_DIR/<predicted class>/")
    p.add_argument(
        "--min-confidence", type=float, metavar="P", help="with --sort: images below P (0-1) go to OUT_DIR/unsure/"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    m = sub.add_parser("models", help="list the architectures")
    m.add_argument("--format", choices=("table", "json"), default="table")

    r = sub.add_parser("runs", help="list the runs in the workspace")
    r.add_argument("--format", choices=("table", "json"), default="table")

    c = sub.add_parser(
        "compare", help="train the course's grid (from scratch, frozen, fine-tuned, frozen then unfrozen) and compare"
    )
    _add_train_options(c)
    c.add_argument(
        "--out",
        default="comparison.csv",
        metavar="FILE.csv",
        help="where to write the table (default: ./comparison.csv)",
    )
    c.add_argument("--quiet", action="store_true", help="no progress bars")

    x = sub.add_parser("explain", help="Grad-CAM: where in an image a model finds the evidence for a class")
    x_src = x.add_mutually_exclusive_group(required=True)
    x_src.add_argument("--run", help="run directory or run id")
    x_src.add_argument("--arch", help="explain this architecture's ImageNet classifier instead of a trained run")
    x.add_argument("image", metavar="IMAGE")
    x.add_argument(
        "--out",
        required=True,
        metavar="FILE.png",
        help="image to write: the input and its heatmap overlay side by side",
    )
    x.add_argument("--class", dest="class_name", metavar="NAME", help="explain this class (default: the predicted one)")

    e = sub.add_parser(
        "export",
        help="export a trained run: ONNX, or a model folder (safetensors, config, model card) for timm and the Hub",
    )
    e.add_argument("--run", required=True, help="run directory or run id")
    e.add_argument(
        "--format",
        choices=("onnx", "safetensors"),
        default="safetensors",
        help="onnx: model.onnx (softmax probabilities, dynamic batch); safetensors: model folder (default)",
    )
    e.add_argument("--out", metavar="DIR", help="output folder (default: <workspace>/exports/<run_id>-<format>)")
    e.add_argument(
        "--int8",
        action="store_true",
        help="with --format onnx: also model.int8.onnx (onnxruntime static quantisation) and a README.md card with "
        "its size and top-1 agreement with fp32 on the run's validation images",
    )
    e.add_argument(
        "--push-to-hub", metavar="USER/REPO", help="upload the model folder to this Hugging Face Hub repository"
    )
    e.add_argument(
        "--token", help="Hugging Face access token with write permission (default: $HF_TOKEN or the saved login)"
    )
    e.add_argument("--private", action="store_true", help="create the Hub repository as private")

    d = sub.add_parser(
        "datasets", help="write an example dataset (cifar10, fashion-mnist) as an ImageFolder with train/ and test/"
    )
    d.add_argument("name", choices=("cifar10", "fashion-mnist"))
    d.add_argument("--out", metavar="DIR", help="output folder (default: <workspace>/datasets/<name>)")
    d.add_argument(
        "--archive",
        metavar="FILE",
        help="cifar10: the official cifar-10-python.tar.gz (default: download it through torchvision)",
    )
    d.add_argument("--per-class", type=int, metavar="N", help="at most N images per class in each split (default: all)")
    _add_evaluate_and_clean(sub)
    return parser


def _add_evaluate_and_clean(sub: argparse._SubParsersAction) -> None:
    """`evaluate` (a run on new labelled data) and `clean` (its suspect labels, and a cleaned copy of its data)."""
    v = sub.add_parser("evaluate", help="evaluate a run on new labelled images: accuracy, per class, confusion")
    v.add_argument("--run", required=True, help="run directory or run id")
    v.add_argument("--data", required=True, help="a folder of <class>/<image> or a .zip of one")
    v.add_argument("--tta", action="store_true", help="also with test-time augmentation (flip and crops), and the gain")
    v.add_argument("--out", metavar="DIR", help="where to write report.json (default: <workspace>/evaluations/...)")
    k = sub.add_parser("clean", help="the images whose label the run doubts most; --apply: a cleaned copy of its data")
    k.add_argument("--run", required=True, help="run directory or run id")
    k.add_argument("--out", metavar="FILE.csv", default="suspects.csv", help="suspects table (default: suspects.csv)")
    k.add_argument("--top", type=int, default=100, metavar="N", help="how many suspects, highest loss first")
    k.add_argument("--apply", metavar="EDITS.csv", help="columns path, action (keep|relabel|remove), new_label")


def _train_config(args: argparse.Namespace) -> TrainConfig:
    """The training options: `--config FILE`'s, overridden by those given on the command line."""
    values = _read_config(args.config) if args.config else {}
    if not isinstance(values, dict):
        raise CnnappError(f"{args.config} must hold a JSON object of options")
    values.update({f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None})
    return TrainConfig.from_dict(values)


def cmd_train(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.training.train import resume_training, train, train_queued

    hardware.configure_threads()
    if args.resume:
        run, status = resume_training(args.resume, progress=not args.quiet)
    elif args.queued:
        run, status = train_queued(args.queued, progress=not args.quiet)
    else:
        run, status = train(_train_config(args), args.run_dir, progress=not args.quiet)
    state = status.get("state")
    if os.environ.get("RANK", "0") != "0":
        return 0 if state == "completed" else 1
    if state == "cancelled":  # a stop the user asked for is not an error
        print(f"run stopped: {status.get('message', '')}", file=sys.stderr)
    elif state != "completed":
        print(f"error: run {state}: {status.get('message', '')}", file=sys.stderr)
    print(run.path)
    return 0 if state == "completed" else 1


def _read_config(path: str) -> object:
    """The JSON of a `--config` file, bounded like the API's config."""
    from cnnapp.limits import load_json

    try:
        text = open(path).read()
    except OSError as exc:
        raise CnnappError(f"cannot read {path}: {exc.strerror or exc}") from None
    return load_json(text, path)


def cmd_lr_find(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.training.lr_find import curve_figure, find_lr

    if args.out and not args.out.lower().endswith((".png", ".json")):
        raise CnnappError(f"--out must name a .png or .json file, got {args.out}")
    hardware.configure_threads()
    sweep = {k: getattr(args, k) for k in ("steps", "start_lr", "end_lr") if getattr(args, k) is not None}
    result = find_lr(_train_config(args), progress=not args.quiet, **sweep)
    data = result.to_dict()
    if args.out and args.out.lower().endswith(".json"):
        with open(args.out, "w") as out:
            json.dump(data, out)
    elif args.out:
        curve_figure(data).savefig(args.out, dpi=120)
    print(json.dumps(data) if args.format == "json" else result.summary())
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.limits import check_top_k
    from cnnapp.serving import tta
    from cnnapp.serving.folder_predict import is_folder_source, predict_folder
    from cnnapp.serving.inference import IMAGENET_PREFIX, load_predictor

    top_k = check_top_k(args.top_k)
    hardware.configure_threads()
    if args.arch and not args.pretrained:
        raise CnnappError("--arch needs --pretrained (the ImageNet classifier); to use your own model pass --run")
    folder = len(args.images) == 1 and is_folder_source(args.images[0])
    if not folder and (args.out or args.sort or args.min_confidence is not None):
        raise CnnappError("--out, --sort and --min-confidence are for one folder or .zip of images, not image files")
    if args.min_confidence is not None and not args.sort:
        raise CnnappError("--min-confidence chooses what --sort puts in OUT_DIR/unsure/: give --sort OUT_DIR too")
    predictor = load_predictor(IMAGENET_PREFIX + args.arch if args.arch else args.run, allow_paths=True)
    if folder:
        options = (args.out, top_k, args.sort, args.min_confidence, args.quiet, args.tta)
        return predict_folder(predictor, args.images[0], *options)
    failures = 0
    for image in args.images:
        try:
            top = tta.predict(predictor, image, top_k) if args.tta else predictor.predict([image], top_k=top_k)[0]
        except CnnappError as exc:
            print(f"error: {image}: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(
            json.dumps(
                {"image": image, "predictions": [{"label": label, "prob": round(p, 6)} for label, p in top]},
                ensure_ascii=False,
            )
        )
    return 1 if failures else 0


def cmd_models(args: argparse.Namespace) -> int:
    import pandas as pd

    from cnnapp.models.registry import model_table

    rows = model_table()
    if args.format == "json":
        print(json.dumps(rows, indent=1))
        return 0
    frame = pd.DataFrame(rows)[
        ["name", "family", "year", "source", "params", "input_size", "pretrained_offline", "pretrained_online"]
    ]
    frame["params"] = frame["params"].map("{:,}".format)
    print(frame.to_string(index=False))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from cnnapp.runs import list_runs

    frame = list_runs()
    if args.format == "json":
        print(frame.to_json(orient="records", indent=1))
    elif frame.empty:
        print("no runs yet: train one with `python -m cnnapp train --data PATH`")
    else:
        print(frame.drop(columns=["message"]).to_string(index=False))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.serving.export import export_run
    from cnnapp.serving.export.hub import check_push, push_to_hub

    if args.push_to_hub:
        if args.format != "safetensors":
            raise CnnappError("--push-to-hub uploads the model folder: use it with --format safetensors")
        check_push(args.push_to_hub, args.token)
    hardware.configure_threads()
    path = export_run(args.run, args.format, args.out, args.int8)
    print(path)
    if args.push_to_hub:
        print(push_to_hub(path, args.push_to_hub, token=args.token, private=args.private))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cnnapp import workspace
    from cnnapp.data import examples

    if args.per_class is not None and args.per_class < 1:
        raise CnnappError(f"--per-class must be at least 1, got {args.per_class}")
    if args.archive and args.name != "cifar10":
        raise CnnappError(
            "--archive is for cifar10 only; Fashion-MNIST is read from the Debian package dataset-fashion-mnist"
        )
    out = Path(args.out) if args.out else workspace.datasets_dir() / args.name
    if args.name == "cifar10":
        examples.write_cifar10(out, archive=Path(args.archive) if args.archive else None, per_class=args.per_class)
    else:
        examples.write_fashion_mnist_splits(out, args.per_class)
    print(out)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.training.compare import comparison_table, export_csv, run_grid

    if args.pretrained is not None or args.freeze is not None:
        raise CnnappError("compare sets --pretrained and --freeze itself for each of the four settings; leave them out")
    hardware.configure_threads()
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    table = comparison_table(run_grid(TrainConfig.from_dict(values), progress=not args.quiet))
    print(table.to_string(index=False))
    print(export_csv(table, args.out))
    return 0 if (table["state"] == "completed").all() else 1


def cmd_explain(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.serving.explain import explain
    from cnnapp.serving.inference import IMAGENET_PREFIX, load_predictor

    hardware.configure_threads()
    predictor = load_predictor(IMAGENET_PREFIX + args.arch if args.arch else args.run, allow_paths=True)
    result = explain(predictor, args.image, class_name=args.class_name)
    result.side_by_side().save(args.out)
    print(f"{args.out}: Grad-CAM of '{result.label}' (probability {result.prob:.1%}) at layer {result.layer}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.training.evaluate import evaluate_data, summary

    hardware.configure_threads()
    print(summary(evaluate_data(args.run, args.data, tta=args.tta, out=args.out)))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from cnnapp import hardware
    from cnnapp.training import cleaner

    hardware.configure_threads()
    if args.apply:
        print(cleaner.apply_file(args.run, args.apply))
    else:
        print(cleaner.write_suspects(args.run, args.out, args.top))
    return 0


COMMANDS = {
    "train": cmd_train,
    "lr-find": cmd_lr_find,
    "predict": cmd_predict,
    "models": cmd_models,
    "runs": cmd_runs,
    "export": cmd_export,
    "datasets": cmd_datasets,
    "compare": cmd_compare,
    "explain": cmd_explain,
    "evaluate": cmd_evaluate,
    "clean": cmd_clean,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings.get()  # a bad CNNAPP_* value stops every command at start-up
        return COMMANDS[args.command](args)
    except (CnnappError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
