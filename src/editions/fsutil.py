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


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write `data` atomically unless the file already holds exactly it; True if written."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data)
    return True


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temp file beside `path`, then os.replace: readers see old or new, never
    half. `durable` also fsyncs, for files a power cut must not lose (not for caches).
    Interrupted anywhere (Ctrl-C's KeyboardInterrupt), it leaves no temp file behind: the
    temp file's name is known before it exists (tempfile.mkstemp could be interrupted
    between creating it and returning its name)."""
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
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def project_lock(root: Path, say=print):
    """Hold `<root>/.make-editions.lock` (fcntl.flock) for a run that writes: a second run
    waits with a clear message. The lock is a separate file because os.replace swaps the
    inodes of the files we write."""
    import fcntl

    path = root / LOCK_NAME
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            say(f"make-editions: waiting for the run holding {path} ({holder}) to finish")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        try:
            sweep_temporaries(root)
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


LOCK_NAME = ".make-editions.lock"


def sweep_temporaries(root: Path) -> list[Path]:
    """Remove temp files a killed run left behind (only ever called under the lock)."""
    gone = []
    for folder in ("translations", "dist", "dist-drafts", ".cache"):
        for tmp in (root / folder).rglob(".*.tmp") if (root / folder).is_dir() else ():
            tmp.unlink(missing_ok=True)
            gone.append(tmp)
    return gone
