"""`make-editions serve`: dist/ on 127.0.0.1 with the right content types, rebuilt when a
manuscript, catalog or style changes, and pages that reload themselves after a rebuild.
The reload script is added to pages as they are served; dist/ itself stays script-free."""
from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

# The page knows the build generation it was served from, and reloads when it changes.
RELOAD = ('<script>(function(){{var v="{version}";setInterval(function(){{fetch("/__sangar/version")'
          '.then(function(r){{return r.text()}}).then(function(t){{if(t!==v)location.reload()}})'
          '.catch(function(){{}})}},1000)}})()</script>')
TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip", ".html": "text/html; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".ttf": "font/ttf", ".json": "application/json",
         ".txt": "text/plain; charset=utf-8", ".woff2": "font/woff2"}


class State:
    """The build generation the pages compare against."""

    def __init__(self) -> None:
        self.version = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.version += 1


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def __init__(self, *args, state: State, live: bool, **kwargs):
        self.state, self.live = state, live
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/__sangar/version":
            body = str(self.state.version).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if self.live and path.suffix == ".html" and path.is_file():
            script = RELOAD.format(version=self.state.version).encode()
            body = path.read_bytes().replace(b"</body>", script + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", TYPES[".html"])
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, fmt: str, *args) -> None:
        pass


def server(dist: Path, port: int, state: State | None = None, live: bool = True) -> http.server.ThreadingHTTPServer:
    """An HTTP server for `dist` on 127.0.0.1 (port 0: any free port)."""
    handler = functools.partial(Handler, directory=str(dist), state=state or State(), live=live)
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def sources_stamp(root: Path) -> tuple:
    """What a rebuild depends on, cheaply: names, sizes and times of the source files."""
    files = []
    for folder in ("manuscripts", "translations", "styles"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                st = path.stat()
                files.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(files)


def watch(root: Path, rebuild, state: State, stop: threading.Event, interval: float = 0.5,
          ready: threading.Event | None = None) -> None:
    """Poll the sources; after a change settles, rebuild and tell the pages."""
    seen = sources_stamp(root)
    if ready is not None:
        ready.set()
    while not stop.wait(interval):
        now = sources_stamp(root)
        if now != seen:
            time.sleep(interval)  # let an editor finish saving
            seen = sources_stamp(root)
            try:
                rebuild()
            except Exception as exc:  # noqa: BLE001 - a bad edit must not stop the preview
                print(f"make-editions: rebuild failed: {exc}", flush=True)
                continue
            state.bump()
