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
          ready: threading.Event | None = None, first: bool = False) -> None:
    """Wait for a change of the sources; once it settles, rebuild and tell the pages. On
    Linux the kernel says what changed (inotify: nothing is looked at while nothing changes,
    where polling a 1,000-article archive's 4,000 files twice a second kept ~8 % of a core
    busy); elsewhere, or if it cannot be set up, the sources are polled. `first`: build once
    as soon as the sources are watched (what is saved meanwhile is built next; an error of
    that build ends the watch), then tell `ready`."""
    looker = _looker(root)
    try:
        if first:
            _build(looker, rebuild, whole=True)
        if ready is not None:
            ready.set()
    except BaseException:
        looker.close()
        raise
    try:
        _watch(looker, rebuild, state, stop, interval)
    except KeyboardInterrupt:  # Ctrl-C: serve stops, and says so itself
        raise
    except BaseException:
        if not stop.is_set():
            print("make-editions: the watcher stopped: pages are no longer rebuilt — restart serve", flush=True)
        raise
    finally:
        looker.close()


NOTIFY = True  # inotify where the system has it (tests turn it off to try the polling)


def _looker(root: Path):
    if NOTIFY:
        try:
            return Notified(root)
        except (OSError, AttributeError):  # not Linux, or no watch left (fs.inotify.max_user_watches)
            pass
    return Polling(root)


def _watch(looker, rebuild, state: State, stop: threading.Event, interval: float) -> None:
    while looker.wait(stop, interval):
        time.sleep(interval)  # let an editor finish saving
        try:
            _build(looker, rebuild)
        except Exception as exc:  # noqa: BLE001 - a bad edit must not stop the preview
            print(f"make-editions: rebuild failed: {exc}", flush=True)
            continue
        state.bump()


def _build(looker, rebuild, whole: bool = False) -> None:
    """One build of what was saved until now (`whole`: of everything, not told what). The
    build itself rewrites catalogs and templates: what it wrote is not an edit. A
    manuscript or style saved while it ran is, and so is a catalog that is not as the build
    left it: it is built next."""
    changed = looker.building()
    files = None
    try:
        files = getattr(rebuild(None if whole else changed), "files", None)
    finally:
        looker.built(files)


class Polling:
    """The sources' names, sizes and times compared every `interval` (sources_stamp)."""

    def __init__(self, root: Path):
        self.root, self.seen, self.before = root, sources_stamp(root), ()

    def wait(self, stop: threading.Event, interval: float) -> bool:
        """Until the sources change (True) or `stop` is set (False)."""
        while not stop.wait(interval):
            if sources_stamp(self.root) != self.seen:
                return True
        return False

    def building(self) -> None:
        """(What changed is not known: None.)"""
        self.before = sources_stamp(self.root)

    def built(self, files=None) -> None:
        after = sources_stamp(self.root)
        top = len(os.fspath(self.root)) + 1
        rel = lambda path: path[top:].replace(os.sep, "/")
        edited = lambda stamp: tuple(e for e in stamp if _by_people(rel(e[0])))
        meanwhile = any(_saved_meanwhile(self.root, rel(e[0]), files) for e in set(after) ^ set(self.before))
        self.seen = after if edited(self.before) == edited(after) and not meanwhile else self.before

    def close(self) -> None:
        pass


class Notified:
    """Linux's inotify on the source folders (ctypes: no dependency): every folder under
    manuscripts/, translations/ and styles/ watched, folders made later too; hidden files
    (an editor's swap files) are not changes. If the kernel's queue overflowed, everything
    may have changed: it is taken as a change and the folders are watched afresh."""

    MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify, attrib, close-write, moves, create, delete, self
    TOP = 0x40 | 0x80 | 0x100 | 0x200  # the project folder: the three folders made, removed or renamed
    ISDIR, OVERFLOW, IGNORED = 0x40000000, 0x4000, 0x8000
    FOLDERS = ("manuscripts", "translations", "styles")

    def __init__(self, root: Path):
        import ctypes

        self.root = os.fspath(root)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.folders: dict[int, str] = {}  # watch → folder (relative to the project: "" for it)
        self.pending = False  # an edit seen while a build ran: built next
        self.changed: set[str] | None = set()  # what changed since the last build began (None: anything may have)
        try:
            self._watch_all()
        except OSError:
            self.close()
            raise

    def _add(self, rel: str, mask: int) -> None:
        import ctypes

        if rel and rel not in self.FOLDERS:  # a link in them is not followed (nor listed by sources_stamp)
            mask |= 0x02000000  # IN_DONT_FOLLOW
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(os.path.join(self.root, rel)), mask)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (2, 20):  # gone or not a folder by now: its parent's event tells
                return
            raise OSError(err, f"inotify_add_watch {rel}")
        self.folders[wd] = rel

    def _watch_all(self) -> None:
        self._add("", self.TOP)
        for top in self.FOLDERS:
            self._tree(top)

    def _tree(self, rel: str) -> list[str]:
        """Watch the folder and every folder in it; the files found there (a folder made
        with files in it before it was watched: they are changes too)."""
        stack, files = [rel], []
        while stack:
            folder = stack.pop()
            self._add(folder, self.MASK)
            try:
                with os.scandir(os.path.join(self.root, folder)) as entries:
                    for e in entries:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(f"{folder}/{e.name}")
                        elif not e.name.startswith("."):
                            files.append(f"{folder}/{e.name}")
            except OSError:
                continue
        return files

    def _changes(self, timeout: float) -> list[str]:
        """The sources changed (paths relative to the project), waiting up to `timeout`."""
        import select
        import struct

        ready, _, _ = select.select([self.fd], [], [], timeout)
        changed: list[str] = []
        while ready:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            at = 0
            while at + 16 <= len(data):
                wd, mask, _cookie, size = struct.unpack_from("iIII", data, at)
                name = data[at + 16:at + 16 + size].rstrip(b"\0").decode("utf-8", "surrogateescape")
                at += 16 + size
                if mask & self.OVERFLOW:
                    changed.append("*")
                    continue
                if mask & self.IGNORED:
                    self.folders.pop(wd, None)
                    continue
                folder = self.folders.get(wd)
                if folder is None or (folder == "" and name not in self.FOLDERS) or name.startswith("."):
                    continue
                path = f"{folder}/{name}" if folder and name else folder or name
                changed.append(path)
                if mask & self.ISDIR and mask & (0x100 | 0x80):  # a folder made or moved in: watched too
                    changed += self._tree(path)
        if "*" in changed:  # the queue overflowed: watch everything afresh
            for wd in list(self.folders):
                self.libc.inotify_rm_watch(self.fd, wd)
            self.folders.clear()
            self._watch_all()
        return changed

    def wait(self, stop: threading.Event, interval: float) -> bool:
        while not stop.is_set():
            if self.pending or self._note(self._changes(interval)):
                self.pending = False
                return True
        return False

    def building(self) -> set[str] | None:
        """What was saved until now, which is being built: the paths (relative to the
        project), or None if anything may have changed (the kernel's queue overflowed)."""
        self._note(self._changes(0))
        changed, self.changed = self.changed, set()
        return changed

    def built(self, files=None) -> None:
        self.pending = self._note([p for p in self._changes(0) if p == "*" or _by_people(p)
                                   or _saved_meanwhile(self.root, p, files)])

    def _note(self, paths: list[str]) -> bool:
        if paths and self.changed is not None:
            self.changed = None if "*" in paths else self.changed | set(paths)
        return bool(paths)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def articles(project, changed: set[str] | None) -> list[str] | None:
    """The articles whose own files — manuscript, template, catalogs — are all that changed
    (`changed`: paths relative to the project, as the watcher saw them), or None when
    anything else may have: a style, an image, the interface's words, a manuscript removed
    or renamed, or nothing known (polling, an overflow). An editor's temporary file beside
    the catalogs (`x.po~`) is none of the build's. None: the whole project is built."""
    if not changed:
        return None
    from .inputs import UI
    from .locale import LANGUAGES
    from .manuscript import SLUG

    locales = {LANGUAGES[tag].gettext for tag in LANGUAGES}
    found = set()
    for rel in changed:
        parts = rel.split("/")
        name = parts[-1]
        if parts[0] == "translations" and "." in name and not name.endswith((".po", ".pot")):
            continue
        if len(parts) == 2 and parts[0] == "manuscripts" and name.endswith(".md"):
            slug = name[:-3]
        elif len(parts) == 2 and parts[0] == "translations" and name.endswith(".pot"):
            slug = name[:-4]
        elif (len(parts) == 4 and parts[0] == "translations" and parts[1] in locales and parts[2] == "LC_MESSAGES"
              and name.endswith(".po")):
            slug = name[:-3]
        else:
            return None
        if slug == UI or not SLUG.fullmatch(slug) or not os.path.isfile(project.root / project.manuscript_rel(slug)):
            return None
        found.add(slug)
    return sorted(found) or None


def _saved_meanwhile(root, rel: str, files) -> bool:
    """Whether a catalog or template that the build keeps in step (under translations/) is
    not as the build last read or wrote it: a translator saved it while the build ran.
    (`files`: the build's state.Files; None, a build that ended early: taken as its own.)"""
    if files is None or not rel.startswith("translations/") or not rel.endswith((".po", ".pot")):
        return False
    from .fsutil import stamp

    try:
        now = stamp(os.lstat(os.path.join(root, rel)))
    except OSError:  # removed since the build saw it, or, if it did not look, since the last build knew it
        return files.seen[rel] is not None if rel in files.seen else rel in files.known
    old = files.known.get(rel)
    return old is None or old[:4] != now


def _by_people(rel: str) -> bool:
    """Whether a source (its path in the project) is one only people write: the build
    writes translations/ (the catalogs and templates it keeps in step)."""
    return rel != "translations" and not rel.startswith("translations/")
