"""The app's look: one theme, a little CSS, and the page's scripts (folder uploads, the language switch)."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from cnnapp.ui.i18n import COOKIE, DEFAULT, LANGS

# Browsers upload a folder's files without their sub-folders; the script below renames each file
# to its relative path joined with this character, and `cnnapp.ui.uploads` rebuilds the folders.
PATH_SEP = "\u2215"  # DIVISION SLASH: in the common system fonts (U+29F8 showed as a missing glyph)

# System fonts only: the page loads nothing from outside the server (offline machines, privacy of visitors).
FONT = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial", "sans-serif"]
FONT_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "Liberation Mono", "monospace"]
THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", neutral_hue="slate", font=FONT, font_mono=FONT_MONO)

CSS = """
.gradio-container { max-width: 1280px !important; margin: auto; }
#cnn-top { flex-wrap: nowrap; align-items: flex-start; }
#cnn-header h1 { margin-bottom: 0.2em; }
#lang-switch { flex: 0 0 auto; width: auto; margin-top: 4px; }  /* compact: two choices on one line, no empty block */
#lang-switch .wrap { flex-wrap: nowrap; gap: 4px; }
#lang-switch label { padding: 4px 12px; }
.cnn-progress { width: 100%; height: 14px; border-radius: 7px; background: var(--neutral-200); overflow: hidden; }
.cnn-progress > div { height: 100%; background: var(--primary-500); transition: width 0.6s ease; }
.cnn-progress-text { font-size: 0.9em; margin-top: 4px; color: var(--body-text-color-subdued); }
.cnn-badge { display: inline-block; padding: 1px 10px; border-radius: 10px; font-weight: 600; font-size: 0.85em; }
.cnn-badge.queued { background: #e0e7ff; color: #3730a3; }
.cnn-badge.ingesting, .cnn-badge.running { background: #dbeafe; color: #1e40af; }
.cnn-badge.completed { background: #dcfce7; color: #166534; }
.cnn-badge.failed, .cnn-badge.damaged { background: #fee2e2; color: #991b1b; }
.cnn-badge.stopping { background: #fef3c7; color: #92400e; }
.cnn-failed { padding: 0.6em 1em; border-radius: 8px; background: #fee2e2; color: #991b1b; }
.cnn-colourbar { display: flex; align-items: center; gap: 8px; font-size: 0.85em; }
.cnn-colourbar > div { flex: 1; height: 12px; border-radius: 3px; }
.cnn-table th, .cnn-table th * { word-break: normal !important; overflow-wrap: normal !important; hyphens: none; }
#data-samples img, #augmented img, .cnn-gallery img { image-rendering: pixelated; }
.cnn-badge.cancelled, .cnn-badge.interrupted, .cnn-badge.unknown { background: #fef3c7; color: #92400e; }
#run-details, #train-status, #data-summary, #train-data { overflow-wrap: anywhere; }
.cnn-legend { font-size: 0.85em; text-align: right; }
.cnn-log textarea { font-family: var(--font-mono); font-size: 0.8em !important; }
.cnn-empty { padding: 1.2em; border: 1px dashed var(--border-color-primary); border-radius: 8px; }
#data-samples .grid-container { grid-template-columns: repeat(auto-fill, minmax(84px, 1fr)) !important; }
/* a plot's or picture grid's label above it, however many lines it takes, not over its top-left corner */
.cnn-curve > label.float, .cnn-gallery > label.float {
  position: static; margin: var(--block-label-margin); max-width: calc(100% - 3rem);
}
.cnn-gallery .grid-container { padding-top: 0; }
.cnn-gallery .grid-wrap.fixed-height { max-height: none; min-height: 0; }  /* as tall as its pictures, all in view */
/* a dropdown's text ends before its arrow (long run names end in "…") */
.wrap-inner > .secondary-wrap:only-child > input[role="combobox"] { padding-right: 2.5rem; text-overflow: ellipsis; }
#augmented .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }
@media (max-width: 640px) {
  /* the switch above the title, at the right; the title as wide as the screen */
  #cnn-top { flex-direction: column-reverse; gap: 0; }
  #lang-switch { align-self: flex-end; margin: 0 0 6px; }
  #cnn-header h1 { font-size: 1.5em; line-height: 1.25; }
  #cnn-header p { font-size: 0.9em; }
  .cnn-table { max-width: calc(100vw - 64px); }  /* wide tables scroll instead of widening the page */
  .prose table { display: block; max-width: calc(100vw - 64px); overflow-x: auto; }  /* so do Markdown tables */
  .tab-container[role="tablist"] { flex-wrap: wrap; height: auto; }  /* nested tabs, measured while hidden, wrap */
  .cnn-gallery .grid-container { grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)) !important; }
  /* captions below the thumbnails, not over them */
  #data-samples .caption-label, .cnn-gallery .caption-label { position: static; max-width: 100%; }
  /* the run id column is as wide as the screen at most: the id wraps instead of ending in "…" */
  #runs-table .first-column .text { white-space: normal; overflow-wrap: anywhere; text-overflow: clip; }
}
"""

# The header's language switch: (name, code) choices; the choice is kept in localStorage and in a cookie (which
# the server's `say` reads), and the page reloads in it.
LANGUAGES = [("English", "en"), ("Español", "es")]
_COOKIE = f'document.cookie = {json.dumps(COOKIE + "=")} + lang + "; path=/; max-age=31536000; SameSite=Lax";'
LANG_SWITCH_JS = f"""(lang) => {{
  if (!{json.dumps(LANGS)}.includes(lang) || lang === window.cnnappLang) return;
  try {{ localStorage.setItem({json.dumps(COOKIE)}, lang); }} catch (e) {{}}
  {_COOKIE}
  window.location.reload();
}}"""
LANG_VALUE_JS = f"() => window.cnnappLang || {json.dumps(DEFAULT)}"
# Runs first in the page (`FirstScript` puts it there), before gradio's app picks its language from the browser's:
# the language chosen with the switch, else the browser's first of ours, else English, is what gradio then finds in
# `navigator.language`. The cookie always says the language the page shows, so that the server's `say` agrees.
LANG_SCRIPT = f"""<script>
(() => {{
  const langs = {json.dumps(LANGS)};
  let chosen = null;
  try {{ chosen = localStorage.getItem({json.dumps(COOKIE)}); }} catch (e) {{}}
  const asked = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  const browser = asked.map((tag) => (tag || "").split("-")[0].toLowerCase()).find((code) => langs.includes(code));
  const lang = langs.includes(chosen) ? chosen : browser || {json.dumps(DEFAULT)};
  window.cnnappLang = lang;
  {_COOKIE}
  if (lang !== (navigator.language || "").split("-")[0].toLowerCase()) {{
    for (const [name, value] of [["language", lang], ["languages", Object.freeze([lang])]]) {{
      Object.defineProperty(Navigator.prototype, name, {{ get: () => value, configurable: true }});
    }}
  }}
}})();
</script>"""


# Gradio closes its client when the page unloads (its own "beforeunload" listener): that aborts the page's event
# stream (GET /gradio_api/queue/data), and the client then logs "Unexpected error Connection errored out." for every
# event still pending: the pollers' ticks (gr.Timer) during a training, each frame of the live camera's stream
# (hundreds). This script, registered before gradio's listener, ends those streams cleanly first (the server sees the
# page leave and lets its session go) and stops the camera. From then on the page's requests to the server wait:
# sent now they would meet a session the server has dropped (a camera frame's POST /stream/<event> answered 404, a
# new event stream answered "session not found" or cut off). A frame already on its way is called back (a dropped
# frame), as is an event stream still opening. So nothing errs on a reload or a language switch. If the page stays
# after all (a cancelled navigation), the waiting requests go out 5 s later and a real broken connection errs as
# gradio reports it.
UNLOAD_SCRIPT = """<script>
(() => {
  const API = /\\/gradio_api\\//;
  const EVENTS = /\\/gradio_api\\/queue\\/data$/;
  const FRAME = /\\/gradio_api\\/stream\\/[^/]+$/;  // one frame of a streaming input (the live camera)
  const streams = new Set();  // {controller, upstream} of each event stream the page reads
  const pending = new Set();  // the AbortController of each event stream opening and each frame on its way
  let leaving = null;  // while the page may be leaving: a promise that resolves if the page stays after all
  const fetchFirst = window.fetch.bind(window);
  const ended = () => new Response("", { headers: { "Content-Type": "text/event-stream" } });
  const abortable = (init, request) => {  // the caller's signal and one this script can abort
    const own = new AbortController();
    const theirs = init?.signal || request?.signal;
    const signal = theirs && AbortSignal.any ? AbortSignal.any([theirs, own.signal]) : own.signal;
    return { own, signal };
  };
  window.fetch = async (input, init) => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input), window.location.href);
    if (url.origin !== window.location.origin || !API.test(url.pathname)) return fetchFirst(input, init);
    if (leaving) await leaving;  // sent only if the page stays
    const method = (init?.method || request?.method || "GET").toUpperCase();
    const events = method === "GET" && EVENTS.test(url.pathname);
    if (!events && !(method === "POST" && FRAME.test(url.pathname))) return fetchFirst(input, init);
    const { own, signal } = abortable(init, request);
    pending.add(own);
    let response;
    try {
      response = await fetchFirst(input, { ...init, signal });
    } catch (error) {  // called back as the page leaves: an ended stream, a dropped frame
      if (own.signal.aborted || leaving) return events ? ended() : new Response(null, { status: 204 });
      throw error;
    } finally {
      pending.delete(own);
    }
    if (!events || !response.body) return response;
    if (leaving) { response.body.cancel().catch(() => {}); return ended(); }
    const upstream = response.body.getReader();
    const stream = { controller: null, upstream };
    const body = new ReadableStream({
      start(controller) { stream.controller = controller; streams.add(stream); },
      async pull(controller) {
        try {
          const { value, done } = await upstream.read();
          if (!done) return controller.enqueue(value);
          streams.delete(stream);
          controller.close();
        } catch (error) {
          streams.delete(stream);
          try { leaving ? controller.close() : controller.error(error); } catch (closed) {}
        }
      },
      cancel(reason) { streams.delete(stream); return upstream.cancel(reason); },
    });
    const { status, statusText, headers } = response;
    return new Response(body, { status, statusText, headers });
  };
  const leave = (event) => {
    if (!leaving) {
      leaving = new Promise((stay) => setTimeout(() => { leaving = null; stay(); }, 5000));
    }
    for (const own of pending) own.abort();
    pending.clear();
    for (const { controller, upstream } of streams) {
      try { controller.close(); } catch (closed) {}
      upstream.cancel().catch(() => {});
    }
    streams.clear();
    if (event.type === "pagehide") {
      for (const video of document.querySelectorAll("video")) video.srcObject?.getTracks?.().forEach((t) => t.stop());
    }
  };
  window.addEventListener("beforeunload", leave, { capture: true });
  window.addEventListener("pagehide", leave, { capture: true });
})();
</script>"""


class FirstScript:
    """ASGI middleware: the page's HTML with `LANG_SCRIPT` and `UNLOAD_SCRIPT` first in its head.

    Gradio adds launch's `head` only once its app has started, after it has picked its language and registered its
    unload listener; these scripts must run before. Only the page itself (GET /) is rewritten; every other response
    passes through untouched.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body: list[bytes] = []

        async def rewrite(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                page = page.replace(b"<head>", b"<head>" + (LANG_SCRIPT + UNLOAD_SCRIPT).encode(), 1)
            await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)


HEAD = f"""
<script>
window.addEventListener("change", (event) => {{
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.webkitdirectory || !input.files) return;
  const files = Array.from(input.files);
  if (!files.some((f) => f.webkitRelativePath)) return;
  const transfer = new DataTransfer();
  for (const f of files) {{
    const name = (f.webkitRelativePath || f.name).split("/").join("{PATH_SEP}");
    transfer.items.add(new File([f], name, {{ type: f.type, lastModified: f.lastModified }}));
  }}
  input.files = transfer.files;
}}, true);
</script>
"""
