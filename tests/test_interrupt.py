"""Ctrl-C: one line, exit 130, no traceback from the main process or its workers, no
temporary file left, and the next run picks up where the interrupted one stopped.

The signal goes to the whole process group, as a terminal's Ctrl-C does, so the PDF
workers and any pandoc or msgcat child get it too. The moment is not a timing guess: the
test reads the build's output and interrupts once the first edition is reported written.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from conftest import copy_project

TIMEOUT = 300
LINE = re.compile(r"interrupted: (\d+) of (\d+) editions written, nothing half-written")
SUMMARY = re.compile(r"^editions: (\d+) built, (\d+) unchanged", re.M)


def start(root: Path, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "editions.cli", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, as a shell's job
    # A watchdog: a run that never prints what a test reads for is killed, not waited on forever.
    dog = threading.Timer(TIMEOUT, lambda: proc.poll() is None and os.killpg(proc.pid, signal.SIGKILL))
    dog.daemon = True
    dog.start()
    return proc


def interrupt_after(proc: subprocess.Popen, prefix: str) -> tuple[str, str]:
    """Read the run's output until a line starting with `prefix`, then Ctrl-C it; returns
    all its stdout and stderr."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(prefix):
            os.killpg(proc.pid, signal.SIGINT)
            break
    else:
        raise AssertionError(f"the run ended before printing {prefix!r}: {''.join(seen)}")
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return "".join(seen) + out, err


def test_ctrl_c_during_a_build_says_one_line_and_the_next_run_goes_on(tmp_path):
    root = copy_project(tmp_path / "p")  # 3 languages: 3 editions, each with its PDF (the workers get the signal too)
    proc = start(root)
    out, err = interrupt_after(proc, "built ")
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err, out + err
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    found = LINE.fullmatch(err.strip())
    assert found, err
    written, planned = int(found[1]), int(found[2])
    assert planned == 3 and 1 <= written < planned, err
    assert not list(root.rglob("*.tmp"))
    first = next(line for line in out.splitlines() if line.startswith("built "))
    page = root / first.split(": ", 1)[1].split(", ")[0]  # the first edition's HTML
    assert page.suffix == ".html" and page.is_file()
    stamp = page.stat().st_mtime_ns

    again = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root)],
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert again.returncode == 0, again.stderr
    built, unchanged = map(int, SUMMARY.search(again.stdout).groups())
    assert unchanged >= written and built + unchanged == planned, again.stdout
    assert page.stat().st_mtime_ns == stamp  # what was written is not written again
    assert (root / "dist" / "index.html").is_file()
    assert not list(root.rglob("*.tmp"))


def test_ctrl_c_stops_serve_with_one_line(tmp_path, shared_build):
    root = shutil.copytree(shared_build, tmp_path / "p", symlinks=True)  # built: serve's first build has nothing to do
    proc = start(root, "serve", "--port", "0")
    out, err = interrupt_after(proc, "serving ")
    assert proc.returncode == 130
    assert "Traceback" not in out + err, out + err
    assert err == "interrupted: nothing half-written\n"
    assert not out.split("serving ", 1)[1].split("\n", 1)[1], out  # nothing after: no word of a watcher that failed
    assert not list(root.rglob("*.tmp"))


def test_serve_draft_previews_a_translation_in_progress(tmp_path):
    import polib
    import urllib.request

    from conftest import SLUG

    root = copy_project(tmp_path / "p")
    po_path = root / "translations" / "fa_AF" / "LC_MESSAGES" / f"{SLUG}.po"
    po = polib.pofile(str(po_path))
    next(e for e in po if not e.obsolete and e.msgid.startswith("**Targeting")).msgstr = ""
    po.save(str(po_path))
    with serving(root, "--draft", "--format", "html") as (tree, url):  # (the page is what is looked at)
        assert tree == "dist-drafts/"
        page = urllib.request.urlopen(f"{url}{SLUG}/{SLUG}.fa-AF.html", timeout=30).read()
        assert b"draft-notice" in page
        assert not (root / "dist" / SLUG / f"{SLUG}.fa-AF.html").exists()


@contextlib.contextmanager
def serving(root: Path, *args: str):
    """`make-editions serve ARGS` on any free port, until its first build is served: what
    it serves (`dist/`, `dist-drafts/`) and its URL. Ctrl-C at the end: exit 130."""
    proc = start(root, "serve", *args, "--port", "0")
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("serving "):
            break
    try:
        assert seen and seen[-1].startswith("serving "), "".join(seen)
        found = re.match(r"serving (\S+) at (http://127\.0\.0\.1:\d+/)", seen[-1])
        yield found.group(1), found.group(2)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130


def test_serve_format_html_previews_the_web_pages_alone(tmp_path):
    """`serve --format html`: the quick preview an editor keeps open while working on an
    archive — the web pages built and served, no EPUB or PDF made (nor a PDF worker warmed)."""
    import urllib.request

    from conftest import SLUG

    root = copy_project(tmp_path / "p")
    with serving(root, "--format", "html") as (tree, url):
        assert tree == "dist/"
        page = urllib.request.urlopen(f"{url}{SLUG}/{SLUG}.fa-AF.html", timeout=30).read()
        assert 'lang="fa-AF"' in page.decode("utf-8")
        made = {p.suffix for p in (root / "dist" / SLUG).iterdir()}
        assert made == {".html"}, made


def test_serve_rebuilds_an_edited_article_alone_after_a_clean_build_and_everything_after_an_error(tmp_path):
    """After a build without error (the first one too), a translator's save rebuilds that
    article alone (and the site's pages); after a build with an error, or a style edit, the
    whole project."""
    import queue

    from conftest import SLUG

    root = copy_project(tmp_path / "p")
    po = root / "translations" / "fa_AF" / "LC_MESSAGES" / f"{SLUG}.po"
    good = po.read_text(encoding="utf-8")
    proc = start(root, "serve", "--format", "html", "--port", "0")
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()

    def next_build() -> list[str]:  # what serve says up to the end of its next build
        said = []
        while not (said and said[-1].startswith("editions:")):
            said.append(lines.get(timeout=60))
        return said

    try:
        assert not any(ln.startswith("changed:") for ln in next_build())  # the first build: everything
        assert lines.get(timeout=60).startswith("serving ")
        po.write_text(good.replace("واقعیت‌های موجود", "واقعیت‌های کنونی", 1), encoding="utf-8")
        said = next_build()
        assert said[0] == f"changed: {SLUG} (the other articles are as the last build left them)\n", said
        assert "1 built" in said[-1], said
        po.write_text(good + '\nmsgid "broken\n', encoding="utf-8")
        said = next_build()
        assert said[0].startswith(f"changed: {SLUG} ") and "error" in said[-1], said
        po.write_text(good, encoding="utf-8")
        said = next_build()  # after an error: everything
        assert not any(ln.startswith("changed:") for ln in said) and "error" not in said[-1], said
        po.write_text(good.replace("واقعیت‌های موجود", "واقعیت‌های کنونی", 1), encoding="utf-8")
        assert next_build()[0].startswith("changed: ")
        css = root / "styles" / "sangar.css"
        css.write_text(css.read_text(encoding="utf-8") + "\n/* a style edit */\n", encoding="utf-8")
        assert not any(ln.startswith("changed:") for ln in next_build())
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    assert err.count("make-editions: 1 error(s) in this build\n") == 1, err  # (the broken catalog's build)
