"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet. A PDF
worker process imports this module alone (not the catalog or manuscript code)."""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from ..fsutil import atomic_write
from .assets import ASSETS, MANIFEST, fallback_patterns, fonts

_LOCK = threading.RLock()  # the imports and font setups below change process-wide state
_CONFIGS: dict = {}  # fontconfig setup -> (house faces' digest, FontConfiguration), latest last
_KEPT = 4


def weasyprint():
    """WeasyPrint, imported once per process: with the speed-ups of speedups.py where the
    installed versions are the measured ones, and with pdftags' tagging."""
    with _LOCK:
        return _weasyprint()


@lru_cache(maxsize=1)
def _weasyprint():
    from . import pdftags, speedups

    module = speedups.load()
    pdftags.install(module)
    return module


def warm(root: str | None = None) -> None:
    """Pay WeasyPrint's import and font configuration once per worker, while the parent
    is still busy."""
    if root is None:
        weasyprint()
        return
    setup = _setup(root)
    with _LOCK:
        if setup not in _CONFIGS:  # no page has used it: the first page's faces are its own
            _CONFIGS[setup] = (None, _new_config(setup))


def font_config(root: str | None, assets: str | None = None):
    """WeasyPrint's font configuration for the project at `root`, on the fontconfig setup
    of fontconfig_file() (as it is now: a changed fonts.toml gives a new one), for the
    house faces as shipped in `assets` (default: `root`'s dist/assets). WeasyPrint loads
    each @font-face rule once per configuration: a face whose file was replaced (its
    fonts/manifest.json entry changes) or whose rule changed (fonts.css) gets a new one."""
    setup = _setup(root)
    faces = _faces(Path(assets) if assets else Path(root) / "dist" / ASSETS if root else None)
    with _LOCK:  # one configuration per setup and faces, also when threads ask at once
        known = _CONFIGS.pop(setup, None)
        if known is None or known[0] not in (None, faces):
            known = (faces, _new_config(setup))
        _CONFIGS[setup] = (faces, known[1])
        while len(_CONFIGS) > _KEPT:
            del _CONFIGS[next(iter(_CONFIGS))]
        return known[1]


def _setup(root: str | None) -> str | None:
    return str(fontconfig_file(Path(root))) if root else None


def _faces(assets: Path | None) -> str:
    """A digest of the house faces as shipped in `assets`: fonts/manifest.json (each font
    file's source size and time and its cut, see assets.build) and fonts.css (their rules)."""
    import hashlib

    digest = hashlib.sha256()
    for path in (assets / "fonts" / MANIFEST, assets / "fonts.css") if assets else ():
        try:
            digest.update(path.read_bytes())
        except OSError:
            pass
        digest.update(b"\0")
    return digest.hexdigest()


def _new_config(setup: str | None):
    _clean_at_exit()
    before = os.environ.get("FONTCONFIG_FILE")
    if setup is not None:
        os.environ["FONTCONFIG_FILE"] = setup
    try:
        weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        config = FontConfiguration()
        config.made_by = os.getpid()  # (whose temporary folder it is: see _clean_at_exit)
        return config
    finally:
        if setup is not None:
            if before is None:
                os.environ.pop("FONTCONFIG_FILE", None)
            else:
                os.environ["FONTCONFIG_FILE"] = before


_CLEANING = [0]  # the process that registered the clean-up at exit (a forked worker registers its own)


def _clean_at_exit() -> None:
    """WeasyPrint copies each face a configuration loads into a temporary folder of its own
    (/tmp/weasyprint-*, ~4 MB for the house faces) and removes it only when the
    configuration is collected — which a process that keeps its configurations to its end,
    as every PDF worker does, never sees: each build left one behind per worker. Removed at
    the process's exit: the main process's (atexit) and a pool worker's (multiprocessing
    runs its finalizers at a worker's exit; a forked child starts with none)."""
    if _CLEANING[0] == os.getpid():
        return
    import atexit
    from multiprocessing import util

    _CLEANING[0] = os.getpid()
    atexit.register(_forget_configs)
    util.Finalize(None, _forget_configs, exitpriority=1)


def _forget_configs() -> None:
    import shutil

    with _LOCK:
        for _, config in _CONFIGS.values():
            folder = getattr(config, "_folder", None)  # (WeasyPrint's own name for it)
            if folder and getattr(config, "made_by", None) == os.getpid():  # (not a parent's, inherited)
                shutil.rmtree(folder, ignore_errors=True)


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
    return render(page, Path(base), [Path(assets)], font_config(root, assets))


HERE = "/sangar-edition/"  # the path of `render`'s base URL: WeasyPrint never sees the project's folder


def fetcher(allowed: list[Path], anchor: Path | None = None):
    """A WeasyPrint URL fetcher that reads only files under `allowed` (resolved, so no
    `..`, encoded dots or symlinks lead out) and refuses every other URL: the only door
    through which WeasyPrint may read files. With `anchor`, a file URL under HERE names
    the file at that place under `anchor`."""
    import mimetypes
    from urllib.parse import unquote, urlsplit

    weasyprint()  # imported the quick way first
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [p.resolve() for p in allowed]

    class ProjectOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file" and parts.netloc in ("", "localhost"):
                path = unquote(parts.path)
                if anchor is not None and path.startswith(HERE):
                    path = anchor / path.removeprefix(HERE)
                path = Path(path).resolve()
                if any(path.is_relative_to(r) for r in roots) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
            raise ValueError(f"refused to fetch {url}: only the edition's own assets may be read")

    return ProjectOnly()


# Every edition is one file for readers and archives alike: PDF/A-2a (fonts embedded, sRGB
# output intent, XMP metadata, file identifier, tagged) and PDF/UA-1 (tagged, language,
# title shown, alt text, artifacts). WeasyPrint writes one variant's identification; the
# other is added to its XMP (see benchmarks/README.md for the cost).
VARIANT = "pdf/a-2a"
UA = "{http://www.aiim.org/pdfua/ns/id/}part"


def render(html: str, base: Path, allowed: list[Path], font_config=None) -> bytes:
    """`html` (relative URLs resolve against `base`) as PDF bytes, reading only files under
    `allowed`: a tagged PDF/UA-1 and PDF/A-2a file. WeasyPrint is given the URLs of the
    files as seen from the folder `base` and `allowed` share (under HERE), not where the
    project is: it names each image in the PDF after its URL, so the same project built in
    another folder (a clone, a CI runner, a cluster's workers) gives the same bytes."""
    from . import pdftags

    anchor = Path(os.path.commonpath([os.path.abspath(p) for p in (base, *allowed)]))
    where = Path(os.path.abspath(base)).relative_to(anchor).as_posix()
    page = weasyprint().HTML(string=html, base_url="file://" + HERE + ("" if where == "." else where + "/"),
                             url_fetcher=fetcher(allowed, anchor), media_type="print")
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
