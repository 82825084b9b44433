"""The seed article's nine editions, built with the real command (the session's shared build of
the project, conftest.shared_build), checked with real tools."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import tinyhtml5

from conftest import SLUG, command, copy_project

LANGS = ("en", "fa-AF", "ps-AF")
DATES = {"en": "24 November 2026", "fa-AF": "۳ قوس ۱۴۰۵", "ps-AF": "۳ لیندۍ ۱۴۰۵"}
# A phrase each edition's body must carry (from the article's first paragraph).
PHRASES = {"en": "ISIS-Khorasan is suppressed", "fa-AF": "داعش خراسان", "ps-AF": "داعش خراسان"}
NS = {"h": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def built(shared_build) -> Path:
    return shared_build


def out(root: Path, tag: str, fmt: str) -> Path:
    return root / "dist" / SLUG / f"{SLUG}.{tag}.{fmt}"


def test_nine_editions_and_the_index(built):
    for tag in LANGS:
        for fmt in ("html", "epub", "pdf"):
            assert out(built, tag, fmt).stat().st_size > 1000, (tag, fmt)
    index = tinyhtml5.parse((built / "dist" / "index.html").read_text())
    hrefs = {a.get("href") for a in index.iter("{http://www.w3.org/1999/xhtml}a")}
    assert {"fa/", "ps/", "en/"} <= hrefs  # the chooser leads to each language's front page
    sections = index.findall(".//h:section", NS)
    assert [(s.get("lang"), s.get("dir")) for s in sections] == [("fa-AF", "rtl"), ("ps-AF", "rtl"), ("en", "ltr")]
    for tag, folder in (("fa-AF", "fa"), ("ps-AF", "ps"), ("en", "en")):
        front = tinyhtml5.parse((built / "dist" / folder / "index.html").read_text())
        assert front.get("lang") == tag
        hrefs = {a.get("href") for a in front.iter("{http://www.w3.org/1999/xhtml}a")}
        for fmt in ("html", "epub", "pdf"):
            assert f"../{SLUG}/{SLUG}.{tag}.{fmt}" in hrefs, (tag, fmt)


@pytest.mark.parametrize("tag", LANGS)
def test_html_edition_is_semantic_and_in_its_language(built, tag):
    doc = tinyhtml5.parse(out(built, tag, "html").read_text())
    assert doc.get("lang") == tag
    assert doc.get("dir") == ("ltr" if tag == "en" else "rtl")
    article = doc.find(".//h:article", NS)
    assert article is not None
    h1 = article.findall(".//h:h1", NS)
    assert len(h1) == 1
    text = "".join(article.itertext())
    assert DATES[tag] in text
    assert PHRASES[tag] in text
    byline = "".join(article.find(".//h:div[@class='byline']", NS).itertext())
    assert {"en": "Ahmad Saidi", "fa-AF": "احمد سعیدی", "ps-AF": "احمد سعیدي"}[tag] in byline
    assert doc.find(".//h:p[@class='masthead']", NS) is not None
    stylesheets = [link.get("href") for link in doc.iter("{http://www.w3.org/1999/xhtml}link")]
    assert "../assets/sangar.css" in stylesheets
    fonts_css = (built / "dist" / "assets" / "fonts.css").read_text()
    for font in re.findall(r'url\("([^"]+)"\)', fonts_css):
        assert (built / "dist" / "assets" / font).is_file()
    assert (built / "dist" / "assets" / "fonts" / "OFL.txt").is_file()
    if tag != "en":
        assert "می‌شود" in text if tag == "fa-AF" else True  # ZWNJ survives into HTML
        assert not re.search(r"[0-9]", text.replace("PDF", "").replace("EPUB", "")), "Latin digits in RTL text"
        lettered = doc.find(".//h:ol[@type='a']", NS)
        assert lettered is not None and len(lettered) == 3


@pytest.mark.parametrize("tag", LANGS)
def test_pdf_is_a4_with_embedded_fonts_and_readable_text(built, tag):
    pdf = out(built, tag, "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows), fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    flat = extracted(text)
    assert extracted(DATES[tag]) in flat
    assert extracted(PHRASES[tag]) in flat
    first, last = (extracted(" ".join(words(built, tag, i))) for i in (4, -1))  # first, last paragraphs
    assert first in flat and last in flat
    assert flat.index(first) < flat.index(last), "reading order"
    if tag != "en":
        assert ("سنگر" if tag == "fa-AF" else "سنګر") in text  # masthead / running head
        pages = text.split("\f")
        assert len(pages) > 2 and "۲" in pages[1]  # page numbers in Persian digits
        assert not re.search("[0-9]", text)


def extracted(text: str) -> str:
    """Text as pdftotext gives it back, for comparison: it wraps right-to-left runs in
    embedding marks, drops ZWNJ, moves spaces around digit runs and punctuation at run
    edges, and writes the lam-alef ligature back as alef-lam. None of that is visible on
    the page, so compare without whitespace, marks and that ligature order."""
    text = re.sub("[\u202a-\u202e\u200c\\s]", "", text)
    return text.replace("لا", "ال")

def words(root: Path, tag: str, index: int, n: int = 3) -> list[str]:
    """The first `n` words of a body segment as the edition shows it (markup and ZWNJ removed)."""
    import polib

    from editions.inline import plain
    from editions.manuscript import read

    ms = read(root / "manuscripts" / f"{SLUG}.md")
    msgid = ms.segments[index].msgid
    if tag != "en":
        msgid = polib.pofile(str(root / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / f"{SLUG}.po")).find(msgid).msgstr
    return plain(msgid).replace("\u200c", "").split()[:n]


@pytest.mark.parametrize("tag", LANGS)
def test_epub_passes_epubcheck_with_language_direction_and_fonts(built, epubchecked, tag):
    epub = out(built, tag, "epub")
    check = epubchecked[epub]  # epubcheck's command line, all the session's EPUBs in one JVM
    assert check.status == 0, check.stdout + check.stderr
    with zipfile.ZipFile(epub) as z:
        opf = z.read("EPUB/content.opf").decode()
        names = z.namelist()
        chapters = [z.read(n).decode() for n in names if n.startswith("EPUB/text/")]
    assert f"<dc:language>{tag}</dc:language>" in opf
    spine = re.search(r"<spine[^>]*>", opf).group(0)
    if tag == "en":
        assert 'page-progression-direction="rtl"' not in spine
    else:
        assert 'page-progression-direction="rtl"' in spine
        assert all('dir="rtl"' in c for c in chapters)
    assert any(n.startswith("EPUB/fonts/" + ("NotoSerif" if tag == "en" else "NotoNaskhArabic")) for n in names)
    title_page = ElementTree.fromstring(chapters[0])
    assert "masthead-title" in (title_page.find(".//h:h1", NS).get("class") or "")
    assert any("colophon" in c for c in chapters)


@pytest.mark.parametrize("tag", LANGS)
def test_epub_fonts_are_cut_to_the_book_yet_cover_all_its_text(built, tag):
    """Each embedded face keeps every character of the book's documents (text, CSS, list
    markers) that the shipped face has, and is far smaller than it."""
    import uharfbuzz as hb

    def cmap(data: bytes) -> set[int]:
        return set(hb.Face(hb.Blob(data)).unicodes)

    with zipfile.ZipFile(out(built, tag, "epub")) as z:
        docs = "".join(z.read(n).decode() for n in z.namelist() if n.endswith((".xhtml", ".css", ".ncx")))
        fonts = {n.rsplit("/", 1)[1]: z.read(n) for n in z.namelist() if n.startswith("EPUB/fonts/")}
    used = {ord(c) for c in docs}
    assert fonts
    for name, data in fonts.items():
        shipped = (built / "dist" / "assets" / "fonts" / name).read_bytes()
        missing = (used & cmap(shipped)) - cmap(data)
        assert not missing, f"{name} lost {''.join(map(chr, sorted(missing)))!r}"
        assert len(data) < len(shipped) / 2, name
    if tag != "en":  # the book's own letters, e.g. Pashto's ښ ګ ې, are in its Naskh face
        letters = {ord(c) for c in "".join(PHRASES[tag].split())}
        assert letters <= cmap(fonts["NotoNaskhArabic-Regular.ttf"])


def test_shipped_subsets_keep_the_faces_layout_features(built):
    """Cutting a face to Latin keeps kerning, ligatures and mark positioning (HarfBuzz's
    default feature set, inverted rather than cleared and inverted, once dropped them)."""
    from fontTools.ttLib import TTFont

    def features(path: Path) -> set[str]:
        font = TTFont(path)
        return {r.FeatureTag for t in ("GSUB", "GPOS") if t in font
                for r in font[t].table.FeatureList.FeatureRecord}

    for name in ("NotoSans-Regular.ttf", "NotoSerif-Regular.ttf"):
        shipped = features(built / "dist" / "assets" / "fonts" / name)
        assert {"kern", "liga", "mark", "mkmk", "ccmp", "locl"} <= shipped, name


def test_a_second_run_leaves_translations_untouched(built):
    files = sorted((built / "translations").rglob("*"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files if p.is_file()}
    done = command("--root", str(built))  # the command, in this process (the first run was the real one)
    assert done.returncode == 0, done.stderr
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files if p.is_file()} == before


def test_the_committed_catalogs_are_in_step_with_manuscripts_and_templates(tmp_path):
    """A fresh clone's first run must not touch translations/: whoever changes an article
    or a template commits the catalogs `make-editions update` brings in step."""
    from conftest import ALL, ROOT

    root = copy_project(tmp_path / "fresh", slugs=ALL)
    done = command("--root", str(root), "update")  # (in this process: conftest.command)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", f"update changed committed catalogs:\n{done.stdout}"
    for path in (root / "translations").rglob("*.po*"):
        assert path.read_bytes() == (ROOT / path.relative_to(root)).read_bytes(), path
