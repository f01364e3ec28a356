"""What the engine tells a person, as a message code with parameters.

The engine (trainer, job manager, ingestion, run files) stores a `Message`: a code and its parameters, with its
English text beside them for the CLI and the logs (`ENGLISH`). A page renders the code in its own language (the UI's
`engine.<code>` strings) and shows the English text only for a code it has no words for: nothing is matched by its
English text, so rewording a message here never loses its translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code → English text with `{param}` fields; a parameter may itself be a Message (rendered in the same language)
ENGLISH: dict[str, str] = {
    # a run's status (cnnapp.runs, cnnapp.training.train, .learner, .progress)
    "run.starting": "starting",
    "run.starting_process": "starting the training process",
    "run.reading": "reading the dataset",
    "run.reading_files": "reading the dataset: {done:,} of {total:,} files checked ({rate:,.0f} files/s)",
    "run.building": "building the model",
    "run.building_arch": "building {arch}",
    "run.decoding": "decoding images",
    "run.waiting": "waiting for a free training slot",
    "run.cancelled_before_start": "cancelled before it started",
    "run.stopped": "stopped on request; the best weights so far and a checkpoint were saved",
    "run.epoch": "epoch {epoch}/{epochs} ({stage})",
    "run.completed": "completed{val}{test}{early}",  # each part a message of its own, or empty
    "run.completed_val": ": val accuracy {acc:.1%}",
    "run.completed_test": ", test accuracy {acc:.1%}",
    "run.stopped_early": "; stopped early after epoch {epoch} ({reason})",
    "stage.full": "full",
    "stage.frozen": "frozen",
    "stage.unfrozen": "unfrozen",
    # early stopping (cnnapp.training.record)
    "patience.stale": "validation accuracy did not improve for {epochs} epochs",
    "patience.stale_1": "validation accuracy did not improve for {epochs} epoch",
    # the trainer's usual log lines (cnnapp.training.train, .progress, .record)
    "log.resuming": "resuming from stage {stage}, epoch {epoch}",
    "log.model": "{arch}: {classes} classes, {details}",
    "log.balance": "unbalanced classes ({ratio:.1f}:1): balanced with {balance} (--balance {asked})",
    "log.no_val_patience": "warning: no validation images, so no early stopping (patience needs val accuracy)",
    "log.mixing_no_cache": "mixup/cutmix: the frozen stage trains through the images, not on cached backbone "
    "features (a feature vector has no patch to cut; each batch is mixed anew)",
    "log.stage": "stage '{stage}': {trainable:,} trainable parameters, {epochs} epoch(s)",
    "log.epoch": "epoch {epoch}/{epochs} [{stage}] train loss {loss:.4f} acc {acc:.1%}{val} | {seconds:.1f}s{best}",
    "log.epoch_val": " | val loss {loss:.4f} acc {acc:.1%}",
    "log.stopped_early": "stage '{stage}' stopped early: {reason}; keeping the best weights (epoch {best})",
    "log.error": "error: {message}",
    # training failures (cnnapp.training.engine, .learner)
    "loss.non_finite": (
        "the loss diverged: lower the learning rate (it became NaN or infinite; e.g. divide --lr-head by 10)"
    ),
    "loss.non_finite_val": (
        "the validation loss became NaN or infinite in epoch {epoch}; "
        "lower the learning rate (e.g. divide --lr-head by 10)"
    ),
    # run names (cnnapp.training.provenance)
    "name.default": "{arch} · {dataset} · {mode}",
    "name.detailed": "{arch} · {dataset} · {mode} · {detail}",
    "mode.scratch": "from scratch",
    "mode.frozen": "frozen",
    "mode.frozen_unfrozen": "frozen, then unfrozen",
    "mode.fine_tuned": "fine-tuned",
    # errors of any kind (cnnapp.errors)
    "error.out_of_memory": "out of memory: lower --batch-size or --img-size, or pick a smaller architecture",
    "error.disk_full": "the disk is full: delete runs or exports to free space",
    "error.disk_full_at": "{disk_full} ({where})",
    "error.files": "could not read or write files ({problem}: {file}); check disk space and permissions",
    "error.unexpected": "unexpected error ({kind}: {first}){see}",
    "error.see_log": "; see {file}",
    # datasets (cnnapp.data.ingest): failures, then skip reasons
    "data.not_found": "dataset not found: {source}; give a folder of class sub-folders or a .zip",
    "data.not_folder_or_zip": "'{name}' is not a folder or a .zip archive; give an ImageFolder directory or a .zip",
    "data.no_classes": (
        "no class folders found in {place}: expected <folder>/<class>/<image> or <folder>/train/<class>/<image>"
    ),
    "data.no_valid_images": "no valid images found in {place} ({skipped} file(s) skipped; see the report)",
    "data.one_class": "only one class ({name}) has images: a classifier needs at least two class folders",
    "data.imbalanced": (
        "unbalanced classes: '{largest}' has {most} training images, '{smallest}' {fewest} ({ratio:.1f}:1, over "
        "{limit:g}:1); accuracy flatters the large classes: look at balanced accuracy, and consider the "
        "balance option (weights or sampler)"
    ),
    "skip.macos": "macOS resource-fork folder",
    "skip.bookkeeping": "cnnapp bookkeeping file",
    "skip.hidden": "hidden file or folder",
    "skip.system": "operating-system file",
    "skip.not_image": "not an image file ({ext})",
    "skip.no_extension": "no extension",
    "skip.link": "symbolic link; not followed",
    "skip.outside_class": "not inside a class folder",
    "skip.not_a_split": "folder beside train/val/test that is not a split; ignored",
    "skip.no_training_folder": "class '{name}' has no training folder",
    "skip.duplicate": "duplicate of {first}",
    "skip.unreadable": "unreadable file ({problem})",
    # archives (cnnapp.data.archive): failures, then skip reasons
    "archive.not_found": "archive not found: {path}",
    "archive.not_zip": "'{name}' is not a zip archive (the file is damaged or another format); upload a .zip file",
    "archive.corrupt": "'{name}' is a corrupt or unsupported zip archive ({problem}); re-create the archive",
    "archive.too_many_files": "the archive has more than {limit:,} files; split it or raise CNNAPP_ZIP_MAX_FILES",
    "archive.too_large": (
        "the archive expands to more than {gib:.1f} GiB; upload a smaller dataset or raise CNNAPP_ZIP_MAX_BYTES"
    ),
    "archive.bomb_member": (
        "'{name}' compresses {ratio:.0f}:1, which looks like a zip bomb; the archive was not extracted"
    ),
    "archive.bomb": "the archive expands {ratio:.0f}:1, which looks like a zip bomb; it was not extracted",
    "archive.oversized_member": "'{name}' is larger than its header says; the archive was not extracted",
    "archive.disk_full": "{disk_full}, then upload '{name}' again",
    "archive.cannot_extract": "could not extract '{name}': {problem}",
    "archive.unsafe_path": "unsafe path that would escape the extraction folder; not extracted",
    "archive.link": "symbolic link; not extracted",
    "archive.duplicate_name": "duplicate entry name; the first '{first}' was kept",
    "archive.encrypted": "encrypted (needs a password); not extracted",
    "archive.all_encrypted": "every entry of '{name}' is encrypted (needs a password); zip the images without one",
    "archive.unreadable_member": "this entry's data cannot be read ({problem}); not extracted",
    "archive.nested": "nested archive; not extracted (unpack it and upload its content)",
    "archive.name_too_long": "name too long for this filesystem; not extracted",
    "archive.file_and_folder": "a file and a folder of the archive have the same name; not extracted",
    "archive.cannot_write": "cannot be written on this filesystem ({problem}); not extracted",
    # image files (cnnapp.data.images)
    "image.too_large": (
        "image is too large ({width}×{height} pixels, limit {limit:,}); resize it or raise CNNAPP_MAX_IMAGE_PIXELS"
    ),
    "image.too_many_pixels": (
        "image is too large ({pixels:,} pixels, over this server's limit of {limit:,}); make it smaller or raise "
        "CNNAPP_MAX_IMAGE_PIXELS"
    ),
    "image.bomb": "image is too large (decompression bomb guard: {problem})",
    "image.not_image": "not a valid image (the file content is not a picture format PIL can read)",
    "image.not_found": "file not found",
    "image.corrupt": "truncated or corrupt image ({problem})",
    # augmentation summaries (cnnapp.data.transforms.describe_augment)
    "augment.none": "no augmentation",
    "augment.step": "{name} ({meaning} {value})",
    "augment.list": "{steps}",
    "augment.meaning.crop": "smallest area kept",
    "augment.meaning.hflip": "probability",
    "augment.meaning.vflip": "probability",
    "augment.meaning.rotate": "max degrees",
    "augment.meaning.noise": "max std (fraction of 255)",
    "augment.meaning.color": "brightness/contrast change",
    "augment.meaning.hue": "hue shift (saturation ×2)",
    "augment.meaning.gray": "probability",
    "text": "{text}",  # a message that has no code of its own yet: its English text as is
    # job manager
    "run.waiting_resume": "waiting for a free training slot to resume from its checkpoint",
    "run.waiting_restart": "waiting for a free training slot to start again (no checkpoint was saved)",
    "run.shut_down_before_start": "the app shut down before this run started",
    "run.app_stopped_before_start": "the app stopped before this queued run started",
    "run.start_failed": "could not start the training process ({reason})",
    "run.process_gone": "the training process (pid {pid}) is gone (the machine restarted)",
    "run.process_ended": "the training process (pid {pid}) ended without finishing "
    "(killed, crashed or the machine restarted)",
    "run.ended_unknown": "the training process ended without finishing (it was started before the app restarted)",
    "run.killed": "the training process was killed ({signal})",
    "run.exit_code": "the training process exited with code {exit_code}; see {log}",
    "run.sending_signal": "the process did not stop in time; sending {signal}",
    "run.stopped_on_request": "stopped on request",
    "run.stopped_killed": "stopped on request (the process had to be killed)",
    "run.time_limit": "stopped after {minutes:g} min, this server's limit for one run (set by CNNAPP_MAX_RUN_MINUTES); "
    "the best weights so far and a checkpoint were saved: resume it to continue",
    # page truth: what was said in English or wrongly (the divergence rule, the hardware line, the queue limits)
    "loss.diverged": (
        "the loss diverged: lower the learning rate (it stayed over {factor:g}× its first value for {batches} "
        "batches in a row)"
    ),
    "log.details": "{counts} images at {size} px on {where}",
    "device.line": "{where}, {precision}, {layout}",
    "device.cpu": "CPU ({threads} threads)",
    "device.cpu_1": "CPU (1 thread)",
    "device.precision": "{train} training, {eval} inference",
    "log.split_count": "{count} {split}",
    "split.train": "train",
    "split.val": "val",
    "split.test": "test",
    "limit.queued_session": (
        "you already have {count} request(s) waiting, this server's limit (set by {variable}; a Start, a Resume, "
        "a grid or a race each count once); wait for one to start or stop one"
    ),
    "limit.queued_total": (
        "{count} requests are already waiting for a slot, this server's limit (set by {variable}); try again when "
        "one has started"
    ),
    "dataset.example": "Fashion-MNIST mini (example)",  # the example shipped with cnnapp, in run names
    "limit.over": "{what} {value}{unit} is over this server's limit of {limit}{unit} (set by {variable})",
    # settings refused before anything is queued (cnnapp.training.config, cnnapp.models.registry)
    "config.at_least": "{option} must be at least {minimum}, got {value}",
    "config.zero_or_more": "{option} must be 0 or more, got {value}",
    "config.patience": "{option} must be 0 (off) or more epochs, got {value}",
    "config.rate": "{option} must be a positive number no larger than {maximum:g}, got {value}",
    "config.between": "{option} must be between {minimum} and {maximum}, got {value}",
    "config.size_too_small": "image size {size} px is too small for {arch}: use at least {minimum} px",
    # the options as the engine names them; a page says its form's words
    "option.epochs": "epochs",
    "option.unfreeze_epochs": "unfreeze_epochs",
    "option.patience": "patience",
    "option.lr_head": "lr_head",
    "option.lr_backbone": "lr_backbone",
    "option.batch_size": "batch_size",
    "option.seed": "seed",
    "option.img_size": "img_size",
    "option.workers": "workers",
    # classifying a folder or a .zip of images (cnnapp.serving.folder_predict)
    "folder.no_images": "no image to classify in {name} ({skipped} file(s) skipped, none of them a usable image)",
    "folder.min_confidence": "min confidence must be between 0 and 1, got {value}",
    "folder.sort_inside": "the sorted copies cannot go inside the folder being classified ({folder}): pick another",
    # a run's model on new labelled data (cnnapp.training.evaluate) and cleaning its dataset (cnnapp.training.cleaner)
    "evaluate.no_known_class": "none of the classes in {name} ({classes}) is one of the run's",
    "cleaner.no_dataset": "run {run} has no ingest.json: its dataset is unknown",
    "cleaner.columns": "{name} needs the columns path, action (keep, relabel or remove) and new_label",
    "cleaner.exists": "{folder} already exists: choose another folder",
    "cleaner.unknown_path": "{path} is not an image of the run's dataset",
    "cleaner.unknown_action": "action '{action}' of {path}: use keep, relabel or remove",
    "cleaner.unknown_class": "relabel {path} as '{label}': not one of {classes}",
}


@dataclass(frozen=True)
class Message:
    """A code from `ENGLISH` with its parameters; `str()` is the English text."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, ENGLISH)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in run files: `{"code": ..., "params": {...}}` (nested messages as dicts)."""
        return {"code": self.code, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> Message | None:
        """The message stored by `to_dict`, or None for anything not of that shape (an old or damaged file)."""
        if not isinstance(data, dict) or not isinstance(data.get("code"), str):
            return None
        params = data.get("params")
        if not isinstance(params, dict):
            return None
        return cls(data["code"], {str(k): _restored(v) for k, v in params.items()})


def msg(code: str, **params: Any) -> Message:
    """The message `code` with `params` (the code must be one of `ENGLISH`'s)."""
    if code not in ENGLISH:
        raise KeyError(f"unknown message code {code!r}: add it to cnnapp.messages.ENGLISH")
    return Message(code, params)


def text(value: Any) -> Message:
    """A message for text that has no code of its own: shown as it is in every language."""
    return value if isinstance(value, Message) else Message("text", {"text": str(value)})


def render(message: Message, table: dict[str, str]) -> str:
    """`message` in the language of `table` (code → template); a code missing there falls back to English."""
    template = table.get(message.code) or ENGLISH.get(message.code) or message.code
    values = {k: _rendered(v, table) for k, v in message.params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a template and its parameters out of step: never crash a page
        return ENGLISH.get(message.code, message.code).format_map(_Missing(values))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _rendered(value: Any, table: dict[str, str]) -> Any:
    """A parameter as text: a Message rendered, a list of them rendered and joined with commas."""
    if isinstance(value, Message):
        return render(value, table)
    if isinstance(value, list):
        return ", ".join(str(_rendered(item, table)) for item in value)
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, list):
        return [_restored(item) for item in value]
    return Message.from_dict(value) or value


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value.to_dict() if isinstance(value, Message) else value
