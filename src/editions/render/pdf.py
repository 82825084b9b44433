"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet. A PDF
worker process imports this module alone (not the catalog or manuscript code)."""
from __future__ import annotations

import os
import re
import sys
import threading
from functools import lru_cache
from pathlib import Path

from ..fsutil import atomic_write
from .assets import fallback_patterns, fetcher, fonts

_SIZED = re.compile(r"(\w+)\[(\d+)\]")
_LOCK = threading.RLock()  # the imports and font setups below change process-wide state


def weasyprint():
    """Import WeasyPrint without two costs measured in its 70.0 release (0.15 + ~0.1
    CPU-seconds of a three-PDF build, see benchmarks/README.md):

    - cffi looks each of its libraries up under six names, running `ldconfig -p`, `gcc`
      and `ld` through ctypes.util.find_library for every miss. While it imports, a miss
      is reported at once instead; the sonames (`libpango-1.0.so.0`, …) load directly.
      Should a library then be missing (HarfBuzz's subsetter is optional to WeasyPrint),
      the import is done again the usual way.
    - Every font subset asks cffi for a `hb_codepoint_t[N]` with a new N, and cffi parses
      each new type with pycparser (~8 ms). The same array, typed `hb_codepoint_t[]` with
      the same list of items, is parsed once.
    """
    with _LOCK:
        return _weasyprint()


@lru_cache(maxsize=1)
def _weasyprint():
    import contextlib
    import ctypes.util
    import io

    usual = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints a banner on a miss
            import weasyprint as module
            from weasyprint.text import ffi as libraries
        quick = libraries.harfbuzz_subset is not None
    except OSError:
        quick = False
    finally:
        ctypes.util.find_library = usual
    if not quick:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint as module
    from weasyprint.text.ffi import ffi

    new = ffi.new

    def new_array(cdecl, init=None):
        if isinstance(init, (list, tuple)) and isinstance(cdecl, str) and cdecl.endswith("]") \
                and (sized := _SIZED.fullmatch(cdecl)) and len(init) == int(sized[2]):
            cdecl = f"{sized[1]}[]"
        return new(cdecl, init)

    ffi.new = new_array
    from . import pdftags

    pdftags.install(module)
    return module


def warm(root: str | None = None) -> None:
    """Pay WeasyPrint's import and font configuration once per worker, while the parent
    is still busy."""
    if root is None:
        weasyprint()
    else:
        font_config(root)


def font_config(root: str | None):
    """WeasyPrint's font configuration for the project at `root`, on the fontconfig setup
    of fontconfig_file() (as it is now: a changed fonts.toml gives a new one)."""
    setup = str(fontconfig_file(Path(root))) if root else None
    with _LOCK:  # one configuration per setup, also when threads ask at once
        return _font_config(setup)


@lru_cache(maxsize=4)
def _font_config(setup: str | None):
    before = os.environ.get("FONTCONFIG_FILE")
    if setup is not None:
        os.environ["FONTCONFIG_FILE"] = setup
    try:
        weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        return FontConfiguration()
    finally:
        if setup is not None:
            if before is None:
                os.environ.pop("FONTCONFIG_FILE", None)
            else:
                os.environ["FONTCONFIG_FILE"] = before


def fontconfig_file(root: Path) -> Path | None:
    """The fontconfig setup PDFs are laid out with: no fonts but the faces fonts.toml names
    under `print_fallback` (the house faces come from the page's @font-face rules), and
    the generic families (`print_generic`) mapped onto them. A PDF then never depends on
    what else is installed on the machine, and Pango, which sorts every known font for each
    new face it looks up, sorts a dozen instead of ~300 (0.04 s of a three-PDF build). None
    (the machine's setup) when fonts.toml has no print_fallback."""
    import hashlib
    from xml.sax.saxutils import escape

    conf, _faces = fonts(root)
    if "print_fallback" not in conf:
        return None
    patterns = fallback_patterns(conf)
    folders = sorted({str(p.parent) for p in patterns})
    cache = root / ".cache" / "fontconfig"
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>"]
    lines += [f"  <dir>{escape(folder)}</dir>" for folder in folders]
    lines += [f"  <cachedir>{escape(str(cache / 'cache'))}</cachedir>",
              "  <cachedir>/var/cache/fontconfig</cachedir>"]  # Debian's, made when the fonts were installed
    lines += ["  <selectfont><rejectfont>" + "".join(f"<glob>{escape(f)}/*</glob>" for f in folders)
              + "</rejectfont><acceptfont>" + "".join(f"<glob>{escape(str(p))}</glob>" for p in patterns)
              + "</acceptfont></selectfont>"]
    lines += [f"  <alias binding=\"same\"><family>{escape(generic)}</family>"
              f"<prefer><family>{escape(family)}</family></prefer></alias>"
              for generic, family in sorted(conf.get("print_generic", {}).items())]
    xml = "\n".join([*lines, "</fontconfig>", ""])
    path = cache / f"fonts-{hashlib.sha256(xml.encode()).hexdigest()[:16]}.conf"
    if not path.exists():  # named by its content: workers writing it at once write the same bytes
        atomic_write(path, xml.encode(), durable=False)
    return path


def render_page(page: str, base: str, assets: str, root: str | None = None) -> bytes:
    """A worker's task: one edition's HTML page as PDF, with this process's fonts."""
    return render(page, Path(base), [Path(assets)], font_config(root))


# Every edition is one file for readers and archives alike: PDF/A-2a (fonts embedded, sRGB
# output intent, XMP metadata, file identifier, tagged) and PDF/UA-1 (tagged, language,
# title shown, alt text, artifacts). WeasyPrint writes one variant's identification; the
# other is added to its XMP (see benchmarks/README.md for the cost).
VARIANT = "pdf/a-2a"
UA = "{http://www.aiim.org/pdfua/ns/id/}part"


def render(html: str, base: Path, allowed: list[Path], font_config=None) -> bytes:
    """`html` (relative URLs resolve against `base`) as PDF bytes, reading only files under
    `allowed`: a tagged PDF/UA-1 and PDF/A-2a file."""
    from . import pdftags

    page = weasyprint().HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(allowed),
                             media_type="print")
    document = page.render(font_config=font_config, pdf_variant=VARIANT)
    _also_ua(document.metadata)
    return document.write_pdf(pdf_variant=VARIANT, finisher=pdftags.finish)


def _also_ua(metadata) -> None:
    """Add PDF/UA-1's identification (pdfuaid:part) beside PDF/A's in the XMP packet."""
    from xml.etree import ElementTree

    rdf = metadata.generate_rdf_metadata

    def generate(variant, version, conformance):
        tree = ElementTree.fromstring(rdf(variant, version, conformance))
        tree[0].set(UA, "1")  # the first Description carries pdfaid:part and conformance
        return ElementTree.tostring(tree, encoding="utf-8")

    metadata.generate_rdf_metadata = generate
