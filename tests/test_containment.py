"""One translator's file cannot stop, stall or corrupt the press, and odd files committed
to the tree are refused, not followed (issue: containment). Time bounds are subprocess
timeouts far above normal, never tuned wall-clock limits."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from conftest import command, translate_all, write_manuscript
from editions import catalog, check
from editions.build import Project, build
from editions.check import check_paths
from editions.errors import EditionsError
from editions.executor import Local

HEAD = ('msgid ""\nmsgstr ""\n"Language: fa_AF\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: {plural}\\n"\n\n')


def po_file(tmp_path: Path, body: str, plural: str = "nplurals=2; plural=(n > 1);") -> Path:
    path = tmp_path / "fa_AF" / "LC_MESSAGES" / "t.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD.format(plural=plural) + body, encoding="utf-8")
    return path


def check_in_subprocess(path: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    code = ("import sys; from pathlib import Path; from editions.check import check_paths\n"
            f"for f in check_paths([Path({str(path)!r})]): print(f)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("plural", ["nplurals=" + "9" * 5000 + "; plural=0;", "nplurals=2; plural=(n > 1) system();",
                                    "nplurals=0; plural=0;"])
def test_a_bad_plural_forms_header_is_an_error_not_a_crash(tmp_path, plural):
    path = po_file(tmp_path, 'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "a"\nmsgstr[1] "b"\n', plural)
    with pytest.raises(EditionsError, match="Plural-Forms"):
        catalog.load(path)
    assert any(f.code == "plural-forms" and f.severity == "error" for f in check_paths([path]))


@pytest.mark.parametrize("msgstr, code", [
    ("**" * 400 + "سرخط" + "**" * 400, "markup"),
    ("*_" * 2500 + "x", "too-long"),
    ("[" * 10000 + "x" + "]" * 10000, "too-long"),
    ("](" * 20000, "too-long"),
    ("ا" * 2_700_000, "too-long"),
    ("عنوان\U000e0041\U000e0042", "hidden-char"),
    ("عنوان\u061c پنهان", "hidden-char"),
])
def test_hostile_translations_are_errors_within_bounds(tmp_path, msgstr, code):
    path = po_file(tmp_path, f'msgid "A title"\nmsgstr "{msgstr}"\n')
    done = check_in_subprocess(path)
    assert done.returncode == 0 and f"error: {code}:" in done.stdout, done.stdout[-500:] + done.stderr[-500:]
    problems: list = []
    assert check.translations(catalog.load(path), path, problems) == {} and problems  # never published


def test_a_check_pattern_stays_linear_on_100_kb(tmp_path):
    source = "See [the report](https://x.org/r) and <https://y.org/> now. " * 1700  # ~100 KB of source
    body = f'msgid "{source}"\nmsgstr "{"](" * 50000}"\n'
    done = check_in_subprocess(po_file(tmp_path, body), timeout=60)
    assert done.returncode == 0 and "error:" in done.stdout


def test_a_flood_of_entries_is_refused_without_reading_it_twice(tmp_path):
    body = "".join(f'msgid "entry {i}"\nmsgstr "ترجمه {i}"\n\n' for i in range(100_000))
    path = po_file(tmp_path, body)
    code = (f"from pathlib import Path; from editions import catalog\ntry: catalog.load(Path({str(path)!r}))\n"
            "except Exception as e: print(type(e).__name__, e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "EditionsError" in done.stdout and "entries" in done.stdout


@pytest.mark.parametrize("text, line", [
    ('msgid "A"\nmsgstr "ابر\u2028تیره"\n', 8),
    ('msgid "B"\nmsgstr "و\u0085پایان"\n', 8),
    ('# reviewed\u2028msgid "T"\u2028msgstr "عنوان پنهان"\nmsgid "C"\nmsgstr "ج"\n', 7),
    ('msgid "D"\nmsgstr "\\101\\x41\\a"\n', 8),
])
def test_what_gnu_tools_read_otherwise_is_refused_with_its_line(tmp_path, text, line):
    path = po_file(tmp_path, text)
    with pytest.raises(EditionsError) as err:
        catalog.load(path)
    assert err.value.line == line
    assert any(f.line == line and f.severity == "error" for f in check_paths([path]))


def test_odd_files_are_refused_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("ssh-ed25519 AAAATOPSECRETKEY user@host\ntoken=abcdef123456\n", encoding="utf-8")
    linked = tmp_path / "fa_AF" / "LC_MESSAGES" / "linked.po"
    linked.parent.mkdir(parents=True)
    linked.symlink_to(secret)
    folder = linked.with_name("folder.po")
    folder.mkdir()
    zero = linked.with_name("zero.po")
    zero.symlink_to("/dev/zero")
    fifo = linked.with_name("fifo.po")
    os.mkfifo(fifo)
    for path, words in ((linked, "is a symbolic link: put the file itself here"),
                        (folder, "is a folder: put a text file here"),
                        (zero, "is a symbolic link: put the file itself here"),
                        (fifo, "is not a regular file (a device or a pipe)")):
        with pytest.raises(EditionsError) as err:
            catalog.load(path)
        assert words in err.value.message, err.value.message  # refused by looking, not by failing to read
    found = "\n".join(str(f) for f in check_paths([linked, zero]))
    assert "TOPSECRET" not in found and "token=" not in found and "error" in found
    plain = tmp_path / "not-a-catalog.po"
    plain.write_text("ssh-ed25519 AAAATOPSECRETKEY user@host\n", encoding="utf-8")
    found = "\n".join(str(f) for f in check_paths([plain]))
    assert "error" in found and "TOPSECRET" not in found


def test_one_hostile_catalog_stops_only_its_language(tiny):
    build(Project(tiny), formats=["html"], runner=Local(1))
    translate_all(tiny, "tiny", ("fa-AF",))
    translate_all(tiny, "tiny", ("ps-AF",), lambda m: "**" * 400 + "سرلیک" + "**" * 400 if m == "A title" else m)
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    dist = tiny / "dist" / "tiny"
    assert (dist / "tiny.fa-AF.html").exists() and (dist / "tiny.en.html").exists()
    assert not (dist / "tiny.ps-AF.html").exists()
    assert any("ps_AF/LC_MESSAGES/tiny.po:" in e and "error: markup:" in e for e in report.errors)


def stalling(folder: Path, name: str, real: str | None = None, marker: str = "") -> Path:
    """A stand-in for the tool `name` that never finishes (a `sleep` far longer than the
    timeout it is given): on every input, or (with `real`) only on input holding `marker`."""
    folder.mkdir(exist_ok=True)
    fake = folder / name
    passing = f'printf "%s" "$in" | exec {real} "$@"' if real else ""
    fake.write_text(f'#!/bin/sh\nin=$(cat)\ncase "$in" in *{marker}*) exec sleep 60;; esac\n{passing}\n')
    fake.chmod(0o755)
    return fake


def test_a_stalled_pandoc_stops_only_its_edition(tiny, monkeypatch):
    from editions import pandoc

    build(Project(tiny), formats=["html"], runner=Local(1))
    translate_all(tiny, "tiny", ("fa-AF",))
    translate_all(tiny, "tiny", ("ps-AF",), lambda m: "STALL-HERE " + m if m.startswith("First") else m)
    fake = stalling(tiny.parent / "bin", "pandoc", pandoc.binary(), "STALL-HERE")
    monkeypatch.setattr(pandoc, "binary", lambda: str(fake))
    monkeypatch.setattr(pandoc, "TIMEOUT", 2.0)
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    dist = tiny / "dist" / "tiny"
    assert (dist / "tiny.fa-AF.html").exists() and (dist / "tiny.en.html").exists()
    assert not (dist / "tiny.ps-AF.html").exists()
    assert [e for e in report.errors if "pandoc took more than 2 s and was stopped" in e and "ps-AF" in e], report.errors


def test_a_stalled_msgcat_or_msgfmt_is_a_clean_error_naming_the_catalog(tmp_path, monkeypatch):
    path = po_file(tmp_path, 'msgid "One"\nmsgstr "یک"\n')
    for tool in ("msgcat", "msgfmt"):
        stalling(tmp_path / "bin", tool)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(catalog, "TOOL_TIMEOUT", 1.0)
    before = path.read_bytes()
    with pytest.raises(EditionsError, match="msgcat took more than 1 s") as caught:
        catalog.serialize(polib.pofile(str(path)), path)
    assert str(path) in str(caught.value) and path.read_bytes() == before
    found = [str(f) for f in check_paths([path])]
    assert any("msgfmt took more than 1 s" in f and "error" in f for f in found), found


def test_a_translator_changes_only_their_own_language(tiny):
    build(Project(tiny), formats=["html"], runner=Local(1))
    translate_all(tiny, "tiny")
    ui = Project(tiny).po("messages", "fa-AF")
    po = polib.pofile(str(ui))
    po.find("Sangar").msgstr = "سنگر-جعلی"
    po.find("Dari").msgstr = "دری-جعلی"
    po.save(str(ui))
    build(Project(tiny), formats=["html"], runner=Local(1))
    dist = tiny / "dist"
    for page in (dist / "tiny" / "tiny.en.html", dist / "tiny" / "tiny.ps-AF.html"):
        assert "جعلی" not in page.read_text(encoding="utf-8"), page
    index = (dist / "index.html").read_text(encoding="utf-8")  # the chooser: only its Dari part may change
    for tag in ("en", "ps-AF"):
        section = index.split(f'<section class="language" id="{tag}"')[1].split("</section>")[0]
        assert "جعلی" not in section
    for front in ("en", "ps"):  # other languages' front pages, their switchers included
        assert "جعلی" not in (dist / front / "index.html").read_text(encoding="utf-8")
    assert "سنگر-جعلی" in (dist / "tiny" / "tiny.fa-AF.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("front, line, words", [
    ("lang: [en]", 6, "one value"),
    ("extra: &x {a: 1}\n<<: *x", 6, "anchor or alias"),
    ("kind: " + "[" * 5000 + "]" * 5000, 6, "one value"),
    ('a: &a ["lol","lol","lol"]\nb: &b [*a,*a,*a]', 6, "anchor or alias"),
    ("title: Again", 6, "given twice"),
])
def test_front_matter_mistakes_are_clean_errors(tmp_path, front, line, words):
    from editions.manuscript import read

    path = write_manuscript(tmp_path, "piece", "Text.", title="T", author="A", date="2026-01-01", lang=None)
    text = path.read_text(encoding="utf-8").replace("date: 2026-01-01\n", f"date: 2026-01-01\n{front}\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EditionsError) as err:
        read(path)
    assert err.value.line == line and words in err.value.message, str(err.value)


def test_a_manuscript_that_is_a_folder_or_a_link_is_refused(tiny):
    (tiny / "manuscripts" / "folder.md").mkdir()
    outside = tiny.parent / "elsewhere.md"
    outside.write_text("---\nslug: linked\ntitle: T\nauthor: A\ndate: 2026-01-01\n---\n\nText.\n", encoding="utf-8")
    (tiny / "manuscripts" / "linked.md").symlink_to(outside)
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    assert any("folder.md: error: the manuscript is a folder" in e for e in report.errors), report.errors
    assert any("linked.md: error: the manuscript is a symbolic link" in e for e in report.errors), report.errors
    assert (tiny / "dist" / "tiny" / "tiny.en.html").exists()
    assert os.path.exists(outside)


def cli(root, *args, timeout=300):
    """The real command in a process of its own (what a lock, a hang or a kill needs; the
    others run it in this process: conftest.command)."""
    return subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=timeout)


def watchdog(proc: subprocess.Popen, seconds: int = 300):
    """Kill `proc` if it still runs after `seconds` (a read of its pipe then ends, and the
    test fails instead of waiting forever); cancel() the returned timer once done."""
    import threading

    timer = threading.Timer(seconds, proc.kill)
    timer.daemon = True
    timer.start()
    return timer


def test_a_lock_file_committed_as_a_link_damages_nothing(tiny, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n", encoding="utf-8")
    (tiny / ".make-editions.lock").symlink_to(precious)
    done = cli(tiny, "build", "--format", "html")
    assert done.returncode == 1 and "lock file" in done.stderr and "Traceback" not in done.stderr
    assert precious.read_text(encoding="utf-8") == "keep me\n"


def test_folders_linked_outside_the_project_are_not_written(tiny, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".old.tmp").write_text("not ours", encoding="utf-8")
    (tiny / "dist").symlink_to(outside)
    done = command("--root", str(tiny), "build", "--format", "html")
    assert done.returncode == 1 and "symbolic link" in done.stderr
    assert sorted(p.name for p in outside.iterdir()) == [".old.tmp"]  # nothing written, nothing swept


def test_a_full_disk_is_a_clean_error(tiny, monkeypatch, capsys):
    import errno

    from editions import cli as cli_mod
    from editions import fsutil

    def full(path, data, durable=True):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(fsutil, "atomic_write", full)
    monkeypatch.setattr("editions.build.atomic_write", full, raising=False)
    monkeypatch.setattr("editions.catalog.atomic_write", full, raising=False)
    code = cli_mod.main(["--root", str(tiny), "build", "--format", "html", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err


def test_serve_answers_malformed_and_outward_requests_without_tracebacks(tmp_path):
    import threading
    import urllib.error
    import urllib.request

    from editions import serve

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html><body>ok</body></html>", encoding="utf-8")
    secret = tmp_path / "secret.html"
    secret.write_text("SECRET", encoding="utf-8")
    (dist / "out.html").symlink_to(secret)
    httpd = serve.server(dist, 0, live=False)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"

    def status(path):
        try:
            return urllib.request.urlopen(base + path, timeout=30).status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        assert status("/") == 200
        assert status("/assets/") == 404  # no listing
        assert status("/out.html") == 404  # a link out of dist/ is not followed
        assert status("/a%00b.html") in (400, 404)
        assert status("/" + "x" * 5000) in (400, 404, 414)  # a name too long for the file system
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_idle_pdf_worker_dies_with_its_parent(tmp_path):
    """kill -9 of the process that started the PDF pool (a build, serve) while a worker is
    idle: the worker must not sleep on forever holding the caller's pipe."""
    import signal
    import time

    import psutil

    code = ("import sys, time, multiprocessing\nfrom editions.executor import Local\n"
            f"runner = Local(2, {str(tmp_path)!r})\n"
            "[f.result() for f in runner.ready]\n"
            "print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    timer = watchdog(proc, 120)
    pids = [int(p) for p in proc.stdout.readline().split()]
    timer.cancel()
    assert pids
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 60
    alive = lambda: [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    leftover = alive()
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert not leftover


def test_after_kill_9_of_a_build_no_worker_survives_and_the_next_build_proceeds(tmp_path):
    import signal
    import time

    import psutil

    from conftest import ALL, copy_project

    root = copy_project(tmp_path / "p", slugs=ALL)
    proc = subprocess.Popen([sys.executable, "-m", "editions.cli", "--root", str(root), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = watchdog(proc, 300)
    for line in proc.stdout:
        if line.startswith("built "):  # the PDF worker is busy now
            break
    timer.cancel()
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 60  # a generous bound: the kernel signals the orphans at once
    while any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    again = cli(root, "build", "--format", "html", timeout=300)
    assert again.returncode == 0 and "waiting for the run" not in again.stderr, again.stderr


def test_check_takes_only_the_projects_manuscripts_and_catalogs(tiny, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("token=abcdef123456\n", encoding="utf-8")
    for path in (secret, Path("/etc/passwd"), tiny / "styles" / "site.toml"):
        done = command("--root", str(tiny), "check", str(path))
        assert done.returncode == 2 and "check takes manuscripts" in done.stderr, done.stderr
        assert "token=" not in done.stdout + done.stderr


def test_serve_builds_once_per_edit(tiny):
    """The build rewrites catalogs it keeps in step; the watcher must not take that for an
    edit (one manuscript edit gave two builds and two reloads)."""
    import threading
    import time

    from editions import serve

    build(Project(tiny), formats=["html"], runner=Local(1))
    builds = []

    def rebuild(_changed):
        builds.append(time.monotonic())
        build(Project(tiny), formats=["html"], runner=Local(1))

    state, stop, ready = serve.State(), threading.Event(), threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(tiny, rebuild, state, stop, 0.1, ready), daemon=True)
    watcher.start()
    ready.wait(30)
    path = tiny / "manuscripts" / "tiny.md"
    path.write_text(path.read_text(encoding="utf-8").replace("First paragraph", "An edited paragraph"),
                    encoding="utf-8")  # a new segment: the build writes the POT and both POs
    deadline = time.monotonic() + 60
    while state.version < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(20):  # ten more polls: a second build would start within them
        time.sleep(0.1)
    stop.set()
    watcher.join(30)
    assert len(builds) == 1 and state.version == 1


def test_the_watcher_survives_files_that_vanish_mid_scan(tiny, monkeypatch):
    """An editor's swap file or a git checkout removes files between the listing and the
    look: the scan skips them instead of ending the watcher."""
    from editions import serve

    real_scandir = os.scandir
    gone = tiny / "manuscripts" / ".tiny.md.swp"
    gone.write_text("x", encoding="utf-8")
    victim = tiny / "manuscripts" / "tiny.md"
    looks = []

    class Vanishing:
        """A listed file that is gone when its size is read."""

        def __init__(self, entry):
            self.entry, self.name, self.path = entry, entry.name, entry.path

        def is_dir(self, **kw):
            return self.entry.is_dir(**kw)

        def is_file(self, **kw):
            return self.entry.is_file(**kw)

        def stat(self, **kw):
            looks.append(1)
            raise FileNotFoundError(2, "No such file or directory", self.path)

    class Listing:
        def __init__(self, path):
            self.it = real_scandir(path)

        def __enter__(self):
            return (Vanishing(e) if e.path == str(victim) else e for e in self.it)

        def __exit__(self, *exc):
            self.it.close()

    monkeypatch.setattr(serve.os, "scandir", Listing)
    stamp = serve.sources_stamp(tiny)  # no exception
    assert looks and all(entry[0] != str(victim) for entry in stamp)
    assert any(f"{os.sep}translations{os.sep}" in entry[0] for entry in stamp)  # the rest is seen


@pytest.mark.parametrize("notified", [True, False])
def test_a_watcher_that_fails_says_so_and_one_stopped_by_ctrl_c_does_not(tiny, monkeypatch, capsys, notified):
    """The preview must not go stale in silence: a watcher that ends on an error says the
    pages are no longer rebuilt; Ctrl-C ends it without that line (serve says it stopped).
    Both ways of watching: the kernel's word (inotify) and polling."""
    import threading

    from editions import serve

    monkeypatch.setattr(serve, "NOTIFY", notified)
    real = serve.Notified._changes if notified else serve.sources_stamp
    for fault in (RuntimeError("disk gone"), KeyboardInterrupt()):
        looks = []

        def failing(*args, fault=fault):
            looks.append(1)
            if len(looks) > 1:
                raise fault
            return real(*args)

        if notified:
            monkeypatch.setattr(serve.Notified, "_changes", failing)
        else:
            monkeypatch.setattr(serve, "sources_stamp", failing)
        with pytest.raises(type(fault)):
            serve.watch(tiny, lambda _changed: None, serve.State(), threading.Event(), interval=0.01)
        said = capsys.readouterr().out
        assert ("no longer rebuilt" in said) == isinstance(fault, RuntimeError), said


def test_links_inside_dist_are_neither_followed_nor_written_through(tiny, tmp_path):
    build(Project(tiny), formats=["html"], runner=Local(1))
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("keep", encoding="utf-8")
    (tiny / "dist" / "old-article").symlink_to(victim)
    done = command("--root", str(tiny), "build", "--format", "html")
    assert done.returncode == 1 and "symbolic link" in done.stderr
    assert (victim / "notes.txt").read_text(encoding="utf-8") == "keep"
    (tiny / "dist" / "old-article").unlink()
    shutil_images = tiny / "dist" / "assets" / "images"
    if shutil_images.exists():
        import shutil
        shutil.rmtree(shutil_images)
    shutil_images.symlink_to(victim)
    done = command("--root", str(tiny), "build", "--format", "html")
    assert done.returncode == 1 and sorted(p.name for p in victim.iterdir()) == ["notes.txt"]


def test_a_fifo_in_a_templates_place_stops_only_that_article(tiny):
    build(Project(tiny), formats=["html"], runner=Local(1))
    pot = tiny / "translations" / "tiny.pot"
    pot.unlink()
    os.mkfifo(pot)
    shutil_cache = tiny / ".cache" / "templates"
    import shutil
    shutil.rmtree(shutil_cache, ignore_errors=True)
    done = cli(tiny, "build", "--format", "html", timeout=120)
    assert done.returncode == 1 and "tiny.pot" in done.stderr and "not a plain file" in done.stderr
