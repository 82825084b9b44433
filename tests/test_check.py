"""`make-editions check`: every finding as path:line: severity: code: message."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from editions import check
from editions.check import check_paths

HEADER = ('msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n"MIME-Version: 1.0\\n"\n'
          '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
          '"Plural-Forms: {plural}\\n"\n\n')
PLURALS = {"fa_AF": "nplurals=2; plural=(n > 1);", "ps_AF": "nplurals=2; plural=(n != 1);"}


def catalog(tmp_path: Path, body: str, lang: str = "fa_AF", plural: str | None = None) -> Path:
    path = tmp_path / lang / "LC_MESSAGES" / "t.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(lang=lang, plural=plural or PLURALS[lang]) + body, encoding="utf-8")
    return path


def entry(msgid: str, msgstr: str) -> str:
    return f'msgid "{msgid}"\nmsgstr "{msgstr}"\n\n'


def codes(path: Path) -> dict[str, str]:
    return {f.code: f.severity for f in check_paths([path])}


@pytest.mark.parametrize("msgid, msgstr, code, severity", [
    ("He said it.", "او آن را گفت.", None, None),
    ("He will go.", "او خواهد رفت و يك", "arabic-letters", "error"),
    ("In 2021.", "در سال ٢٠٢١.", "arabic-indic-digits", "error"),
    ("In 2021.", "در سال 2021.", "latin-digits", "warning"),
    ("In 2021.", "در سال ۲۰۲۰.", "numbers", "error"),
    ("See [this](https://a.example/).", "ببینید [این](https://b.example/).", "links", "error"),
    ("**Lead:** text.", "مقدمه: متن.", "emphasis", "error"),
    ("Text.", "متن\u202e.", "bidi-control", "error"),
    ("Text.", "متن\u200f.", "invisible", "warning"),
    ("It is done.", "انجام می شود.", "zwnj", "warning"),
    ("It is done.", "انجام میشود.", "zwnj", "warning"),
    ("Text.", " متن.", "whitespace", "warning"),
    ("Is it?", "آیا چنین است.", "punctuation", "warning"),
    ("Text.", "<b>متن</b>.", "markup", "error"),
    ("By %(author)s", "نویسنده: %(autor)s", "placeholders", "error"),
    ("By {author}", "نویسنده: {usr}", "placeholders", "error"),
])
def test_dari_entry_checks(tmp_path, msgid, msgstr, code, severity):
    found = codes(catalog(tmp_path, entry(msgid, msgstr)))
    if code is None:
        assert found == {}
    else:
        assert found.get(code) == severity, found


def test_zwnj_is_legitimate_and_never_flagged(tmp_path):
    assert codes(catalog(tmp_path, entry("It is done in the houses.", "در خانه‌ها انجام می‌شود."))) == {}


def test_pashto_keeps_its_own_ye_but_not_arabic_kaf(tmp_path):
    assert codes(catalog(tmp_path, entry("Yes.", "هو، دا سمه ده او ښه ګڼل کېږي."), "ps_AF")) == {}
    assert codes(catalog(tmp_path, entry("Yes.", "ك."), "ps_AF"))["arabic-letters"] == "error"


def test_headers_and_plural_forms(tmp_path):
    wrong = catalog(tmp_path, entry("a", "ب"), plural="nplurals=1; plural=0;")
    assert codes(wrong)["plural-forms"] == "error"
    path = tmp_path / "ps_AF" / "LC_MESSAGES" / "x.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(lang="fa_AF", plural=PLURALS["fa_AF"]) + entry("a", "ب"))
    assert codes(path)["header"] == "error"  # Language says Dari, folder says Pashto


@pytest.mark.parametrize("damage, line", [
    (lambda t: t + 'msgid "x"\nmsgstr "سلام\n', 13),                      # unterminated: its own line
    (lambda t: t + 'msgid "x"\nmsgstr "a\\qb"\n', 13),                    # bad escape
    (lambda t: t + 'msgid "a"\nmsgstr "دوباره"\n', 12),                   # duplicate msgid
    (lambda t: t[: len(t) - 8], 10),                                      # cut off mid-save
])
def test_files_that_polib_misreads_are_caught_with_their_line(tmp_path, damage, line):
    path = catalog(tmp_path, entry("a", "ب"))
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    found = [f for f in check_paths([path]) if f.severity == "error"]
    assert found, "no error"
    assert any(f.line == line for f in found), [str(f) for f in found]


def test_bom_and_bad_encoding(tmp_path):
    path = catalog(tmp_path, entry("a", "ب"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert codes(path)["bom"] == "error"
    path.write_bytes(path.read_bytes()[3:].replace("ب".encode(), b"\xff"))
    assert [(f.code, f.line) for f in check_paths([path])][0] == ("encoding", 10)


def test_real_world_catalogs_are_read_without_crashing(tmp_path):
    body = ('#, fuzzy\nmsgctxt "menu"\nmsgid "File"\nmsgstr "فایل"\n\n'
            'msgid "one file"\nmsgid_plural "%d files"\nmsgstr[0] "یک فایل"\nmsgstr[1] "%d فایل"\n\n'
            '#~ msgid "Old"\n#~ msgstr "کهنه"\n')
    path = catalog(tmp_path, body)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    found = check_paths([path])
    assert [f for f in found if f.severity == "error"] == [], [str(f) for f in found]
    plural = catalog(tmp_path, 'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "یک"\n\n')
    assert codes(plural)["plural-count"] == "error"


def test_the_project_checks_clean_and_the_cli_exits_1_on_errors(tmp_path):
    from conftest import command

    root = Path(__file__).resolve().parent.parent
    ok = command("--root", str(root), "check")  # the project's every file (in this process: conftest.command)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = catalog(tmp_path / "translations", entry("In 2021.", "در سال ٢٠٢١."))
    (tmp_path / "manuscripts").mkdir()
    shutil.copytree(root / "styles", tmp_path / "styles")
    run = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(tmp_path), "check", str(bad)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1  # as the shell sees it
    assert "translations/fa_AF/LC_MESSAGES/t.po:10: error: arabic-indic-digits:" in run.stdout  # the msgstr line


def test_characters_no_pdf_font_has_are_flagged_with_their_line(tmp_path):
    """The PDFs draw only with the house faces and fonts.toml's print_fallback: Devanagari
    has no face there (a box in the PDF); Cyrillic, arithmetic signs, Dari with ZWNJ and
    Pashto's own letters do."""
    from editions.render.assets import printable

    root = Path(__file__).resolve().parent.parent
    chars = printable(root)
    assert chars is not None and {ord(c) for c in "ښګډټړږڼېۍیک«»،؛؟۰۹Жж−≤∑"} <= chars
    path = catalog(tmp_path, entry("Delhi.", "دهلی (दिल्ली).") + entry("Moscow.", "مسکو (Москва) می‌رود."))
    found = [f for f in check_paths([path], printable=chars) if f.code == "no-glyph"]
    assert [(f.line, f.severity) for f in found] == [(10, "warning")]  # the msgstr line
    assert "द (U+0926)" in found[0].message
    assert not [f for f in check_paths([path]) if f.code == "no-glyph"]  # unknown fonts: not judged


BROKEN = [  # (msgid, msgstr): each a mistake check calls an error
    ("See [the report](https://x.org/r).", "ببینید [گزارش](https://evil.example/)."),
    ("Read [the report](https://x.org/r).", "بخوانید گزارش."),
    ("**Lead:** text", "سرخط: متن"),
    ("It is bold.", "این <b>پررنگ</b> است."),
    ("Since 2021.", "از سال ٢٠٢١."),
    ("He will go.", "او خواهد رفت و يك"),
    ("Deaths rose.[^1]", "مرگ‌ها بیشتر شد."),
    ("In 2021 and 2022.", "در سال ۲۰۲۱."),
    ("Right.", "درست\u202e.تسرد"),
]


def test_check_status_and_build_judge_a_catalog_alike(tmp_path):
    """One validator: check's errors, the entries the build holds back (catalog.translations,
    what build and status call) — the same lines, the same words — over a corpus."""
    from editions import catalog as catalog_mod
    from editions.build import Project
    from editions.status import rows

    body = "".join(entry(i, s) for i, s in BROKEN) + entry("Fine.", "خوب.")
    root = tmp_path / "p"
    path = catalog(root / "translations", body)
    found = {(f.line, f"{f.code}: {f.message}") for f in check_paths([path]) if f.severity == "error"}
    problems = []
    table = check.translations(catalog_mod.load(path), path, problems)
    held = {(p.line, p.message.removesuffix(" (entry not published)")) for p in problems}
    assert found == held and len({line for line, _ in found}) == len(BROKEN)
    assert table == {"Fine.": "خوب."}
    (root / "manuscripts").mkdir()
    (root / "manuscripts" / "t.md").write_text("---\nslug: t\ntitle: T\nauthor: A\ndate: 2026-01-01\n---\n\nFine.\n")
    row = next(r for r in rows(Project(root), ["t"])[0] if r.language == "fa-AF")
    assert not row.publishable and f"{len(BROKEN)} with errors" in row.note


@pytest.mark.parametrize("body", [
    'msgid "A"\nmsgstr "سلام\n\nmsgid "B"\nmsgstr "ب"\n',        # unterminated (a writer killed mid-save)
    'msgid "A"\nmsgstr "الف"\n\nmsgid "A"\nmsgstr "دوباره"\n',    # a duplicate msgid
    'msgid "A"\nmsgstr "a\\qb"\n',                               # a bad escape
])
def test_a_broken_catalog_is_reported_at_the_same_line_by_check_and_build(tmp_path, body):
    from editions import catalog as catalog_mod
    from editions.errors import EditionsError

    path = catalog(tmp_path, body)
    with pytest.raises(EditionsError) as err:
        catalog_mod.load(path, tmp_path / "valid")  # the build's reading
    first = [f for f in check_paths([path]) if f.severity == "error"][0]
    assert first.line == err.value.line, (str(first), str(err.value))
