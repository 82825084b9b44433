"""Speed-ups of WeasyPrint's import and font subsetting, measured on WeasyPrint 70.0 with
cffi 2.1.1 (benchmarks/README.md) and applied only to exactly those versions. Each one
changes process-wide state; each is tried on its own, and on any exception its state is
put back and the plain path taken. The PDFs are the same bytes either way
(tests/test_pdf_core.py). EDITIONS_SPEEDUPS=0 in the environment (inherited by the PDF
workers), or load(enabled=False), turns them off.

- "import": cffi looks each library up under six names, and ctypes.util.find_library runs
  `ldconfig -p`, `gcc` and `ld` for every miss (~0.15 CPU-s). While WeasyPrint imports, a
  miss is reported at once instead (the sonames, `libpango-1.0.so.0`, … load directly)
  and WeasyPrint's banner about a missing library is kept off stdout. Should a library
  then be missing (HarfBuzz's subsetter is optional to WeasyPrint), WeasyPrint is
  imported again the plain way, which finds or reports it.
- "arrays": every font subset asks cffi for a `hb_codepoint_t[N]` with a new N, and cffi
  parses each new type with pycparser (2–8 ms). The same array, typed `hb_codepoint_t[]`
  with the same items, is parsed once per process.
"""
from __future__ import annotations

import os
import re
import sys

WEASYPRINT = "70.0"
CFFI = "2.1.1"  # pinned in pyproject.toml
ENV = "EDITIONS_SPEEDUPS"

applied: set[str] = set()  # the speed-ups in effect in this process
_SIZED = re.compile(r"(\w+)\[(\d+)\]")


def load(enabled: bool | None = None):
    """The weasyprint module, imported with the speed-ups when `enabled` (default: unless
    EDITIONS_SPEEDUPS=0) and the installed versions are the measured ones."""
    if enabled is None:
        enabled = os.environ.get(ENV, "1") != "0"
    if enabled and "weasyprint" not in sys.modules and _measured(_weasyprint_version()):
        try:
            module = _quick_import()
        except Exception:  # noqa: BLE001 - any failure: the plain import decides
            _forget()
        else:
            applied.add("import")
            return _arrays(module)
    import weasyprint as module

    return _arrays(module) if enabled else module


def _measured(weasyprint_version: str | None) -> bool:
    try:
        import cffi

        return weasyprint_version == WEASYPRINT and cffi.__version__ == CFFI
    except Exception:  # noqa: BLE001
        return False


def _weasyprint_version() -> str | None:
    """The installed WeasyPrint's version, read from its source without importing it
    (importlib.metadata alone costs 30 ms)."""
    try:
        from importlib.util import find_spec

        spec = find_spec("weasyprint")
        with open(spec.origin, encoding="utf-8") as source:
            found = re.search(r"^VERSION = __version__ = '([^']+)'$", source.read(8192), re.M)
        return found[1] if found else None
    except Exception:  # noqa: BLE001
        return None


def _quick_import():
    import contextlib
    import ctypes.util
    import io

    usual, stdout = ctypes.util.find_library, sys.stdout
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints a banner on a miss
            import weasyprint as module
            from weasyprint.text import ffi as libraries
        if libraries.harfbuzz_subset is None:
            raise OSError("HarfBuzz's subsetter not found under its soname")
        return module
    finally:
        ctypes.util.find_library, sys.stdout = usual, stdout


def _forget() -> None:
    """Drop a quick import that failed, so that WeasyPrint is imported again from the start."""
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        del sys.modules[name]


def _arrays(module):
    try:
        import cffi

        if module.__version__ != WEASYPRINT or cffi.__version__ != CFFI:
            return module
        from weasyprint.text.ffi import ffi
    except Exception:  # noqa: BLE001
        return module
    own = "new" in vars(ffi)
    new = ffi.new
    if getattr(new, "sangar", False):
        return module

    def new_array(cdecl, init=None):
        if isinstance(init, (list, tuple)) and isinstance(cdecl, str) and cdecl.endswith("]") \
                and (sized := _SIZED.fullmatch(cdecl)) and len(init) == int(sized[2]):
            cdecl = f"{sized[1]}[]"
        return new(cdecl, init)

    new_array.sangar = True
    try:
        ffi.new = new_array
        probe = ffi.new("hb_codepoint_t[3]", [7, 5, 9])  # also pays the one parse now
        if list(probe) != [7, 5, 9] or ffi.sizeof(probe) != 3 * ffi.sizeof("hb_codepoint_t"):
            raise ValueError("hb_codepoint_t[] is not the array asked for")
    except Exception:  # noqa: BLE001
        if own:
            ffi.new = new
        else:
            vars(ffi).pop("new", None)
        return module
    applied.add("arrays")
    return module
