"""Accessible, archival PDFs and EPUBs, with print typography a Dari or Pashto reader trusts
(issue 14). Both articles are built with the real command (the session's shared build,
conftest.shared_build); the PDFs are read back with pikepdf (structure tree, metadata,
annotations, content streams), poppler (text, pixels), the EPUBs unzipped."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import polib
import pytest
import tinyhtml5

from conftest import ROOT

LANGS = ("en", "fa-AF", "ps-AF")
SEED, ANALYSIS = "cloud-over-the-taliban", "kabul-water-crisis"
EDITIONS = [(slug, tag) for slug in (SEED, ANALYSIS) for tag in LANGS]
X = "{http://www.w3.org/1999/xhtml}"
OUTLET = {"en": "Sangar", "fa-AF": "سنگر", "ps-AF": "سنګر"}
# Block elements of the page and the structure element each must become, in reading order.
ROLE = {**{f"h{i}": f"H{i}" for i in range(1, 7)}, "p": "P", "ol": "L", "ul": "L", "li": "LI",
        "table": "Table", "img": "Figure", "figcaption": "Caption", "caption": "Caption",
        "blockquote": "BlockQuote"}
A4 = (595.276, 841.89)
MARGIN_MM = (22, 20, 24, 20)  # print.css: top, right, bottom, left


@pytest.fixture(scope="module")
def built(shared_build) -> Path:
    for slug, tag in EDITIONS:
        assert out(shared_build, slug, tag, "pdf").is_file(), (slug, tag)
    return shared_build


def out(root: Path, slug: str, tag: str, fmt: str) -> Path:
    return root / "dist" / slug / f"{slug}.{tag}.{fmt}"


def page(root: Path, slug: str, tag: str):
    return tinyhtml5.parse(out(root, slug, tag, "html").read_text(encoding="utf-8"))


def text_of(node) -> str:
    return " ".join("".join(node.itertext()).split())


def elements(pdf: pikepdf.Pdf):
    """Every structure element reachable from the root, depth first (reading order)."""
    def walk(node):
        if not isinstance(node, pikepdf.Dictionary) or node.get("/Type") in ("/OBJR", "/MCR"):
            return
        if "/S" in node:
            yield node
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            yield from walk(kid)
    yield from walk(pdf.Root.StructTreeRoot)


def role(element) -> str:
    return str(element.S)[1:]


# -- PDF/UA and PDF/A -------------------------------------------------------------------

@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_pdf_is_tagged_pdf_ua_1_and_pdf_a_2a_in_its_language(built, slug, tag):
    path = out(built, slug, tag, "pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == tag
        assert pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True  # the title, not the file name
        meta = pdf.open_metadata()
        assert meta.get("pdfuaid:part") == "1"
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "A")
        h1 = text_of(page(built, slug, tag).find(f".//{X}h1"))
        assert meta.get("dc:title") == str(pdf.docinfo.Title) == f"{h1} — {OUTLET[tag]}"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent  # sRGB, embedded
        assert "/ID" in pdf.trailer and not pdf.is_encrypted
        for annotation in (a for p in pdf.pages for a in p.get("/Annots", [])):
            assert int(annotation.F) & 4, "PDF/A: annotations print"


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_structure_tree_follows_the_page_in_reading_order(built, slug, tag):
    """Headings, paragraphs, lists, list items, tables, figures and captions become one
    structure element each, in the page's order: a paragraph or list that runs over a
    page break is still one element (WeasyPrint alone makes one per page)."""
    def expected(el):
        classes = (el.get("class") or "").split()
        if el.tag in (f"{X}nav", f"{X}head") or {"downloads", "skip-link"} & set(classes):
            return  # not printed
        name = el.tag.removeprefix(X)
        if name in ROLE:
            yield ROLE[name]
        for child in el:
            yield from expected(child)

    html = list(expected(page(built, slug, tag).find(f"{X}body")))
    with pikepdf.open(out(built, slug, tag, "pdf")) as pdf:
        tree = [role(e) for e in elements(pdf) if role(e) in set(ROLE.values())]
        assert tree == html
        assert tree.count("H1") == 1 and tree[tree.index("H1") - 1] == "P"  # kicker, then title
        parts = [role(e) for e in elements(pdf) if role(e) in ("Part", "Art")]
        assert parts == ["Part", "Art"], "one article, not one per page"
        for item in (e for e in elements(pdf) if role(e) == "LI"):
            kids = [role(k) for k in item.K if isinstance(k, pikepdf.Dictionary) and "/S" in k]
            assert kids and set(kids) <= {"Lbl", "LBody"} and kids.count("LBody") == 1, kids


@pytest.mark.parametrize("tag", LANGS)
def test_figures_carry_their_alt_text_and_tables_their_headers(built, tag):
    doc = page(built, ANALYSIS, tag)
    alt = doc.find(f".//{X}figure/{X}img").get("alt")
    with pikepdf.open(out(built, ANALYSIS, tag, "pdf")) as pdf:
        figures = [e for e in elements(pdf) if role(e) == "Figure"]
        assert [str(f.Alt) for f in figures] == [alt] and len(alt) > 20
        assert "/BBox" in figures[0].A
        heads = [e for e in elements(pdf) if role(e) == "TH"]
        cells = [e for e in elements(pdf) if role(e) == "TD"]
        assert len(heads) == 3 and all(h.A.Scope == "/Column" for h in heads)
        ids = {str(h.ID) for h in heads}
        assert cells and all({str(i) for i in c.A.Headers} <= ids and len(c.A.Headers) == 1 for c in cells)


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_every_mark_is_in_the_tree_and_running_heads_are_artifacts(built, slug, tag):
    """PDF/UA: content is either tagged (its MCID leads to an element of the tree) or an
    artifact. WeasyPrint marks running heads and page numbers with MCIDs the tree never
    reaches."""
    with pikepdf.open(out(built, slug, tag, "pdf")) as pdf:
        reached = {e.objgen for e in elements(pdf)}
        parents = pdf.Root.StructTreeRoot.ParentTree.Nums
        for number, pg in enumerate(pdf.pages):
            marks = [op for op in pikepdf.parse_content_stream(pg) if op.operator == pikepdf.Operator("BDC")]
            tagged = [int(op.operands[1].MCID) for op in marks if "/MCID" in op.operands[1]]
            artifacts = [op.operands[1] for op in marks if op.operands[0] == "/Artifact"
                         and isinstance(op.operands[1], pikepdf.Dictionary) and "/Subtype" in op.operands[1]]
            assert int(parents[2 * number]) == number
            mapping = parents[2 * number + 1]
            for mcid in tagged:
                assert mapping[mcid].objgen in reached, (number, mcid)
            kinds = sorted(str(a.Subtype) for a in artifacts)
            # page number at the foot of every page; outlet and title at the head after the first
            assert kinds == (["/Footer"] if number == 0 else ["/Footer", "/Header", "/Header"]), kinds


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_links_are_tagged_and_described_by_their_words(built, slug, tag):
    doc = page(built, slug, tag)
    hrefs = [a.get("href") for a in doc.find(f".//{X}article").iter(f"{X}a")
             if (a.get("href") or "").startswith(("http", "mailto:"))]
    with pikepdf.open(out(built, slug, tag, "pdf")) as pdf:
        annotations = [a for p in pdf.pages for a in p.get("/Annots", []) if a.Subtype == "/Link"]
        in_links = {k.Obj.objgen for e in elements(pdf) if role(e) == "Link"
                    for k in e.K if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"}
        assert {a.objgen for a in annotations} == in_links, "every link annotation sits in a Link element"
        uris = [str(a.A.URI) for a in annotations if "/A" in a]
        assert set(uris) == set(hrefs) and len(uris) >= len(hrefs)
        for a in annotations:
            assert str(a.Contents).strip() and not str(a.Contents).startswith(("fn", "#"))
        if slug == ANALYSIS:
            words = text_of(doc.find(f".//{X}a[@href='https://www.worldbank.org/en/country/afghanistan']"))
            contents = [str(a.Contents) for a in annotations if "/A" in a and "worldbank" in str(a.A.URI)]
            assert f"{words} (https://www.worldbank.org/en/country/afghanistan)" in contents


@pytest.mark.parametrize("tag", ("fa-AF", "ps-AF"))
def test_words_in_another_language_carry_their_own_lang(built, tag):
    with pikepdf.open(out(built, SEED, tag, "pdf")) as pdf:
        langs = sorted(str(e.Lang) for e in elements(pdf) if "/Lang" in e)
    assert langs == sorted(["en", ({"fa-AF", "ps-AF"} - {tag}).pop()])  # the masthead's other names


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_bookmarks_are_the_headings(built, slug, tag):
    doc = page(built, slug, tag)
    h1 = text_of(doc.find(f".//{X}h1"))
    h2 = [text_of(h) for h in doc.find(f".//{X}article").iter(f"{X}h2")]
    with pikepdf.open(out(built, slug, tag, "pdf")) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == [h1]
        assert [item.title for item in outline.root[0].children] == h2
    if slug == ANALYSIS:  # the notes and the printed links are headed sections too
        assert h2[-2:] == [ui(tag, "Notes"), ui(tag, "Links")]


def ui(tag: str, msgid: str) -> str:
    if tag == "en":
        return msgid
    po = polib.pofile(str(ROOT / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"))
    entry = po.find(msgid)
    return entry.msgstr if entry and entry.msgstr and "fuzzy" not in entry.flags else msgid


# -- Headlines, emphasis, list labels -----------------------------------------------------

@pytest.mark.parametrize("tag", ("fa-AF", "ps-AF"))
def test_headline_drops_the_final_full_stop_the_catalog_keeps(built, tag):
    po = polib.pofile(str(built / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / f"{SEED}.po"))
    title = next(e.msgstr for e in po if "title" in e.comment.split("\n"))
    assert title.endswith(".")  # the translator's text is not touched
    shown = title[:-1]
    doc = page(built, SEED, tag)
    assert text_of(doc.find(f".//{X}h1")) == shown
    assert text_of(doc.find(f".//{X}title")) == f"{shown} — {OUTLET[tag]}"
    with zipfile.ZipFile(out(built, SEED, tag, "epub")) as z:
        assert f">{shown}</dc:title>" in z.read("EPUB/content.opf").decode()
    with pikepdf.open(out(built, SEED, tag, "pdf")) as pdf:
        assert str(pdf.docinfo.Title) == f"{shown} — {OUTLET[tag]}"


def test_headline_rule_keeps_other_endings():
    from editions.translate import headline

    assert headline("Kabul is drilling itself dry.") == "Kabul is drilling itself dry"
    assert headline("کابل تږی دی۔") == "کابل تږی دی"
    for kept in ("Why now?", "آیا دیر شده است؟", "Wait…", "Wait...", "No stop"):
        assert headline(kept) == kept


def test_emphasis_in_arabic_script_is_bold_naskh_not_slanted(built):
    """*Emphasis* in a Dari or Pashto text is set in the bold Naskh (the sheet's weight rule):
    without it the italic request falls to a slanted or regular face."""
    from editions.render import pdf

    assets = built / "dist" / "assets"
    html = ('<!DOCTYPE html><html lang="fa-AF" dir="rtl"><head><title>t</title>'
            '<link rel="stylesheet" href="sangar.css"><link rel="stylesheet" href="print.css" media="print">'
            '</head><body><h1>عنوان</h1><div class="article-body"><p>این یک <em>تأکید</em> است.</p>'
            '<p lang="en" dir="ltr">An <em>italic</em> word.</p></div></body></html>')
    data = pdf.render(html, assets, [assets], pdf.font_config(str(built)))
    path = built / "emphasis.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Sangar-Naskh-Bold" in fonts
    assert "Sangar-Serif-Italic" in fonts  # Latin words keep their italic


@pytest.mark.parametrize("slug,tag", [(s, t) for s, t in EDITIONS if t != "en"])
def test_list_labels_are_persian_digits_and_abjad_letters_with_a_dash(built, slug, tag):
    text = subprocess.run(["pdftotext", str(out(built, slug, tag, "pdf")), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    lines = [re.sub("[\u202a-\u202e\u200e\u200f]", "", line).strip() for line in text.splitlines()]
    numbered = [ln for ln in lines if re.match(r"^\s*(-[۰-۹]+|[۰-۹]+-)", ln)]
    assert len(numbered) >= 3
    assert not [ln for ln in lines if re.match(r"^\s*(\.[۰-۹]+|[۰-۹]+\.)", ln)], "«۱.» reads as «۱۰»"
    if slug == SEED:
        assert sum(bool(re.match(r"^(الف|ب|ج)\s*-", ln)) for ln in lines) == 3


def ink(path: Path, page_number: int, dpi: int = 100):
    """The page as a grey image (Pillow), rendered by pdftoppm."""
    from PIL import Image

    folder = path.parents[2] / "ink"  # beside dist/, not in it (the build is shared)
    folder.mkdir(exist_ok=True)
    prefix = folder / f"ink-{path.stem}-{page_number}"
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page_number), "-l", str(page_number),
                    "-singlefile", str(path), str(prefix)], check=True, capture_output=True, timeout=120)
    return Image.open(f"{prefix}.pgm")


def columns(image, dpi: int = 100) -> tuple[int, int]:
    """Leftmost and rightmost column with ink (darker than light grey)."""
    dark = image.point(lambda v: 255 if v < 200 else 0)
    box = dark.getbbox()
    return box[0], box[2]


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_everything_printed_stays_inside_the_text_column(built, slug, tag):
    """No list label (الف- was 1–2 mm out), rule or word passes the column's start edge (the
    right in Dari and Pashto); at the line ends a Naskh letter's tail may overhang by less
    than a millimetre, as in any justified Arabic-script setting."""
    path = out(built, slug, tag, "pdf")
    pages = len(pikepdf.open(path).pages)
    dpi = 100
    px = dpi / 25.4
    start, end = 1, px  # tolerance in pixels: a quarter and a whole millimetre
    left_slack, right_slack = (end, start) if tag != "en" else (start, end)
    for number in range(1, pages + 1):
        left, right = columns(ink(path, number, dpi), dpi)
        assert left >= MARGIN_MM[3] * px - left_slack, (number, left)
        assert right <= A4[0] / 72 * dpi - MARGIN_MM[1] * px + right_slack, (number, right)


# -- Pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_no_near_empty_last_page_and_the_credit_stays_with_the_text(built, slug, tag):
    path = out(built, slug, tag, "pdf")
    pages = len(pikepdf.open(path).pages)
    image = ink(path, pages)
    dpi, px = 100, 100 / 25.4
    top, bottom = MARGIN_MM[0] * px, image.height - MARGIN_MM[2] * px
    body = image.crop((0, int(top) + 2, image.width, int(bottom)))  # below the running head
    filled = body.point(lambda v: 255 if v < 200 else 0).getbbox()
    assert filled and filled[3] / body.height > 0.25, f"last page {pages} is {filled and filled[3] / body.height:.0%} full"
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(path), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    if tag != "en":
        credit = {"fa-AF": "ترجمه از انگلیسی", "ps-AF": "له انګلیسي څخه ژباړل شوی"}[tag]
        assert "".join(credit.split()) in re.sub(r"[\s\u202a-\u202e]", "", last)


def test_the_pashto_seed_fits_two_pages(built):
    assert len(pikepdf.open(out(built, SEED, "ps-AF", "pdf")).pages) == 2


@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_no_page_ends_with_a_heading(built, slug, tag):
    """The last tagged text of every page but the last belongs to no heading."""
    with pikepdf.open(out(built, slug, tag, "pdf")) as pdf:
        parents = pdf.Root.StructTreeRoot.ParentTree.Nums
        for number, pg in enumerate(pdf.pages[:-1]):
            marks = [int(op.operands[1].MCID) for op in pikepdf.parse_content_stream(pg)
                     if op.operator == pikepdf.Operator("BDC") and "/MCID" in op.operands[1]]
            element = parents[2 * number + 1][marks[-1]]
            chain = []
            while "/S" in element:
                chain.append(role(element))
                element = element.P
            assert not {"H1", "H2", "H3", "H4"} & set(chain), (number + 1, chain)


# -- Printed links -----------------------------------------------------------------------------

@pytest.mark.parametrize("tag", LANGS)
def test_link_addresses_are_printed_as_numbered_links(built, tag):
    from editions.locale import digits

    doc = page(built, ANALYSIS, tag)
    section = doc.find(f".//{X}section[@class='printed-links']")
    assert text_of(section.find(f"{X}h2")) == ui(tag, "Links")
    listed = [(text_of(li.find(f"{X}span")), li.find(f"{X}a").get("href")) for li in section.iter(f"{X}li")]
    d = lambda n: digits(str(n), tag)
    assert listed == [(f"[{d(1)}]", "https://reliefweb.int/"),
                      (f"[{d(2)}]", "https://www.worldbank.org/en/country/afghanistan"),
                      (f"[{d(3)}]", "https://www.unicef.org/afghanistan")]
    # the text carries the numbers; an address shown as its own words (autolink, e-mail) gets none
    refs = [text_of(s) for s in doc.iter(f"{X}span") if s.get("class") == "link-ref"]
    assert refs == [f"[{d(n)}]" for n in (1, 2, 3, 1)]
    text = subprocess.run(["pdftotext", str(out(built, ANALYSIS, tag, "pdf")), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    for _number, href in listed:
        assert href in text
    assert "desk@sangar.example" in text and "https://www.unocha.org/afghanistan" in text


def test_printed_links_are_for_print_only():
    css = (ROOT / "styles" / "sangar.css").read_text(encoding="utf-8")
    assert re.search(r"@media screen \{ \.printed-links, \.link-ref \{ display: none; \} \}", css)
    assert "display: none" not in re.search(r"\.printed-links \{[^}]*\}", (ROOT / "styles" / "print.css").read_text()).group(0)


# -- EPUB --------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug,tag", EDITIONS)
def test_epub_navigation_speaks_the_books_language_and_has_no_default_stylesheet(built, slug, tag):
    with zipfile.ZipFile(out(built, slug, tag, "epub")) as z:
        names = z.namelist()
        nav = z.read("EPUB/nav.xhtml").decode()
        opf = z.read("EPUB/content.opf").decode()
        docs = "".join(z.read(n).decode() for n in names if n.endswith(".xhtml"))
    assert not [n for n in names if n.startswith("EPUB/styles/")] and "stylesheet1.css" not in opf + docs
    contents = ui(tag, "Contents")
    assert f'<h1 id="toc-title">{contents}</h1>' in nav
    landmarks = re.search(r'<nav epub:type="landmarks".*?</nav>', nav, re.S).group(0)
    assert "Table of Contents" not in nav
    labels = re.findall(r'epub:type="(\w+)">([^<]+)</a>', landmarks)
    title = text_of(page(built, slug, tag).find(f".//{X}h1"))
    assert labels == [("toc", contents), ("bodymatter", title)]
    for prop in ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                 "schema:accessibilityHazard", "schema:accessibilitySummary", "dcterms:conformsTo"):
        assert f'property="{prop}"' in opf, prop
    assert re.findall(r"<title>([^<]*)</title>", docs)[1:] and ".xhtml</title>" not in docs
