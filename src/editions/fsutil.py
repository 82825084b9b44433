"""Atomic, change-aware file writes."""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def read_toml(path: Path) -> dict:
    """A TOML settings file; a syntax error becomes an EditionsError with its line."""
    import tomllib

    from .errors import EditionsError

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise EditionsError(path, getattr(exc, "lineno", None), f"not valid TOML: {exc}") from None


def machine_cache(root: Path) -> Path:
    """What this machine keeps for every project, like pip's cache: $XDG_CACHE_HOME (or
    ~/.cache)/sangar-editions, or the project's .cache when there is no usable home.
    Whatever is kept there is keyed by everything it was made from."""
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.expanduser("~/.cache") if os.path.expanduser("~") != "~" else "")
    return Path(base) / "sangar-editions" if base and os.path.isabs(base) else root / ".cache"


def stamp(st: os.stat_result) -> list:
    """What a file's `stat` tells of a change to it: size, mtime, ctime, inode (a file whose
    stamp is unchanged is not read again; unchanged.py compares folders' and files' stamps)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class ChangedMeanwhile(Exception):
    """The file is no longer as it was read (someone saved it since): not written over."""


ABSENT = "absent"  # an `expect`: the file was not there when it was looked for, and must still not be


def write_if_changed(path: Path, data: bytes | str, expect: list | None = None) -> bool:
    """Write `data` atomically unless the file already holds exactly it; True if written.
    `expect`: the file's stamp when it was read, or ABSENT — if it is not so just before
    the file would be replaced, nothing is written and ChangedMeanwhile is raised."""
    import stat

    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):  # a link, FIFO or folder put in our place
        from .errors import EditionsError

        raise EditionsError(path, None, "is not a plain file (a link, a pipe or a folder): remove it; "
                                        "the build writes it anew")
    if info is not None and info.st_size == len(data) and path.read_bytes() == data:
        return False
    atomic_write(path, data, expect=expect)
    return True


def atomic_write(path: Path, data: bytes, durable: bool = True, expect: list | None = None) -> None:
    """Write to a temp file beside `path`, then os.replace: readers see old or new, never
    half. `durable` also fsyncs, for files a power cut must not lose (not for caches).
    Interrupted anywhere (Ctrl-C's KeyboardInterrupt), it leaves no temp file behind: the
    temp file's name is known before it exists (tempfile.mkstemp could be interrupted
    between creating it and returning its name). `expect`: see write_if_changed (checked
    the moment before the replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:  # another writer's: not ours to remove
            continue
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        break
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if expect is not None and stamp_of(path) != (None if expect == ABSENT else expect):
            raise ChangedMeanwhile(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stamp_of(path) -> list | None:
    """The path's `stamp` (not following a link); None: it is not there."""
    try:
        return stamp(os.lstat(path))
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def project_lock(root: Path, say=print):
    """Hold `<root>/.make-editions.lock` for a run that writes: a second run waits with a
    clear message. A POSIX record lock (fcntl.lockf), not flock: forked workers do not
    inherit it, so a worker outliving a killed run never holds the project, and the kernel
    drops it when its holder dies. The file is opened without following links and never
    truncated (a lock file committed as a link to another file cannot damage that file).
    The lock is a separate file because os.replace swaps the inodes of the files we write."""
    import fcntl
    import stat

    from .errors import EditionsError

    path = root / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise EditionsError(path, None, f"cannot use the lock file ({exc.strerror}): it must be a plain file; "
                                        "remove it and run again") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EditionsError(path, None, "the lock file is not a plain file: remove it and run again")
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode("utf-8", "replace").strip() or "another process"
            say(f"make-editions: waiting for the run holding {path} ({holder}) to finish")
            fcntl.lockf(fd, fcntl.LOCK_EX)
        left = os.pread(fd, 64, 0).decode("utf-8", "replace").strip()
        ended_badly = left.startswith("pid ") and left != f"pid {os.getpid()}"
        if ended_badly:
            say(f"make-editions: taking over the lock of a run that ended without releasing it ({left})")
        os.pwrite(fd, f"pid {os.getpid()}".ljust(32).encode(), 0)
        try:
            check_and_sweep(root, everywhere=ended_badly)
            yield
        finally:
            os.pwrite(fd, b" " * 32, 0)
            fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


WRITTEN = ("dist", "dist-drafts", ".cache", "translations")
LOCK_NAME = ".make-editions.lock"


def check_and_sweep(root: Path, everywhere: bool = True) -> list[Path]:
    """Under the lock, before a run writes: the folders it writes into must be the
    project's own, not links to elsewhere (no linked folder in dist/ and dist-drafts/ —
    an article's folder, assets/, a language's pages — nor as translations/ or a
    language's folder of it), and temp files a killed run left behind (`.<name>.tmp`) are
    removed. Folders that hold only files the run writes one by one (an article's folder,
    assets/images/, assets/cards/) or replaces whole (pagefind/) are walked for temporaries
    only `everywhere` — when the previous run ended without releasing the lock: only such
    a run leaves any — so that an archive's run does not list its ~10,000 files twice.
    So are a language's catalogs (translations/<ll>/LC_MESSAGES/) and the cache's folders
    (where temporaries are harmless, and only its folders' own files are ever looked at).
    One walk with os.scandir, which knows a link and a folder from the directory listing
    itself: no `stat` per file."""
    from .errors import EditionsError

    def refuse(path: Path):
        raise EditionsError(path, None, "is a symbolic link: a run writes only inside the project; "
                                        "replace it with a real folder")

    gone: list[Path] = []
    for name in WRITTEN:
        top = root / name
        if top.is_symlink():
            refuse(top)
        if not top.is_dir():
            continue
        tree = name in ("dist", "dist-drafts")
        stack = [(os.fspath(top), "")]
        while stack:
            folder, rel = stack.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    inner = f"{rel}/{entry.name}" if rel else entry.name
                    if entry.is_symlink():
                        # a linked folder in an output tree, or as a catalog folder, is refused
                        if entry.is_dir() and (tree or (name == "translations" and inner.count("/") <= 1)):
                            refuse(Path(entry.path))
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if _entered(name, rel, entry.name, everywhere):
                            stack.append((entry.path, inner))
                    elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
                        os.unlink(entry.path)
                        gone.append(Path(entry.path))
    return gone


def _entered(top: str, rel: str, name: str, everywhere: bool) -> bool:
    """Whether check_and_sweep's walk of `top` (one of WRITTEN) enters the folder `name`
    found in `rel` (relative to `top`; "" for `top` itself). See check_and_sweep."""
    from .layout import Layout

    if top == ".cache":
        return everywhere and not rel  # its files are one folder deep
    if everywhere:
        return True
    if top == "translations":
        return not rel  # a language's folder; its LC_MESSAGES is looked at, not walked
    if not rel:  # dist/, dist-drafts/: the site's own folders, not the articles'
        return name in Layout.folders() - {Layout.search}
    return f"{rel}/{name}" not in (Layout.images, Layout.cards)
