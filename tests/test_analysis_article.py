"""The realistic analysis article — a photo with planted GPS, a table, three notes, a
quotation, a list, links of every kind — built into nine editions with the real command
(the session's shared build of the project, conftest.shared_build) and judged with real
tools (HTML parser, epubcheck, pdfimages, pdftotext, Pillow)."""
from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import polib
import pytest
import tinyhtml5

from conftest import ROOT

SLUG = "kabul-water-crisis"
LANGS = ("en", "fa-AF", "ps-AF")
H = "{http://www.w3.org/1999/xhtml}"
PLANTED = (b"SN-PLANTED", b"PLANTED-XMP", b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/")


@pytest.fixture(scope="module")
def built(shared_build) -> Path:
    return shared_build


def out(root: Path, tag: str, fmt: str) -> Path:
    return root / "dist" / SLUG / f"{SLUG}.{tag}.{fmt}"


def translated(tag: str, comment: str) -> list[str]:
    """The msgstrs (msgids for English) of every entry with this comment, in file order."""
    if tag == "en":
        po = polib.pofile(str(ROOT / "translations" / f"{SLUG}.pot"))
        return [e.msgid for e in po if comment in e.comment.split("\n")]
    po = polib.pofile(str(ROOT / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / f"{SLUG}.po"))
    return [e.msgstr for e in po if comment in e.comment.split("\n") and not e.obsolete]


def text_of(node) -> str:
    return "".join(node.itertext())


def test_the_source_photo_really_carries_what_must_not_be_published():
    data = (ROOT / "manuscripts" / "images" / "kabul-wells.jpg").read_bytes()
    assert all(marker in data for marker in PLANTED)
    from PIL import Image

    assert 0x8825 in Image.open(io.BytesIO(data)).getexif()  # the GPS IFD


def test_nine_editions(built):
    for tag in LANGS:
        for fmt in ("html", "epub", "pdf"):
            assert out(built, tag, fmt).stat().st_size > 1000, (tag, fmt)


@pytest.mark.parametrize("tag", LANGS)
def test_web_page_has_the_figure_table_notes_and_every_link(built, tag):
    page = out(built, tag, "html").read_text(encoding="utf-8")
    doc = tinyhtml5.parse(page)
    figure = doc.find(f".//{H}figure")
    img = figure.find(f"{H}img")
    assert img.get("width") == "1800" and img.get("height") == "1200" and img.get("src").endswith("-1800.jpg")
    assert [w.split()[-1] for w in img.get("srcset").split(", ")] == ["480w", "960w", "1600w", "1800w"]
    assert img.get("alt") == translated(tag, "image description for blind readers")[0]
    caption = text_of(figure.find(f"{H}figcaption"))
    assert translated(tag, "figure caption")[0].rstrip(".") in caption
    assert re.search(r'<meta property="og:image" content="\.\./assets/images/[0-9a-f]{16}-1800\.jpg">', page)
    table = doc.find(f".//{H}table")
    assert text_of(table.find(f"{H}caption")) == translated(tag, "table caption")[0]
    heads = [text_of(th) for th in table.iter(f"{H}th")]
    assert heads == [translated(tag, f"table column header {i}")[0] for i in (1, 2, 3)]
    cells = [text_of(td) for td in table.iter(f"{H}td")]
    assert cells[1:3] == (["1,250", "1.5"] if tag == "en" else ["۱٬۲۵۰", "۱٫۵"])
    align = re.search(r"<th style=\"text-align: (\w+);\">[^<]*</th>", page).group(1)
    assert align == ("left" if tag == "en" else "right")  # the text column mirrors
    notes = doc.find(f".//{H}section[@id='footnotes']")
    assert len(notes.findall(f".//{H}li")) == 3
    calls = [text_of(a) for a in doc.iter(f"{H}a") if "footnote-ref" in (a.get("class") or "")]
    assert calls == (["1", "2", "3"] if tag == "en" else ["۱", "۲", "۳"])
    hrefs = [a.get("href") for a in doc.find(f".//{H}div[@class='article-body']").iter(f"{H}a")
             if not (a.get("href") or "").startswith("#")]
    assert hrefs == [  # every link of the manuscript, in reading order, in every language
        "https://reliefweb.int/", "https://www.worldbank.org/en/country/afghanistan", "mailto:desk@sangar.example",
        "https://www.unicef.org/afghanistan", "https://www.unocha.org/afghanistan", "https://reliefweb.int/"]
    assert "note to editors" not in page and "ministry)" not in page


@pytest.mark.parametrize("tag", LANGS)
def test_epub_carries_the_photo_and_pop_up_notes_and_passes_epubcheck(built, epubchecked, tag):
    epub = out(built, tag, "epub")
    check = epubchecked[epub]  # epubcheck's command line, all the session's EPUBs in one JVM
    assert check.status == 0 and "0 errors / 0 warnings" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(epub) as z:
        media = [n for n in z.namelist() if n.startswith("EPUB/media/")]
        chapters = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert len(media) == 1 and media[0].endswith(".jpg")
    assert re.search(r'<img src="\.\./media/file0\.jpg"[^>]* alt="[^"]{20,}"', chapters)
    assert chapters.count('epub:type="footnote"') == 3
    calls = re.findall(r'epub:type="noteref"[^>]*>([^<]+)</a>', chapters)
    assert calls == (["1", "2", "3"] if tag == "en" else ["۱", "۲", "۳"])
    assert "srcset" not in chapters and "note to editors" not in chapters


@pytest.mark.parametrize("tag", LANGS)
def test_pdf_prints_the_photo_at_print_resolution_and_reads_in_order(built, tag):
    pdf = out(built, tag, "pdf")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    rows = [r.split() for r in listing.splitlines()[2:]]
    assert len(rows) == 1
    width, height, xppi = int(rows[0][3]), int(rows[0][4]), int(rows[0][12])
    assert (width, height) == (1800, 1200) and xppi >= 250
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    # pdftotext gives right-to-left lines in visual order: look for words, not phrases.
    words = re.sub("[\u200c\u202a-\u202e]", "", text).split()

    def key(segment: str) -> str:
        from editions.inline import plain
        return max(plain(segment).replace("\u200c", "").split()[:6], key=len).strip("«»().,:،؛")

    def find(word: str, start: int) -> int:
        return next((i for i in range(start, len(words)) if word in words[i]), -1)

    at = 0
    for comment in ("figure caption", "table caption", "table column header 1", "quotation", "note 1", "note 3"):
        found = find(key(translated(tag, comment)[0]), at)
        assert found >= 0, (comment, key(translated(tag, comment)[0]))
        at = found
    assert "note to editors" not in text


def test_no_planted_metadata_survives_in_any_output(built):
    from PIL import Image

    shipped = sorted((built / "dist" / "assets" / "images").iterdir())
    assert len(shipped) == 8  # 4 widths × (JPEG + WebP)
    for path in shipped:
        image = Image.open(path)
        assert not image.getexif() and "xmp" not in image.info and "exif" not in image.info, path
        assert not any(marker in path.read_bytes() for marker in PLANTED), path
    for path in (built / "dist").rglob("*"):
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                blobs = [z.read(n) for n in z.namelist()]
        elif path.is_file():
            blobs = [path.read_bytes()]
        else:
            continue
        for blob in blobs:
            assert not any(marker in blob for marker in PLANTED), path
