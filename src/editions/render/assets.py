"""The editions' shared assets in dist/assets: stylesheet, fonts (subset where configured),
the fonts' licence. (WeasyPrint reads them through render.pdf.fetcher.)"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import EditionsError
from ..fsutil import atomic_write, read_toml, write_if_changed

ASSETS = "assets"
STYLESHEETS = ("sangar.css", "print.css", "favicon.svg")
MANIFEST = "manifest.json"  # which source font (size, time) and subset each shipped file was made from
SUBSETTER = 2  # raise when the way faces are cut changes: shipped fonts are remade (2: features kept)
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


def fonts(root: Path) -> tuple[dict, list[Font]]:
    conf = read_toml(root / "styles" / "fonts.toml")
    return conf, [Font(f["family"], f["file"], f.get("weight", 400), f.get("style", "normal"),
                       f.get("subset"), f.get("editions", "all")) for f in conf["font"]]


def fonts_for(fonts_: list[Font], direction: str) -> list[Font]:
    return [f for f in fonts_ if f.editions in ("all", direction)]


def font_css(fonts_: list[Font], prefix: str = "fonts/") -> str:
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; src: url("{prefix}{f.file}") format("truetype"); '
        f"font-weight: {f.weight}; font-style: {f.style}; font-display: swap; }}\n"
        for f in fonts_)


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
    for f in fonts_:
        src, dest = src_dir / f.file, out / "fonts" / f.file
        if not src.exists():
            raise EditionsError(root / "styles" / "fonts.toml", None,
                                f"font {src} is missing: install the {conf['package']} package (make setup)")
        st = src.stat()
        keys[f.file] = f"{st.st_size}:{st.st_mtime_ns}:{f.subset or 'whole'}:{SUBSETTER}"  # new font or cut: remake
        if dest.exists() and made.get(f.file) == keys[f.file]:
            continue
        atomic_write(dest, _subset(src, f.subset) if f.subset else src.read_bytes(), durable=False)
    write_if_changed(manifest_path, json.dumps(keys, indent=1, sort_keys=True))
    write_if_changed(out / "fonts" / "OFL.txt", (root / "styles" / conf["licence"]).read_bytes())
    write_if_changed(out / "fonts.css", font_css(fonts_))
    for sheet in STYLESHEETS:
        write_if_changed(out / sheet, (root / "styles" / sheet).read_bytes())
    return out


def _codepoints(which: str) -> set[int]:
    codepoints: set[int] = set()
    for part in (LATIN if which == "latin" else which).split(","):
        lo, _, hi = part.strip().removeprefix("U+").partition("-")
        codepoints.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return codepoints


def _subset(src: Path, which: str) -> bytes:
    return subset(src, _codepoints(which))


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
