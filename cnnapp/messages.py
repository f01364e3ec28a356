"""What the engine tells a person, as a message code with parameters.

The engine (trainer, job manager, ingestion, run files) stores a `Message`: a code and its parameters, with its
English text beside them for the CLI and the logs (`ENGLISH`). A page renders the code in its own language (the UI's
`engine.<code>` strings) and shows the English text only for a code it has no words for: nothing is matched by its
English text, so rewording a message here never loses its translation.

The module is longer than 450 lines because `ENGLISH` is one table of every code, grouped by area: splitting it
would only scatter what a translator reads in one place.
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
    # refusals: a request a face cannot take (cnnapp.api, the tabs)
    "api.config_example": "{problem}; send an object such as {example}",
    "api.config_not_object": "config must be a JSON object of training options, such as {example}",
    "api.server_path": (
        "'{key}' names a file on the server and cannot be set through the API; upload the dataset as a .zip"
    ),
    "api.grid_none": "no setting of the grid can run: {reason}",
    "api.no_dataset": "no dataset: upload a .zip of <class>/<image> folders",
    "api.no_image": "no image given: upload a picture to classify",
    "api.no_model": "no model given: pass a run id or imagenet:<arch>, e.g. imagenet:tf_efficientnet_lite0",
    "api.no_archive": "no archive given: upload a .zip of the images to classify",
    "rest.no_length": (
        "this request has no Content-Length: send the image as a multipart form (curl -F image=@photo.jpg)"
    ),
    "rest.too_large": "this request is {size:,} bytes, over the {limit:,} an upload may be (CNNAPP_MAX_UPLOAD)",
    "rest.not_form": (
        "could not read this request as a form: send image (a file), model and top_k as multipart form fields, "
        "e.g. curl -F image=@photo.jpg -F model=imagenet:tf_efficientnet_lite0"
    ),
    "rest.image_not_file": "the image field is text, not a file: send it as a file (curl -F image=@photo.jpg)",
    "run.none_selected": "no run selected: click a run in the table first",
    "grid.no_dataset": "no dataset chosen: pick one on the 1 · Data tab (the example works)",
    # refusals of the Learn tab (cnnapp.course: convolution, layers, losses, mixing, optimizer_race)
    "course.table.matrix": "matrix",
    "course.table.input": "input",
    "course.table.kernel": "kernel",
    "course.table.batch": "batch",
    "course.table.learning_rates": "learning rates",
    "course.not_numbers": "the {name} must contain numbers only",
    "course.not_table": "the {name} must be a non-empty table of rows and columns",
    "course.empty_cells": "the {name} has empty or non-numeric cells",
    "course.conv_sizes": "kernel and stride must be at least 1 and padding 0 or more",
    "course.kernel_too_big": (
        "the {k}×{k} kernel does not fit a {height}×{width} input with padding {padding}; "
        "add padding or use a larger input"
    ),
    "course.kernel_square": "the kernel must be square (e.g. 3×3)",
    "course.unknown_pooling": "unknown pooling '{method}'; choose one of {choices}",
    "course.scores_numbers": "the scores must be numbers separated by commas, e.g. 2.0, 1.0, 0.1",
    "course.scores_count": "type between 2 and 20 scores (logits), e.g. 2.0, 1.0, 0.1",
    "course.temperature": "the temperature must be greater than 0, got {value}",
    "course.dropout": "the dropout probability must be from 0 up to (not including) 1, got {value}",
    "course.cross_entropy": "cross-entropy needs predictions strictly between 0 and 1 and targets from 0 to 1",
    "course.unknown_loss": "unknown loss '{name}'; choose one of {choices}",
    "course.batch_columns": "the batch needs two columns: the target y and the prediction ŷ",
    "course.unknown_mix": "unknown mix {kind!r}; choose one of {choices}",
    "course.unknown_surface": "unknown surface '{name}'; choose one of {choices}",
    "course.unknown_optimizer": "unknown optimizer '{name}'; choose one of {choices}",
    "course.race_lr": "the learning rate of {optimizer} must be greater than 0, got {value}",
    "course.race_steps": "steps must be between 1 and 5000, got {value}",
    "course.race_rates": "the learning-rate table needs one row per optimizer ({count})",
    "course.unknown_preset": "unknown model '{name}'; choose one of {choices}",
    # refusals about datasets (cnnapp.data.builder, .examples, .transforms; cnnapp.jobs.uploads)
    "builder.what_class": "class name",
    "builder.what_dataset": "dataset name",
    "builder.name_empty": "the {what} is empty; type a name such as 'cat'",
    "builder.name_too_long": "the {what} '{name}…' is too long; use at most {limit} characters",
    "builder.name_not_folder": (
        "the {what} '{name}' cannot be a folder name; use letters, digits, spaces, '-', '_' or '.', starting with a "
        "letter or digit"
    ),
    "builder.name_reserved": "'{name}' is reserved for dataset splits; choose another {what}",
    "builder.empty_picture": "the picture is empty or not an image array",
    "builder.cannot_read": "cannot read a picture from {kind}",
    "builder.no_class": "there is no class '{name}' in this dataset; add it first",
    "builder.class_exists": "there is already a class '{name}'; class names must differ (ignoring case)",
    "builder.not_example": "'{filename}' is not an example of '{name}'; it may already be deleted",
    "builder.no_pictures": "the dataset has no pictures yet; add classes and examples first",
    "examples.cifar10_hint": (
        "download cifar-10-python.tar.gz (the CIFAR-10 python version, https://www.cs.toronto.edu/~kriz/cifar.html) "
        "and pass it with `python -m cnnapp datasets cifar10 --archive FILE`"
    ),
    "examples.fashion_missing": (
        "Fashion-MNIST not found in {source}; install it with `apt-get install dataset-fashion-mnist`"
    ),
    "examples.not_batch": "{name} is not a CIFAR-10 python batch ({problem}); {hint}",
    "examples.not_dict": "{name} is not a CIFAR-10 python batch (not a dictionary); {hint}",
    "examples.bad_data": "{name}: 'data' is not an N×3072 uint8 array; {hint}",
    "examples.bad_labels": "{name}: 'labels' is not a list of {count} class numbers 0-9; {hint}",
    "examples.cifar10_missing": "CIFAR-10 archive not found: {archive}; {hint}",
    "examples.no_batch": "{name} has no {folder}/{batch}: is it the CIFAR-10 python version? {hint}",
    "examples.batch_too_large": "{name}: {batch} is {size:,} bytes, too large for a CIFAR-10 batch",
    "examples.not_tar": "{name} is not a readable .tar.gz archive ({problem}); {hint}",
    "examples.download_failed": "CIFAR-10 could not be downloaded ({kind}: {first}); offline? {hint}",
    "examples.unknown": "unknown example dataset '{name}'; choose one of {choices}",
    "examples.per_class": "per_class must be at least 1, got {value}",
    "augment.unknown": "unknown augmentation '{name}'; use a preset ({presets}) or names from {names}",
    "augment.needs_number": "augmentation '{token}' needs a number after '='",
    "augment.negative": "augmentation '{token}' needs a value of 0 or more",
    "upload.cannot_store": "could not store the uploaded dataset ({problem})",
    "error.no_detail": "no detail",
    # refusals about runs and jobs (cnnapp.runs, cnnapp.jobs, cnnapp.training.train, .evaluate, .lr_find)
    "runs.not_found": "no run named '{name}': it was deleted or the name is mistyped; pick one from the list of runs",
    "runs.bad_id": "'{name}' is not a valid run id",
    "runs.not_run_dir": "{path} is not a run directory (no {file})",
    "runs.damaged": "run {run}'s weights ({file}) are damaged and cannot be loaded; train it again",
    "runs.no_weights_yet": "run {run} has no saved weights yet; wait for its first epoch to finish",
    "runs.no_weights": "run {run} ended without saving any weights ({why}); train it again",
    "runs.no_checkpoint": "{path} has no checkpoint to resume from (it stopped before finishing an epoch)",
    "runs.not_resumable": "run {run} is {state}; only interrupted, cancelled or failed runs can be resumed",
    "runs.untrained": "run {run} has no trained model yet (config or labels missing); train it first",
    "session.not_ready": (
        "this page has no session yet (its browser storage is not ready); reload the page and try again"
    ),
    "jobs.cannot_start": "could not start a worker process ({problem})",
    "jobs.too_long": "it took longer than {minutes:.0f} minutes and was stopped",
    "jobs.dataset_gone": (
        "run {run}'s dataset is no longer on this server (an upload is kept {minutes:.0f} minutes after its run "
        "stops); start a new run with it"
    ),
    "jobs.not_running": "run {run} is not running (it is {state})",
    "jobs.cancelled_queued": "the queued run was cancelled",
    "jobs.stopping": "stopping after the current batch (a checkpoint is saved)",
    "state.queued": "queued",
    "state.ingesting": "ingesting",
    "state.running": "running",
    "state.completed": "completed",
    "state.failed": "failed",
    "state.cancelled": "cancelled",
    "state.interrupted": "interrupted",
    "state.damaged": "damaged",
    "train.not_run_dir": "{path} is not a run directory",
    "train.dir_taken": "{path} already holds a {state} run; choose a new --run-dir or use --resume",
    "train.none_queued": "{path} holds no queued run",
    "evaluate.no_report": "run {run} has no evaluation report yet: it is written when training finishes",
    "evaluate.no_split": "this run has no {split} evaluation (no {split} images)",
    "evaluate.no_predictions": "run {run} has no validation predictions yet: they are written when training finishes",
    "lr_find.bad_sweep": "the sweep needs at least 2 steps and 0 < start < end, got {steps}, {start}, {end}",
    "lr_find.no_images": "the training split has no images to sweep the learning rate over",
    "lr_find.too_early": (
        "the loss diverged after only {steps} steps, too early to suggest a learning rate; "
        "try a smaller batch or a smaller starting rate"
    ),
    "name.too_long": "the run name is {length} characters long; keep it under {limit}",
    # refusals of settings (cnnapp.training.config, .compare, .budget, cnnapp.models, cnnapp.hardware, .settings)
    "config.unknown_option": "unknown option '{key}'; valid options: {options}",
    "config.wrong_type": "{option} must be {kind}, got {value}",
    "config.kind_int": "int (a whole number)",
    "config.kind_float": "float (a number)",
    "config.kind_bool": "bool (true or false)",
    "config.kind_str": "str (text)",
    "config.unknown_recipe": "unknown recipe '{recipe}'; choose one of {choices}",
    "config.no_data": "no dataset given: pass --data PATH (a folder of class sub-folders or a .zip)",
    "config.pretrained_and_weights": "choose either --pretrained (ImageNet weights) or --weights FILE, not both",
    "config.no_pretrained": (
        "{problem}: train {arch} from scratch (pretrained off), or pick {offline}, whose ImageNet weights ship with "
        "cnnapp"
    ),
    "config.needs_freeze": "unfreeze_epochs needs a frozen first stage: add --freeze",
    "config.unknown_choice": "unknown {option} '{value}'; choose one of {choices}",
    "config.fraction": "{option} must be in [0, 1), got {value}",
    "config.alpha": "{option} must be 0 (off) or a positive alpha, got {value}",
    "config.ema_decay": "ema_decay must be 0 (off) or in (0, 1), e.g. 0.999, got {value}",
    "config.one_of": "{option} must be one of {choices}",
    "config.too_large": "{option} {value} is larger than cnnapp supports ({maximum})",
    "weights.offline": (
        "pretrained weights for {arch} could not be downloaded (no network access?). Use --arch {offline}, whose "
        "ImageNet weights ship with cnnapp, pass a local checkpoint with --weights FILE (.safetensors or .pth), or use "
        "--no-pretrained"
    ),
    "config.size_fails": "image size {size} px does not work with {arch} ({problem}); try {suggested}",
    "device.no_cuda": "device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu",
    "device.no_cuda_here": "device 'cuda' was asked for but this machine has no CUDA GPU; use device auto or cpu",
    "compare.no_weights": (
        "{arch} has no pretrained weights, so only (a) of the grid can run; compare with an architecture that has "
        "them (e.g. tf_efficientnet_lite0) or pass --weights FILE"
    ),
    "budget.memory": (
        "batch_size {batch_size} at img_size {img_size} needs about {need:.1f} GiB for {arch}'s activations, over "
        "this server's {budget:.1f} GiB for one training (set by {variable}); lower batch_size or img_size"
    ),
    "arch.unknown": (
        "unknown architecture '{name}'; run `python -m cnnapp models` for the list (any timm model name also works)"
    ),
    "arch.no_weights": "{arch} has no pretrained weights",
    "arch.no_weights_offline": "no ImageNet weights available offline for {arch}",
    "weights.lite0_unreadable": (
        "the bundled EfficientNet-Lite0 weights could not be read ({problem}); reinstall cnnapp"
    ),
    "weights.lite0_count": "EfficientNet-Lite0 weights have {source} tensors, timm's model {target}",
    "weights.lite0_shape": "EfficientNet-Lite0 weight {source} {source_shape} does not fit {target} {target_shape}",
    "weights.none_published": "{arch} has no published pretrained weights; train it from scratch (--no-pretrained)",
    "weights.not_found": "weights file not found: {path}",
    "weights.unreadable": (
        "could not read weights from {name}: use a .safetensors file or a plain PyTorch state dict ({kind}: {first})"
    ),
    "weights.unreadable_detail": "unreadable",
    "weights.not_state_dict": "{name} does not hold a state dict of tensors",
    "weights.mismatch": (
        "{name} does not match this architecture: {missing} tensor(s) missing and {wrong} of the wrong shape "
        "(e.g. {sample}); was it saved from the same --arch?"
    ),
    "settings.invalid": "{variable}={value} is not valid: expected {form}; fix or unset it",
    # refusals of this server's limits (cnnapp.limits, cnnapp.quotas)
    "limit.disk": (
        "the disk is full ({free:,.0f} MiB free, this server needs {need:,.0f} MiB, set by {variable}): "
        "delete runs or exports and try again"
    ),
    "limit.json_depth": "{what} nests deeper than {depth} levels; send a flat object of options",
    "json.invalid": "{what} is not valid JSON ({problem})",
    "top_k.not_whole": "top_k must be a whole number, got {value}",
    "top_k.too_small": "top_k must be at least 1, got {value}",
    "quota.session": (
        "your uploads and datasets would take {need:,.0f} MiB, over this server's {budget:,.0f} MiB for one visitor "
        "(set by {variable}); delete a dataset you made or use a smaller one"
    ),
    "quota.total": (
        "uploads and datasets would take {need:,.0f} MiB, over this server's {budget:,.0f} MiB for them (set by "
        "{variable}); try again later or use a smaller dataset"
    ),
    # refusals of predicting, explaining and exporting (cnnapp.serving)
    "image.bad_array": "the image array must be H×W or H×W×C",
    "image.cannot_read": "cannot read an image from {kind}",
    "explain.no_feature_map": "this model has no convolutional feature map to explain",
    "explain.unknown_layers": "unknown layer(s): {names}",
    "explain.unknown_class": "unknown class '{name}'{hint}",
    "explain.did_you_mean": "; did you mean {names}?",
    "explain.or": "{first} or {second}",
    "explain.classes_are": "; the classes are: {classes}",
    "explain.class_count": " (the model has {count} classes)",
    "export.unknown_format": "unknown export format '{fmt}'; choose one of {choices}",
    "export.int8_onnx": "--int8 quantises the ONNX model: use it with --format onnx",
    "export.not_folder_config": (
        "{folder} is not an exported model folder (config.json missing or without architecture/num_classes)"
    ),
    "export.weights_mismatch": "model.safetensors in {folder} does not fit {arch} with {classes} classes ({problem})",
    "onnx.adaptive_max": (
        "adaptive max pooling from {source} to {target} cannot be exported to ONNX; try another --img-size"
    ),
    "onnx.failed": (
        "{arch} could not be exported to ONNX ({problem}); the model folder (--format safetensors) works for every "
        "architecture"
    ),
    "hub.bad_repo": "'{repo}' is not a Hub repository id: use USER/REPO (letters, digits, '-', '_', '.')",
    "hub.offline": (
        "cannot push to the Hugging Face Hub: offline mode is on (HF_HUB_OFFLINE); unset it on a machine with network "
        "access"
    ),
    "hub.no_token": "pushing to the Hugging Face Hub needs an access token with write permission: {where}",
    "hub.token_cli": "pass --token or set HF_TOKEN",
    "hub.token_page": "enter your token",
    "hub.not_folder": "{folder} is not an exported model folder; export with --format safetensors first",
    "hub.refused": "the Hub refused the upload to {repo} (HTTP {status}): {hint}",
    "hub.http_401": "the token was rejected; check it",
    "hub.http_403": "the token cannot write to this repository; use a token with write permission",
    "hub.unreachable": "could not reach the Hugging Face Hub ({kind}: {first}); check the network",
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
