"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet. A PDF
worker process imports this module alone (not the catalog or manuscript code)."""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

from .assets import fetcher

_SIZED = re.compile(r"(\w+)\[(\d+)\]")


@lru_cache(maxsize=1)
def weasyprint():
    """Import WeasyPrint without two costs measured in its 70.0 release (0.15 + ~0.25
    CPU-seconds of a three-PDF build, see benchmarks/README.md):

    - cffi looks each of its libraries up under six names, running `ldconfig -p`, `gcc`
      and `ld` through ctypes.util.find_library for every miss. While it imports, a miss
      is reported at once instead; the sonames (`libpango-1.0.so.0`, …) load directly.
      Should that fail on some system, the import is retried the slow, usual way.
    - Every font subset asks cffi for a `hb_codepoint_t[N]` with a new N, and cffi parses
      each new type with pycparser (~8 ms). The same array typed `hb_codepoint_t[]` with
      the same items is parsed once.
    """
    import ctypes.util

    usual = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint as module
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = usual
        import weasyprint as module
    finally:
        ctypes.util.find_library = usual
    from weasyprint.text.ffi import ffi

    new = ffi.new

    def new_array(cdecl, init=None):
        if init is not None and isinstance(cdecl, str) and cdecl.endswith("]") \
                and (sized := _SIZED.fullmatch(cdecl)) and len(init) == int(sized[2]):
            cdecl = f"{sized[1]}[]"
        return new(cdecl, init)

    ffi.new = new_array
    return module


def warm() -> None:
    """Pay WeasyPrint's import and font configuration once per worker, while the parent
    is still busy."""
    _font_config()


@lru_cache(maxsize=1)
def _font_config():
    weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_page(page: str, base: str, assets: str) -> bytes:
    """A worker's task: one edition's HTML page as PDF, with this process's fonts."""
    return render(page, Path(base), [Path(assets)], _font_config())


def render(html: str, base: Path, allowed: list[Path], font_config=None) -> bytes:
    """`html` (relative URLs resolve against `base`) as PDF bytes, reading only files under
    `allowed`."""
    document = weasyprint().HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(allowed),
                                 media_type="print")
    return document.write_pdf(font_config=font_config)

