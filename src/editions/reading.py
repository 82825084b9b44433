"""Reading the project's inputs — manuscripts, catalogs, images, which a pull request or a
translator shapes — without trusting them: a regular file, not a link, not a folder, a
device or a FIFO, read with a byte limit (a device reports size 0; /dev/zero never ends)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import EditionsError


class Refused(Exception):
    """What a file is instead of a plain file of acceptable size: `kind` is one of link,
    folder, pipe, device, too-large, replaced."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return {stat.S_IFLNK: "link", stat.S_IFDIR: "folder", stat.S_IFIFO: "pipe"}.get(stat.S_IFMT(mode), "device")


def read_regular(path: Path, limit: int, follow_links: bool = False) -> bytes:
    """The bytes of a plain file, at most `limit`. Looked at before it is opened (opening a
    FIFO waits forever, opening a device can act on it), opened without following a link,
    checked to be the file looked at, then read with the limit (sizes can lie). With
    `follow_links`, `path` may be a link the caller has vetted (it must resolve inside the
    project). Raises Refused, or OSError when the file cannot be read at all."""
    before = os.stat(path) if follow_links else os.lstat(path)
    if kind := _kind(before.st_mode):
        raise Refused(kind)
    if before.st_size > limit:
        raise Refused("too-large")
    fd = os.open(Path(path).resolve() if follow_links else path,
                 os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        after = os.fstat(fd)
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise Refused("replaced")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise Refused("too-large")
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_input(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, at most `limit`; an EditionsError naming the file otherwise."""
    try:
        return read_regular(path, limit)
    except Refused as exc:
        message = {
            "link": f"the {what} is a symbolic link: put the file itself here (a link could lead outside the project)",
            "folder": f"the {what} is a folder: put a text file here",
            "too-large": f"the {what} is larger than {limit // 2**20} MB: that is not an article's {what}",
            "replaced": f"the {what} was replaced while it was read: run again",
        }.get(exc.kind, f"the {what} is not a regular file (a device or a pipe): put a text file here")
        raise EditionsError(path, None, message) from None
    except FileNotFoundError:
        raise EditionsError(path, None, f"{what} not found") from None
    except OSError as exc:
        raise EditionsError(path, None, f"cannot read the {what}: {exc.strerror}") from None
