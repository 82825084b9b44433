import os
import subprocess

import polib
import pytest

from conftest import translate_all as copy_msgids
from editions import catalog, check
from editions.build import Project, Report, load_manuscripts, update
from editions.errors import EditionsError
from editions.locale import LANGUAGES


def run_update(root, slugs=None):
    project = Project(root)
    report = Report()
    update(project, load_manuscripts(project, slugs or ["tiny"], report), report)
    assert not report.errors
    return report


def po(root, tag="fa-AF", slug="tiny"):
    return polib.pofile(str(Project(root).po(slug, tag)))


def test_extract_writes_references_and_comments(tiny):
    run_update(tiny)
    pot = polib.pofile(str(tiny / "translations" / "tiny.pot"))
    first = pot.find("First paragraph with **bold** and a [link](https://example.org/).")
    assert first.occurrences == [("manuscripts/tiny.md", "9")]
    assert first.comment == "paragraph"
    assert pot.find("**Two:** second item").comment == "list item 2."
    assert pot.find("A title").comment == "title"


def test_update_creates_catalogs_with_correct_headers_that_msgfmt_accepts(tiny):
    run_update(tiny)
    for tag in ("fa-AF", "ps-AF"):
        path = Project(tiny).po("tiny", tag)
        meta = polib.pofile(str(path)).metadata
        assert meta["Language"] == LANGUAGES[tag].gettext
        assert meta["Plural-Forms"] == LANGUAGES[tag].plural_forms
        assert meta["Content-Type"] == "text/plain; charset=UTF-8"
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], check=True, timeout=300)
    assert not Project(tiny).po("tiny", "en").exists()  # the source language gets no catalog


def test_nothing_is_rewritten_when_nothing_changed(tiny):
    run_update(tiny)
    files = sorted((tiny / "translations").rglob("*.po*"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    report = run_update(tiny)
    assert report.lines == []
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before


def translate_all(root, tag="fa-AF"):
    path = Project(root).po("tiny", tag)
    cat = polib.pofile(str(path), wrapwidth=79)
    for e in cat:
        e.msgstr = "ترجمه: " + e.msgid
    cat.save(str(path))


def test_edits_keep_every_translation_as_fuzzy_obsolete_or_revived(tiny):
    run_update(tiny)
    translate_all(tiny)
    ms = tiny / "manuscripts" / "tiny.md"
    original = ms.read_text()
    # edit one item, drop the heading
    ms.write_text(original.replace("**Two:** second item", "**Two:** second items")
                          .replace("## A heading\n\n", ""))
    run_update(tiny)
    cat = po(tiny)
    edited = cat.find("**Two:** second items")
    assert edited.fuzzy and edited.previous_msgid == "**Two:** second item"
    assert edited.msgstr == "ترجمه: **Two:** second item"
    gone = [e for e in cat.obsolete_entries() if e.msgid == "A heading"]
    assert gone and gone[0].msgstr == "ترجمه: A heading"
    # the heading comes back: its translation returns, not fuzzy, and no duplicate remains
    ms.write_text(original)
    run_update(tiny)
    cat = po(tiny)
    back = cat.find("A heading")
    assert back.msgstr == "ترجمه: A heading" and not back.fuzzy and not back.obsolete
    assert [e.msgid for e in cat].count("A heading") == 1
    assert all(e.msgid != "A heading" for e in cat.obsolete_entries())
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(Project(tiny).po("tiny", "fa-AF"))], check=True, timeout=300)


def test_a_catalog_resaved_by_msgcat_keeps_every_msgstr(tiny):
    run_update(tiny)
    translate_all(tiny)
    path = Project(tiny).po("tiny", "fa-AF")
    subprocess.run(["msgcat", "-o", str(path), str(path)], check=True, timeout=300)
    run_update(tiny)
    assert all(e.msgstr.startswith("ترجمه: ") for e in po(tiny))


def test_a_broken_catalog_is_reported_with_its_line_and_left_alone(tiny, capsys):
    run_update(tiny)
    path = Project(tiny).po("tiny", "fa-AF")
    broken = path.read_text() + '\nmsgid "x"\nmsgstr "unterminated\n'
    path.write_text(broken)
    project = Project(tiny)
    report = Report()
    update(project, load_manuscripts(project, ["tiny"], report), report)
    assert report.errors and report.errors[0].startswith(f"{path}:")
    assert path.read_text() == broken


def test_load_rejects_a_bom_with_line_one(tmp_path):
    path = tmp_path / "bom.po"
    path.write_bytes(b"\xef\xbb\xbfmsgid \"\"\nmsgstr \"\"\n")
    with pytest.raises(catalog.EditionsError) as err:
        catalog.load(path)
    assert err.value.line == 1


@pytest.mark.parametrize("msgstr, published", [
    ("&#x202E;معکوس&#x202C;", False),          # a bidi override written as an entity
    ("متن\\bدیگر", False),                     # a control character (EPUB XML breaks)
    ("ترجمه درست", True),
])
def test_unsafe_characters_are_never_published(tmp_path, msgstr, published):
    path = tmp_path / "fa_AF" / "LC_MESSAGES" / "t.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                    f'msgid "Text"\nmsgstr "{msgstr}"\n', encoding="utf-8")
    problems: list = []
    try:
        table = check.translations(catalog.load(path), path, problems)
    except EditionsError:  # refused as a whole (an escape GNU tools read otherwise)
        table, problems = {}, ["refused"]
    assert ("Text" in table) is published and bool(problems) is not published


@pytest.mark.parametrize("msgstr, ok", [
    ("خواندن ۱۰۰%", False), ("%(size)s KB %(size)300000000s", False), ("%% %(size)s", True),
    ("%(size)s کیلوبایت", True), ("کیلوبایت", False),
])
def test_interface_words_must_be_safe_format_strings(tmp_path, msgstr, ok):
    po = polib.POFile()
    po.append(polib.POEntry(msgid="%(size)s KB", msgstr=msgstr, flags=["python-format"]))
    assert ("%(size)s KB" in check.translations(po, formatted=True)) is ok


def test_a_catalog_msgcat_refuses_stops_only_its_language(tiny, tmp_path, monkeypatch):
    """The real path: a `msgcat` first on PATH refuses the Dari catalog (as GNU msgcat
    refuses what it cannot read); the build reports it, keeps the old Dari edition, and
    builds the rest."""
    import shutil
    import stat

    from editions.build import build

    real = shutil.which("msgcat")
    fake = tmp_path / "bin" / "msgcat"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ninput=$(cat)\ncase \"$input\" in *REFUSE-ME*) echo 'msgcat: -:3: refused' >&2; "
                    f"exit 1;; esac\nprintf '%s\\n' \"$input\" | {real} \"$@\"\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    build(Project(tiny), formats=["html"])
    copy_msgids(tiny, "tiny")
    build(Project(tiny), formats=["html"])
    dist = tiny / "dist" / "tiny"
    before = (dist / "tiny.fa-AF.html").read_bytes()
    bad = Project(tiny).po("tiny", "fa-AF")
    po = polib.pofile(str(bad))
    po.append(polib.POEntry(msgid="REFUSE-ME", msgstr="x"))  # gone from the template: written again, as #~
    po.save(str(bad))
    for tag in ("ps-AF", "en"):
        (dist / f"tiny.{tag}.html").unlink()
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    report = build(Project(tiny), formats=["html"])
    assert any(e.startswith(f"{bad}:") and "msgcat could not lay out" in e for e in report.errors), report.errors
    assert (dist / "tiny.fa-AF.html").read_bytes() == before  # its old edition stays
    assert (dist / "tiny.ps-AF.html").exists() and (dist / "tiny.en.html").exists()  # the rest is built


def msgfmt_warnings(root) -> dict[str, str]:
    """`msgfmt --check` on every catalog under translations/: path → what it printed."""
    said = {}
    for path in sorted((root / "translations").rglob("*.po*")):
        run = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        said[str(path.relative_to(root))] = run.stderr
    return said


def test_every_catalog_the_project_writes_passes_msgfmt_check_without_a_warning(tiny):
    import re
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parent / "fixtures" / "dari-source.md", tiny / "manuscripts")
    # the UI template as an older version wrote it, placeholders and all: update completes it
    ui = tiny / "translations" / "messages.pot"
    ui.write_text(ui.read_text(encoding="utf-8").replace(
        "Last-Translator: \\n", "Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"), encoding="utf-8")
    run_update(tiny, ["tiny", "dari-source"])
    said = msgfmt_warnings(tiny)
    assert "translations/tiny.pot" in said and "translations/en/LC_MESSAGES/dari-source.po" in said
    assert {path: text for path, text in said.items() if "warning" in text} == {}
    for slug, tag, team in (("tiny", "fa-AF", "Dari"), ("tiny", "ps-AF", "Pashto"), ("dari-source", "en", "English")):
        meta = po(tiny, tag, slug).metadata
        assert meta["Language-Team"] == f"{team} <translations@sangar.invalid>"
        assert meta["Last-Translator"] == ""  # nobody yet: the translator's tool names them
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d\+0000", meta["PO-Revision-Date"])
    template = polib.pofile(str(Project(tiny).pot("dari-source"))).metadata
    assert template["Language"] == "fa_AF"  # the language its msgids are in
    assert template["PO-Revision-Date"] == template["POT-Creation-Date"]


def test_a_merged_catalog_keeps_the_header_its_translator_filled(tiny):
    run_update(tiny)
    filled = {"Last-Translator": "Maryam Ahmadi <maryam@example.org>",
              "PO-Revision-Date": "2026-12-01 09:30+0430",
              "Language-Team": "Dari desk <dari@example.org>", "X-Generator": "Poedit 3.4"}
    path = Project(tiny).po("tiny", "fa-AF")
    cat = polib.pofile(str(path), wrapwidth=79)
    cat.metadata.update(filled)
    cat.save(str(path))
    # a catalog an older version made still holds gettext's placeholders: those are nobody's
    legacy = Project(tiny).po("tiny", "ps-AF")
    cat = polib.pofile(str(legacy), wrapwidth=79)
    cat.metadata.update({"Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
                         "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE", "Language-Team": "LANGUAGE <LL@li.org>"})
    cat.save(str(legacy))
    ms = tiny / "manuscripts" / "tiny.md"
    ms.write_text(ms.read_text().replace("second item", "second items"))
    run_update(tiny)
    merged = po(tiny)
    assert merged.find("**Two:** second items") is not None  # it was merged, not left alone
    assert {k: merged.metadata.get(k) for k in filled} == filled
    pashto = po(tiny, "ps-AF").metadata
    assert pashto["Language-Team"] == "Pashto <translations@sangar.invalid>"
    assert pashto["Last-Translator"] == "" and pashto["PO-Revision-Date"] != "YEAR-MO-DA HO:MI+ZONE"
    assert {p: text for p, text in msgfmt_warnings(tiny).items() if "warning" in text} == {}
