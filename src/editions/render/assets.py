"""The editions' shared assets in dist/assets: stylesheet, fonts (subset where configured),
the fonts' licence. (WeasyPrint reads them through render.pdf.fetcher.)

Each face ships twice: as TrueType (fonts/<file>.ttf, for the PDFs and EPUBs) and as
WOFF2 files cut by script for the web pages (fonts/<stem>.<range>.woff2, see fonts.toml's
[web]). fonts.css declares the WOFF2 files for screens, each with the unicode-range of
the characters it has, so a browser fetches only the files a page's text needs, and the
TrueType files for print (WeasyPrint lays the PDFs out with them, as before)."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import EditionsError
from ..fsutil import atomic_write, machine_cache, read_toml, write_if_changed

ASSETS = "assets"
STYLESHEETS = ("sangar.css", "print.css", "favicon.svg")
MANIFEST = "manifest.json"  # which source font (size, time) and subset each shipped file was made from
SUBSETTER = 2  # raise when the way faces are cut changes: shipped fonts are remade (2: features kept)
WEBFONTS = 1  # raise when the way WOFF2 files are made changes: they are remade
LATIN = ("U+0000-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,"
         "U+2212,U+FB00-FB06")


@dataclass(frozen=True)
class Font:
    family: str
    file: str
    weight: int
    style: str
    subset: str | None
    editions: str = "all"  # which EPUBs embed it: rtl, ltr or all
    web: tuple[str, ...] = ()  # names of fonts.toml's [web.ranges] its WOFF2 files are cut by; () = one file


def fonts(root: Path) -> tuple[dict, list[Font]]:
    conf = read_toml(root / "styles" / "fonts.toml")
    return conf, [Font(f["family"], f["file"], f.get("weight", 400), f.get("style", "normal"),
                       f.get("subset"), f.get("editions", "all"), tuple(f.get("web", ())))
                  for f in conf["font"]]


def fonts_for(fonts_: list[Font], direction: str) -> list[Font]:
    return [f for f in fonts_ if f.editions in ("all", direction)]


def font_css(fonts_: list[Font], prefix: str = "fonts/") -> str:
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; src: url("{prefix}{f.file}") format("truetype"); '
        f"font-weight: {f.weight}; font-style: {f.style}; font-display: swap; }}\n"
        for f in fonts_)


@dataclass(frozen=True)
class WebFile:
    """One WOFF2 file of a face: the characters of one of its `web` ranges that it has."""
    font: Font
    name: str  # in assets/fonts/
    codepoints: frozenset[int]
    rare: bool = False  # of a range fonts.toml's [web] calls rare: few pages fetch it

    @property
    def quality(self) -> int:
        return WOFF2_QUALITY[1] if self.rare else WOFF2_QUALITY[0]


def web_files(conf: dict, font: Font, cmap: set[int]) -> list[WebFile]:
    """The face's WOFF2 files: the characters it has (`cmap`, as shipped), each in the first
    of its `web` ranges that holds it (a character in none is left out: the browser takes
    it from the next font in the stack, as it does for control characters); ranges it has
    nothing of make no file."""
    stem = font.file.rsplit(".", 1)[0]
    if not font.web:
        return [WebFile(font, f"{stem}.woff2", frozenset(cmap - CONTROLS))]
    ranges, rare = conf.get("web", {}).get("ranges", {}), conf.get("web", {}).get("rare", [])
    left, out = set(cmap) - CONTROLS, []
    for name in font.web:
        if name not in ranges:
            raise EditionsError("styles/fonts.toml", None, f"{font.file}: no range {name!r} in [web.ranges]")
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise EditionsError("styles/fonts.toml", None, f"range name {name!r}: use a-z, 0-9 and '-'")
        mine = left & _codepoints(ranges[name])
        left -= mine
        if mine:
            out.append(WebFile(font, f"{stem}.{name}.woff2", frozenset(mine), rare=name in rare))
    return out


CONTROLS = frozenset(range(0x20)) | frozenset(range(0x7F, 0xA0))  # never drawn: in no web file


@lru_cache(maxsize=64)
def _codepoints(spec: str) -> frozenset[int]:
    """The characters of a range ("U+0600-06FF, U+200C"; "latin": LATIN), as a set to
    intersect a face's cmap with (testing each of a face's characters against each range
    cost a rendering run ~0.05 s)."""
    return frozenset(c for lo, hi in _parse_ranges(LATIN if spec == "latin" else spec) for c in range(lo, hi + 1))


@lru_cache(maxsize=64)
def _parse_ranges(spec: str) -> tuple[tuple[int, int], ...]:
    out = []
    for part in spec.split(","):
        lo, _, hi = part.strip().upper().removeprefix("U+").partition("-")
        out.append((int(lo, 16), int(hi or lo, 16)))
    return tuple(out)


def unicode_range(codepoints) -> str:
    """`codepoints` as a CSS unicode-range: runs of consecutive characters as U+A-B."""
    runs: list[list[int]] = []
    for c in sorted(codepoints):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return ", ".join(f"U+{lo:X}" + (f"-{hi:X}" if hi != lo else "") for lo, hi in runs)


def web_font_css(files: list[WebFile], fonts_: list[Font], prefix: str = "fonts/") -> str:
    """fonts.css: the WOFF2 files for screens, each with its unicode-range; the TrueType
    faces for print (the PDFs: WeasyPrint reads only `@media print`, and a browser that
    prints a page fetches them then)."""
    rules = "".join(
        f'@font-face {{ font-family: "{w.font.family}"; src: url("{prefix}{w.name}") format("woff2"); '
        f"font-weight: {w.font.weight}; font-style: {w.font.style}; font-display: swap; "
        f"unicode-range: {unicode_range(w.codepoints)}; }}\n"
        for w in files)
    return ("/* Made from styles/fonts.toml by make-editions: do not edit. */\n"
            f"@media screen {{\n{rules}}}\n@media print {{\n{font_css(fonts_, prefix)}}}\n")


def woff2(ttf: bytes, quality: int = 11) -> bytes:
    """A TrueType face as WOFF2 (fontTools; Brotli at `quality`: 11, its best, takes
    ~0.1 s per 40 KB of TrueType, 5 is ~6× quicker and ~9% larger). Threads may call it
    at once: Brotli lets go of the GIL while it compresses."""
    import io

    from fontTools.ttLib import TTFont

    _install_brotli()
    font = TTFont(io.BytesIO(ttf))
    font.flavor = "woff2"
    out = io.BytesIO()
    _QUALITY.value = quality
    try:
        font.save(out)
    finally:
        del _QUALITY.value
    return out.getvalue()


_QUALITY = threading.local()  # the quality woff2() asked for, in the thread that asked


def _install_brotli() -> None:
    """fontTools' WOFF2 writer calls `brotli.compress(data, mode=…)` with Brotli's defaults
    (quality 11, a 4 MB window). Give it, through its module's `brotli`, the quality the
    calling thread set and a window the size of the data: the same compression, 35%
    quicker. Other callers (WeasyPrint decompressing a WOFF2) see Brotli unchanged."""
    import brotli
    from fontTools.ttLib import woff2 as module

    if getattr(module.brotli, "sangar", False):
        return

    class Brotli:
        sangar = True

        def __getattr__(self, name):
            return getattr(brotli, name)

        @staticmethod
        def compress(data, mode=brotli.MODE_GENERIC, **kw):
            kw.setdefault("quality", getattr(_QUALITY, "value", 11))
            kw.setdefault("lgwin", max(16, min(24, len(data).bit_length())))
            return brotli.compress(data, mode=mode, **kw)

    module.brotli = Brotli()


# Brotli's quality for the web files readers fetch, and for those of fonts.toml's `rare`
# ranges (letters few pages show: 6× quicker to make, ~9% larger).
WOFF2_QUALITY = (11, 5)


def _web_file(root: Path, src: Path, w: WebFile, key: str) -> bytes:
    """A WOFF2 file's bytes: from this machine's cache when another tree (dist/,
    dist-drafts/), project or earlier build made it from the same face file and cut, else
    made and kept there. Compressing is most of a cold build's font work (seconds), so a
    tree or project made anew reuses it. The cache is $XDG_CACHE_HOME/sangar-editions
    (~/.cache/…), like pip's: the faces are the machine's (fonts.toml's source_dir)."""
    cache = machine_cache(root) / "webfonts"
    kept = cache / f"{w.name}.{hashlib.sha256(f'{src}|{key}'.encode()).hexdigest()[:16]}"
    try:
        return kept.read_bytes()
    except OSError:
        pass
    data = woff2(subset(src, set(w.codepoints)), w.quality)
    for old in cache.glob(f"{glob.escape(w.name)}.*"):  # the same file's older cuts
        old.unlink(missing_ok=True)
    atomic_write(kept, data, durable=False)
    return data


CMAPS = "font-cmaps.json"


def build(root: Path, dist: Path) -> Path:
    """Bring dist/assets up to date; returns its path."""
    conf, fonts_ = fonts(root)
    out = dist / ASSETS
    src_dir = Path(conf["source_dir"])
    manifest_path = out / "fonts" / MANIFEST
    try:
        made = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        made = {}
    keys = {}
    web: list[WebFile] = []
    todo: list[tuple[Path, WebFile, str]] = []
    cmaps_path = root / ".cache" / CMAPS  # each shipped face's characters, by the key it was made from
    try:
        cmaps = json.loads(cmaps_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cmaps = {}
    known: dict = {}
    for f in fonts_:
        src, dest = src_dir / f.file, out / "fonts" / f.file
        if not src.exists():
            raise EditionsError(root / "styles" / "fonts.toml", None,
                                f"font {src} is missing: install the {conf['package']} package (make setup)")
        st = src.stat()
        keys[f.file] = f"{st.st_size}:{st.st_mtime_ns}:{f.subset or 'whole'}:{SUBSETTER}"  # new font or cut: remake
        if not (dest.exists() and made.get(f.file) == keys[f.file]):
            atomic_write(dest, _subset(src, f.subset) if f.subset else src.read_bytes(), durable=False)
        cached = cmaps.get(f.file) if isinstance(cmaps, dict) else None
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == keys[f.file]:
            known[f.file] = cached  # (HarfBuzz not even imported: ~30 ms of every rendering run)
        else:
            known[f.file] = [keys[f.file], sorted(_cmap(dest))]
        cmap = set(known[f.file][1])
        for w in web_files(conf, f, cmap):  # the web's cuts of the face as shipped
            web.append(w)
            cut = hashlib.sha256(unicode_range(w.codepoints).encode()).hexdigest()[:12]
            keys[w.name] = f"{keys[f.file]}:{cut}:q{w.quality}:{WEBFONTS}"
            if not ((out / "fonts" / w.name).exists() and made.get(w.name) == keys[w.name]):
                todo.append((src, w, keys[w.name]))
    if todo:  # compressing is the slow part: on every core
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
            made_now = list(pool.map(lambda job: _web_file(root, *job), todo))
        for (_src, w, _key), data in zip(todo, made_now):
            atomic_write(out / "fonts" / w.name, data, durable=False)
    for old in (out / "fonts").glob("*.woff2"):  # cuts fonts.toml no longer makes
        if old.name not in keys:
            old.unlink()
    write_if_changed(manifest_path, json.dumps(keys, indent=1, sort_keys=True))
    if known != cmaps:
        write_if_changed(cmaps_path, json.dumps(known).encode("utf-8"))
    write_if_changed(out / "fonts" / "OFL.txt", (root / "styles" / conf["licence"]).read_bytes())
    write_if_changed(out / "fonts.css", web_font_css(web, fonts_))
    for sheet in STYLESHEETS:
        write_if_changed(out / sheet, (root / "styles" / sheet).read_bytes())
    return out


def _subset(src: Path, which: str) -> bytes:
    return subset(src, _codepoints(which))


def _cmap(path: Path) -> set[int]:
    import uharfbuzz as hb

    return set(hb.Face(hb.Blob.from_file_path(str(path))).unicodes)


def printable(root: Path) -> frozenset[int] | None:
    """Every character a PDF can draw: the house faces as shipped and the print_fallback
    faces (see render.pdf.fontconfig_file). None when fonts.toml names no fallback (the
    machine's other fonts may then draw anything)."""
    import uharfbuzz as hb

    conf, fonts_ = fonts(root)
    if "print_fallback" not in conf:
        return None
    src = Path(conf["source_dir"])

    def cmap(path: Path) -> set[int]:
        return set(hb.Face(hb.Blob.from_file_path(str(path))).unicodes)

    if not all((src / f.file).is_file() for f in fonts_):
        return None  # fonts not installed: nothing to judge by (the build says what is missing)
    out: set[int] = set()
    for f in fonts_:
        out |= cmap(src / f.file) & _codepoints(f.subset) if f.subset else cmap(src / f.file)
    for pattern in fallback_patterns(conf):
        for path in Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))):
            out |= cmap(path)
    return frozenset(out)


def fallback_patterns(conf: dict) -> list[Path]:
    """fonts.toml's `print_fallback` as absolute glob patterns: a name is taken in
    source_dir, an absolute pattern stays as it is."""
    return [Path(conf["source_dir"]) / pattern for pattern in conf["print_fallback"]]


def subset(src: Path, codepoints: set[int]) -> bytes:
    """The face with the glyphs of `codepoints` (and every glyph its OpenType layout
    features reach from them: contextual Arabic forms, ligatures), by HarfBuzz's subsetter
    (uharfbuzz): ~1–25 ms a face, where fontTools took ~250 ms. The font's names are kept."""
    import uharfbuzz as hb

    inp = hb.SubsetInput()
    inp.unicode_set.update(codepoints)
    features = inp.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG)
    features.clear()  # it starts as HarfBuzz's default features: inverted alone, they would go
    features.invert()  # every feature: kern, liga, mark, init/medi/fina, …
    inp.sets(hb.SubsetInputSets.NAME_ID).update(range(0, 26))
    face = hb.subset(hb.Face(hb.Blob.from_file_path(str(src))), inp)
    if face is None:
        raise EditionsError(src, None, "HarfBuzz could not subset this font")
    return face.blob.data
