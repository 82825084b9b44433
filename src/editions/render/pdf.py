"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet. A PDF
worker process imports this module alone (not the catalog or manuscript code)."""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

from ..fsutil import atomic_write, read_toml
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


def warm(root: str | None = None) -> None:
    """Pay WeasyPrint's import and font configuration once per worker, while the parent
    is still busy."""
    if root is None:
        weasyprint()
    else:
        _font_config(root)


@lru_cache(maxsize=4)
def _font_config(root: str | None):
    """WeasyPrint's font configuration, on the fontconfig setup of fontconfig_file()."""
    import os

    path = fontconfig_file(Path(root)) if root else None
    before = os.environ.get("FONTCONFIG_FILE")
    if path is not None:
        os.environ["FONTCONFIG_FILE"] = str(path)
    try:
        weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        return FontConfiguration()
    finally:
        if path is not None:
            if before is None:
                del os.environ["FONTCONFIG_FILE"]
            else:
                os.environ["FONTCONFIG_FILE"] = before


def fontconfig_file(root: Path) -> Path | None:
    """The fontconfig setup PDFs are laid out with: no fonts but the faces fonts.toml names
    under `print_fallback` (the house faces come from the page's @font-face rules). A PDF
    then never depends on what else is installed on the machine, and Pango, which sorts
    every known font for each new face it looks up, sorts a dozen instead of ~300 (0.04 s
    of a three-PDF build). None (the machine's setup) when fonts.toml names none."""
    import hashlib
    from xml.sax.saxutils import escape

    conf = read_toml(root / "styles" / "fonts.toml")
    if "print_fallback" not in conf:
        return None
    source = Path(conf["source_dir"])
    cache = root / ".cache" / "fontconfig"
    accepted = "".join(f"<glob>{escape(str(source / pattern))}</glob>" for pattern in conf["print_fallback"])
    xml = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
           f"  <dir>{escape(str(source))}</dir>\n"
           f"  <cachedir>{escape(str(cache / 'cache'))}</cachedir>\n"
           "  <cachedir>/var/cache/fontconfig</cachedir>\n"  # Debian's, made when the fonts were installed
           f"  <selectfont><rejectfont><glob>{escape(str(source))}/*</glob></rejectfont>"
           f"<acceptfont>{accepted}</acceptfont></selectfont>\n</fontconfig>\n")
    path = cache / f"fonts-{hashlib.sha256(xml.encode()).hexdigest()[:16]}.conf"
    if not path.exists():  # named by its content: workers writing it at once write the same bytes
        atomic_write(path, xml.encode(), durable=False)
    return path


def render_page(page: str, base: str, assets: str, root: str | None = None) -> bytes:
    """A worker's task: one edition's HTML page as PDF, with this process's fonts."""
    return render(page, Path(base), [Path(assets)], _font_config(root))


def render(html: str, base: Path, allowed: list[Path], font_config=None) -> bytes:
    """`html` (relative URLs resolve against `base`) as PDF bytes, reading only files under
    `allowed`."""
    document = weasyprint().HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(allowed),
                                 media_type="print")
    return document.write_pdf(font_config=font_config)

