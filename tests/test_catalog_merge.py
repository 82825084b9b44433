"""The merge against GNU msgmerge --previous, translation memory, layout, locking and a
property test: no sequence of edits ever loses a msgstr."""
from __future__ import annotations

import subprocess
import sys
import threading

import polib
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_manuscript
from editions import catalog, check
from editions.build import Project, Report, load_manuscripts, update
from editions.fsutil import project_lock
from editions.locale import LANGUAGES

FA = LANGUAGES["fa-AF"]
PARAS = [
    "The first paragraph talks about the weather in Kabul during the long winter months.",
    "A second paragraph describes the roads that close when the snow falls on the Salang pass.",
    "The third paragraph is about schools that stay shut for weeks in the mountain villages.",
    "Fourth: the electricity cuts that leave whole districts of the city in the dark.",
    "The fifth and last paragraph sums up what the winter costs the families of the capital.",
]


def pot_of(texts: list[str]) -> polib.POFile:
    pot = catalog.new_file()
    pot.metadata = {"POT-Creation-Date": "2026-11-24 00:00+0000", "Content-Type": "text/plain; charset=UTF-8"}
    for i, text in enumerate(texts):
        pot.append(polib.POEntry(msgid=text, msgstr="", occurrences=[("m.md", str(i + 1))]))
    return pot


def translated(texts: list[str]) -> polib.POFile:
    po = catalog.merge(None, pot_of(texts), FA)
    for e in po:
        e.msgstr = "ترجمه " + e.msgid
    return po


def sets(po: polib.POFile) -> tuple[set, set, set]:
    active = [e for e in po if not e.obsolete]
    return ({e.msgid for e in active if e.msgstr and not e.fuzzy},
            {e.msgid for e in active if e.fuzzy},
            {e.msgid for e in po.obsolete_entries()})


def test_same_outcome_as_gnu_msgmerge_previous(tmp_path):
    old = translated(PARAS)
    edited = [PARAS[0].replace("long winter", "long, hard winter"),  # edited → fuzzy
              PARAS[3],                                              # reordered → kept
              PARAS[1],
              "A brand new paragraph with nothing in common with anything said before here.",
              PARAS[4]]                                              # PARAS[2] removed → obsolete
    ours = catalog.merge(old, pot_of(edited), FA)
    old_path, pot_path = tmp_path / "old.po", tmp_path / "new.pot"
    old_path.write_text(catalog.serialize(old), encoding="utf-8")
    pot_path.write_text(catalog.serialize(pot_of(edited)), encoding="utf-8")
    subprocess.run(["msgmerge", "--quiet", "--previous", "-U", "--backup=off", str(old_path), str(pot_path)],
                   check=True, timeout=300)
    gnu = polib.pofile(str(old_path))
    assert sets(ours) == sets(gnu)
    fuzzy = ours.find(edited[0])
    assert fuzzy.previous_msgid == PARAS[0] == gnu.find(edited[0]).previous_msgid
    assert fuzzy.msgstr == "ترجمه " + PARAS[0]
    # and both agree again when the removed paragraph returns: revived, not fuzzy
    back = catalog.merge(ours, pot_of(PARAS), FA)
    assert back.find(PARAS[2]).msgstr == "ترجمه " + PARAS[2] and not back.find(PARAS[2]).fuzzy
    assert [e.msgid for e in back].count(PARAS[2]) == 1


def test_layout_is_gnu_gettexts(tmp_path):
    path = tmp_path / "x.po"
    path.write_text(catalog.serialize(translated(PARAS)), encoding="utf-8")
    resaved = subprocess.run(["msgcat", str(path)], capture_output=True, text=True, check=True, timeout=300).stdout
    assert resaved == path.read_text(encoding="utf-8")
    nowrap = subprocess.run(["msgcat", "--no-wrap", str(path)], capture_output=True, text=True, check=True, timeout=300).stdout
    assert nowrap != resaved  # a Poedit-style re-save really differs …
    assert catalog.serialize(polib.pofile(nowrap)) == resaved  # … and our next write undoes only that


def test_translation_memory_offers_earlier_work_as_fuzzy_with_its_source():
    memory = catalog.Memory.of([("translations/fa_AF/LC_MESSAGES/older.po", translated(PARAS[:2]))])
    po = catalog.merge(None, pot_of([PARAS[0], PARAS[1].replace("roads", "highways"), PARAS[2]]), FA,
                       memory, "translations/fa_AF/LC_MESSAGES/new.po")
    exact, close, none = po.find(PARAS[0]), po[1], po.find(PARAS[2])
    assert exact.fuzzy and exact.msgstr == "ترجمه " + PARAS[0]
    assert "older.po" in exact.tcomment and "exact match" in exact.tcomment
    assert close.fuzzy and close.msgstr == "ترجمه " + PARAS[1] and "% match" in close.tcomment
    assert close.previous_msgid == PARAS[1]
    assert none.msgstr == "" and not none.fuzzy


def test_translation_memory_across_real_catalogs(tiny):
    project = Project(tiny)
    report = Report()
    update(project, load_manuscripts(project, ["tiny"], report), report)
    po_path = project.po("tiny", "fa-AF")
    po = polib.pofile(str(po_path))
    for e in po:
        e.msgstr = "دری " + e.msgid
    po.save(str(po_path))
    write_manuscript(tiny, "second", "## A heading\n\nSomething else entirely, new to this outlet.")
    update(project, load_manuscripts(project, ["tiny", "second"], report), report)
    second = polib.pofile(str(project.po("second", "fa-AF")))
    hint = second.find("A heading")
    assert hint.msgstr == "دری A heading" and hint.fuzzy and "tiny.po" in hint.tcomment
    assert second.find("A title").msgstr == "دری A title"


def test_a_held_back_entry_is_named_at_its_line_in_the_catalog_as_written(tiny):
    """update merges in memory, then writes through msgcat (GNU's layout): an entry held
    back is reported at its msgstr's line in the file as written, not as it was read."""
    project = Project(tiny)
    report = Report()
    update(project, load_manuscripts(project, ["tiny"], report), report)
    po_path = project.po("tiny", "fa-AF")
    po = polib.pofile(str(po_path), wrapwidth=0)
    for e in po:
        e.msgstr = "دری " + e.msgid
    bad = next(e for e in po if e.msgid.startswith("First paragraph"))
    bad.msgstr = bad.msgstr.replace("دری", "دري")  # Arabic ي in Dari
    po.save(str(po_path))  # unwrapped: msgcat's layout puts every line elsewhere
    write_manuscript(tiny, "tiny", (tiny / "manuscripts" / "tiny.md").read_text(encoding="utf-8").split("---\n", 2)[2]
                     + "\nA paragraph the editor added.\n")
    report = Report()
    _, published = update(project, load_manuscripts(project, ["tiny"], report), report)
    written = po_path.read_text(encoding="utf-8")
    assert "A paragraph the editor added." in written
    problems = published[("tiny", "fa-AF")].problems
    assert len(problems) == 1 and "arabic-letters" in problems[0].message, problems
    line = written.split("\n")[problems[0].line - 1]
    assert line.startswith("msgstr") and "دري" in line, (problems[0].line, line)


def test_an_update_reads_each_catalog_once(tiny, monkeypatch):
    """The translation memory and the merge share what they read, and a catalog written
    without findings is not read back: one load per catalog (an archive's update spent two
    thirds of its time in polib before)."""
    project = Project(tiny)
    report = Report()
    update(project, load_manuscripts(project, ["tiny"], report), report)
    for slug in ("second", "third"):
        write_manuscript(tiny, slug, f"## A heading\n\nSomething new to this outlet about {slug}.")
    update(project, load_manuscripts(project, ["tiny", "second", "third"], report), report)
    for path in project.translations.rglob("*.po"):  # every catalog complete, nothing held back
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr, e.flags = "دری " + e.msgid if "fa_AF" in str(path) else "پښتو " + e.msgid, []
        po.save(str(path))
    for path in (tiny / "manuscripts").glob("*.md"):  # a new segment in every article: the memory is asked
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more line for every article.\n", encoding="utf-8")
    loads = []
    real = catalog.load
    monkeypatch.setattr(catalog, "load", lambda path, *a, **k: loads.append(path) or real(path, *a, **k))
    report = Report()
    _, published = update(project, load_manuscripts(project, ["tiny", "second", "third"], report), report)
    assert len(published) == 8 and not report.errors  # 3 articles × 2 languages, and the interface's 2
    assert sorted(map(str, loads)) == sorted(set(map(str, loads))) and len(loads) == 8, loads


def test_a_second_run_waits_for_the_lock(tiny):
    with project_lock(tiny):
        proc = subprocess.Popen([sys.executable, "-m", "editions.cli", "--root", str(tiny), "extract"],
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        dog = threading.Timer(120, proc.kill)  # (a run that never says it waits is killed, not read forever)
        dog.daemon = True
        dog.start()
        first = proc.stderr.readline()
        assert "waiting for the run holding" in first
        assert proc.poll() is None  # still waiting while we hold it
    assert proc.wait(timeout=60) == 0
    assert (tiny / "translations" / "tiny.pot").exists()


def test_stale_temp_files_are_swept(tiny):
    stale = tiny / "translations" / ".tiny.pot.abc123.tmp"
    stale.write_text("half")
    with project_lock(tiny):
        assert not stale.exists()


# Edits: ("edit", i) appends a word to paragraph i; ("drop", i); ("add", text); ("swap", i);
# ("restore",) brings back a paragraph that was dropped.
EDITS = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 20)),
    st.tuples(st.just("drop"), st.integers(0, 20)),
    st.tuples(st.just("add"), st.sampled_from(["Brand new words about the Hindu Kush and its passes.",
                                               "Another new paragraph on trade through Torkham.",
                                               "Short."])),
    st.tuples(st.just("swap"), st.integers(0, 20)),
    st.tuples(st.just("restore"), st.integers(0, 20)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(EDITS, min_size=1, max_size=8))
def test_no_sequence_of_edits_loses_a_translation(edits):
    texts = list(PARAS)
    po = translated(texts)
    originals = {e.msgstr for e in po}
    dropped: list[str] = []
    for op, arg in edits:
        if op == "edit" and texts:
            texts[arg % len(texts)] += " again"
        elif op == "drop" and texts:
            dropped.append(texts.pop(arg % len(texts)))
        elif op == "add" and arg not in texts:
            texts.append(arg)
        elif op == "swap" and len(texts) > 1:
            i = arg % (len(texts) - 1)
            texts[i], texts[i + 1] = texts[i + 1], texts[i]
        elif op == "restore" and dropped:
            back = dropped.pop(arg % len(dropped))
            if back not in texts:
                texts.append(back)
        po = catalog.merge(po, pot_of(list(dict.fromkeys(texts))), FA)
        po = polib.pofile(catalog.serialize(po))  # through the file format, as on disk
        kept = {e.msgstr for e in po} | {e.msgstr for e in po.obsolete_entries()}
        assert originals <= kept, (op, arg, originals - kept)
        assert [e.msgid for e in po if not e.obsolete] == list(dict.fromkeys(texts))


def test_a_fuzzy_entry_revived_from_obsolete_stays_fuzzy():
    dog, cat = PARAS[0], PARAS[0].replace("weather", "winds")
    po = catalog.merge(translated([dog]), pot_of([cat]), FA)       # edited → fuzzy, #| dog
    po = catalog.merge(po, pot_of([PARAS[1]]), FA)                  # replaced → #~ fuzzy
    back = catalog.merge(po, pot_of([cat]), FA).find(cat)           # returns
    assert back.fuzzy and back.previous_msgid == dog
    assert check.translations(catalog.merge(po, pot_of([cat]), FA)) == {}


def test_an_obsolete_twin_of_an_active_entry_is_not_written_twice():
    po = translated([PARAS[0]])
    twin = polib.POEntry(msgid=PARAS[0], msgstr="کهنه", obsolete=True)
    po.append(twin)
    merged = catalog.merge(po, pot_of([PARAS[0]]), FA)
    assert [e.msgid for e in merged].count(PARAS[0]) == 1
    polib.pofile(catalog.serialize(merged))  # msgcat accepted it


def test_an_entry_the_template_lacks_becomes_obsolete_and_is_written(tmp_path):
    """The stray entry is marked obsolete in the merged catalog — not in the old one too
    (which would make the two look the same, so the file was never rewritten)."""
    old = catalog.merge(None, pot_of(["Kept."]), FA)
    old.append(polib.POEntry(msgid="Stray.", msgstr="سرگردان", flags=["fuzzy"]))
    merged = catalog.merge(old, pot_of(["Kept."]), FA)
    assert [e.obsolete for e in merged if e.msgid == "Stray."] == [True]
    assert [e.obsolete for e in old if e.msgid == "Stray."] == [False]
    assert not catalog.same(merged, old)


def test_the_update_command_merges_without_checking_what_each_catalog_publishes(tiny, monkeypatch):
    """What a catalog publishes is the build's to find out (it checks every entry): the
    update command only merges and writes (half of an archive's update went to checks)."""
    from conftest import Recorder, command
    from editions.build import build

    checked = []
    real = check.translations
    monkeypatch.setattr(check, "translations", lambda *a, **k: checked.append(a) or real(*a, **k))
    done = command("--root", str(tiny), "update")
    assert done.returncode == 0, done.stderr
    assert (tiny / "translations" / "fa_AF" / "LC_MESSAGES" / "tiny.po").is_file() and checked == []
    assert not build(Project(tiny), formats=["html"], runner=Recorder()).errors and checked  # the build checks
