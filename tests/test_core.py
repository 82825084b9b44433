"""The build core's decisions, tested with a runner that renders nothing (the way Sphinx
tests its incremental logic with a dummy builder), and its shape: read → plan → run →
publish, no import cycles, an executor that knows no format, one build per edit."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import polib
import pytest

from conftest import ALL, SLUG, Recorder, copy_project, write_manuscript
from editions import executor, inputs, serve, unchanged
from editions.build import Options, Project, Report, build
from editions.state import Files

SRC = Path(__file__).resolve().parent.parent / "src" / "editions"


def recorded(root: Path, **kw) -> tuple[list, object]:
    runner = Recorder()
    report = build(Project(root), runner=runner, **kw)
    return sorted((slug, tag) for slug, tag, _ in runner.built), report


def first_build(root: Path) -> Path:
    """The project copied to `root` and built (nothing rendered)."""
    copy_project(root)
    jobs, report = recorded(root)
    assert jobs == [(SLUG, "en"), (SLUG, "fa-AF"), (SLUG, "ps-AF")] and not report.errors
    return root


@pytest.fixture(scope="module")
def once(tmp_path_factory) -> Path:
    """`first_build`, made once for the module: copied by `built`."""
    return first_build(tmp_path_factory.mktemp("core") / "p")


@pytest.fixture
def built(once, tmp_path) -> Path:
    """The project just built, each test its own: a copy of `once`, whose files' new
    stamps (inode, ctime) a no-op has recorded — as the build leaves its state — and
    with no picture of a run (unchanged.py), as a run that built leaves none. (Recorder's
    stand-in files name the project's folder, as real PDFs do: the copy has the first
    build's; a test that compares them with a rebuild's builds its own, `first_build`.)"""
    root = shutil.copytree(once, tmp_path / "p", symlinks=True)
    jobs, report = recorded(root)
    assert jobs == [] and report.unchanged == 3 and not report.errors
    (root / ".cache" / unchanged.NAME).unlink(missing_ok=True)  # (the copy's stamps are too recent for one, unless slow)
    return root


def test_nothing_changed_nothing_planned_nothing_read(built, monkeypatch):
    """A no-op plans nothing, starts no runner, parses no manuscript and reads no catalog."""
    def refuse(*a, **k):
        raise AssertionError("read on a no-op")

    monkeypatch.setattr(inputs, "_parse", refuse)
    monkeypatch.setattr("editions.catalog.load", refuse)
    monkeypatch.setattr(executor, "make", refuse)
    report = build(Project(built))
    assert (report.built, report.unchanged, report.planned) == (0, 3, 0) and not report.errors


def test_a_no_op_imports_no_renderer_and_no_extractor(built):
    """The command itself (not only build()): no process started, no renderer imported."""
    code = ("import sys\n"
            "started = []\n"
            "sys.addaudithook(lambda e, a: started.append(e) if e in ('os.fork', 'os.posix_spawn', 'os.exec',"
            " 'subprocess.Popen') else None)\n"
            "from editions import cli\n"
            f"code = cli.main(['--root', {str(built)!r}, 'build'])\n"
            "print(code, started, sorted(m for m in ('weasyprint', 'babel.messages.extract', 'polib', 'jinja2',"
            " 'editions.render.pdf', 'multiprocessing.pool', 'concurrent.futures.process') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "0 built, 3 unchanged" in out.stdout, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 [] []", out.stdout + out.stderr


def test_one_dari_catalog_plans_only_its_edition(built):
    path = Project(built).po(SLUG, "fa-AF")
    po = polib.pofile(str(path))
    entry = next(e for e in po if e.msgstr and not e.fuzzy and "«" not in e.msgstr and "[" not in e.msgstr)
    entry.msgstr = entry.msgstr.rstrip("،.؟") + "!"
    po.save(str(path))
    jobs, report = recorded(built)
    assert jobs == [(SLUG, "fa-AF")] and report.unchanged == 2


def test_a_manuscript_edit_plans_its_languages_a_style_edit_plans_all(built):
    ms = built / "manuscripts" / f"{SLUG}.md"
    ms.write_text(ms.read_text(encoding="utf-8") + "\nA new closing line.\n", encoding="utf-8")
    jobs, report = recorded(built)
    # English is rebuilt; the translations now lack a segment: held back, old editions stay
    assert jobs == [(SLUG, "en")] and report.skipped == 2
    css = built / "styles" / "sangar.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* tweak */\n", encoding="utf-8")
    jobs, _ = recorded(built)
    assert jobs == [(SLUG, "en")]  # (the held-back languages are still held back)
    ms.write_text(ms.read_text(encoding="utf-8").replace("\nA new closing line.\n", ""), encoding="utf-8")
    jobs, _ = recorded(built)
    assert jobs == [(SLUG, "en"), (SLUG, "fa-AF"), (SLUG, "ps-AF")]


def test_a_deleted_output_is_planned_again(built):
    (built / "dist" / SLUG / f"{SLUG}.ps-AF.pdf").unlink()
    jobs, _ = recorded(built)
    assert jobs == [(SLUG, "ps-AF")]


def test_a_file_rewritten_with_the_same_bytes_is_not_a_change(built):
    """stat says it changed; its digest says it did not: nothing is planned."""
    ms = built / "manuscripts" / f"{SLUG}.md"
    ms.write_bytes(ms.read_bytes())
    jobs, report = recorded(built)
    assert jobs == [] and report.unchanged == 3


def test_a_lost_state_rebuilds_but_changes_no_file(tmp_path):
    built = first_build(tmp_path / "p")
    before = {p: p.stat().st_mtime_ns for p in (built / "dist").rglob("*") if p.is_file()}
    (built / ".cache" / "state.json").unlink()
    jobs, _ = recorded(built)
    assert len(jobs) == 3  # nothing known: everything planned
    assert {p: p.stat().st_mtime_ns for p in before} == before  # …and written only where bytes differ


def test_a_no_op_writes_no_state_and_no_site_page(built, monkeypatch):
    """…and does not even serialize the state (the archive's largest file)."""
    def refuse(data):
        raise AssertionError("state serialized on a no-op")

    monkeypatch.setattr("editions.state._serialize", refuse)
    monkeypatch.setattr("editions.state.State.entries", refuse)  # the site's records: not even read
    state = built / ".cache" / "state.json"
    pages = [built / "dist" / "index.html", built / "dist" / "fa" / "index.html", state]
    before = [p.stat().st_mtime_ns for p in pages]
    jobs, report = recorded(built)
    assert jobs == [] and report.unchanged == 3
    assert [p.stat().st_mtime_ns for p in pages] == before


def test_site_pages_left_unwritten_by_an_interrupted_run_are_written_by_the_next(built, monkeypatch):
    """An edition written, then the run stops before the site's pages: the next run — in
    which nothing is left to build — still brings the front page in step."""
    from editions import build as build_mod

    path = Project(built).po(SLUG, "fa-AF")
    po = polib.pofile(str(path))
    title = po.find("This means that the cloud over the Taliban is getting darker every day.")
    title.msgstr = title.msgstr + " (ویرایش)"
    po.save(str(path))

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "write_site", stop)
    with pytest.raises(KeyboardInterrupt):
        build(Project(built), runner=Recorder(real=("html",)))
    front = built / "dist" / "fa" / "index.html"
    assert "(ویرایش)" not in front.read_text(encoding="utf-8")
    monkeypatch.undo()
    jobs, report = recorded(built)
    assert jobs == [] and not report.errors
    assert "(ویرایش)" in front.read_text(encoding="utf-8")


def settled(root: Path) -> object:
    """A run that changes nothing and leaves its picture (unchanged.py), once every file
    is older than what the picture trusts."""
    time.sleep(unchanged.RACY_NS / 1e9 + 0.05)
    jobs, report = recorded(root)
    assert jobs == [] and not report.errors and (root / ".cache" / unchanged.NAME).is_file()
    return report


def test_a_no_op_after_one_that_changed_nothing_reads_not_even_the_state(built, monkeypatch):
    first = settled(built)

    def refuse(*a, **k):
        raise AssertionError("read on a no-op")

    monkeypatch.setattr("editions.build.State.read", refuse)
    monkeypatch.setattr("editions.build.read", refuse)
    report = build(Project(built))
    assert (report.built, report.unchanged, report.skipped, report.planned) == (0, 3, 0, 0)
    assert report.lines == first.lines and not report.errors


def _same_size_edit(path: Path) -> None:
    """A translation changed in place, the file's size kept: only its times tell."""
    text = path.read_text(encoding="utf-8")
    assert "داعش" in text
    path.write_text(text.replace("داعش", "داعس", 1), encoding="utf-8")  # (ش, س: two bytes each)


CHANGES = {
    "a catalog edited in place": (lambda r: _same_size_edit(Project(r).po(SLUG, "fa-AF")),
                                  lambda jobs, rep, r: jobs == [(SLUG, "fa-AF")]),
    "a manuscript added": (lambda r: write_manuscript(r, "new-piece", "A short piece."),
                           lambda jobs, rep, r: jobs == [("new-piece", "en")]),
    "an edition deleted": (lambda r: (r / "dist" / SLUG / f"{SLUG}.ps-AF.pdf").unlink(),
                           lambda jobs, rep, r: jobs == [(SLUG, "ps-AF")]),
    "a stray file in an article's folder": (lambda r: (r / "dist" / SLUG / "stray.txt").write_text("x"),
                                            lambda jobs, rep, r: f"removed dist/{SLUG}/stray.txt" in rep.lines),
    "a site page deleted": (lambda r: (r / "dist" / "fa" / "index.html").unlink(),
                            lambda jobs, rep, r: (r / "dist" / "fa" / "index.html").is_file()),
    "a style edited": (lambda r: (r / "styles" / "sangar.css").open("a").write("/* tweak */\n"),
                       lambda jobs, rep, r: len(jobs) == 3),
    "a catalog made where none was": (
        lambda r: (r / "translations" / "en" / "LC_MESSAGES").mkdir(parents=True) or
        (r / "translations" / "en" / "LC_MESSAGES" / "messages.po").write_text('msgid ""\nmsgstr ""\n'),
        lambda jobs, rep, r: jobs == [] and not rep.errors),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_since_the_picture_sends_the_build_the_whole_way(built, monkeypatch, change):
    make, outcome = CHANGES[change]
    settled(built)
    answers = []
    replay = unchanged.replay
    monkeypatch.setattr(unchanged, "replay", lambda *a: answers.append(replay(*a)) or answers[-1])
    make(built)
    jobs, report = recorded(built)
    assert answers == [False] and outcome(jobs, report, built), (answers, jobs, report.lines)


@pytest.mark.parametrize("change", ["a catalog edited in place", "a style edited", "an edition deleted"])
def test_the_picture_by_chunks_sees_a_change_in_any_and_stops_at_a_catalogs(built, monkeypatch, change):
    """The picture's stamps are kept as digests of chunks, catalogs and manuscripts first:
    a change in the last chunk is seen as one in the first, and a translator's edit is
    found without a look at the rest."""
    monkeypatch.setattr(unchanged, "CHUNK", 4)
    make, outcome = CHANGES[change]
    settled(built)
    paths = __import__("json").loads((built / ".cache" / unchanged.NAME).read_text(encoding="utf-8"))["paths"]
    assert len(paths) > 8 * unchanged.CHUNK and paths[0].startswith(unchanged.EDITED)
    looked = []
    stamp = unchanged._stamp
    monkeypatch.setattr(unchanged, "_stamp", lambda path: looked.append(path) or stamp(path))
    make(built)
    assert unchanged.replay(Project(built), Options.of(), Report()) is False
    if change == "a catalog edited in place":
        assert len(looked) <= 2 * unchanged.CHUNK
    looked.clear()
    jobs, report = recorded(built)
    assert outcome(jobs, report, built), (jobs, report.lines)


def test_asked_otherwise_the_build_goes_the_whole_way(built):
    settled(built)
    jobs, report = recorded(built, langs=["fa-AF"])
    assert jobs == [] and report.unchanged == 1  # (the picture's answer was 3)


def test_a_change_made_while_a_run_reads_is_not_taken_as_seen(built, monkeypatch):
    """The run read the catalog before it changed: whatever picture it keeps is of the
    catalog it read, and the next run builds the change."""
    from editions import build as build_mod

    settled(built)
    real = build_mod.plan

    def plan_then_edit(*a, **k):
        out = real(*a, **k)
        _same_size_edit(Project(built).po(SLUG, "fa-AF"))
        return out

    monkeypatch.setattr(build_mod, "plan", plan_then_edit)
    (built / ".cache" / unchanged.NAME).unlink()  # (else the run answers from it and plans nothing)
    jobs, _ = recorded(built)
    assert jobs == []
    monkeypatch.undo()
    jobs, _ = recorded(built)
    assert jobs == [(SLUG, "fa-AF")]


def test_no_picture_of_what_changed_just_before_the_run_or_of_a_run_with_errors(built, monkeypatch):
    (built / "manuscripts" / "notes.txt").write_text("not an article")  # manuscripts/ changed just now
    monkeypatch.setattr(unchanged, "RACY_NS", 3600 * 10**9)  # ("just now", however slow this machine is)
    jobs, report = recorded(built)
    assert jobs == [] and not report.errors and not (built / ".cache" / unchanged.NAME).exists()
    monkeypatch.undo()
    settled(built)  # (the same, once older)
    po = Project(built).po(SLUG, "ps-AF")
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "x"\nmsgstr "y\n', encoding="utf-8")
    for _ in range(2):  # (the second run finds the state as the first left it: it writes nothing)
        time.sleep(unchanged.RACY_NS / 1e9 + 0.05)
        jobs, report = recorded(built)
        assert report.errors and not (built / ".cache" / unchanged.NAME).exists()


def test_a_missing_file_is_covered_only_by_a_watched_folder(built, tmp_path):
    """A file the run looked for and did not find: its coming shows in the times of the
    folder it would be made in, or of the first parent of that which exists — only if that
    folder is watched (else the run keeps no picture)."""
    watch = unchanged.Watch(Project(built), None)
    root = str(built)
    assert watch._covers(root, str(built / "translations" / "en" / "LC_MESSAGES"))  # → translations/
    assert watch._covers(root, str(built / "manuscripts" / "images"))
    (tmp_path / "elsewhere").mkdir()
    assert not watch._covers(root, str(tmp_path / "elsewhere" / "fonts"))  # → an unwatched folder


@pytest.mark.parametrize("notified", [True, False], ids=["inotify", "polling"])
def test_serve_builds_once_per_edit(built, monkeypatch, notified):
    """The build rewrites catalogs and templates: the watcher does not take that for an edit
    (told by the kernel, or polling)."""
    monkeypatch.setattr(serve, "NOTIFY", notified)
    builds: list[int] = []

    def rebuild(_changed):
        builds.append(1)
        build(Project(built), runner=Recorder())

    state, stop, ready = serve.State(), threading.Event(), threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(built, rebuild, state, stop, 0.05, ready), daemon=True)
    watcher.start()
    assert ready.wait(timeout=30)
    try:
        ms = built / "manuscripts" / f"{SLUG}.md"
        ms.write_text(ms.read_text(encoding="utf-8") + "\nAn added paragraph.\n", encoding="utf-8")
        for _ in range(600):
            if state.version:
                break
            stop.wait(0.05)
        stop.wait(1.0)  # twenty more looks at the sources: a second build would start here
        assert state.version == 1 and len(builds) == 1
        assert "An added paragraph." in Project(built).pot(SLUG).read_text(encoding="utf-8")
    finally:
        stop.set()
        watcher.join(timeout=30)


@pytest.mark.parametrize("notified", [True, False], ids=["inotify", "polling"])
def test_a_manuscript_saved_while_a_build_runs_is_built_next_wherever_the_project_is(tmp_path, notified):
    """What the build writes (translations/) is not an edit; a manuscript saved meanwhile
    is, and so is a catalog saved after the build wrote it — also in a project kept in a
    folder that happens to be called translations."""
    if notified and not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    root = copy_project(tmp_path / "translations" / "p")
    looker = serve.Notified(root) if notified else serve.Polling(root)
    stop = threading.Event()
    try:
        ms, po = root / "manuscripts" / f"{SLUG}.md", Project(root).po(SLUG, "fa-AF")
        rel = po.relative_to(root).as_posix()
        looker.building()
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # the build's own write,
        files = Files(root, {})
        files.digest(rel)  # as its record of the file says
        time.sleep(0.05)
        looker.built(files)
        assert not looker.wait(_stopping_after(stop, 0.3), 0.05)  # not an edit
        stop.clear()
        looker.building()
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        files = Files(root, {})
        files.digest(rel)
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a translator's save after it
        time.sleep(0.05)
        looker.built(files)
        assert looker.wait(_stopping_after(stop, 5), 0.05)  # built next
        stop.clear()
        looker.building()
        ms.write_text(ms.read_text(encoding="utf-8") + "\nA line saved meanwhile.\n", encoding="utf-8")
        time.sleep(0.05)
        looker.built()
        assert looker.wait(_stopping_after(stop, 5), 0.05)  # built next
    finally:
        stop.set()
        looker.close()


def test_an_idle_watcher_looks_at_nothing_and_is_told_of_new_folders_not_of_swap_files(built, monkeypatch):
    """With inotify, a watcher that waits reads no folder and stats no file (a 1,000-article
    archive cost ~8 % of a core polled); a catalog in a language folder made after it
    started is seen, an editor's hidden swap file is not a change. Without inotify (not
    Linux, no watch left) it polls."""
    if not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    looker = serve._looker(built)
    looker.close()
    assert isinstance(looker, serve.Notified)
    looks = []
    scandir = serve.os.scandir
    monkeypatch.setattr(serve, "sources_stamp", lambda root: looks.append("stamp") or ())
    notified = serve.Notified(built)
    monkeypatch.setattr(serve.os, "scandir", lambda path: looks.append(path) or scandir(path))
    stop = threading.Event()
    try:
        (built / "manuscripts" / f".{SLUG}.md.swp").write_text("x", encoding="utf-8")
        assert notified._changes(0.2) == [] and looks == []
        assert not notified.wait(_stopping_after(stop, 0.3), 0.05) and looks == []
        folder = built / "translations" / "uz_AF"
        folder.mkdir()
        assert notified._changes(1) == ["translations/uz_AF"]  # (now watched)
        (folder / "LC_MESSAGES").mkdir()
        (folder / "LC_MESSAGES" / f"{SLUG}.po").write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
        changed = set()
        for _ in range(20):
            changed |= set(notified._changes(0.1))
        assert f"translations/uz_AF/LC_MESSAGES/{SLUG}.po" in changed, changed
    finally:
        notified.close()
    monkeypatch.setattr(serve.Notified, "__init__", lambda self, root: (_ for _ in ()).throw(OSError(28, "no watch left")))
    assert isinstance(serve._looker(built), serve.Polling)


def test_a_linked_manuscripts_folder_is_watched_as_polling_sees_it(built, tmp_path):
    """manuscripts/ may be a link to the editors' shared folder: its files are watched
    (polling lists them), as they were; a link to a folder inside it is not followed."""
    if not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    elsewhere = tmp_path / "shared-manuscripts"
    shutil.move(built / "manuscripts", elsewhere)
    (built / "manuscripts").symlink_to(elsewhere)
    notified = serve.Notified(built)
    try:
        ms = built / "manuscripts" / f"{SLUG}.md"
        ms.write_text(ms.read_text(encoding="utf-8") + "\nA line.\n", encoding="utf-8")
        changed = set()
        for _ in range(20):
            changed |= set(notified._changes(0.1))
        assert f"manuscripts/{SLUG}.md" in changed, changed
        assert any(path.endswith(f"/{SLUG}.md") for path, *_ in serve.sources_stamp(built))
    finally:
        notified.close()


def test_an_edit_of_one_articles_own_files_names_it_and_anything_else_names_none(built):
    """serve rebuilds only the articles whose own files changed (their manuscript, template,
    catalogs); a style, an image, the interface's words, a manuscript gone, a language the
    project does not have, a folder, or changes not known (None): the whole project."""
    project = Project(built)
    po = f"translations/fa_AF/LC_MESSAGES/{SLUG}.po"
    assert serve.articles(project, {po}) == [SLUG]
    assert serve.articles(project, {f"manuscripts/{SLUG}.md", f"translations/{SLUG}.pot", po,
                                    f"translations/ps_AF/LC_MESSAGES/{SLUG}.po",
                                    f"translations/fa_AF/LC_MESSAGES/{SLUG}.po~"}) == [SLUG]  # (a backup: none of the build's)
    for other in ("styles/sangar.css", "styles/templates/edition.html", "translations/fa_AF/LC_MESSAGES/messages.po",
                  "translations/messages.pot", "manuscripts/images/photo.jpg", "manuscripts/gone.md",
                  f"translations/de_DE/LC_MESSAGES/{SLUG}.po", "translations/fa_AF/LC_MESSAGES", "translations",
                  "manuscripts", f"manuscripts/{SLUG}.txt", f"translations/fa_AF/{SLUG}.po"):
        assert serve.articles(project, {po, other}) is None, other
    assert serve.articles(project, None) is None and serve.articles(project, set()) is None
    assert serve.articles(project, {f"translations/fa_AF/LC_MESSAGES/{SLUG}.po~"}) is None  # nothing of the build's


def test_the_kernel_names_what_changed_and_an_edit_saved_during_a_build_is_named_next(built):
    """With inotify, `building()` gives the paths saved since the last build began; an edit
    saved while a build runs is given to the next one; an overflowed queue gives None."""
    if not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    looker, stop = serve.Notified(built), threading.Event()
    project = Project(built)
    try:
        po, ms = project.po(SLUG, "fa-AF"), built / "manuscripts" / f"{SLUG}.md"
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert looker.wait(_stopping_after(stop, 5), 0.05)
        stop.clear()
        assert looker.building() == {f"translations/fa_AF/LC_MESSAGES/{SLUG}.po"}
        ms.write_text(ms.read_text(encoding="utf-8") + "\nA line saved meanwhile.\n", encoding="utf-8")
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # (as the build writes it)
        looker.built()
        assert looker.wait(_stopping_after(stop, 5), 0.05)
        assert looker.building() == {f"manuscripts/{SLUG}.md"}
        looker._note(["*"])
        assert looker.building() is None and looker.building() == set()
    finally:
        stop.set()
        looker.close()


def test_a_build_of_the_edited_articles_alone_leaves_what_a_whole_build_would(tmp_path):
    """What serve builds after an edit of some articles' own files: those articles, and
    the site's pages and index from every edition. A whole build after it finds nothing
    to do and changes no byte of dist/, the catalogs or the state."""
    root = copy_project(tmp_path / "p", slugs=ALL)
    assert len(ALL) == 2 and not recorded(root)[1].errors
    other = next(s for s in ALL if s != SLUG)
    po = polib.pofile(str(Project(root).po(SLUG, "fa-AF")))
    entry = next(e for e in po if e.msgstr and not e.obsolete and e.msgid.startswith("**Targeting"))
    entry.msgstr += " (ویرایش)"
    po.save()
    ms = root / "manuscripts" / f"{other}.md"
    ms.write_text(ms.read_text(encoding="utf-8") + "\nA paragraph added by the editor.\n", encoding="utf-8")
    slugs = serve.articles(Project(root), {f"translations/fa_AF/LC_MESSAGES/{SLUG}.po", f"manuscripts/{other}.md"})
    assert slugs == sorted(ALL)
    jobs, report = recorded(root, slugs=slugs)
    assert (SLUG, "fa-AF") in jobs and (SLUG, "en") not in jobs and (other, "en") in jobs and not report.errors
    watched = [p for p in sorted(root.rglob("*")) if p.is_file() and ".cache/search" not in p.as_posix()
               and p.name != unchanged.NAME]
    before = {p: p.read_bytes() for p in watched}
    jobs, report = recorded(root)
    assert jobs == [] and report.built == 0 and not report.errors, report.lines
    after = {p: p.read_bytes() for p in watched}
    assert [p.relative_to(root).as_posix() for p in watched if before[p] != after[p]] == []


def test_a_catalog_saved_again_just_after_its_merge_read_it_is_built_by_the_next_run(built, monkeypatch):
    """A catalog is recorded by the digest it was found changed by, unless the merge wrote
    it: a translator's next save, made just after the merge read the file, is not taken as
    built (it was not): the next run merges and builds it."""
    from editions import update

    po = Project(built).po(SLUG, "fa-AF")
    text = po.read_text(encoding="utf-8")
    first, second = (text.replace("واقعیت‌های موجود", f"واقعیت‌های {word}", 1) for word in ("کنونی", "تازه"))
    assert text != first != second != text
    po.write_text(first, encoding="utf-8")
    real, saved = update.catalog.load, []

    def load(path, *args, **kw):
        got = real(path, *args, **kw)
        if Path(path) == po and not saved:  # the translator saves again, just after the merge read the file
            saved.append(po.write_text(second, encoding="utf-8"))
        return got

    monkeypatch.setattr(update.catalog, "load", load)
    jobs, report = recorded(built)
    assert saved and jobs == [(SLUG, "fa-AF")] and not report.errors
    monkeypatch.undo()
    assert po.read_text(encoding="utf-8") == second  # (not written over by the merge)
    jobs, report = recorded(built)
    assert jobs == [(SLUG, "fa-AF")] and not report.errors


def test_a_catalog_saved_while_the_build_merges_it_is_not_written_over(built, monkeypatch):
    """A translator's save that lands while the build merges that catalog (after it read
    it, before it writes the merged one) is kept as saved, said, and merged by the next run:
    the new segment comes in beside the translator's word."""
    from editions import update

    ms = built / "manuscripts" / f"{SLUG}.md"
    ms.write_text(ms.read_text(encoding="utf-8") + "\nA paragraph added by the editor.\n", encoding="utf-8")
    po = Project(built).po(SLUG, "fa-AF")
    theirs = po.read_text(encoding="utf-8").replace("واقعیت‌های موجود", "واقعیت‌های کنونی", 1)
    real, saved = update.catalog.merge, []

    def merge(old, pot, *args, **kw):
        merged = real(old, pot, *args, **kw)
        if args[-1] == Project.po_rel(SLUG, "fa-AF") and not saved:  # meanwhile, in Poedit: Ctrl-S
            saved.append(po.write_text(theirs, encoding="utf-8"))
        return merged

    monkeypatch.setattr(update.catalog, "merge", merge)
    jobs, report = recorded(built)
    assert saved and po.read_text(encoding="utf-8") == theirs, "the translator's save was written over"
    assert f"{Project.po_rel(SLUG, 'fa-AF')}: saved while it was being merged: left as it was saved, " \
           "to be merged again" in report.lines, report.lines
    assert f"updated {Project.po_rel(SLUG, 'ps-AF')}" in report.lines and not report.errors
    monkeypatch.undo()
    jobs, report = recorded(built)
    text = po.read_text(encoding="utf-8")
    assert "A paragraph added by the editor." in text and "واقعیت‌های کنونی" in text
    assert f"updated {Project.po_rel(SLUG, 'fa-AF')}" in report.lines and not report.errors


def test_a_catalog_that_appears_while_the_build_makes_it_is_not_written_over(built, monkeypatch):
    """A new article's catalog that a translator puts in place while the build makes it (one
    prepared offline, or brought by a pull) is left as they put it."""
    from editions import update

    write_manuscript(built, "fresh-piece", "A first paragraph.")
    po = Project(built).po("fresh-piece", "fa-AF")
    theirs = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    real = update.catalog.merge

    def merge(old, pot, *args, **kw):
        if args[-1] == Project.po_rel("fresh-piece", "fa-AF") and not po.exists():
            po.parent.mkdir(parents=True, exist_ok=True)
            po.write_text(theirs, encoding="utf-8")  # it appears meanwhile
        return real(old, pot, *args, **kw)

    monkeypatch.setattr(update.catalog, "merge", merge)
    report = recorded(built)[1]
    assert po.read_text(encoding="utf-8") == theirs
    assert any(line.startswith(f"{Project.po_rel('fresh-piece', 'fa-AF')}: saved while it was being merged")
               for line in report.lines), report.lines


def test_a_catalog_saved_just_after_the_merge_wrote_it_is_built_by_the_next_run(built, monkeypatch):
    """A written catalog is recorded as the merge wrote it (its bytes, its stamp right
    after), not as the file is once the whole merge is done: a translator's save in between
    — here one that translates the new segment — is built by the next run."""
    from editions import update

    ms = built / "manuscripts" / f"{SLUG}.md"
    ms.write_text(ms.read_text(encoding="utf-8") + "\nA paragraph added by the editor.\n", encoding="utf-8")
    po = Project(built).po(SLUG, "fa-AF")
    real, saved = update.published, []

    def published(catalog, path, name):
        if Path(path) == po and not saved:  # the merge has written it; the translator fills the new segment in
            theirs = polib.pofile(str(po))
            theirs.find("A paragraph added by the editor.").msgstr = "بندی که ویراستار افزود."
            saved.append(theirs.save())
        return real(catalog, path, name)

    monkeypatch.setattr(update, "published", published)
    jobs, report = recorded(built)
    assert saved and f"updated {Project.po_rel(SLUG, 'fa-AF')}" in report.lines
    assert (SLUG, "fa-AF") not in jobs  # (built from the merged catalog: the new segment untranslated)
    monkeypatch.undo()
    jobs, report = recorded(built)
    assert (SLUG, "fa-AF") in jobs and not report.errors, report.lines


def test_a_run_answered_by_the_picture_takes_every_catalog_changed_meanwhile_for_a_save(built, monkeypatch):
    """A run that the picture answers (unchanged.py) reads and writes nothing: a catalog
    that changed while it ran is a translator's save to serve, not the build's own write."""
    settled(built)
    answers = []
    replay = unchanged.replay
    monkeypatch.setattr(unchanged, "replay", lambda *a: answers.append(replay(*a)) or answers[-1])
    report = recorded(built)[1]
    assert answers == [True]
    assert serve._saved_meanwhile(built, Project.po_rel(SLUG, "fa-AF"), report.files)


def test_the_interface_template_a_build_wrote_is_taken_for_its_own_write(built):
    """A build that writes translations/messages.pot (a template gained a word) records it
    as written: serve does not take it for a translator's save; a catalog saved after the
    build it does."""
    parts = built / "styles" / "templates" / "_parts.html"
    parts.write_text(parts.read_text(encoding="utf-8") + '\n{{ _("A new word of the interface") }}\n', encoding="utf-8")
    report = build(Project(built), runner=Recorder())
    assert "wrote translations/messages.pot" in report.lines, report.lines
    assert not serve._saved_meanwhile(built, "translations/messages.pot", report.files)
    po = Project(built).po(SLUG, "fa-AF")
    po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert serve._saved_meanwhile(built, Project.po_rel(SLUG, "fa-AF"), report.files)
    gone = Project.po_rel(SLUG, "ps-AF")
    (built / gone).unlink()  # removed after the build read it, or (a build of another article) after the last knew it
    assert serve._saved_meanwhile(built, gone, report.files)
    assert serve._saved_meanwhile(built, gone, Files(built, {gone: report.files.known[gone]}))
    assert not serve._saved_meanwhile(built, gone, Files(built, {}))  # (never there for any build)


@pytest.mark.parametrize("notified", [True, False], ids=["inotify", "polling"])
def test_what_is_saved_during_serves_first_build_is_built_next(built, monkeypatch, notified):
    """serve's first build runs once the sources are watched: a manuscript saved while it
    runs is built right after it (with inotify, named: that article alone)."""
    monkeypatch.setattr(serve, "NOTIFY", notified)
    ms, calls = built / "manuscripts" / f"{SLUG}.md", []

    def rebuild(changed):
        calls.append(changed)
        if len(calls) == 1:
            ms.write_text(ms.read_text(encoding="utf-8") + "\nSaved during the first build.\n", encoding="utf-8")

    state, stop, ready = serve.State(), threading.Event(), threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(built, rebuild, state, stop, 0.05, ready, True), daemon=True)
    watcher.start()
    try:
        assert ready.wait(timeout=30) and calls == [None]  # (ready once the first build is done)
        for _ in range(600):
            if len(calls) > 1:
                break
            stop.wait(0.05)
        assert calls[1:] == [{f"manuscripts/{SLUG}.md"} if notified else None]
    finally:
        stop.set()
        watcher.join(timeout=30)


def _stopping_after(stop: threading.Event, seconds: float) -> threading.Event:
    threading.Timer(seconds, stop.set).start()
    return stop


def test_no_module_imports_one_that_imports_it():
    graph = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(("editions", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = name.split(".")[: -node.level] if not path.name == "__init__.py" else name.split(".")
                target = ".".join(base + ([node.module] if node.module else []))
                graph[name] |= {target} | {f"{target}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name.startswith("editions")}
    graph = {k: {t for t in v if t in graph and t != k} for k, v in graph.items()}

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(t == goal or (t not in seen and not seen.add(t) and reaches(t, goal, seen)) for t in graph[start])

    cycles = sorted(f"{a} ⇄ {b}" for a in graph for b in graph[a] if reaches(b, a, set()))
    assert not cycles


def test_the_executor_knows_no_format():
    words = {w.lower() for w in __import__("re").findall(r"[A-Za-z]+", (SRC / "executor.py").read_text())}
    assert not words & {"pdf", "epub", "html", "weasyprint", "pandoc"}


def test_an_edition_without_a_figure_gets_a_social_card_pruned_with_it(built):
    cards = built / "dist" / "assets" / "cards"
    assert sorted(p.name for p in cards.iterdir()) == [f"{SLUG}.{tag}.png" for tag in ("en", "fa-AF", "ps-AF")]
    assert (cards / f"{SLUG}.fa-AF.png").read_bytes().startswith(b"\x89PNG")
    (built / "manuscripts" / f"{SLUG}.md").unlink()
    _, report = recorded(built)
    assert not cards.exists() or not list(cards.iterdir())
    assert f"removed dist/assets/cards/{SLUG}.fa-AF.png" in report.lines


def test_the_lock_walk_skips_article_folders_unless_a_run_was_killed(built):
    """Temporaries are only ever left by a killed run: an archive's article folders are
    walked for them only then. Linked folders are refused either way."""
    from editions import fsutil
    from editions.errors import EditionsError

    left = built / "dist" / SLUG / f".{SLUG}.fa-AF.pdf.x1.tmp"
    left.write_bytes(b"half")
    assert fsutil.check_and_sweep(built, everywhere=False) == [] and left.exists()
    assert fsutil.check_and_sweep(built, everywhere=True) == [left] and not left.exists()
    lock = built / fsutil.LOCK_NAME
    left.write_bytes(b"half")
    lock.write_text("pid 999999".ljust(32))  # as a killed run leaves it
    with fsutil.project_lock(built, say=lambda line: None):
        assert not left.exists()
    for folder in (built / "dist" / "assets" / "linked", built / "dist" / SLUG / "linked"):
        folder.symlink_to(built / "manuscripts")
        for everywhere in (False, True):
            if folder.parent.name == SLUG and not everywhere:
                continue  # never written through: not looked at
            with pytest.raises(EditionsError, match="symbolic link"):
                fsutil.check_and_sweep(built, everywhere=everywhere)
        folder.unlink()


def test_a_rebuild_holds_one_articles_manuscript_and_catalogs_at_a_time(tmp_path, monkeypatch):
    """Memory flat with the archive's size: after an article's editions are made, its
    parsed manuscript and loaded catalogs are let go."""
    from conftest import ALL

    root = copy_project(tmp_path / "p", slugs=ALL)
    assert recorded(root)[0]
    css = root / "styles" / "sangar.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* restyled */\n", encoding="utf-8")
    held: list[tuple[int, int]] = []
    manuscript = inputs.Inputs.manuscript

    def spy(self, slug):
        held.append((len(self.manuscripts), len([k for k in self.published if k[0] != inputs.UI])))
        return manuscript(self, slug)

    monkeypatch.setattr(inputs.Inputs, "manuscript", spy)
    jobs, _ = recorded(root)
    assert len(jobs) == 6 and held
    assert max(m for m, _ in held) <= 1 and max(c for _, c in held) <= 2, held


def test_a_large_first_build_reads_its_articles_a_chunk_at_a_time(tmp_path, monkeypatch):
    """An archive's first build: CHUNK articles parsed, templated and merged at a time,
    then let go (memory flat with the archive); the editions are the same bytes."""
    from conftest import ALL

    whole = copy_project(tmp_path / "whole", slugs=ALL)
    build(Project(whole), runner=Recorder(real=("html",)))
    chunked = copy_project(tmp_path / "chunked", slugs=ALL)
    monkeypatch.setattr(inputs, "CHUNK", 1)
    held: list[int] = []
    article = inputs._article

    def spy(inp, slug, report):
        held.append(len(inp.manuscripts) + len([k for k in inp.published if k[0] != inputs.UI]))
        return article(inp, slug, report)

    monkeypatch.setattr(inputs, "_article", spy)
    report = build(Project(chunked), runner=Recorder(real=("html",)))
    assert report.built == 6 and not report.errors and held == [1, 1], held
    for path in sorted((whole / "dist").rglob("*.html")):
        if path.parent.name in ALL:
            assert (chunked / "dist" / path.relative_to(whole / "dist")).read_bytes() == path.read_bytes(), path
    for po in sorted((whole / "translations").rglob("*.po")):
        assert (chunked / po.relative_to(whole)).read_bytes() == po.read_bytes(), po


def test_pandoc_is_the_pinned_binary_found_without_importing_pypandoc():
    """The pandoc pypandoc-binary ships (the version the digests name), without pypandoc's
    search, which runs `pandoc --version` for each candidate; PYPANDOC_PANDOC still rules."""
    probe = ("import sys; from editions import pandoc; b = pandoc.binary(); "
             "print(b, 'pypandoc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    path, imported = out.stdout.split()
    assert path.endswith("/pypandoc/files/pandoc") and Path(path).is_file() and imported == "False"
    import os
    env = {**os.environ, "PYPANDOC_PANDOC": path}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True, env=env)
    assert out.stdout.split() == [path, "True"]  # pypandoc's own search, told where


def test_templates_compiled_by_one_process_are_not_compiled_again_by_the_next(tmp_path, monkeypatch):
    import jinja2

    from editions.messages import UI
    from editions.render import html

    root = tmp_path / "p"
    (root / "styles").mkdir(parents=True)
    (root / "styles" / "templates").symlink_to(SRC.parent.parent / "styles" / "templates")
    html.environment(root, UI("en", {})).get_template("edition.html")
    assert list((root / ".cache" / "jinja").glob("*.code"))
    monkeypatch.setattr(html._COMPILED, "code", {})  # a new process: nothing compiled in memory
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda self, *a, **k: compiled.append(a) or real(self, *a, **k))
    html.environment(root, UI("fa-AF", {})).get_template("edition.html")
    assert compiled == []  # read from .cache/jinja
    monkeypatch.setattr(html._COMPILED, "code", {})
    for code in (root / ".cache" / "jinja").glob("*.code"):  # another version of Jinja, or a damaged file
        code.write_bytes(b"not what Jinja wrote")
    assert html.environment(root, UI("en", {})).get_template("edition.html").render
    assert compiled  # compiled again, not refused


def test_an_article_leaves_no_reference_cycles(tmp_path):
    """What the run does for each article — its manuscript loaded, its figures found, its
    catalogs checked, its editions translated — leaves nothing for Python's cycle collector: garbage in a cycle
    (a nested function that calls itself, with what it closes over: the manuscript, the
    catalog's table) lives until a full collection, and those come the more seldom the
    larger the build's state. An archive's first build held MBs of it under its peak."""
    import gc

    from conftest import ALL
    from editions import catalog, figures, translate, update

    root = copy_project(tmp_path / "p", slugs=ALL)
    project = Project(root)
    code = inputs._code(inputs.Files(root, {}))
    manuscripts = [inputs._parse(project, slug, code) for slug in ALL]
    catalogs = {(ms.slug, tag): catalog.load(project.po(ms.slug, tag)) for ms in manuscripts
                for tag in ("fa-AF", "ps-AF")}
    assert any(figures.sources(ms) for ms in manuscripts)  # (a figure, notes and a table among them)

    def each_article() -> None:
        for ms in manuscripts:
            inputs._parse(project, ms.slug, code)  # (from the parse cache, as the run loads it again)
            figures.sources(ms)
            for tag in ("en", "fa-AF", "ps-AF"):
                table = None if tag == ms.lang else update.published(
                    catalogs[(ms.slug, tag)], project.po(ms.slug, tag), ms.slug).table
                translate.edition(ms, tag, table)

    each_article()  # (what is made once per process, on first use, is not the articles')
    gc.collect()
    gc.disable()
    try:
        each_article()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_state_is_the_standard_librarys_json(built):
    """The state (orjson, for speed) is the JSON the standard library would write: sorted
    keys, compact, UTF-8 with the Dari and Pashto as they are — readable by anything."""
    import json

    from editions import state

    for name in ("state.json", "entries.json"):
        raw = (built / ".cache" / name).read_bytes()
        data = json.loads(raw.decode("utf-8"))
        assert raw == json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        assert state._serialize(data) == raw and state._loads(raw) == data
    assert "ی".encode("utf-8") in (built / ".cache" / "entries.json").read_bytes()  # not \\u06cc


def test_a_project_copied_elsewhere_parses_no_manuscript_again(tmp_path, monkeypatch):
    """The parse cache is keyed by the manuscript's bytes and its place in the project, not
    on the disk: a moved or copied project (a clone beside the old one, a renamed folder)
    reuses its parses — and they name the manuscript where it now is."""
    from editions import pandoc

    first = copy_project(tmp_path / "here", slugs=ALL)
    assert not build(Project(first), formats=["html"], runner=Recorder()).errors
    moved = shutil.copytree(first, tmp_path / "elsewhere" / "project", symlinks=True)
    shutil.rmtree(moved / "dist")
    ran = []
    real = pandoc.run
    monkeypatch.setattr(pandoc, "run", lambda *a: ran.append(a[1:3]) or real(*a))
    assert not build(Project(moved), formats=["html"], runner=Recorder()).errors
    assert ran == []  # (the Recorder renders no page: pandoc would only have parsed)
    ms = inputs._parse(Project(moved), SLUG, inputs._code(Files(moved, {})))
    assert ran == [] and ms.path == moved / "manuscripts" / f"{SLUG}.md"
