"""Light pages: the web pages' fonts are WOFF2 files cut by script, each declared with the
unicode-range of the characters it has (render/assets.py, styles/fonts.toml [web]), so a
page fetches only the files its text needs. Measured in Debian's Chromium with a cold
cache: the Dari edition of the seed article stays within its byte budget (see
benchmarks/README.md), a Dari page of Dari text fetches no Latin face and an English page
of English text no Arabic one. The PDFs keep the TrueType faces (fonts.css's print rules).
Also the skip link, which must not peek out above an RTL page."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import SLUG, served
from editions.render import assets
from editions.render.assets import MANIFEST

DARI = f"{SLUG}/{SLUG}.fa-AF.html"
ENGLISH = f"{SLUG}/{SLUG}.en.html"
# What the Dari edition of the seed article may transfer, cold: its HTML, the stylesheets
# and the font files it uses (raw bytes, no HTTP compression). Measured 266,041 bytes on
# 2026-11-30 (HTML 11.0 KB, CSS 25.2 KB, fonts 229.7 KB: the four Arabic files, the
# punctuation of two Latin faces and Sans's letters for "PDF", "EPUB", "Sangar",
# "English"); with the whole TrueType faces it was 1,305,343. See benchmarks/README.md.
BUDGET = 290_000


@pytest.fixture(scope="module")
def tree(shared_build) -> Path:
    """The project's articles as built once for the session (read-only)."""
    for page in (DARI, ENGLISH):
        assert (shared_build / "dist" / page).is_file(), f"{page} was not built"
    return shared_build


@pytest.fixture(scope="module")
def site(tree):
    with served(tree / "dist") as url:
        yield url




def faces_by_file(root: Path) -> dict[str, assets.Font]:
    """Every web file's name → its face, from fonts.toml and the faces as shipped."""
    conf, fonts = assets.fonts(root)
    out = {}
    for font in fonts:
        cmap = assets._cmap(root / "dist" / "assets" / "fonts" / font.file)
        for w in assets.web_files(conf, font, cmap):
            out[w.name] = font
    return out


def load(browser, url: str, edit=None) -> dict[str, int]:
    """Every file the page at `url` fetches with a cold cache → its bytes. `edit`: what
    is done to the page's body (as HTML text) before the browser has it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if edit:
        def rewrite(route):
            response = route.fetch()
            head, _, body = response.text().partition("<body")
            route.fulfill(response=response, body=head + "<body" + edit(body))
        page.route(url, rewrite)
    finished = []
    page.on("requestfinished", lambda r: finished.append(r))
    page.goto(url, wait_until="networkidle")
    page.evaluate("async () => { await document.fonts.ready; }")
    page.wait_for_load_state("networkidle")
    got = {r.url: len(r.response().body()) for r in finished}
    context.close()
    return got


def fonts_of(got: dict[str, int]) -> set[str]:
    return {u.rsplit("/", 1)[1] for u in got if "/assets/fonts/" in u}


def test_fonts_css_gives_screens_woff2_by_script_and_print_the_truetype_faces(tree):
    from fontTools.ttLib import TTFont

    out = tree / "dist" / "assets"
    css = (out / "fonts.css").read_text(encoding="utf-8")
    screen, _, printed = css.partition("@media print")
    rules = re.findall(r'src: url\("fonts/([^"]+)"\) format\("woff2"\);[^}]*unicode-range: ([^;]+);', screen)
    assert rules and len(rules) == screen.count("@font-face")
    conf, fonts = assets.fonts(tree)
    for font in fonts:  # the print rules: the TrueType faces, as the PDFs had them
        assert f'url("fonts/{font.file}") format("truetype")' in printed
        assert f'url("fonts/{font.file}")' not in screen
    faces = faces_by_file(tree)
    assert set(faces) == {name for name, _ in rules}
    for name, declared in rules:  # each file has exactly the characters it declares
        font = TTFont(io.BytesIO((out / "fonts" / name).read_bytes()))
        assert font.flavor == "woff2"
        assert assets.unicode_range(font.getBestCmap()) == declared, name
    for font in fonts:  # together a face's files have every character of the face as shipped
        shipped = assets._cmap(out / "fonts" / font.file) - assets.CONTROLS
        ranges = [conf["web"]["ranges"][r] for r in font.web]
        held = {c for c in shipped if any(lo <= c <= hi for r in ranges for lo, hi in assets._parse_ranges(r))}
        cut = set().union(*(w.codepoints for w in assets.web_files(conf, font, shipped)))
        assert cut == held, font.file
    letters = set(range(0x41, 0x5B)) | set(range(0x61, 0x7B))
    for font in fonts:  # no Latin letter in an Arabic face's files, no Arabic one in a Latin face's
        for w in assets.web_files(conf, font, assets._cmap(out / "fonts" / font.file)):
            assert not w.codepoints & (letters if font.web[0] == "arabic" else set(range(0x600, 0x700))), w.name


def test_fonts_are_remade_only_when_their_face_or_cut_changes(tree, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(tree / "styles", root / "styles")
    shutil.copytree(tree / "dist" / "assets", root / "dist" / "assets")
    fonts = root / "dist" / "assets" / "fonts"
    before = {p.name: p.stat().st_mtime_ns for p in fonts.iterdir()}
    assets.build(root, root / "dist")
    assert {p.name: p.stat().st_mtime_ns for p in fonts.iterdir()} == before
    toml = root / "styles" / "fonts.toml"  # Sans Bold: one file of every character it has
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('file = "NotoSans-Bold.ttf"\neditions = "ltr"\nweight = 700\nsubset = "latin"\n'
                                 'web = ["latin-punct", "latin", "latin-ext"]\n',
                                 'file = "NotoSans-Bold.ttf"\neditions = "ltr"\nweight = 700\nsubset = "latin"\n'),
                    encoding="utf-8")
    assets.build(root, root / "dist")
    after = {p.name: p.stat().st_mtime_ns for p in fonts.iterdir()}
    remade = {"NotoSans-Bold.woff2", MANIFEST}
    gone = {f"NotoSans-Bold.{r}.woff2" for r in ("latin-punct", "latin", "latin-ext")}
    assert "NotoSans-Bold.woff2" in after and not gone & set(after)
    gone.add(MANIFEST)
    assert {n: t for n, t in after.items() if n not in remade} == {n: t for n, t in before.items() if n not in gone}
    assert 'url("fonts/NotoSans-Bold.woff2")' in (root / "dist" / "assets" / "fonts.css").read_text()


def test_the_dari_edition_stays_within_its_byte_budget(browser, site):
    got = load(browser, site + DARI)
    total = sum(got.values())
    print(f"\nDari edition of {SLUG}, cold: {total:,} bytes")
    for url, size in sorted(got.items(), key=lambda kv: -kv[1]):
        print(f"  {size:>8,} {url.removeprefix(site)}")
    assert all(url.startswith(site) for url in got)  # nothing from elsewhere
    assert total <= BUDGET, f"{total:,} bytes > budget {BUDGET:,}"
    fonts = fonts_of(got)
    assert {"NotoNaskhArabic-Regular.arabic.woff2", "NotoSansArabic-Regular.arabic.woff2"} <= fonts, fonts
    assert not [f for f in fonts if "-ext." in f or f.endswith(".ttf")], fonts  # no rare letters, no TrueType


def test_a_dari_page_of_dari_text_fetches_no_latin_letters_and_the_reverse(browser, site, tree):
    conf, fonts = assets.fonts(tree)
    held = {w.name: w.codepoints for f in fonts
            for w in assets.web_files(conf, f, assets._cmap(tree / "dist" / "assets" / "fonts" / f.file))}
    latin = {n for n, cps in held.items() if any(0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A for c in cps)}
    arabic = {n for n, cps in held.items() if any(0x621 <= c <= 0x64A or 0x671 <= c <= 0x6D3 for c in cps)}
    shown = fonts_of(load(browser, site + DARI))
    assert shown & latin  # as built, it shows "PDF", "EPUB", "Sangar" and "English" in Latin letters
    # The pages without the elements in the other script (the masthead's other names, the
    # other languages' links: an element of a family makes the browser fetch its first
    # file, for the metrics of a line, even when it is empty) and its words (PDF, EPUB).
    def without(other: str, letters: str):
        def edit(body: str) -> str:
            body = re.sub(rf'<(span|a)\b[^>]*\blang="{other}"[^>]*>[^<]*</\1>', "", body)
            return re.sub(r">([^<]*)<", lambda m: ">" + re.sub(letters, "", m.group(1)) + "<", body)
        return edit

    dari = fonts_of(load(browser, site + DARI, without("en", "[A-Za-z]")))
    assert dari & arabic and not dari & latin, dari  # its ( ) and · come from the small latin-punct files
    english = fonts_of(load(browser, site + ENGLISH, without("(?:fa|ps)-AF", "[\u0600-\u06FF]")))
    assert english & latin and not english & arabic, english


def test_the_skip_link_is_out_of_sight_until_focused(browser, site):
    for url, direction in ((DARI, "rtl"), (ENGLISH, "ltr")):
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto(site + url, wait_until="networkidle")
        page.evaluate("async () => { await document.fonts.ready; }")
        assert page.evaluate("document.documentElement.dir") == direction
        box = page.locator(".skip-link").bounding_box()
        assert box["y"] + box["height"] <= 0, (url, box)  # not a pixel of it shows
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.wait_for_timeout(50)
        box = page.locator(".skip-link").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740, (url, box)
        context.close()


def test_a_faces_characters_are_read_again_only_when_the_face_is_made_again(tmp_path, monkeypatch):
    """Which characters each shipped face holds decides its web cuts; it is kept in .cache
    by the key the face was made from: a rendering run with the same faces reads no font
    (nor imports HarfBuzz), one whose key changed reads them again — same files either way."""
    from conftest import ROOT

    root = tmp_path / "p"
    shutil.copytree(ROOT / "styles", root / "styles")
    dist = root / "dist"
    assets.build(root, dist)
    first = {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    read = []
    real = assets._cmap
    monkeypatch.setattr(assets, "_cmap", lambda path: read.append(path.name) or real(path))
    assets.build(root, dist)
    assert read == []
    cache = root / ".cache" / assets.CMAPS
    kept = json.loads(cache.read_text(encoding="utf-8"))
    face = next(iter(kept))
    kept[face][0] = "another key"  # as if the face had been made from another file
    cache.write_text(json.dumps(kept), encoding="utf-8")
    assets.build(root, dist)
    assert read == [face]
    assert {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()} == first
