"""The runs waiting for a training slot, and whose turn is next.

Turns are fair between sessions (visitors): a session with fewer runs in progress goes first, then the one served
longest ago, so one visitor's many runs do not hold back another's first. What may wait is `admission`'s rule, which
counts the requests waiting here.
"""

from __future__ import annotations

import time

from cnnapp.jobs.admission import Request
from cnnapp.runs import RunDir


class FairQueue:
    """The runs waiting for a training slot, and whose turn is next. Not locked: the job manager holds its lock."""

    def __init__(self, owners: dict[str, str | None]):
        self.jobs: list[tuple[RunDir, list[str]]] = []  # (run, `cnnapp train` arguments), in the order queued
        self._owners = owners  # run id → the session that queued it (the manager's)
        self._served: dict[str | None, float] = {}  # session → when its last run started
        self.requests: dict[str, Request] = {}  # run id → the request that queued it (`admission`)

    def waiting(self) -> list[Request]:
        """The requests with a run still waiting here (a grid's runs are one request)."""
        return list({self.requests[run.id].id: self.requests[run.id] for run, _ in self.jobs}.values())

    def add(self, run: RunDir, args: list[str], request: Request) -> None:
        """Queue `run` (its `cnnapp train` arguments) as part of `request`."""
        self.requests[run.id] = request
        self.jobs.append((run, args))

    def position(self, run_id: str) -> int | None:
        """1 for the next queued run to start, 2 for the one after…; None when the run is not waiting here."""
        ids = [run.id for run, _ in self.jobs]
        return ids.index(run_id) + 1 if run_id in ids else None

    def remove(self, run_id: str) -> bool:
        """Take the run off the queue; False when it was not waiting."""
        job = next((job for job in self.jobs if job[0].id == run_id), None)
        if job is not None:
            self.jobs.remove(job)
        return job is not None

    def pop(self, running: list[str]) -> tuple[RunDir, list[str]]:
        """Take the next run off the queue, in fair turns: sessions with fewer of the `running` runs first, then the
        session served longest ago, then the run queued first."""

        def turn(index: int) -> tuple:
            session = self._owners.get(self.jobs[index][0].id)
            busy = sum(1 for run_id in running if session and self._owners.get(run_id) == session)
            return busy, self._served.get(session, 0.0), index

        return self.jobs.pop(min(range(len(self.jobs)), key=turn))

    def served(self, run: RunDir) -> None:
        """Record that `run`'s session has just been given a slot."""
        self._served[self._owners.get(run.id)] = time.monotonic()
