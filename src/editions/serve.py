"""`make-editions serve`: dist/ on 127.0.0.1 with the right content types, rebuilt when a
manuscript, catalog or style changes, and pages that reload themselves after a rebuild.
The reload script is added to pages as they are served; dist/ itself stays script-free."""
from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from pathlib import Path

# The page knows the build generation it was served from, and reloads when it changes.
RELOAD = ('<script>(function(){{var v="{version}";setInterval(function(){{fetch("/__sangar/version")'
          '.then(function(r){{return r.text()}}).then(function(t){{if(t!==v)location.reload()}})'
          '.catch(function(){{}})}},1000)}})()</script>')
TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip", ".html": "text/html; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".ttf": "font/ttf", ".json": "application/json",
         ".txt": "text/plain; charset=utf-8", ".woff2": "font/woff2", ".xml": "application/xml; charset=utf-8"}


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

    timeout = 30  # an idle or half-open connection gives its thread back after 30 s

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._get()
        except (ValueError, OSError):  # a NUL in the path, an unreadable name: the client's mistake
            self.send_error(400, "Bad request")

    def guess_type(self, path):
        if str(path).endswith("/feed.xml"):  # layout.Layout.feed
            return "application/atom+xml; charset=utf-8"
        return super().guess_type(path)

    def list_directory(self, path):  # no listings: a folder without index.html is not a page
        self.send_error(404, "Not found")
        return None

    def send_head(self):
        """Files inside the served tree only: a link in it that leads out is not followed."""
        path = Path(self.translate_path(self.path))
        root = Path(self.directory).resolve()
        if path.is_dir():
            path = path / "index.html"
        if path.exists() and not path.resolve().is_relative_to(root):
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def _get(self) -> None:
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
        inside = not path.exists() or path.resolve().is_relative_to(Path(self.directory).resolve())
        if self.live and inside and path.suffix == ".html" and path.is_file():
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
    """What a rebuild depends on, cheaply: names, sizes and times of the source files (one
    `scandir` per folder, one `stat` per file: ~10 ms for a 1,000-article archive's 4,000
    files, polled twice a second — `Path.rglob` and `Path.stat` took ten times that)."""
    files = []
    for folder in ("manuscripts", "translations", "styles"):
        stack = [os.path.join(root, folder)]
        while stack:
            try:
                with os.scandir(stack.pop()) as entries:
                    found = list(entries)
            except OSError:  # a folder removed while it was listed: the next look sees the new state
                continue
            for entry in found:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file() and not entry.name.startswith("."):
                        st = entry.stat()
                        files.append((entry.path, st.st_size, st.st_mtime_ns))
                except OSError:  # gone between the listing and the look (a swap file, a checkout)
                    continue
    return tuple(sorted(files))


def watch(root: Path, rebuild, state: State, stop: threading.Event, interval: float = 0.5,
          ready: threading.Event | None = None) -> None:
    """Poll the sources; after a change settles, rebuild and tell the pages."""
    seen = sources_stamp(root)
    if ready is not None:
        ready.set()
    try:
        _watch(root, rebuild, state, stop, interval, seen)
    except KeyboardInterrupt:  # Ctrl-C: serve stops, and says so itself
        raise
    except BaseException:
        if not stop.is_set():
            print("make-editions: the watcher stopped: pages are no longer rebuilt — restart serve", flush=True)
        raise


def _watch(root: Path, rebuild, state: State, stop: threading.Event, interval: float, seen: tuple) -> None:
    while not stop.wait(interval):
        now = sources_stamp(root)
        if now != seen:
            time.sleep(interval)  # let an editor finish saving
            before = sources_stamp(root)
            try:
                rebuild()
            except Exception as exc:  # noqa: BLE001 - a bad edit must not stop the preview
                print(f"make-editions: rebuild failed: {exc}", flush=True)
                continue
            finally:
                # The build itself rewrites catalogs and templates: what it wrote is not an
                # edit. A manuscript or style saved while it ran is: it is built next.
                after = sources_stamp(root)
                seen = after if _edited(before) == _edited(after) else before
            state.bump()


def _edited(stamp: tuple) -> tuple:
    """The part of a sources stamp that only people write (the build writes translations/)."""
    return tuple(entry for entry in stamp if "/translations/" not in entry[0])
