"""One reading of a PO file, the same as GNU's: for any catalog text, either the project
refuses it with a line, or it reads exactly the translations GNU msgfmt compiles."""
from __future__ import annotations

import shutil
import subprocess

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editions import catalog
from editions.errors import EditionsError

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext not installed")

HEAD = ('msgid ""\nmsgstr ""\n"Language: fa_AF\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n')
# Pieces of string content, as typed in a PO file: letters, escapes both readers share,
# escapes and characters they read differently, quotes and backslashes.
PIECES = st.sampled_from(["متن", "abc", " ", "\\n", "\\t", '\\"', "\\\\", "\\a", "\\101", "\\x41", "\\r",
                          "\u2028", "\u2029", "\u0085", "\u000b", "\u000c", "\u200c", "ی", "ټ", "«", "'", "%", "#",
                          '"', "\\", "\\\n"])
STRINGS = st.lists(PIECES, min_size=1, max_size=6).map("".join)
COMMENTS = st.sampled_from(["", "# reviewed\n", "#. note\n", "# a\u2028msgid \"Z\"\u2028msgstr \"x\"\n",
                            "#, fuzzy\n", "#~ msgid \"old\"\n#~ msgstr \"کهنه\"\n"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(COMMENTS, STRINGS), min_size=1, max_size=4))
def test_the_project_reads_a_catalog_as_gnu_msgfmt_does_or_refuses_it(tmp_path, entries):
    body = "".join(f'{comment}msgid "m{i}"\nmsgstr "{text}"\n\n' for i, (comment, text) in enumerate(entries))
    path = tmp_path / "fa_AF" / "LC_MESSAGES" / "t.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + body, encoding="utf-8")
    mo = tmp_path / "t.mo"
    gnu = subprocess.run(["msgfmt", "-o", str(mo), str(path)], capture_output=True, timeout=60)
    try:
        ours = catalog.load(path, tmp_path / "valid")
    except EditionsError as exc:
        assert exc.line is None or exc.line >= 1
        return  # refused, with its file (and line): never published
    assert gnu.returncode == 0, f"we read what GNU refuses: {gnu.stderr.decode()}"
    theirs = {e.msgid: e.msgstr for e in polib.mofile(str(mo)) if e.msgid}
    mine = {e.msgid: e.msgstr for e in ours if e.msgstr and not e.fuzzy and not e.obsolete}
    assert mine == theirs


LINE_STARTS = st.sampled_from(["", " ", "\t", "\u00a0", "#", "# ", "#~ ", "#|", "#, ", "#.", "#~", "msgid ", "msgstr ",
                               "msgstr[1] ", "msgid_plural\t", "#~ msgid ", "#| msgid ", "msgctxt ", "msgidx ", "#msgid "])
LINE_ENDS = st.sampled_from(["", " ", "\r", "\t", " x", '"', "\u3000"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LINE_STARTS, st.booleans(), STRINGS, LINE_ENDS), min_size=1, max_size=5))
def test_the_whole_text_check_accepts_only_what_the_line_by_line_scan_accepts(lines):
    """`scan` first tries one match over the whole text (catalog._PLAIN), then goes line by
    line: the quick check must never accept a file the line-by-line scan refuses."""
    text = "\n".join(start + (f'"{s}"' if quoted else s) + end for start, quoted, s, end in lines)
    if catalog.LINE_BREAKERS.search(text) or not catalog._PLAIN.fullmatch(text):
        return  # (refused before the quick check is tried; or not accepted by it)
    real, catalog._PLAIN = catalog._PLAIN, type("Never", (), {"fullmatch": staticmethod(lambda t: None)})
    try:
        catalog.scan(text, "t.po")  # raises EditionsError if the line-by-line scan refuses it
    finally:
        catalog._PLAIN = real
