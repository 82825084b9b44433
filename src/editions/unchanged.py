"""A no-op in a few thousand `stat`s: when every file a build reads and every folder it
lists are exactly as they were during the last run that changed nothing, that run's
answer holds — the build says again what it said and reads nothing else, not even the
state. (The whole way — read → plan → run → publish — finds the same at 1,000 articles
in about twice the time: it reads the state and makes every edition's key.)

The last such run's picture is kept in .cache/unchanged.json:
- every input file it digested (state.Files: manuscripts, images, templates, catalogs,
  styles, fonts, the code) with its `stat` (type, size, mtime, ctime, inode) — a file
  written in place or replaced changes them — and the state's file;
- every folder whose listing it went by: manuscripts/, translations/, styles/, the code's
  and the installed tools' folders, and every folder of dist/ and dist-drafts/ (the
  editions, pages, images and index that plan and prune look for). A file added, removed
  or renamed in a folder changes the folder's times. A file it looked for and did not
  find is covered by its folder (a run that missed one outside them records nothing);
- what it was asked (articles, languages, formats, drafts), with the interpreter, the
  project's version and folder; and what it said.

The stamps are kept as digests of chunks of CHUNK, catalogs and manuscripts first: a run
after a translator's edit stops looking at the first chunk that differs.

Only a run that wrote nothing and reported no error leaves a picture, and only of what it
saw before it began: its folders' stats are taken before it reads anything and must be
the same after it ends (so a change made while it ran is never taken as seen), and
nothing in the picture may have changed within RACY_NS of its start (a second change
in the same tick of the file system's clock could leave the same times). A run that goes
the whole way removes the old picture first."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from .fsutil import stamp, write_if_changed
from .layout import Layout
from .project import Project

NAME = "unchanged.json"
VERSION = 2  # 2: the stamps' digests by chunks, what people edit first
CHUNK = 256  # stamps per digest: a run after an edit stops at the chunk that holds it
EDITED = ("translations/", "manuscripts/")  # (their files first: what an editor or translator changes)
RACY_NS = 100_000_000  # 0.1 s: far more than a tick of any local file system's clock
TREES = ("dist", "dist-drafts")
WATCHED = ("manuscripts", "translations", "styles", *TREES)  # walked (see _folders)


def replay(project: Project, opts, report) -> bool:
    """If the project is as the last run that changed nothing saw it, say again what that
    run said (into `report`) and return True; else False (and nothing was said)."""
    try:
        data = json.loads((project.cache / NAME).read_text(encoding="utf-8"))
        if data["version"] != VERSION or data["asked"] != _asked(project, opts):
            return False
        root, paths, digests = os.fspath(project.root), data["paths"], data["stamps"]
        if len(digests) != -(-len(paths) // CHUNK):
            return False
        for i, digest in enumerate(digests):  # a chunk at a time: an edit is found early
            if _digest([_stamp(os.path.join(root, p)) for p in paths[i * CHUNK:(i + 1) * CHUNK]]) != digest:
                return False
        said, (unchanged, skipped) = list(data["said"]), data["counts"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for line in said:
        report.say(str(line))
    report.unchanged, report.skipped, report.planned = int(unchanged), int(skipped), 0
    return True


class Watch:
    """The folders a build lists, stat'ed before it reads anything; `record` keeps the
    picture of the run, as it saw the project, if the run changed nothing."""

    def __init__(self, project: Project, opts):
        self.project, self.opts = project, opts
        self.started = time.time_ns()
        (project.cache / NAME).unlink(missing_ok=True)  # (a run that goes the whole way forgets the old one)
        self.folders = _folders(project)
        self.state = _stamp(os.fspath(project.state))

    def record(self, files, report) -> bool:
        """Keep the picture of a run that ended without error and built nothing; True if
        kept. Its stamps are those the run read by (the files' when they were digested,
        the folders' before the run began): if anything changed since, even while the
        run went, the next run finds a stamp that differs."""
        if report.errors or report.built:
            return False
        root = os.fspath(self.project.root)
        paths, stamps = [], []
        for rel, digest in files.seen.items():
            if digest is None:  # looked for and missing: the times of the folder it would be made in tell
                if not self._covers(root, os.path.dirname(os.path.join(root, rel))):
                    return False
                continue
            paths.append(rel)
            stamps.append(tuple(files.known[rel][:4]))
        for path, st in [*self.folders.items(), (_inside(root, os.fspath(self.project.state)), self.state)]:
            paths.append(path)
            stamps.append(st)
        if any(st is not None and st[2] >= self.started - RACY_NS for st in stamps):
            return False  # too recent to tell from a second change in the same tick
        order = sorted(range(len(paths)), key=lambda i: not paths[i].startswith(EDITED))
        paths, stamps = [paths[i] for i in order], [stamps[i] for i in order]
        data = {"version": VERSION, "asked": _asked(self.project, self.opts), "paths": paths,
                "stamps": [_digest(stamps[i:i + CHUNK]) for i in range(0, len(stamps), CHUNK)],
                "said": report.lines, "counts": [report.unchanged, report.skipped]}
        write_if_changed(self.project.cache / NAME, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        return True

    def _covers(self, root: str, folder: str) -> bool:
        """Whether a file made in `folder` would change the times of a watched folder: the
        folder itself, or if it is not there, the first of its parents that is."""
        while not os.path.isdir(folder):
            parent = os.path.dirname(folder)
            if parent == folder:
                return False
            folder = parent
        return self.folders.get(_inside(root, folder)) is not None


def _asked(project: Project, opts) -> str:
    from . import __version__

    return repr((__version__, sys.version, sys.executable, os.path.realpath(project.root),
                 opts.slugs, opts.langs, tuple(opts.formats), opts.draft))


def _stamp(path: str) -> tuple | None:
    """The path's `fsutil.stamp`, as the picture keeps it; None: not there."""
    try:
        return tuple(stamp(os.lstat(path)))
    except OSError:
        return None


def _digest(stamps: list) -> str:
    return hashlib.sha256(repr(stamps).encode("ascii")).hexdigest()


def _inside(root: str, path: str) -> str:
    """`path` relative to the project's folder if it is in it, else as it is."""
    return os.path.relpath(path, root) if path == root or path.startswith(root + os.sep) else path


def _folders(project: Project) -> dict[str, tuple | None]:
    """Every folder whose listing a build goes by → its stat (None: not there). An article's
    folder in dist/ is not entered: a build lists its files, never what is in a folder in it
    (one that appears there changes the article folder's own times)."""
    import sysconfig

    root = os.fspath(project.root)
    found = {".": _stamp(root)}
    code = os.path.dirname(os.path.abspath(__file__))
    for top, rel in [*((os.path.join(root, n), n) for n in WATCHED), (code, code)]:
        found[rel] = _stamp(top)
        stack = [(top, rel)] if found[rel] is not None else []
        while stack:
            folder, name = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    inner = [e for e in entries if e.is_dir(follow_symlinks=False) and e.name != "__pycache__"]
            except OSError:
                continue
            for e in inner:
                path = f"{name}/{e.name}"
                found[path] = _stamp(e.path)
                if not (name in TREES and e.name not in Layout.folders()):  # (see below)
                    stack.append((e.path, path))
    tools = sysconfig.get_paths()["purelib"]  # (inputs.tool_versions lists it)
    found[tools] = _stamp(tools)
    return found
