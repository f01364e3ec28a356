"""torchrun with 2 CPU processes (gloo): one run directory, metrics written once, accuracy like one process."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def _train(*launcher: str, batch_size: int, out: Path) -> tuple[subprocess.CompletedProcess, Path]:
    args = [
        *launcher,
        "-m",
        "cnnapp",
        "train",
        "--data",
        str(Path(__file__).parents[1] / "assets" / "fashion-mnist-mini"),
        "--arch",
        "lenet5",
        "--epochs",
        "6",
        "--batch-size",
        str(batch_size),
        "--quiet",
        "--run-dir",
        str(out),
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, env={**os.environ, "CNNAPP_THREADS": "1"})
    return proc, out


def test_two_process_gloo_training(tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    ddp, ddp_dir = _train(*torchrun, batch_size=16, out=tmp_path / "ddp")
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert ddp.stdout.strip().splitlines() == [str(ddp_dir)]
    single, single_dir = _train(sys.executable, batch_size=32, out=tmp_path / "single")
    assert single.returncode == 0, single.stderr[-3000:]

    status = json.loads((ddp_dir / "status.json").read_text())
    assert status["state"] == "completed"
    metrics = pd.read_csv(ddp_dir / "metrics.csv")
    assert metrics["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert len((ddp_dir / "metrics.csv").read_text().splitlines()) == 7
    report = json.loads((ddp_dir / "report.json").read_text())
    assert sum(map(sum, report["confusion_matrix"])) == 80
    single_acc = json.loads((single_dir / "report.json").read_text())["val_accuracy"]
    assert report["val_accuracy"] > 0.5
    assert abs(report["val_accuracy"] - single_acc) < 0.12


def test_a_rank_that_fails_alone_does_not_leave_the_other_waiting(tmp_path):
    """A finished rank waits for the others before leaving the group (a rank leaving early was seen to abort at exit);
    when its peer failed instead, it ends at once with an error rather than waiting for a peer that never comes."""
    script = tmp_path / "one_fails.py"
    script.write_text(
        "from cnnapp import distributed\n"
        "with distributed.group() as ctx:\n"
        "    if ctx.rank == 1:\n"
        "        raise SystemExit(3)\n"
        "print('rank', ctx.rank, 'left')\n"
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "CNNAPP_THREADS": "1"},
    )
    assert proc.returncode != 0 and "left" not in proc.stdout
    assert time.monotonic() - started < 45  # well before the 60 s bound of the wait
