"""A load generator's HTTP/1.1: one connection per request, as `curl` makes it, and little CPU per call.

The load benchmarks run their callers on the 2 cores that serve them; httpx's client (connection pools, header
models, its stream machinery) cost about 14 ms of CPU per `/predict` call under a burst of 50, nearly as much as the
server's 20 ms, so the figure measured the load generator as much as the app. Here a request is a socket, its bytes
and the answer read to the end (`Connection: close`): a tenth of a millisecond of Python.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

BOUNDARY = "cnnapp-bench-boundary"


class Http:
    """Requests to one server (`http://host:port/`), each on its own connection."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str | None = None
    ) -> tuple[int, bytes]:
        """The status and the body (chunked transfer decoded) of one request; raises on a status over 299."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            head = [f"{method} /{path.lstrip('/')} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
            head += [f"Content-Length: {len(body)}"] + ([f"Content-Type: {content_type}"] if content_type else [])
            writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
            await writer.drain()
            answer = await reader.read()
        finally:
            writer.close()
        header, _, payload = answer.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in header.lower():
            payload = _unchunk(payload)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {payload[:200]!r}")
        return status, payload

    async def post_json(self, path: str, data: Any) -> Any:
        """POST `data` as JSON; the answer's JSON."""
        _status, body = await self.request("POST", path, json.dumps(data).encode(), "application/json")
        return json.loads(body)

    async def post_form(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> Any:
        """POST a multipart form (text `fields`, `files` as field → (file name, content)); the answer's JSON."""
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        for field, (name, content) in files.items():
            head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
        body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
        _status, answer = await self.request("POST", path, body, f"multipart/form-data; boundary={BOUNDARY}")
        return json.loads(answer)

    async def upload(self, name: str, content: bytes) -> str:
        """A file sent to gradio's upload route as its clients send it: the server's path of it."""
        return (await self.post_form("gradio_api/upload", {}, {"files": (name, content)}))[0]

    async def events(self, path: str) -> list[tuple[str | None, str]]:
        """A server-sent event stream read to its end: each `data:` line with the `event:` named before it."""
        _status, body = await self.request("GET", path)
        out, event = [], None
        for line in body.decode().splitlines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                out.append((event, line.removeprefix("data:").strip()))
        return out


def _unchunk(payload: bytes) -> bytes:
    """The body of a `Transfer-Encoding: chunked` answer."""
    out, rest = bytearray(), payload
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)
