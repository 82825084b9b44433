"""Publishing policy, untrusted translations and the command line, on a small project."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import polib
import pytest
import tinyhtml5
from xml.etree import ElementTree

from conftest import Recorder
from editions.build import Project, build
from editions.cli import main
from editions.executor import Local

HOSTILE = ('<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) '
           '[y](https://evil.example/) {onclick=alert(4)} <iframe src="file:///etc/passwd"></iframe>')


def fill(root, tag, text_for, slug="tiny", domain=None):
    path = Project(root).po(domain or slug, tag)
    cat = polib.pofile(str(path), wrapwidth=79)
    for e in cat:
        e.msgstr = text_for(e.msgid)
    cat.save(str(path))


def test_incomplete_language_is_skipped_unless_draft(tiny, capsys):
    build(Project(tiny), formats=["html"], runner=Local(1))
    out = capsys.readouterr().out
    assert "skipped tiny fa-AF: 6 of 6 segments untranslated or fuzzy" in out
    dist = tiny / "dist" / "tiny"
    assert (dist / "tiny.en.html").exists() and not (dist / "tiny.fa-AF.html").exists()
    fill(tiny, "fa-AF", lambda m: "" if m.startswith("**Two") else "دری " + m)
    recorder = Recorder(real=("html",))  # the page is judged; the PDF is made from it
    build(Project(tiny), formats=["html", "pdf"], draft=True, runner=recorder)
    assert sorted((tag, draft) for _, tag, draft in recorder.built) == [("en", False), ("fa-AF", True), ("ps-AF", True)]
    drafts = tiny / "dist-drafts" / "tiny"
    page = (drafts / "tiny.fa-AF.html").read_text()
    assert not (dist / "tiny.fa-AF.html").exists()  # drafts never under dist/
    assert "draft-notice" in page and "@top-center" in page  # on the page and on every PDF page
    assert "دری First paragraph" in page
    # the missing one falls back to the source text, in its own language and direction
    assert re.search(r'<span class="source-text" lang="en" dir="ltr"><strong>Two:</strong> second item', page)
    assert "tiny.fa-AF" not in (tiny / "dist" / "index.html").read_text()
    assert "tiny/tiny.fa-AF.html" in (tiny / "dist-drafts" / "index.html").read_text()
    assert "../../" not in page and 'hreflang="en"' not in page.split("<main>")[1]  # links to nothing online
    assert (tiny / "dist-drafts" / "assets" / "sangar.css").exists()
    fill(tiny, "fa-AF", lambda m: m)  # the translation is complete: published, the draft withdrawn
    capsys.readouterr()
    build(Project(tiny), formats=["html"], draft=True, runner=Local(1))
    assert (dist / "tiny.fa-AF.html").exists() and not (drafts / "tiny.fa-AF.html").exists()
    assert "removed dist-drafts/tiny/tiny.fa-AF.html" in capsys.readouterr().out


def test_hostile_translations_stay_inert_in_html_and_epub(tiny, monkeypatch):
    monkeypatch.setattr("editions.check.entry_errors", lambda *args: [])  # rendering alone keeps them inert
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "fa-AF", lambda m: HOSTILE + " " + m)
    fill(tiny, "fa-AF", lambda m: HOSTILE + " " + m, domain="messages")  # placeholders kept
    build(Project(tiny), formats=["html", "epub"], langs=["fa-AF"], runner=Local(1))
    page = (tiny / "dist" / "tiny" / "tiny.fa-AF.html").read_text()
    epub = zipfile.ZipFile(tiny / "dist" / "tiny" / "tiny.fa-AF.epub")
    trees = [tinyhtml5.parse(page)] + [ElementTree.fromstring(epub.read(n)) for n in epub.namelist()
                                       if n.startswith("EPUB/text/")]
    for tree in trees:
        for el in tree.iter():
            tag = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
            if tag == "script":  # only the page's JSON-LD: data, which must parse as JSON
                assert el.get("type") == "application/ld+json" and json.loads(el.text), el.text
                assert "<" not in el.text, el.text  # no way out of the script element
                continue
            assert tag not in ("img", "iframe", "object", "embed"), tag
            if tag == "style":  # only ours: the page-number rule (escaped label), the EPUB's house CSS
                css = (el.text or "").replace('url("../fonts/', "").replace('url("fonts/', "")
                assert "url(" not in css and "@import" not in css and "evil.example" not in css
            assert not any(k.lower().startswith("on") for k in el.attrib), el.attrib
            href = el.get("href") or ""
            assert not href.lower().startswith(("javascript:", "data:")) and "evil" not in href
    assert "&lt;script&gt;" in page
    assert 'href="https://example.org/"' in page  # the source's own link survives
    assert not any(n.startswith("EPUB/media") for n in epub.namelist())


def test_ui_css_string_cannot_break_out_of_the_page_style(tiny):
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "fa-AF", lambda m: m)
    fill(tiny, "fa-AF", lambda m: '"; } body { background: url(http://evil.example/x) } @page { x: " ' + m,
         domain="messages")
    build(Project(tiny), formats=["html"], langs=["fa-AF"], runner=Local(1))
    page = (tiny / "dist" / "tiny" / "tiny.fa-AF.html").read_text()
    style = page.split("<style>")[1].split("</style>")[0]
    literal = style.split("content:")[1].split("counter(")[0]
    assert re.fullmatch(r'\s*"[^"{};()]*"\s*" "\s*', literal), literal  # one inert string, then " "
    assert "\\000022" in literal  # the translator's quote is escaped once, as CSS


def test_a_ui_catalog_that_msgfmt_rejects_stops_only_its_language(tiny, capsys):
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "fa-AF", lambda m: "دری")
    fill(tiny, "fa-AF", lambda m: "بدون جای‌نگهدار", domain="messages")  # drops %(author)s
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    assert any("messages.po" in e and "error" in e for e in report.errors)
    assert (tiny / "dist" / "tiny" / "tiny.en.html").exists()
    assert not (tiny / "dist" / "tiny" / "tiny.fa-AF.html").exists()


def test_cli_exit_statuses_and_error_lines(tiny, tmp_path):
    assert main(["--root", str(tiny), "extract"]) == 0
    assert main(["--root", str(tiny), "build", "no-such-article"]) == 2
    assert main(["--root", str(tmp_path / "nowhere")]) == 2
    bad = tiny / "manuscripts" / "bad.md"
    bad.write_text("---\nslug: bad\ntitle: x\nauthor: y\ndate: 2026-13-45\n---\n\nText.\n")
    done = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(tiny), "update"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert f"{bad}:5: error: date" in done.stderr
    assert (tiny / "translations" / "tiny.pot").exists()  # the other article still went through


def test_help_does_not_import_the_renderers():
    code = ("import sys, runpy; sys.argv=['make-editions','--help']\n"
            "try: runpy.run_module('editions.cli', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "assert 'weasyprint' not in sys.modules and 'pypandoc' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


def test_a_language_whose_interface_words_are_incomplete_is_skipped(tiny, capsys):
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "ps-AF", lambda m: "پښتو")
    path = Project(tiny).po("messages", "ps-AF")
    ui = polib.pofile(str(path))
    ui[0].msgstr = ""
    ui.save(str(path))
    capsys.readouterr()
    build(Project(tiny), formats=["html"], runner=Local(1))
    assert "skipped ps-AF: 1 of" in capsys.readouterr().out
    assert not (tiny / "dist" / "tiny" / "tiny.ps-AF.html").exists()


def test_a_percent_sign_in_an_interface_word_does_not_break_the_build(tiny):
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "fa-AF", lambda m: "دری")
    path = Project(tiny).po("messages", "fa-AF")
    ui = polib.pofile(str(path))
    ui.find("Read online").msgstr = "خواندن ۱۰۰%"
    ui.save(str(path))
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    assert any("Read online" in e or "placeholders" in e for e in report.errors) or report.errors
    assert (tiny / "dist" / "index.html").exists()


def test_css_strings_read_back_exactly():
    import tinycss2

    from editions.render.html import css_string

    for text in ("Page no. 5", "صفحه شماره", 'x"; } body { color: red', "a\\ b"):
        tokens = [t for t in tinycss2.parse_component_value_list(str(css_string(text))) if t.type != "whitespace"]
        assert len(tokens) == 1 and tokens[0].type == "string" and tokens[0].value == text


def test_pdfs_use_only_the_house_faces_and_the_named_fallbacks(tmp_path):
    """fonts.toml's print_fallback is all a PDF may fall back on: Cyrillic comes from the
    full Noto faces, code from the named monospace; Devanagari, which only other installed
    faces have, stays without a face (and gets one from the machine's own fontconfig setup
    when print_fallback is left out)."""
    import shutil
    from pathlib import Path

    page = ('<html lang="en"><body style="font-family: serif"><p>Совет</p><p>नमस्ते</p>'
            '<p><code>x = 1</code></p></body></html>')
    code = ("import sys; from pathlib import Path; from editions.render import pdf\n"
            "Path(sys.argv[2]).write_bytes(pdf.render(sys.argv[3], Path(sys.argv[1]), [], "
            "pdf.font_config(sys.argv[1])))\n")

    def fonts_of(root: Path) -> set[str]:
        out = tmp_path / f"{root.name}.pdf"
        subprocess.run([sys.executable, "-c", code, str(root), str(out), page], check=True, timeout=300)
        listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True,
                                 timeout=60).stdout
        return {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}

    house = tmp_path / "house"
    shutil.copytree(Path(__file__).resolve().parent.parent / "styles", house / "styles")
    machine = tmp_path / "machine"
    shutil.copytree(house / "styles", machine / "styles")
    toml = machine / "styles" / "fonts.toml"
    toml.write_text(re.sub(r"(?ms)^print_fallback = \[.*?\]\n", "", toml.read_text()))
    assert "print_fallback =" not in toml.read_text()
    fonts = fonts_of(house)
    assert "Noto-Serif" in fonts and "DejaVu-Sans-Mono" in fonts, fonts  # Cyrillic, code
    assert not [f for f in fonts if "Devanagari" in f], fonts
    assert [f for f in fonts_of(machine) if "Devanagari" in f]  # the machine's setup finds one


def test_dist_holds_exactly_what_is_online(tiny, capsys):
    """No cards, no leftovers: a deleted article's editions and images go, a stray file
    goes, a held-back language keeps its last published edition."""
    from conftest import write_manuscript
    from test_article import photo

    write_manuscript(tiny, "gone", '![A photo.](images/g.jpg){alt="A field"}\n\nText.')
    photo(tiny / "manuscripts" / "images" / "g.jpg")
    build(Project(tiny), formats=["html"], runner=Local(1))
    fill(tiny, "fa-AF", lambda m: m)
    build(Project(tiny), formats=["html"], runner=Local(1))
    dist = tiny / "dist"
    assert (dist / "gone" / "gone.en.html").exists() and list((dist / "assets" / "images").iterdir())
    # no build records among the editions: JSON only as the fonts' manifest and the search index's own files
    assert all(p.parent.name == "fonts" or p.relative_to(dist).parts[0] == "pagefind" for p in dist.rglob("*.json"))
    assert not [p for p in dist.glob("*/*.json") if p.parent.name != "pagefind"]
    (dist / "tiny" / "old-draft.fa-AF.pdf").write_bytes(b"stale")
    (tiny / "manuscripts" / "gone.md").unlink()
    fill(tiny, "fa-AF", lambda m: "" if m.startswith("**Two") else m)  # now incomplete: held back
    capsys.readouterr()
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    out = capsys.readouterr().out
    assert not (dist / "gone").exists() and "removed dist/gone/gone.en.html" in out
    assert not (dist / "tiny" / "old-draft.fa-AF.pdf").exists()
    assert not list((dist / "assets" / "images").iterdir())  # the deleted article's photo
    assert (dist / "tiny" / "tiny.fa-AF.html").exists()  # the last published edition stays online
    assert "tiny/tiny.fa-AF.html" in (dist / "index.html").read_text()
    assert sorted(p.name for p in (dist / "tiny").iterdir()) == ["tiny.en.html", "tiny.fa-AF.html"]
    assert not report.errors


def test_the_interface_template_is_extracted_only_when_a_template_changes(tiny, tmp_path):
    """A no-op build does not start Babel's extractor; a changed template does. A new copy
    of the project (a fresh clone, a test's project) finds the extraction in the machine's
    cache, and the same template as the project's own extraction."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "machine")}

    def run(root):
        code = ("import sys; from pathlib import Path; from editions.build import Project, Report, extract\n"
                f"extract(Project(Path({str(root)!r})), [], Report())\n"
                "print('babel.messages.extract' in sys.modules)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              env=env).stdout

    assert run(tiny).strip().endswith("True")  # the first time: extracted
    assert run(tiny).strip().endswith("False")  # nothing changed: the kept extraction
    other = shutil.copytree(tiny, tmp_path / "copy", ignore=shutil.ignore_patterns(".cache"))
    (other / "translations" / "messages.pot").unlink()
    assert run(other).strip().endswith("False")  # another copy: the machine's
    undated = lambda path: re.sub(r'"POT?-(Creation|Revision)-Date: [^"]*"', "", path.read_text(encoding="utf-8"))
    assert undated(other / "translations" / "messages.pot") == undated(tiny / "translations" / "messages.pot")
    page = tiny / "styles" / "templates" / "edition.html"
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert run(tiny).strip().endswith("True")


def test_a_build_of_some_formats_keeps_the_others(tiny):
    build(Project(tiny), formats=["html"], runner=Recorder())
    fill(tiny, "fa-AF", lambda m: m)
    recorder = Recorder()
    build(Project(tiny), formats=["epub"], runner=recorder)
    assert sorted((tag, job.formats) for (_, tag, _), job in zip(recorder.built, recorder.jobs)) == [
        ("en", ("epub",)), ("fa-AF", ("epub",))]
    dist = tiny / "dist" / "tiny"
    assert (dist / "tiny.fa-AF.epub").exists()  # a format-only build is not pruned away
    recorder = Recorder()
    build(Project(tiny), formats=["html"], runner=recorder)
    assert sorted(recorder.built) == [("tiny", "en", False), ("tiny", "fa-AF", False)]  # en now links to fa-AF
    assert (dist / "tiny.fa-AF.epub").exists() and (dist / "tiny.fa-AF.html").exists()


def test_an_unchanged_image_is_not_read_again(tiny, monkeypatch):
    """Validating a photo means decoding it; a build repeats that only for a file that changed."""
    from PIL import Image

    from conftest import write_manuscript
    from editions import images

    photo = tiny / "manuscripts" / "images" / "p.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (64, 48), (10, 20, 30)).save(photo)
    write_manuscript(tiny, "pic", '![A photo.](images/p.jpg){alt="A field"}\n\nText.')
    build(Project(tiny), formats=["html"], runner=Local(1))
    decoded = []
    real = images._decode
    monkeypatch.setattr(images, "_decode", lambda *a: decoded.append(1) or real(*a))
    build(Project(tiny), formats=["html"], runner=Local(1))
    assert decoded == []
    Image.new("RGB", (64, 48), (200, 20, 30)).save(photo)  # another picture under the same name
    build(Project(tiny), formats=["html"], runner=Local(1))
    assert decoded


def test_with_source_date_epoch_two_builds_write_the_same_feeds(tmp_path, monkeypatch):
    """An entry's `updated` is when its page was written (now), clamped to SOURCE_DATE_EPOCH
    when that is set: the same commit built in two places, at two times, gives the same tree."""
    from conftest import make_tiny

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")  # 2001-09-09T01:46:40Z
    trees = []
    for name in ("one", "two"):
        root = make_tiny(tmp_path / name)
        assert not build(Project(root), formats=["html"], runner=Recorder(real=("html",))).errors
        trees.append({p.relative_to(root / "dist").as_posix(): p.read_bytes()
                      for p in sorted((root / "dist").rglob("*")) if p.is_file()})
    assert b"<updated>2001-09-09T01:46:40Z</updated>" in trees[0]["en/feed.xml"]
    assert trees[0] == trees[1]


def test_a_malformed_source_date_epoch_is_refused_before_the_build_begins(tiny, monkeypatch):
    from editions.errors import UsageError

    for value in ("1e9", "-5", "١٢٣", "²", " 12", "99999999999999999999"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
        with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
            build(Project(tiny), formats=["html"], runner=Recorder())
        assert not (tiny / "dist").exists() and not (tiny / ".cache").exists(), value
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")  # empty: as if unset
    assert not build(Project(tiny), formats=["html"], runner=Recorder()).errors
