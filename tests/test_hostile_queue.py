"""A hostile visitor on the page's own protocol: every UI event, called over gradio's queue as a browser calls it
(`POST /gradio_api/queue/join` with the event's `fn_index`, the answer read from `GET /gradio_api/queue/data`), with
malformed, oversized and path-carrying inputs, and with another visitor's run ids.

Every call is answered: a success, or an error in one line (never a traceback or an object's repr). An error without
a message is gradio's own answer, to a payload it refused before any handler of the app ran; never the app's. The
server keeps serving, serves nothing from outside the workspace and gradio's cache, and logs at most one line per
failed call. Only 127.0.0.1 is called, a bounded number of times, each call with a deadline.
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import math
import random
import re
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import gradio.queueing
import httpx
import pytest
from conftest import LiveApp, random_image, trained_demo_run

from cnnapp.errors import RunError
from cnnapp.jobs import sessions
from cnnapp.runs import RunDir
from cnnapp.ui.common import api_errors, user_errors
from cnnapp.ui.i18n import say
from cnnapp.ui.request_log import OneLineTracebacks, describe

MB = 1024 * 1024
CALL_S = 60  # the longest one call may take to be answered
ROUNDS = 6  # malformed payloads per event (drawn per input from its type's hostile values), besides the fixed ones
SECRET = f"zq{secrets.token_hex(6)}"  # inside files outside the workspace, never in any input: read back, it shows
# what an answer must never look like: a traceback, an object's repr, a Python exception's own text
DUMP = re.compile(r"Traceback \(most recent|object at 0x[0-9a-f]+|<\w+ filename=|^\w+(Error|Exception): |File \"")
FAILED = "cnnapp: a request failed: "


@dataclass(frozen=True)
class Event:
    """One event of the page, as GET /config describes it."""

    fn_index: int
    trigger: int | None
    inputs: tuple[dict[str, Any], ...]  # the input components' configs
    event_data: bool  # whether it reads the browser's event data (a selected row, a picture's index)


@dataclass
class Answer:
    """The end of one call: `process_completed` (or the HTTP refusal of the join)."""

    success: bool
    output: dict[str, Any]
    handled: str = "not called"  # what the app's handler did: not called, returned, gr.Error or the exception

    @property
    def error(self) -> Any:
        return None if self.success else self.output.get("error")


class Page:
    """The app as a browser sees it: its events (from GET /config) and the raw queue protocol. The app's handlers
    are watched, to tell an error gradio gave before any handler ran from one a handler let through."""

    def __init__(self, app: LiveApp):
        self.base = app.url.rstrip("/")
        self.http = httpx.Client(timeout=CALL_S)
        config = self.http.get(f"{self.base}/config").json()
        components = {c["id"]: c for c in config["components"]}
        self.events = [
            Event(
                d["id"],
                d["targets"][0][0] if d["targets"] else None,
                tuple(components[i] for i in d["inputs"]),
                d["collects_event_data"],
            )
            for d in config["dependencies"]
        ]
        self.handled: list[str] = []
        for fn in app.demo.fns.values():
            if fn.fn is not None and origin(fn.fn).__module__.startswith("cnnapp."):  # not gradio's own (examples)
                fn.fn = self._watch(fn.fn)

    def _watch(self, handler: Callable) -> Callable:
        """`handler`, noting what it did with each call (the calls are made one at a time)."""
        assert not inspect.iscoroutinefunction(handler) and not inspect.isgeneratorfunction(handler)

        @functools.wraps(handler)
        def watched(*args: Any, **kwargs: Any) -> Any:
            try:
                result = handler(*args, **kwargs)
            except gr.Error:
                self.handled.append("gr.Error")
                raise
            except Exception as exc:
                self.handled.append(describe(exc))
                raise
            self.handled.append("returned")
            return result

        return watched

    def call(self, event: Event, data: list[Any], session_hash: str, event_data: Any = None) -> Answer:
        """Join the queue with `data` for `event` and read the session's server-sent events until it completes."""
        self.handled.clear()
        body = {"data": data, "event_data": event_data, "fn_index": event.fn_index, "trigger_id": event.trigger,
                "session_hash": session_hash}  # fmt: skip
        joined = self.http.post(
            f"{self.base}/gradio_api/queue/join",
            content=json.dumps(body, allow_nan=True),
            headers={"content-type": "application/json"},
        )
        if joined.status_code != 200:
            return Answer(False, {"error": str(joined.json().get("detail"))})
        event_id = joined.json()["event_id"]
        # a streaming event's (the camera's) first answer: then the stream is closed, as a browser stops it
        first, message = None, {}
        deadline = time.monotonic() + CALL_S
        url = f"{self.base}/gradio_api/queue/data"
        with self.http.stream("GET", url, params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                handled = self.handled[-1] if self.handled else "not called"
                if message.get("msg") == "process_streaming" and first is None:
                    first = Answer(message["success"], message["output"], handled)
                    self.http.post(f"{self.base}/gradio_api/stream/{event_id}/close")
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    last = Answer(message["success"], message["output"], handled)
                    return first if first is not None and last.success else last
                if message.get("msg") == "unexpected_error" or time.monotonic() > deadline:
                    break
        return Answer(False, {"error": f"no answer ({message})"}, "no answer")


def kind(component: dict[str, Any]) -> str:
    """A component's type, BrowserStates told apart by what they keep."""
    if component["type"] == "browserstate":
        return f"browserstate:{component['props'].get('storage_key')}"
    return component["type"]


def origin(handler: Callable) -> Callable:
    """The function inside a handler's wrappers and partials."""
    while True:
        inner = inspect.unwrap(handler)
        if not isinstance(inner, functools.partial):
            return inner
        handler = inner.func


def handler_name(app: LiveApp, event: Event) -> str:
    """The Python name of an event's handler, for messages."""
    fn = app.demo.fns[event.fn_index].fn
    return "(none: the browser's script)" if fn is None else origin(fn).__qualname__


def default(component: dict[str, Any]) -> Any:
    """What a browser sends for a component nobody has touched."""
    return component["props"].get("value")


@contextmanager
def server(serve: Callable, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveApp, Page]]:
    monkeypatch.setenv("CNNAPP_SESSION_RUNS", "1")
    with serve() as app:
        page = Page(app)
        try:
            yield app, page
        finally:
            page.http.close()


# ----- what every handler does with its input (no server) --------------------------------------------------------


def test_a_value_no_page_sends_is_answered_in_one_line_and_logged_as_one(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(gradio.queueing, "traceback", OneLineTracebacks(stream=log))
    for wrap in (user_errors, api_errors):
        with pytest.raises(gr.Error) as caught:
            wrap(lambda folder: Path(folder))(["a", "list", "for", "a", "folder"])
        assert caught.value.message == say("common.bad_input")
    assert log.getvalue().count("cnnapp: a request failed: TypeError: expected str") == 2, "a real bug still shows"


def test_text_that_could_not_be_sent_back_is_refused_before_the_handler_runs(monkeypatch):
    monkeypatch.setattr(gradio.queueing, "traceback", OneLineTracebacks(stream=io.StringIO()))
    ran = []
    for value in ("\udcff", {"form": {"name": ["x\udcff"]}}):
        with pytest.raises(gr.Error, match="Could not read this request"):
            user_errors(ran.append)(value)
    user_errors(ran.append)({"name": "café ☕"})
    assert ran == [{"name": "café ☕"}]


def test_an_error_that_quotes_the_input_stays_one_line():
    def resume(run_id: str) -> None:
        raise RunError(f"'{run_id}' is not a valid run id")

    for wrap in (user_errors, api_errors):
        with pytest.raises(gr.Error) as caught:
            wrap(resume)("a\nb\r\nc")
        assert "\n" not in caught.value.message and "a b c" in caught.value.message


# ----- malformed ----------------------------------------------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def file_data(path: str, **extra: Any) -> dict[str, Any]:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}, **extra}


@dataclass
class Outside:
    """Files outside the workspace and gradio's upload folder: a folder dataset, a .zip and a text file, whose
    content (class names, text) is `SECRET`."""

    root: Path
    text: Path = field(init=False)
    archive: Path = field(init=False)

    def __post_init__(self) -> None:
        for cls in ("a", "b"):
            (self.root / f"{SECRET}-{cls}").mkdir(parents=True)
            for i in range(3):
                random_image(self.root / f"{SECRET}-{cls}" / f"{i}.png", seed=i + (cls == "b") * 10)
        self.text = self.root / "notes.txt"
        self.text.write_text(f"{SECRET}\n")
        self.archive = self.root / "data.zip"
        with zipfile.ZipFile(self.archive, "w") as zf:
            for image in self.root.rglob("*.png"):
                zf.write(image, image.relative_to(self.root))


def hostile_values(outside: Outside, base: str) -> dict[str, list[Any]]:
    """Per input type, what a hostile browser sends instead of a value (besides `COMMON`)."""
    files = [
        file_data("/etc/passwd"),
        file_data(str(outside.text)),
        file_data(str(outside.archive)),
        file_data("../../../../etc/passwd"),
        {"path": f"{base}/config", "url": f"{base}/config", "meta": {"_type": "gradio.FileData"}},
        "/etc/passwd",
        {"path": None, "url": "data:image/png;base64,!!notbase64", "meta": {"_type": "gradio.FileData"}},
    ]
    dataset = {"path": str(outside.root), "source": str(outside.root), "name": "x"}
    return {
        "number": ["abc", math.nan, math.inf, -math.inf, 1e308, -1, "1e999", {"value": 3}],
        "slider": ["abc", math.nan, -math.inf, 1e308, -1, "1e999", [1, 2]],
        "checkbox": ["yes", 2, {}, "false"],
        "textbox": [12345, {"a": 1}, ["x"], "a\nb", "\udcff", '{"epochs": 1e9, "img_size": -1}', str(outside.root)],
        "dropdown": ["not-a-choice", ["a", "b"], 0, str(outside.root)],
        "radio": ["not-a-choice", 0, ["a"]],
        "file": [*files, [file_data("/etc/passwd"), file_data(str(outside.text))]],
        "image": [*files, "data:image/png;base64,iVBORw0KGgo=", "not a picture"],
        "dataframe": [
            {"headers": ["a"], "data": "x"},
            {"headers": 1, "data": [[math.nan, math.inf]]},
            {"headers": ["a"], "data": [[1, 2, 3]] * 3},
            {"headers": ["a", "b"], "data": [[1e308, -1e308]] * 400},
            {"data": [[str(outside.root)]]},
        ],
        "dataset": [-1, 10**9, "x", {"index": 1}],
        "browserstate:cnnapp-dataset": [
            dataset,
            {**dataset, "path": "/etc"},
            {"path": str(outside.archive), "name": 1},
        ],
        "browserstate:cnnapp-builder": [str(outside.root), "/etc", f"{outside.root}/builder-x-00000000", {"path": "x"}],
        "browserstate:cnnapp-session": [{"token": 1}, ["a"], 12345, "x" * MB],
        "browserstate:cnnapp-selected-run": ["../../etc", str(outside.root), "run-" * 100],
        "browserstate:cnnapp-train-form": [{"arch": ["x"], "epochs": "many"}, [1, 2], {"img_size": 1e308}],
    }


COMMON = [None, "x" * MB, {"a": {"b": [1]}}, [1, "two", None], nested(100), math.nan, math.inf, True, ""]
EVENT_DATA = [None, {"index": "x", "value": "x" * 1000, "row_value": None}, {"index": [1e308, -1]}, nested(100)]


def malformed(event: Event, pool: dict[str, list[Any]]) -> Iterator[tuple[list[Any], Any]]:
    """(data, event data) of the hostile calls to `event`: None everywhere, too few and too many values, then
    `ROUNDS` draws of one hostile value per input (seeded by the event: reproducible)."""
    n = len(event.inputs)
    yield [None] * n, None
    yield [None] * (n - 1), None
    yield [None] * (n + 1), None
    rng = random.Random(event.fn_index)
    for _ in range(ROUNDS):
        data = [rng.choice(COMMON + pool.get(kind(c), pool.get(c["type"], []))) for c in event.inputs]
        yield data, rng.choice(EVENT_DATA) if event.event_data else None


def flaws(answer: Answer) -> str | None:
    """What is wrong with an answer to a hostile call, or None."""
    if answer.success:
        return None
    error = answer.error
    if answer.handled == "no answer":
        return str(error)
    if error is None:  # gradio's own answer to a payload it refused: fine when the app never saw it
        return None if answer.handled == "not called" else f"an error without a message ({answer.handled})"
    if not isinstance(error, str) or "\n" in error.strip() or DUMP.search(error):
        return f"not a one-line message: {str(error)[:300]!r}"
    return None


def leaks(answer: Answer, outside: Outside) -> str | None:
    """Whether an answer shows a file from outside the workspace: its content or its name."""
    text = json.dumps(answer.output)
    if SECRET in text or "root:x:0:0" in text:
        return "content read from outside the workspace"
    if any(name in text for name in ('"passwd"', '"notes.txt"', '"data.zip"')):
        return "a file from outside the workspace served back"
    return None


def hostile_calls(app: LiveApp, page: Page, events: list[Event], outside: Outside) -> tuple[list[str], int]:
    """Call each event with its malformed payloads; (what was wrong, how many calls failed). A normal call must be
    answered after each event's."""
    pool = hostile_values(outside, page.base)
    normal = next(e for e in page.events if app.demo.fns[e.fn_index].api_name == "list_runs")
    found, failed = [], 0
    for event in events:
        for round_, (data, event_data) in enumerate(malformed(event, pool)):
            answer = page.call(event, data, f"hostile-{round_}", event_data)
            failed += not answer.success
            if problem := flaws(answer) or leaks(answer, outside):
                found.append(f"event {event.fn_index} ({handler_name(app, event)}), "
                             f"{[str(d)[:60] for d in data]}: {problem}")  # fmt: skip
        assert page.call(normal, [], "a-visitor").success, f"the server stopped serving after event {event.fn_index}"
    return found, failed


@pytest.mark.slow  # a real server, ~1,300 calls
def test_every_event_answers_malformed_oversized_and_outside_paths_in_one_line(serve, monkeypatch, capfd, tmp_path):
    outside = Outside(tmp_path / "outside")
    with server(serve, monkeypatch) as (app, page):
        events = page.events
        assert len(events) > 100, "every event of the page"
        found, failed = hostile_calls(app, page, events, outside)
    assert not found, f"{len(found)} hostile calls were answered wrongly:\n" + "\n".join(found)
    logged = capfd.readouterr()
    log = logged.out + logged.err
    assert "Traceback" not in log and '  File "' not in log
    assert 0 < log.count(FAILED) <= failed, "at most one line per failed call"


# ----- another visitor's runs ---------------------------------------------------------------------------------------

OWNER, STRANGER = "owner-" + secrets.token_hex(8), "stranger-" + secrets.token_hex(8)


def chooses_run(component: dict[str, Any]) -> bool:
    """Whether an input holds a run id: the selected run, a run picker (filled per visitor), the API's run or model."""
    what, props = kind(component), component["props"]
    return (
        what == "browserstate:cnnapp-selected-run"
        or (what == "dropdown" and props.get("choices") == [])
        or (what == "textbox" and props.get("label") in ("run_id", "model"))
    )


def with_run(event: Event, run_id: str, token: str) -> list[Any]:
    """A browser's values for `event`, with `run_id` wherever a run is chosen and `token` as the visitor's session."""
    data = []
    for component in event.inputs:
        if kind(component) == "browserstate:cnnapp-session":
            data.append(token)
        elif chooses_run(component):
            data.append([run_id] if component["props"].get("multiselect") else run_id)
        else:
            data.append(default(component))
    return data


@pytest.mark.slow
def test_another_visitors_run_ids_are_answered_as_unknown_ones(serve, monkeypatch, capfd, workspace):
    run = trained_demo_run(workspace)
    sessions.claim(run, OWNER)
    before = run.status()
    unknown = run.id[:-6] + secrets.token_hex(3)
    assert not RunDir.of(unknown, workspace).path.exists()
    with server(serve, monkeypatch) as (app, page):
        differs = []
        events = [e for e in page.events if any(chooses_run(c) for c in e.inputs)]
        assert len(events) >= 20, "the events that take a run"
        for event in events:
            theirs = page.call(event, with_run(event, run.id, STRANGER), "stranger")
            nobodys = page.call(event, with_run(event, unknown, STRANGER), "stranger")
            seen = [json.dumps([a.success, a.output.get("data"), a.error]).replace(i, "<run>")
                    for a, i in ((theirs, run.id), (nobodys, unknown))]  # fmt: skip
            if seen[0] != seen[1]:
                differs.append(f"event {event.fn_index} ({handler_name(app, event)}): {seen[0][:300]}")
            assert flaws(theirs) is None, f"event {event.fn_index} ({handler_name(app, event)}): {flaws(theirs)}"
        assert not differs, "another visitor's run answered unlike an unknown one:\n" + "\n".join(differs)
        details = next(e for e in page.events if handler_name(app, e).startswith("details"))
        own = page.call(details, with_run(details, run.id, OWNER), "owner")
        stranger = page.call(details, with_run(details, run.id, STRANGER), "stranger")
        assert run.id in json.dumps(own.output) and run.id not in json.dumps(stranger.output), "the owner sees it"
    assert run.path.is_dir() and run.status() == before, "the stranger changed nothing"
    logged = capfd.readouterr()
    assert "Traceback" not in logged.out + logged.err
