"""What is and is not rebuilt after each kind of change (no timings), and the Dask engine.

The rebuild decisions are judged with conftest.Recorder, a runner that renders nothing and
notes which editions the build handed it (HTML is rendered for real where a test reads a
page); the executors' own tests (parallel, queue, Dask, dying workers) render for real."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib
import pytest

from conftest import SLUG, Recorder, copy_project
from editions.build import Project, build
from editions.executor import Dask, Local

LANGS = ("en", "fa-AF", "ps-AF")


def stamps(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (root / "dist" / SLUG).iterdir()}


def run(root: Path, recorder: Recorder | None = None, **kw):
    """A build that renders nothing (or what `recorder` renders for real)."""
    return build(Project(root), runner=recorder or Recorder(), **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("inc"))
    report = run(root)
    assert report.built == 3 and not report.errors
    return root


def changed(before: dict, after: dict) -> set[str]:
    return {name for name in after if before.get(name) != after[name]}


def test_nothing_changed_nothing_rebuilt(built):
    before = stamps(built)
    report = run(built)
    assert (report.built, report.unchanged) == (0, 3)
    assert stamps(built) == before


def test_one_catalog_rebuilds_only_its_language(built):
    before = stamps(built)
    path = Project(built).po(SLUG, "ps-AF")
    po = polib.pofile(str(path))
    po[5].msgstr += " "  # a translator's fix
    po[5].msgstr = po[5].msgstr.strip() + "!"
    po.save(str(path))
    recorder = Recorder()
    report = run(built, recorder)
    assert (report.built, report.unchanged) == (1, 2)
    assert recorder.built == [(SLUG, "ps-AF", False)]
    assert changed(before, stamps(built)) <= {f"{SLUG}.ps-AF.{f}" for f in ("html", "pdf", "epub", "json")}
    assert f"{SLUG}.ps-AF.pdf" in changed(before, stamps(built))


def test_a_style_change_rebuilds_every_edition(built):
    css = built / "styles" / "print.css"
    css.write_text(css.read_text() + "\n/* tweak */\n")
    recorder = Recorder()
    assert run(built, recorder).built == 3
    assert sorted(recorder.built) == [(SLUG, tag, False) for tag in LANGS]


def test_a_ui_word_rebuilds_its_language(built):
    path = Project(built).po("messages", "fa-AF")
    po = polib.pofile(str(path))
    po.find("Download PDF").msgstr = "دریافت PDF"
    po.save(str(path))
    recorder = Recorder(real=("html",))
    report = run(built, recorder)
    assert report.built == 1 and recorder.built == [(SLUG, "fa-AF", False)]
    assert "دریافت PDF" in (built / "dist" / SLUG / f"{SLUG}.fa-AF.html").read_text()


def test_a_missing_output_is_rebuilt_and_formats_are_tracked_one_by_one(built):
    (built / "dist" / SLUG / f"{SLUG}.en.pdf").unlink()
    recorder = Recorder()
    assert run(built, recorder).built == 1 and recorder.built == [(SLUG, "en", False)]
    assert (built / "dist" / SLUG / f"{SLUG}.en.pdf").exists()
    html_only = built / "dist" / SLUG / f"{SLUG}.en.html"
    before = html_only.stat().st_mtime_ns
    (built / "manuscripts" / f"{SLUG}.md").write_text(
        (built / "manuscripts" / f"{SLUG}.md").read_text().replace("date: 2026-11-24", "date: 2026-11-25"))
    recorder = Recorder()
    report = run(built, recorder, formats=["html"])
    assert report.built == 3  # the date shows in every edition
    assert {job.formats for job in recorder.jobs} == {("html",)}
    assert html_only.stat().st_mtime_ns != before
    assert run(built, formats=["html"]).built == 0
    recorder = Recorder()
    assert run(built, recorder).built == 3  # PDFs and EPUBs were built from the old date: now they follow
    assert run(built).built == 0


def test_parallel_build_matches_a_serial_one(tmp_path):
    a, b = copy_project(tmp_path / "a"), copy_project(tmp_path / "b")
    assert build(Project(a), runner=Local(1), formats=["html", "epub"]).built == 3
    assert build(Project(b), runner=Local(2), formats=["html", "epub"]).built == 3
    for tag in LANGS:
        name = f"{SLUG}.{tag}.html"
        assert (a / "dist" / SLUG / name).read_bytes() == (b / "dist" / SLUG / name).read_bytes()


def test_pdfs_taken_back_from_the_queue_match_a_serial_build(tmp_path, monkeypatch):
    """When this process has nothing left to do and PDFs are still queued (an archive), it
    renders some itself: the files are the same, byte for byte, as a serial build's."""
    import os

    from editions import executor
    from editions.render.edition import CPU

    def project(dest: Path) -> Path:
        root = copy_project(dest)
        text = (root / "manuscripts" / f"{SLUG}.md").read_text(encoding="utf-8")
        (root / "manuscripts" / "second.md").write_text(text.replace(f"slug: {SLUG}", "slug: second"),
                                                        encoding="utf-8")
        for loc in ("fa_AF", "ps_AF"):
            folder = root / "translations" / loc / "LC_MESSAGES"
            (folder / "second.po").write_bytes((folder / f"{SLUG}.po").read_bytes())
        return root

    a, b = project(tmp_path / "a"), project(tmp_path / "b")
    assert build(Project(a), runner=Local(1), formats=["html", "pdf"]).built == 6
    taken = []
    caught = executor._caught

    def here(render, *args):  # what this process renders itself: a worker's task taken back
        if getattr(render, "where", None) == CPU and os.getpid() == parent:
            taken.append(render.fmt)
        return caught(render, *args)

    parent = os.getpid()
    monkeypatch.setattr(executor, "STEAL_FROM", 1)
    monkeypatch.setattr(executor, "_caught", here)
    assert build(Project(b), runner=Local(2), formats=["html", "pdf"]).built == 6
    assert taken, "no PDF was taken back from the queue"
    for slug in (SLUG, "second"):
        for tag in LANGS:
            for fmt in ("html", "pdf"):
                name = f"{slug}.{tag}.{fmt}"
                assert (a / "dist" / slug / name).read_bytes() == (b / "dist" / slug / name).read_bytes(), name


def test_dask_engine_on_a_local_cluster(tmp_path):
    from distributed import Client, LocalCluster

    root = copy_project(tmp_path / "p")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            report = build(Project(root), runner=Dask(None, client))
        assert report.built == 3 and not report.errors
        for tag in LANGS:
            for fmt in ("html", "pdf", "epub"):
                assert (root / "dist" / SLUG / f"{SLUG}.{tag}.{fmt}").stat().st_size > 1000
        # the command line, pointed at the same scheduler (whole editions are Dask tasks, whatever
        # their formats: the HTML ones are enough to see them built there)
        (root / "styles" / "print.css").write_text((root / "styles" / "print.css").read_text() + "\n")
        done = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root), "build", "--format", "html",
                               "--executor", "dask", "--scheduler", cluster.scheduler_address],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "editions: 3 built" in done.stdout


def second_article(root: Path) -> None:
    source = (root / "manuscripts" / f"{SLUG}.md").read_text()
    (root / "manuscripts" / "second.md").write_text(source.replace(f"slug: {SLUG}", "slug: second")
                                                    .replace("date: 2026-11-24", "date: 2026-11-20"))
    for loc in ("fa_AF", "ps_AF"):
        po = root / "translations" / loc / "LC_MESSAGES"
        (po / "second.po").write_text((po / f"{SLUG}.po").read_text())


def test_partial_builds_keep_the_index_and_the_language_links(tmp_path):
    root = copy_project(tmp_path / "p")
    second_article(root)
    assert run(root, Recorder(real=("html",))).built == 6
    index = (root / "dist" / "index.html").read_text()
    run(root, Recorder(real=("html",)), slugs=[SLUG])
    assert (root / "dist" / "index.html").read_text() == index  # the other article is still listed
    fa = root / "dist" / SLUG / f"{SLUG}.fa-AF.html"
    links = fa.read_text().count("hreflang=")
    assert links
    assert run(root, langs=["fa-AF"]).built == 0  # nothing changed for Dari: its links included
    assert fa.read_text().count("hreflang=") == links


def test_drafts_are_unlisted_by_the_next_normal_build(tmp_path):
    root = copy_project(tmp_path / "p")
    second_article(root)
    path = root / "translations" / "fa_AF" / "LC_MESSAGES" / "second.po"
    po = polib.pofile(str(path))
    po[3].msgstr = ""
    po.save(str(path))
    recorder = Recorder(real=("html",))
    run(root, recorder, draft=True)
    assert ("second", "fa-AF", True) in recorder.built and ("second", "fa-AF", False) not in recorder.built
    assert "second/second.fa-AF.html" not in (root / "dist" / "index.html").read_text()  # never listed online
    assert "second/second.fa-AF.html" in (root / "dist-drafts" / "index.html").read_text()
    assert "second.fa-AF.html" not in (root / "dist" / "second" / "second.en.html").read_text()
    run(root, Recorder(real=("html",)))
    assert "second/second.fa-AF.html" not in (root / "dist" / "index.html").read_text()
    assert not (root / "dist" / "second" / "second.fa-AF.html").exists()


def test_the_site_renders_only_the_pages_an_edit_changed(tmp_path, monkeypatch):
    """publish() keeps each site page's key in the state (site.py): a build renders only the
    pages whose key changed, and a page deleted from the tree."""
    from editions import site
    from editions.layout import Layout
    from editions.state import State

    rendered: list[str] = []
    real = site._render
    monkeypatch.setattr(site, "_render", lambda url, make: rendered.append(url) or real(url, make))
    root = copy_project(tmp_path / "p")
    assert run(root).built == 3
    pages = State.read(Project(root).state).site_pages["dist"]
    assert sorted(rendered) == sorted(pages) and Layout.index in pages

    path = Project(root).po(SLUG, "ps-AF")  # the Pashto title: the pages that list it
    po = polib.pofile(str(path))
    next(e for e in po if e.comment == "title").msgstr += " نوی"
    po.save(str(path))
    rendered.clear()
    assert run(root).built == 1
    assert sorted(rendered) == sorted([Layout.index, Layout.front("ps-AF"), Layout.archive("ps-AF", "1405-09"),
                                       Layout.feed("ps-AF")])
    assert " نوی" in (root / "dist" / Layout.front("ps-AF")).read_text()

    rendered.clear()
    assert run(root).built == 0 and rendered == []  # nothing changed: the site is not even looked at
    (root / "dist" / Layout.archive("en")).unlink()
    assert run(root).built == 0 and rendered == [Layout.archive("en")]

    path = Project(root).po("messages", "fa-AF")  # a word of the interface: every page
    po = polib.pofile(str(path))
    po.find("Archive").msgstr = "بایگانی"
    po.save(str(path))
    rendered.clear()
    run(root)
    assert sorted(rendered) == sorted(pages)
    assert "بایگانی" in (root / "dist" / Layout.front("fa-AF")).read_text()


def test_a_different_font_subset_rebuilds_assets_and_editions(built, tmp_path, monkeypatch):
    # (the face's new web cuts in a cache of their own: in the machine's, they would
    # replace the cuts every other build reuses)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    toml = built / "styles" / "fonts.toml"
    font = built / "dist" / "assets" / "fonts" / "NotoSerif-Regular.ttf"
    before = font.stat().st_size
    text = toml.read_text()
    toml.write_text(text.replace('file = "NotoSerif-Regular.ttf"\nweight = 400\nsubset = "latin"\n',
                                 'file = "NotoSerif-Regular.ttf"\nweight = 400\n'))
    recorder = Recorder()
    assert run(built, recorder).built == 3
    assert sorted(recorder.built) == [(SLUG, tag, False) for tag in LANGS]
    assert font.stat().st_size > before  # the whole face now


def test_a_dying_pdf_worker_is_an_error_not_a_hang(tmp_path):
    root = copy_project(tmp_path / "p")
    code = ("import os, sys; from pathlib import Path\n"
            "import editions.render.pdf as P\n"
            "def die(*a):\n    os._exit(137)\n"
            "die.__module__, die.__qualname__ = 'editions.render.pdf', 'render_page'\n"
            "P.render_page = die\n"
            "from editions.executor import Local\nfrom editions.build import build, Project\n"
            "r = build(Project(Path(sys.argv[1])), runner=Local(2))\n"
            "sys.exit(3 if r.errors and r.built == 0 else 0)\n")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "terminated abruptly" in done.stderr


def test_pdf_font_setup_is_thread_safe_and_follows_fonts_toml(tmp_path):
    """Dask runs tasks in threads: the quick WeasyPrint import and the font setup leave
    find_library and FONTCONFIG_FILE as they found them and make one configuration; a
    changed fonts.toml gives a new one in the same process."""
    root = copy_project(tmp_path / "p", with_translations=False)
    code = (
        "import ctypes.util, os, sys, threading\n"
        "from pathlib import Path\n"
        "usual = ctypes.util.find_library\n"
        "from editions.render import pdf\n"
        "got = []\n"
        "threads = [threading.Thread(target=lambda: got.append(pdf.font_config(sys.argv[1]))) for _ in range(6)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert ctypes.util.find_library is usual, 'find_library left patched'\n"
        "assert 'FONTCONFIG_FILE' not in os.environ, 'FONTCONFIG_FILE leaked'\n"
        "assert len({id(c) for c in got}) == 1, 'several configurations'\n"
        "toml = Path(sys.argv[1]) / 'styles' / 'fonts.toml'\n"
        "text = toml.read_text(); toml.write_text(text.replace('\"NotoSansMath-*.ttf\",', ''))\n"
        "assert toml.read_text() != text\n"
        "assert pdf.font_config(sys.argv[1]) is not got[0], 'stale configuration'\n")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_failing_pdf_font_setup_is_reported_by_each_edition(tmp_path):
    """The workers' warm-up may fail (here: .cache/fontconfig is a file); each edition
    then says why, instead of a broken pool."""
    root = copy_project(tmp_path / "p")
    (root / ".cache").mkdir()
    (root / ".cache" / "fontconfig").write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root), "build", "--format", "pdf",
                           "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.count("could not render") == 3, done.stderr
    assert "terminated abruptly" not in done.stderr and "fontconfig" in done.stderr, done.stderr


def test_a_no_op_translates_nothing(built, monkeypatch):
    """Up to date is decided from the inputs before any edition is translated."""
    def boom(*args, **kwargs):
        raise AssertionError("an edition was translated in a no-op build")

    monkeypatch.setattr("editions.translate.edition", boom)
    report = run(built)
    assert report.unchanged == 3 and report.built == 0 and not report.errors
