"""One way to run pandoc: the binary pypandoc-binary ships, called directly. (pypandoc's
convert_text starts two more pandoc processes per call to list the formats; a cold build
runs pandoc seven times, so that doubled the processes.)"""
from __future__ import annotations

import importlib.util
import os
import subprocess
from functools import lru_cache


@lru_cache(maxsize=1)
def binary() -> str:
    """The pandoc of pypandoc-binary (the version the build's digests name), found without
    importing pypandoc: its `get_pandoc_path` runs `pandoc --version` for every candidate
    (a process a build) and would take a newer pandoc on PATH over the pinned one. With
    PYPANDOC_PANDOC set, or no binary shipped, pypandoc's own search decides."""
    spec = importlib.util.find_spec("pypandoc")
    if not os.environ.get("PYPANDOC_PANDOC") and spec is not None and spec.submodule_search_locations:
        shipped = os.path.join(os.path.realpath(spec.submodule_search_locations[0]), "files", "pandoc")
        if os.access(shipped, os.X_OK):
            return shipped
    import pypandoc

    return pypandoc.get_pandoc_path()


TIMEOUT = 120.0  # seconds: the longest article takes pandoc well under one


def run(text: str, source: str, target: str, args: list[str]) -> str:
    """`text` read as `source`, written as `target` (to stdout unless `args` name an output
    file). Raises RuntimeError with pandoc's message when pandoc fails, or when it has not
    finished after TIMEOUT seconds (it is killed then: one stalled run does not stall the
    build, whose other editions go on)."""
    try:
        done = subprocess.run([binary(), f"--from={source}", f"--to={target}", *args],
                              input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"pandoc took more than {TIMEOUT:g} s and was stopped") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip()
        raise RuntimeError(f"pandoc exited with status {done.returncode}: {message}")
    return done.stdout.decode("utf-8")
