"""Reading the project's inputs — manuscripts and catalogs, which a pull request or a
translator shapes — without trusting them: a regular file, not a link, not a folder, a
device or a FIFO, read with a byte limit (a device reports size 0; /dev/zero never ends)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import EditionsError


def read_input(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, at most `limit`; an EditionsError naming the file otherwise."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise EditionsError(path, None, f"{what} not found") from None
    except OSError as exc:
        raise EditionsError(path, None, f"cannot read the {what}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise EditionsError(path, None, f"the {what} is a symbolic link: put the file itself here "
                                        "(a link could lead outside the project)")
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device or a pipe)"
        raise EditionsError(path, None, f"the {what} is {kind}: put a text file here")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise EditionsError(path, None, f"cannot read the {what}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped between the two looks
            raise EditionsError(path, None, f"the {what} is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise EditionsError(path, None, f"the {what} is larger than {limit // 2**20} MB: "
                                        f"that is not an article's {what}")
    return data
