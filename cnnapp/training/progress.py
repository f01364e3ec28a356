"""Training progress: tqdm bars on stderr, throttled batch events (with an ETA) in the run's events.jsonl,
the trainer's usual log lines as coded events there too, and each epoch's metrics row and log line."""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterator, Sequence

from tqdm import tqdm

from cnnapp.messages import Message, msg
from cnnapp.runs import RunDir
from cnnapp.training.engine import OnBatch

EVENT_INTERVAL_S = 0.5
Pair = tuple[float, float]  # (loss, accuracy)


class Progress:
    """Reports a run's progress; `show` turns the bars on (events are written when there is a run)."""

    def __init__(self, run: RunDir | None, total_epochs: int, show: bool = True, interval: float = EVENT_INTERVAL_S):
        self.run = run
        self.total_epochs = total_epochs
        self.show = show
        self.interval = interval
        self.last_event = 0.0
        self.files_started: float | None = None

    def files(self, done: int, total: int) -> None:
        """Record ingestion progress in the run's status: files checked, of all, and files per second."""
        now = time.time()
        if self.files_started is None:
            self.files_started = now
        if self.run is None or (done < total and now - self.last_event < self.interval):
            return
        self.last_event = now
        rate = done / max(now - self.files_started, 1e-3)
        self.run.update_status(
            files_done=done,
            files_total=total,
            files_per_s=round(rate),
            message=msg("run.reading_files", done=done, total=total, rate=rate),
        )

    def note(self, line: Message) -> None:
        """Record a log line as an event beside the batch events: its code, for a page that shows the log in its
        language, and its English text as written to the log, which the page finds it by."""
        if self.run is not None:
            self.run.log_event({"t": time.time(), "log": line.to_dict(), "text": str(line)})

    def bar(self, total: int, desc: str) -> tqdm:
        """A progress bar that disappears when done (silent unless `show`)."""
        return tqdm(total=total, desc=desc, file=sys.stderr, disable=not self.show, mininterval=1.0, leave=False)

    @contextlib.contextmanager
    def epoch(self, stage: str, epoch: int, batches: int, ahead: Sequence[float | None] = ()) -> Iterator[OnBatch]:
        """A bar for one epoch; yields the per-batch callback that moves it and records events.

        `ahead` holds, for each epoch still to run after this one, the seconds it will take as measured for its kind
        (a head on cached features, an epoch over images), or None for "as long as this one": the time-left estimate.
        """
        start = time.time()
        with self.bar(batches, f"epoch {epoch}/{self.total_epochs} [{stage}]") as bar:

            def on_batch(batch: int, n: int, loss: float) -> None:
                bar.update()
                self.event(stage, epoch, batch, n, loss, start, ahead)

            yield on_batch

    def event(
        self,
        stage: str,
        epoch: int,
        batch: int,
        batches: int,
        loss: float,
        start: float,
        ahead: Sequence[float | None] = (),
    ) -> None:
        """Append one event (at most every `interval` seconds, and always for an epoch's last batch)."""
        now = time.time()
        if self.run is None or (batch != batches and now - self.last_event < self.interval):
            return
        self.last_event = now
        elapsed = now - start
        this_epoch = elapsed / max(batch, 1) * batches
        eta = this_epoch - elapsed + sum(this_epoch if s is None else s for s in ahead)
        self.run.log_event(
            {
                "t": now,
                "stage": stage,
                "epoch": epoch,
                "epochs": self.total_epochs,
                "batch": batch,
                "batches": batches,
                "loss": None if math.isnan(loss) else round(loss, 5),
                "eta_s": round(float(eta), 1),
                "batch_s": round(elapsed / max(batch, 1), 3),  # how long a batch takes: `runs.stalled` reads it
            }
        )


def ahead_seconds(kinds: Sequence[str], measured: dict[str, list[float]], later: int) -> list[float | None]:
    """Seconds each epoch still to run in this stage will take, by its kind (`Learner.kinds`): the mean of its kind's
    so far (a head on cached features, not measured yet, takes milliseconds: 0), or None, "as long as the current
    one"; then None for each of the `later` stages' epochs."""
    seconds = [
        sum(measured[k]) / len(measured[k]) if measured.get(k) else 0.0 if k == "cached" else None for k in kinds
    ]
    return seconds + [None] * later


def metrics_row(
    epoch: int, stage: str, train: Pair, val: Pair | None, lr: float, seconds: float, elapsed: float
) -> dict:
    """One row of metrics.csv from (loss, accuracy) pairs (the val columns stay empty without val images)."""
    return {
        "epoch": epoch,
        "stage": stage,
        "train_loss": round(train[0], 5),
        "train_acc": round(train[1], 5),
        "val_loss": round(val[0], 5) if val else None,
        "val_acc": round(val[1], 5) if val else None,
        "lr": lr,
        "seconds": round(seconds, 3),
        "elapsed": round(elapsed, 3),
    }


def epoch_line(
    epoch: int, epochs: int, stage: str, train: Pair, val: Pair | None, seconds: float, improved: bool
) -> Message:
    """The log's line for one epoch (`*` marks a new best)."""
    return msg(
        "log.epoch",
        epoch=epoch,
        epochs=epochs,
        stage=msg(f"stage.{stage}"),
        loss=train[0],
        acc=train[1],
        val=msg("log.epoch_val", loss=val[0], acc=val[1]) if val else "",
        seconds=seconds,
        best=" *" if improved else "",
    )
