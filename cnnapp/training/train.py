"""One training run, start to finish: config → ingest → model → staged fit → report, all in a run directory.

`Training` is the orchestrator (fastai's `fine_tune` as stages). It drives a `learner.Learner` (model, data,
batches); the loops are in `engine`, the best epoch and early stopping in `record`, bars and events in `progress`, the
report in `evaluate` (all in `cnnapp.training`), every run file in `cnnapp.runs` and the messages of failures in
`cnnapp.errors`.
"""

from __future__ import annotations

import contextlib
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from cnnapp import distributed
from cnnapp.data.ingest import Dataset, ingest
from cnnapp.errors import CnnappError, IngestError, RunError, coded, expected
from cnnapp.files import write_json
from cnnapp.messages import Message, msg
from cnnapp.models.factory import count_trainable
from cnnapp.runs import CONFIG, INGEST, LABELS, LOG, ReadOnlyRun, RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import Divergence, EpochResult, StopTraining, train_one_epoch
from cnnapp.training.evaluate import write_evaluation
from cnnapp.training.learner import Learner, Stage
from cnnapp.training.progress import Progress, ahead_seconds, epoch_line, metrics_row
from cnnapp.training.record import Patience, Record


def plan_stages(cfg: TrainConfig) -> list[Stage]:
    """fastai's `fine_tune` as data: frozen fit, then (optionally) unfreeze and fit at the backbone rate."""
    if not cfg.freeze:
        return [Stage("full", cfg.epochs, False, cfg.lr_head, cfg.lr_backbone)]
    stages = [Stage("frozen", cfg.epochs, True, cfg.lr_head, cfg.lr_backbone)]
    if cfg.unfreeze_epochs:
        stages.append(Stage("unfrozen", cfg.unfreeze_epochs, False, cfg.lr_backbone, cfg.lr_backbone))
    return stages


def weights_metadata(cfg: TrainConfig, classes: list[str]) -> dict[str, str]:
    """What the saved weights' safetensors header says about them."""
    return {"arch": cfg.arch, "num_classes": str(len(classes)), "img_size": str(cfg.img_size)}


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU runs are then repeatable)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Training:
    """Trains one resolved config into `run`. Use `execute()`; it never raises for run failures."""

    def __init__(self, cfg: TrainConfig, run: RunDir, progress: bool = True, ctx: distributed.Context | None = None):
        self.cfg = cfg
        self.ctx = ctx or distributed.Context()
        self.main = self.ctx.main
        self.run = run if self.main else ReadOnlyRun(run.path)
        self.stages = plan_stages(cfg)
        self.total_epochs = sum(s.epochs for s in self.stages)
        self.progress = Progress(self.run, self.total_epochs, show=progress and self.main)
        frozen = sum(s.epochs for s in self.stages if s.frozen)
        self.learner = Learner(cfg, self.ctx, self.progress, self.stop_requested, frozen)
        self.dataset: Dataset | None = None
        self.record = Record(patience=Patience(cfg.patience))
        self.divergence = Divergence()  # the whole run's batch losses: a diverging run fails (engine.Divergence)
        self.measured: dict[str, list[float]] = {}  # seconds of the epochs run, by kind (`Learner.kinds`)
        self.stop_flag = False
        self.fitting = False  # in the epoch loops, which look at `stop_flag` after each batch
        self.started = time.time()

    def execute(self, resume: bool = False) -> dict:
        """Run to the end and return the final status (completed, failed or cancelled)."""
        previous = signal.signal(signal.SIGTERM, self._on_sigterm) if _main_thread() else None
        self.started = time.time()
        self.run.mark_running(self.total_epochs, state="ingesting")
        try:
            self.prepare()
            state = self.load_checkpoint() if resume else None
            if state is not None:
                self.log(msg("log.resuming", stage=state["stage"] + 1, epoch=state["epoch"] + 1))
            self.fitting = True
            report = self.fit(state)
            summary = _summary(report, self.record.patience.reason())
            return self.run.finish("completed", summary, epoch=self.total_epochs)
        except StopTraining:
            if self.record.best_state is not None:
                self.write_report()
            return self.run.finish("cancelled", msg("run.stopped"))
        except Exception as exc:  # the run must end with a clear state whatever happened
            return self._fail(exc)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def prepare(self) -> None:
        """Ingest the data (rank 0) and record it in the run, seed, and build the learner."""
        cfg = self.cfg
        self.run.update_status(message=msg("run.reading"))
        # one process decodes each image once, checking it and filling the training's cache; torchrun's ranks
        # receive the samples only (each decodes its cache), never the decoded images
        size = None if self.ctx.enabled else cfg.img_size
        self.dataset = dataset = distributed.on_main(
            lambda: ingest(cfg.data, cfg.val_split, cfg.seed, size=size, progress=self.progress.files), self.ctx
        )
        if self.main:
            dataset.save(self.run.file(INGEST))
            write_json(self.run.file(LABELS), dataset.classes)
        self.run.update_status(state="running", message=msg("run.building"))
        for warning in dataset.warnings:
            self.log(f"warning: {warning}")
        seed_everything(cfg.seed)
        self.learner.build(dataset, lambda message: self.run.update_status(message=message))
        self.log(msg("log.model", arch=cfg.arch, classes=len(dataset.classes), details=self.learner.describe()))
        if self.learner.balance != "none":
            self.log(msg("log.balance", ratio=dataset.imbalance(), balance=self.learner.balance, asked=cfg.balance))
        if cfg.patience and not len(self.learner.data["val"]):
            self.log(msg("log.no_val_patience"))
        if self.learner.mixing and cfg.freeze and cfg.feature_cache:
            self.log(msg("log.mixing_no_cache"))

    def fit(self, resume: dict | None = None) -> dict:
        """Every stage from the checkpoint's position (or the start), then the report of the best weights."""
        start_stage, start_epoch = (resume["stage"], resume["epoch"]) if resume else (0, 0)
        for index, stage in enumerate(self.stages[start_stage:], start_stage):
            first = index == start_stage
            self.fit_stage(index, stage, start_epoch if first else 0, resume if first and start_epoch > 0 else None)
        return self.write_report()

    def fit_stage(self, index: int, stage: Stage, start_epoch: int = 0, resume: dict | None = None) -> None:
        """Train one stage's epochs, evaluating, recording and checkpointing after each; stop early when the
        stage's val accuracy has not improved for `patience` epochs (each stage has its own patience)."""
        learner = self.learner
        if resume is None:
            self.record.patience = Patience(self.cfg.patience)
        optimizer, scheduler = learner.begin_stage(stage, resume)
        first_global = sum(s.epochs for s in self.stages[:index])
        trainable = count_trainable(learner.model)
        self.log(msg("log.stage", stage=msg(f"stage.{stage.name}"), trainable=trainable, epochs=stage.epochs))
        for epoch in range(start_epoch, stage.epochs):
            number = first_global + epoch + 1
            message = msg("run.epoch", epoch=number, epochs=self.total_epochs, stage=msg(f"stage.{stage.name}"))
            self.run.update_status(epoch=number - 1, stage=stage.name, message=message)
            model, batches, prep, amp = learner.epoch_inputs(stage, number)
            kind, *rest = learner.kinds(stage, epoch)
            ahead = ahead_seconds(rest, self.measured, sum(s.epochs for s in self.stages[index + 1 :]))
            start = time.time()
            try:
                with self.progress.epoch(stage.name, number, len(batches), ahead) as on_batch:
                    result = train_one_epoch(
                        model, batches, optimizer, learner.train_criterion, prep, learner.device, scheduler=scheduler,
                        amp=amp, on_batch=on_batch, should_stop=learner.should_stop, divergence=self.divergence,
                        mix=learner.mix, after_step=learner.ema.step if learner.ema else None,
                    )  # fmt: skip
            except StopTraining:
                self.save_checkpoint(index, epoch, optimizer, scheduler)
                raise
            lr, last = optimizer.param_groups[-1]["lr"], epoch + 1 == stage.epochs
            self.measured.setdefault(kind, []).append(time.time() - start)
            line, stop = self._end_epoch(stage, number, result, lr, start, last)
            if stop:  # a following stage starts from the best weights (as fastai's SaveModelCallback does)
                learner.load_weights(self.record.best_state)
            self.save_checkpoint(index, stage.epochs if stop else epoch + 1, optimizer, scheduler)
            self.run.update_status(epoch=number, best_val_acc=self.record.best_acc, **self.record.best_scores())
            self.log(line)
            if stop:
                self.log(stop)
                break

    def write_report(self) -> dict:
        """Evaluate the best weights on val (and test); rank 0 writes report.json and val_predictions.csv."""
        learner, record = self.learner, self.record
        if record.best_state is not None:
            learner.load_weights(record.best_state)
        report = {}
        if self.main:
            frozen_ok = record.best_frozen and self.cfg.feature_cache and learner.features.val_features is not None
            val = learner.predict("val", frozen_ok, whole=True) if len(learner.data["val"]) else None
            test = learner.predict("test", whole=True) if "test" in learner.data else None
            facts, val_paths = record.facts(learner.model), learner.data["val"].paths
            report = write_evaluation(self.run, facts, self.dataset.classes, val, val_paths, self.dataset.root, test)
        distributed.barrier(self.ctx)
        return report

    def save_checkpoint(self, stage_index: int, epoch_in_stage: int, optimizer, scheduler) -> None:
        """Everything needed to resume: weights, optimizer and scheduler state, position, best so far."""
        if self.main:
            state = self.record.checkpoint(self.learner.model, optimizer, scheduler, stage_index, epoch_in_stage)
            self.run.save_checkpoint(state | (self.learner.ema.state() if self.learner.ema else {}))

    def load_checkpoint(self) -> dict:
        """Restore the weights, the best so far and the epoch times from the checkpoint; return it."""
        state = self.run.load_checkpoint()
        self.learner.model.load_state_dict(state["model"])
        if self.learner.ema is not None:
            self.learner.ema.restore(state)
        self.record.restore(state, self.run.load_state() if self.run.has_weights() else None)
        return state

    def stop_requested(self) -> bool:
        """A stop was requested on this process: SIGTERM or the run's stop file."""
        return self.stop_flag or self.run.stop_requested()

    def log(self, line: str | Message) -> None:
        """Write a line to the log (the process's stderr); a coded one is also recorded as an event (`Progress.note`)
        for a page showing the log in its language."""
        if self.main:
            print(line, file=sys.stderr, flush=True)
            if isinstance(line, Message):
                self.progress.note(line)

    def _end_epoch(
        self, stage: Stage, number: int, result: EpochResult, lr: float, start: float, last: bool
    ) -> tuple[Message, Message | None]:
        """Validate, keep the best weights, record the metrics row; return the epoch's log line and, when the
        stage's patience ran out before its `last` epoch, the line saying so."""
        train = self.learner.reduce(result.loss, result.acc, result.images)
        val = self.learner.validate(stage, number)
        seconds = time.time() - start
        self.record.epoch_seconds.append(seconds)
        if val is not None:
            self.record.score(number, self.learner.val_scores)
        improved = val is None or val[1] > self.record.best_acc
        if improved:  # the weights first: once an epoch shows (metrics.csv), the run can predict
            best = self.record.keep_best((val or train)[1], number, self.learner.evaluated, stage.frozen)
            if self.main:
                self.run.save_state(best, weights_metadata(self.cfg, self.dataset.classes))
        self.run.append_metrics(metrics_row(number, stage.name, train, val, lr, seconds, time.time() - self.started))
        line = epoch_line(number, self.total_epochs, stage.name, train, val, seconds, improved)
        return line, self.record.stalled(stage.name, number, val, last)

    def _on_sigterm(self, *_: object) -> None:
        """A stop: the loops see the flag after their batch (a checkpoint is saved). Before they run (reading the
        data, building the model, downloading weights) nothing looks at it and there is nothing to save: stop now."""
        self.stop_flag = True
        if not self.fitting:
            raise StopTraining

    def _fail(self, exc: Exception) -> dict:
        """End the run as failed with the message the user needs (the traceback too, when unexpected)."""
        if isinstance(exc, IngestError) and self.main:
            write_json(self.run.file(INGEST), exc.report)
        if not expected(exc):
            traceback.print_exception(exc, file=sys.stderr)
        message = coded(exc, log=LOG)
        self.log(msg("log.error", message=message))
        return self.run.finish("failed", message)


def _summary(report: dict, stop_reason: Message) -> Message:
    """The completed run's status message; `stop_reason` says why a stage stopped early, if one did."""
    acc, test, stop = report.get("val_accuracy"), report.get("test_accuracy"), report.get("early_stopping")
    return msg(
        "run.completed",
        val=msg("run.completed_val", acc=acc) if acc is not None else "",
        test=msg("run.completed_test", acc=test) if "test_accuracy" in report else "",
        early=msg("run.stopped_early", epoch=stop["epoch"], reason=stop_reason) if stop else "",
    )


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def train(
    cfg: TrainConfig, run_dir: Path | str | None = None, progress: bool = True, resolved: bool = False
) -> tuple[RunDir, dict]:
    """Resolve `cfg` (unless `resolved`: its caller resolved it, as a grid checks all its runs before the first),
    create (or adopt a queued) run directory holding it and train. ConfigError before any work.

    Launched by torchrun, every rank trains its shard and rank 0 alone writes the run directory.
    """
    with distributed.group() as ctx:
        with _failure_recorded(run_dir, ctx):
            cfg = cfg if resolved else resolve(cfg)
            run = distributed.on_main(lambda: _adopt_run_dir(run_dir, cfg), ctx)
        return run, Training(cfg, run, progress, ctx).execute()


def train_queued(run_dir: Path | str, progress: bool = True) -> tuple[RunDir, dict]:
    """Train the run the job manager queued in `run_dir` with its config.json, resolved and saved when the run was
    submitted: loaded as is, neither resolved nor saved again."""
    with distributed.group() as ctx:
        with _failure_recorded(run_dir, ctx):
            run = distributed.on_main(lambda: _adopt_run_dir(run_dir), ctx)
            cfg = TrainConfig.load(run.file(CONFIG))
        return run, Training(cfg, run, progress, ctx).execute()


def resume_training(run_dir: Path | str, progress: bool = True) -> tuple[RunDir, dict]:
    """Continue an interrupted or cancelled run from its last checkpoint."""
    with distributed.group() as ctx:
        with _failure_recorded(run_dir, ctx):
            run = distributed.on_main(lambda: _resumable(run_dir), ctx)
            cfg = TrainConfig.load(run.file(CONFIG))  # resolved when the run was created
        return run, Training(cfg, run, progress, ctx).execute(resume=run.has_checkpoint())


@contextlib.contextmanager
def _failure_recorded(run_dir: Path | str | None, ctx: distributed.Context) -> Iterator[None]:
    """A run queued by the app that fails before training starts records why in its status (the app reads it)."""
    try:
        yield
    except CnnappError as exc:
        run = RunDir(run_dir) if run_dir is not None and ctx.main else None
        if run is not None and run.status().get("state") == "queued":
            run.update_status(state="failed", ended=time.time(), message=exc.message)
        raise


def _resumable(run_dir: Path | str) -> RunDir:
    run = RunDir(run_dir)
    if not run.file(CONFIG).is_file():
        raise RunError(msg("train.not_run_dir", path=str(run_dir)))
    run.require_resumable(also=("queued",))
    run.clear_stop()
    return run


def _adopt_run_dir(run_dir: Path | str | None, cfg: TrainConfig | None = None) -> RunDir:
    """A new run directory (or a queued one the app prepared) holding the resolved `cfg` (None: a queued run's own)."""
    if run_dir is None:
        run = RunDir.create(cfg.arch)
    else:
        run = RunDir(run_dir)
        state = run.status().get("state")
        if state not in (None, "queued"):
            raise RunError(msg("train.dir_taken", path=str(run_dir), state=state))
        if cfg is None and (state is None or not run.file(CONFIG).is_file()):
            raise RunError(msg("train.none_queued", path=str(run_dir)))
        run.path.mkdir(parents=True, exist_ok=True)
    if cfg is not None:
        cfg.save(run.file(CONFIG))
    return run
