"""EPUB 3 editions: pandoc reads our body (title page, article, colophon) and packs it with
the house CSS, embedded fonts, language, direction and page progression."""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

from ..locale import digits
from ..translate import Edition
from .assets import Font, font_css, fonts_for, subset

# Characters an EPUB's fonts keep besides those of its text and stylesheet: ASCII, both
# kinds of Eastern Arabic digits, the joiners and direction marks of Dari and Pashto
# typing, and common punctuation (a reading system's own page numbers and notes may use them).
KEPT = (set(range(0x20, 0x7F)) | set(range(0x660, 0x66E)) | set(range(0x6F0, 0x6FA))
        | {0xA0, 0xAB, 0xBB, 0x60C, 0x61B, 0x61F, 0x6D4, 0x200C, 0x200D, 0x200E, 0x200F,
           0x2010, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026})


def render(root: Path, edition: Edition, body: str, assets: Path, fonts: list[Font]) -> bytes:
    """One EPUB, as bytes. pandoc runs with --sandbox: it reads nothing but the template and the
    fonts named here, so no image or resource path in the content can make it fetch or
    embed a file. The sandbox refuses --css, so the house CSS travels inline.

    Each embedded font is cut down to the characters this book uses (a tenth to a fifth of
    the face): a Dari EPUB weighs ~0.2 MB instead of ~0.6 MB, and pandoc has less to zip."""
    from .. import pandoc

    fonts = fonts_for(fonts, edition.dir)
    house = _house_css(root)
    css = font_css(fonts, prefix="../fonts/") + house  # chapters live in EPUB/text/
    css_nav = font_css(fonts, prefix="fonts/") + house  # nav.xhtml in EPUB/
    if re.search(r"[<&$]", css):
        raise ValueError("the EPUB's inline CSS may not contain '<', '&' or '$'")
    template = root / "styles" / "templates" / "epub.xhtml"
    used = KEPT | {ord(c) for c in body + css + edition.title + template.read_text(encoding="utf-8")}
    with tempfile.TemporaryDirectory(prefix="sangar-epub-") as tmp:
        out = Path(tmp) / f"{edition.slug}.{edition.tag}.epub"
        (Path(tmp) / "fonts").mkdir()
        args = [
            "--sandbox",
            "--template", str(template),
            "--epub-title-page=false",
            "--split-level=1",
            "--toc", "--toc-depth=1",
            "-M", f"lang={edition.tag}",
            "-V", f"dir={edition.dir}",
            "-M", f"page-progression-direction={edition.dir}",
            "-M", f"date={edition.date_iso}",
            "-V", f"house-css={css}",
            "-V", f"house-css-nav={css_nav}",
            "--quiet",
        ]
        for f in fonts:
            cut = Path(tmp) / "fonts" / f.file
            cut.write_bytes(subset(assets / "fonts" / f.file, used))
            args.append(f"--epub-embed-font={cut}")
        pandoc.run(body, "html-raw_html", "epub3", [*args, "--output", str(out)])
        return _note_digits(out.read_bytes(), edition.tag)


NOTE_REF = re.compile(r'(epub:type="noteref"[^>]*>)(\d+)(</a>)')


def _note_digits(book: bytes, tag: str) -> bytes:
    """pandoc numbers note calls with Latin digits: a Dari or Pashto book gets its own. The
    zip is rewritten entry by entry, in order, with each entry's own compression (the
    mimetype stays first and stored)."""
    if digits("0", tag) == "0":
        return book
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".xhtml"):
                data = NOTE_REF.sub(lambda m: m.group(1) + digits(m.group(2), tag) + m.group(3),
                                    data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def _house_css(root: Path) -> str:
    text = (root / "styles" / "sangar.css").read_text(encoding="utf-8")
    # The web sheet imports the generated fonts.css; in the EPUB the faces are inlined above.
    return "\n".join(line for line in text.splitlines() if not line.startswith("@import"))
