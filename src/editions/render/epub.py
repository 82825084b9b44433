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
        return _finish(out.read_bytes(), edition, _nav_words(body))


NOTE_REF = re.compile(r'(epub:type="noteref"[^>]*>)(\d+)(</a>)')
NAV_WORDS = re.compile(r'<meta name="sangar-nav-(\w+)" content="([^"]*)">')
DEFAULT_CSS = "EPUB/styles/stylesheet1.css"  # pandoc's own stylesheet, added when no --css is given
LANDMARKS = re.compile(r'<nav epub:type="landmarks".*?</nav>', re.S)
TOC_TITLE = re.compile(r'(<h1 id="toc-title">).*?(</h1>)', re.S)
FIRST_ENTRY = re.compile(r'<ol class="toc"><li[^>]*><a href="([^"]+)"')
# EPUB Accessibility 1.1: what pandoc does not say (it writes accessMode, accessModeSufficient,
# accessibilityFeature and accessibilityHazard itself).
A11Y = ('    <meta property="schema:accessibilitySummary" xml:lang="en">Reflowable text in reading '
        'order, with headings and a table of contents for navigation; every image has a text '
        'description and notes are linked both ways. No hazards.</meta>\n'
        '    <meta property="schema:accessibilityFeature">displayTransformability</meta>\n'
        '    <meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>\n'
        '    <meta property="a11y:certifiedBy">Sangar</meta>\n')


def _nav_words(body: str) -> dict[str, str]:
    """UI words the content document carries for the navigation document (HTML-escaped)."""
    return dict(NAV_WORDS.findall(body))


def _finish(book: bytes, edition: Edition, words: dict[str, str]) -> bytes:
    """What pandoc's EPUB leaves to us, done on its zip: note calls in the edition's digits
    (pandoc writes Latin ones), no default stylesheet beside ours, the navigation document's
    heading and landmarks in the book's language, and the accessibility metadata pandoc does
    not write. The zip is rewritten entry by entry, in order, with each entry's own
    compression (the mimetype stays first and stored)."""
    from html import escape

    tag = edition.tag
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename == DEFAULT_CSS:
                continue
            data = src.read(info)
            if info.filename.endswith(".xhtml"):
                text = data.decode("utf-8")
                if digits("0", tag) != "0":
                    text = NOTE_REF.sub(lambda m: m.group(1) + digits(m.group(2), tag) + m.group(3), text)
                if info.filename == "EPUB/nav.xhtml":
                    text = _nav(text, edition, words)
                data = text.encode("utf-8")
            elif info.filename == "EPUB/content.opf":
                text = data.decode("utf-8")
                text = re.sub(r'\s*<item id="[^"]*" href="styles/stylesheet1\.css"[^>]*/>', "", text)
                text = text.replace("  </metadata>", A11Y + "  </metadata>", 1)
                title = escape(words.get("contents", "Contents"), quote=True)
                text = re.sub(r'(<reference type="toc" title=")[^"]*(")', lambda m: m.group(1) + title + m.group(2), text)
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def _nav(text: str, edition: Edition, words: dict[str, str]) -> str:
    """The navigation document in the book's language: its heading the UI word "Contents"
    (pandoc repeats the book's title there) and landmarks for the contents and the article
    itself, labelled in the book's language (pandoc writes one, "Table of Contents", in English)."""
    from html import escape

    contents = words.get("contents", "Contents")  # HTML-escaped by the template already
    text = TOC_TITLE.sub(lambda m: m.group(1) + contents + m.group(2), text, count=1)
    items = [f'    <li><a href="#toc" epub:type="toc">{contents}</a></li>']
    article = FIRST_ENTRY.search(text)  # the title page is unlisted: the first entry is the article
    if article:
        items.append(f'    <li><a href="{article.group(1)}" epub:type="bodymatter">{escape(edition.title)}</a></li>')
    landmarks = ('<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n  <ol>\n'
                 + "\n".join(items) + "\n  </ol>\n</nav>")
    return LANDMARKS.sub(lambda m: landmarks, text, count=1)


def _house_css(root: Path) -> str:
    text = (root / "styles" / "sangar.css").read_text(encoding="utf-8")
    # The web sheet imports the generated fonts.css; in the EPUB the faces are inlined above.
    return "\n".join(line for line in text.splitlines() if not line.startswith("@import"))
