"""EPUB 3 editions: pandoc reads our body (title page, article, colophon) and packs it with
the house CSS, embedded fonts, language, direction and page progression."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..translate import Edition
from .assets import Font, font_css, fonts_for


def render(root: Path, edition: Edition, body: str, assets: Path, fonts: list[Font]) -> bytes:
    """One EPUB, as bytes. pandoc runs with --sandbox: it reads nothing but the template and the
    fonts named here, so no image or resource path in the content can make it fetch or
    embed a file. The sandbox refuses --css, so the house CSS travels inline."""
    import pypandoc

    fonts = fonts_for(fonts, edition.dir)
    house = _house_css(root)
    css = font_css(fonts, prefix="../fonts/") + house  # chapters live in EPUB/text/
    css_nav = font_css(fonts, prefix="fonts/") + house  # nav.xhtml in EPUB/
    if re.search(r"[<&$]", css):
        raise ValueError("the EPUB's inline CSS may not contain '<', '&' or '$'")
    with tempfile.TemporaryDirectory(prefix="sangar-epub-") as tmp:
        out = Path(tmp) / f"{edition.slug}.{edition.tag}.epub"
        args = [
            "--sandbox",
            "--template", str(root / "styles" / "templates" / "epub.xhtml"),
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
            args.append(f"--epub-embed-font={assets / 'fonts' / f.file}")
        pypandoc.convert_text(body, "epub3", format="html-raw_html", outputfile=str(out), extra_args=args)
        return out.read_bytes()


def _house_css(root: Path) -> str:
    text = (root / "styles" / "sangar.css").read_text(encoding="utf-8")
    # The web sheet imports the generated fonts.css; in the EPUB the faces are inlined above.
    return "\n".join(line for line in text.splitlines() if not line.startswith("@import"))
