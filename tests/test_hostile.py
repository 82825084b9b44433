"""Hostile input: every payload stays inert, nothing is fetched, bad catalogs and slugs are
refused with their line, and a killed run leaves every file old or new."""
from __future__ import annotations

import html
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import polib
import pytest
import tinyhtml5
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Recorder, command, copy_project, make_tiny, write_manuscript
from editions import catalog, check
from editions.build import Project, build
from editions.check import check_paths, msgstr_line
from editions.errors import EditionsError
from editions.executor import Local
from editions.locale import LANGUAGES
from editions.render import assets

HOSTILE = Path(__file__).parent / "hostile"
PAYLOADS = json.loads((HOSTILE / "payloads.json").read_text(encoding="utf-8"))
ACTIVE_TAGS = {"script", "img", "iframe", "object", "embed", "link", "meta", "form", "input",
               "video", "audio", "source", "svg", "math", "base"}


def body_elements(tree):
    return next(el for el in tree.iter() if isinstance(el.tag, str) and el.tag.endswith("body"))


@pytest.fixture
def hostile_project(tiny):
    """One manuscript with a paragraph per payload, its Dari catalog filled with them."""
    paras = "\n\n".join(f"Paragraph {i} with [a link](https://example.org/)." for i in range(len(PAYLOADS)))
    write_manuscript(tiny, "tiny", paras)
    build(Project(tiny), formats=["html"], runner=Recorder())  # (for the catalogs)
    path = Project(tiny).po("tiny", "fa-AF")
    po = polib.pofile(str(path))
    for e in po:
        m = e.msgid.split()
        e.msgstr = (PAYLOADS[int(m[1])]["payload"] + " [پیوند](https://example.org/)"
                    if m[0] == "Paragraph" else "دری")
    po.save(str(path))
    return tiny


def test_payloads_check_calls_wrong_are_never_published(hostile_project):
    report = build(Project(hostile_project), formats=["html"], langs=["fa-AF"], draft=True, runner=Local(1))
    page = (hostile_project / "dist-drafts" / "tiny" / "tiny.fa-AF.html").read_text()
    held = [p for p in PAYLOADS if p["check"] and p["check"] != "whitespace"]
    shown = [e for e in report.errors if "(entry not published)" in e]
    more = re.search(r"… and (\d+) more \(make-editions check ", report.errors[-1])
    assert len(shown) == 3 and more  # the first few findings, then how many more
    assert len(shown) + int(more.group(1)) >= len(held)
    for p in held:
        assert p["payload"] not in page and html.escape(p["payload"], quote=False) not in page


def test_every_payload_is_inert_in_html_and_epub(hostile_project, monkeypatch):
    """Defence in depth: with the validator switched off, every payload is published, and
    still nothing in it is live."""
    monkeypatch.setattr("editions.check.entry_errors", lambda *args: [])
    report = build(Project(hostile_project), formats=["html", "epub"], langs=["fa-AF"], draft=True,
                   runner=Local(1))
    dist = hostile_project / "dist" / "tiny"  # complete once nothing is judged: published
    page = tinyhtml5.parse((dist / "tiny.fa-AF.html").read_text())
    body = body_elements(page)
    for el in body.iter():
        tag = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
        assert tag not in ACTIVE_TAGS and tag != "style", tag
        assert not any(k.lower().startswith("on") for k in el.attrib), el.attrib
        href = el.get("href")
        if href is not None:
            assert href in ("https://example.org/", "#article") or href.endswith((".html", ".pdf", ".epub")), href
    text = "".join(body.itertext())
    assert "<script>alert(1)</script>" in text  # shown as text
    head = page.find("{http://www.w3.org/1999/xhtml}head")
    assert [el.get("href") for el in head.iter("{http://www.w3.org/1999/xhtml}link")
            if el.get("rel") == "stylesheet"] == ["../assets/fonts.css", "../assets/sangar.css", "../assets/print.css"]
    assert all("://" not in (el.get("href") or "") for el in head.iter("{http://www.w3.org/1999/xhtml}link"))
    assert "owned" not in "".join(head.itertext())
    with zipfile.ZipFile(dist / "tiny.fa-AF.epub") as z:
        assert not [n for n in z.namelist() if "media" in n]
        for name in z.namelist():
            if name.startswith("EPUB/text/"):
                for el in ElementTree.fromstring(z.read(name)).iter():
                    tag = el.tag.split("}")[-1]
                    assert tag not in ACTIVE_TAGS - {"link", "meta"}, tag
                    assert not any(k.lower().startswith("on") for k in el.attrib)
                    href = el.get("href") or ""
                    assert "javascript" not in href and "evil" not in href and "data:" not in href
    assert not report.errors


def test_check_flags_each_payload(hostile_project):
    found = check_paths([Project(hostile_project).po("tiny", "fa-AF")])
    po = polib.pofile(str(Project(hostile_project).po("tiny", "fa-AF")))
    by_line = {}
    for f in found:
        by_line.setdefault(f.line, set()).add(f.code)
    for e in po:
        if e.msgid.startswith("Paragraph"):
            expected = PAYLOADS[int(e.msgid.split()[1])]["check"]
            if expected:
                at = msgstr_line(Project(hostile_project).po("tiny", "fa-AF").read_text().split("\n"), e.linenum)
                assert expected in by_line.get(at, set()), (e.msgstr, by_line.get(at))


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Counter.hits = []
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_weasyprint_fetches_only_the_editions_assets(tmp_path, server):
    from weasyprint import HTML

    from editions.render import pdf as renderer

    allowed = tmp_path / "assets"
    allowed.mkdir()
    (allowed / "ok.css").write_text("p { color: green }")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    (allowed / "link").symlink_to(secret)
    html = f"""<html><head>
      <link rel="stylesheet" href="{server}/remote.css">
      <link rel="stylesheet" href="assets/ok.css">
      <link rel="attachment" href="file://{secret}">
      <link rel="attachment" href="assets/../secret.txt">
      <link rel="attachment" href="assets/%2e%2e/secret.txt">
      <link rel="attachment" href="assets/link">
      <style>@import url("{server}/import.css"); p {{ background: url("{server}/bg.png") }}</style>
      </head><body><p>x</p><img src="{server}/img.png"><img src="file:///etc/passwd">
      <object data="{server}/obj"></object><embed src="{server}/embed"></body></html>"""
    seen = []
    fetcher = renderer.fetcher([allowed])
    original = fetcher.fetch

    def spy(url, headers=None):
        seen.append(url)
        return original(url, headers)

    fetcher.fetch = spy
    pdf = HTML(string=html, base_url=tmp_path.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert _Counter.hits == []
    assert b"TOP SECRET" not in pdf and b"/EmbeddedFile" not in pdf
    assert any(u.endswith("assets/ok.css") for u in seen)  # the edition's own sheet is served
    with pytest.raises(ValueError):
        original(f"file://{secret}")
    assert original((allowed / "ok.css").as_uri()).read() == b"p { color: green }"
    # as `render` names the files (under HERE, not the project's folder): the same door
    anchored = renderer.fetcher([allowed], tmp_path)
    here = "file://" + renderer.HERE
    assert anchored.fetch(here + "assets/ok.css").read() == b"p { color: green }"
    for url in ("secret.txt", "assets/../secret.txt", "assets/%2e%2e/secret.txt", "assets/link", f"../..{secret}"):
        with pytest.raises(ValueError):
            anchored.fetch(here + url)


def test_pandoc_epub_reads_no_files_and_fetches_nothing(tmp_path, server, tiny):
    from editions.render import epub
    from editions.translate import Edition

    conf, fonts = assets.fonts(tiny)
    out = assets.build(tiny, tiny / "dist")
    ed = Edition("t", "fa-AF", "rtl", "en", "news", "t", "a", "", "", "2026-11-24", "d", False, "{}")
    body = (f'<html><head><title>t</title></head><body><h1>x</h1><p><img src="{server}/x.png">'
            f'<img src="/etc/hostname"><img src="../../../../etc/hostname"></p></body></html>')
    target = tmp_path / "t.epub"
    target.write_bytes(epub.render(tiny, ed, body, out, fonts))
    with zipfile.ZipFile(target) as z:
        assert not [n for n in z.namelist() if "media" in n]
    assert _Counter.hits == []


@pytest.fixture(scope="module")
def published_tiny(tmp_path_factory) -> Path:
    """`tiny` with complete catalogs (nothing check calls wrong) and its HTML editions built:
    made once, copied by each test that damages it."""
    tiny = make_tiny(tmp_path_factory.mktemp("published") / "tiny")
    build(Project(tiny), formats=["html"], runner=Recorder())  # (for the catalogs)
    for tag in ("fa-AF", "ps-AF"):
        path = Project(tiny).po("tiny", tag)
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr = e.msgid  # complete, and nothing check calls wrong
        po.save(str(path))
    assert not build(Project(tiny), formats=["html"], runner=Local(1)).errors
    return tiny


@pytest.mark.parametrize("name, damage, line", [
    ("unterminated", lambda t: t + 'msgid "x"\nmsgstr "سلام\n', None),
    ("bad escape", lambda t: t + 'msgid "x"\nmsgstr "a\\qb"\n', None),
    ("duplicate", lambda t: t + '\nmsgid "A title"\nmsgstr "دوباره"\n', None),
    ("plural count", lambda t: t + '\nmsgid "x"\nmsgid_plural "xs"\nmsgstr[0] "a"\nmsgstr[1] "b"\nmsgstr[2] "c"\n', None),
    ("latin-1 header", lambda t: t.replace("charset=UTF-8", "charset=ISO-8859-1"), None),
    ("cut off mid-save", lambda t: t[: t.rindex('msgstr "') + 10], None),
])
def test_a_bad_catalog_is_refused_and_the_rest_still_builds(published_tiny, tmp_path, name, damage, line):
    tiny = shutil.copytree(published_tiny, tmp_path / "tiny", symlinks=True)
    dist = tiny / "dist" / "tiny"
    before = (dist / "tiny.fa-AF.html").read_bytes()
    bad = Project(tiny).po("tiny", "fa-AF")
    broken = damage(bad.read_text(encoding="utf-8"))
    bad.write_text(broken, encoding="utf-8")
    with pytest.raises(EditionsError) as err:
        catalog.load(bad)
    assert err.value.line is not None and (line is None or err.value.line == line)
    report = build(Project(tiny), formats=["html"], runner=Local(1))
    assert any(e.startswith(f"{bad}:") for e in report.errors)
    assert (dist / "tiny.fa-AF.html").read_bytes() == before  # the previous edition stays
    assert (dist / "tiny.ps-AF.html").exists() and (dist / "tiny.en.html").exists()
    assert bad.read_text(encoding="utf-8") == broken  # and the catalog is not "repaired"
    # the command says so too (the HTML editions only: the refusal is the same for every format)
    assert command("--root", str(tiny), "build", "--format", "html").returncode == 1


def test_crlf_catalog_is_read_correctly(tiny):
    build(Project(tiny), formats=["html"], runner=Recorder())  # (for the catalogs)
    path = Project(tiny).po("tiny", "fa-AF")
    po = polib.pofile(str(path))
    for e in po:
        e.msgstr = "ترجمه"
    po.save(str(path))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert set(check.translations(catalog.load(path)).values()) == {"ترجمه"}


def test_a_huge_catalog_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.po"
    with open(path, "wb") as f:
        f.write(b'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n')
        chunk = b'msgid "x%d"\nmsgstr "y"\n\n'
        f.write(b"".join(chunk % i for i in range(2_600_000)))
    assert path.stat().st_size > 50 * 2**20
    with pytest.raises(EditionsError, match="MB"):
        catalog.load(path)
    assert [f.code for f in check_paths([path])] == ["size"]


@pytest.mark.parametrize("slug", ["../etc/passwd", "a/../../b", "ok\n", "UPPER", "dots..", "-lead"])
def test_slugs_cannot_leave_the_project(tmp_path, slug):
    path = write_manuscript(tmp_path, "piece", "Text.", slug=json.dumps(slug))
    with pytest.raises(EditionsError, match="slug"):
        from editions.manuscript import read
        read(path)


def test_command_line_slugs_must_name_manuscripts(tiny):
    for slug in ("../../etc/passwd", "/etc/passwd", "tiny/../tiny"):
        run = command("--root", str(tiny), "build", slug)
        assert run.returncode == 2, slug


UNICODE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
MARKUP = st.sampled_from(["<script>x</script>", "**", "*", "[", "](", "javascript:", "<", ">", "{onclick=x}",
                          "\n---\n", "`", "&lt;", "&#60;", "\\", "[x]: y", "![i](", "::: ", "<https://e.org>"])


@pytest.fixture(scope="module")
def small_manuscript(tmp_path_factory):
    from editions.manuscript import read

    from test_article import photo

    root = tmp_path_factory.mktemp("prop")
    photo(root / "manuscripts" / "images" / "p.jpg")
    return read(write_manuscript(root, "prop", (
        "Source text with [a link](https://example.org/).[^1]\n\n"
        '![A caption.](images/p.jpg){alt="A description" credit="Photo: X"}\n\n'
        "| Head | Count |\n|---|--:|\n| Cell | 12 |\n\nTable: A caption\n\n[^1]: A note.")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(UNICODE, MARKUP), min_size=1, max_size=8).map("".join))
def test_any_text_through_a_catalog_becomes_an_inert_edition(small_manuscript, tmp_path, text):
    """Random Unicode and markup as a translator's msgstr: written to a PO file, read back
    by the build's loader, translated and rendered. Either the catalog is refused with an
    EditionsError, or the page holds nothing active."""
    from editions.render import html
    from editions.translate import edition

    ms = small_manuscript
    po = catalog.merge(None, catalog.template_for(ms, ms.path.parent), LANGUAGES["fa-AF"])
    for e in po:
        e.msgstr = text
    path = tmp_path / "fa_AF" / "LC_MESSAGES" / "prop.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(po.__unicode__(), encoding="utf-8")
    try:
        table = check.translations(catalog.load(path, tmp_path / "valid"))
    except EditionsError:
        return  # refused with a file and line: fine
    body = html.pandoc_html(edition(ms, "fa-AF", table, draft=True))
    tree = tinyhtml5.parse(f"<body>{body}</body>")
    images = []
    for el in tree.iter():
        tag = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
        assert not any(k.lower().startswith("on") for k in el.attrib)
        if tag == "img":  # the figure's own image, its alt text a translator's words
            images.append(el.get("src"))
            continue
        assert tag not in ACTIVE_TAGS and tag != "style", tag
        if el.get("href") is not None:
            assert el.get("href") in ("https://example.org/", "#fn1", "#fnref1")
    assert images == ["images/p.jpg"]


# A writer killed inside a write, deterministically: the subprocess runs `update` through
# the project's own write path, with every file opened for writing under translations/
# wrapped so that its write of number AT writes half its bytes, flushes them and SIGKILLs
# the process — no timing involved. WRITER "naive" swaps fsutil.atomic_write for a direct
# write to the target: the same fault must then be caught, which shows the check below
# would fail a non-atomic implementation.
KILLED_INSIDE_A_WRITE = r'''
import builtins, io, itertools, os, signal, sys
from pathlib import Path

root, writer, at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
translations = root / "translations"
opened = itertools.count()
writes = []

class Dying:
    def __init__(self, f, number):
        self.f, self.number = f, number
    def write(self, data):
        if self.number == at:
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.f.write(data)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.f.__exit__(*exc)
    def __getattr__(self, name):
        return getattr(self.f, name)

def watched(f, name, mode):
    if "w" not in mode and "a" not in mode and "x" not in mode:
        return f
    if not Path(os.path.abspath(name)).is_relative_to(translations):
        return f
    number = next(opened)
    writes.append(name)
    return Dying(f, number)

real_open, real_fdopen = builtins.open, os.fdopen
def patched_open(file, mode="r", *args, **kwargs):
    f = real_open(file, mode, *args, **kwargs)
    return f if isinstance(file, int) else watched(f, os.fspath(file), mode)
def patched_fdopen(fd, mode="r", *args, **kwargs):
    return watched(real_fdopen(fd, mode, *args, **kwargs), os.readlink(f"/proc/self/fd/{fd}"), mode)
builtins.open = io.open = patched_open
os.fdopen = patched_fdopen

from editions import fsutil
if writer == "naive":
    def naive(path, data, durable=True, expect=None):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    fsutil.atomic_write = naive

from editions.cli import main
code = main(["--root", str(root), "update"])
print(len(writes))
sys.exit(code)
'''


def _catalogs(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted((root / "translations").rglob("*"))
            if p.suffix in (".po", ".pot")}


def _undated(data: bytes | None) -> bytes | None:
    """A catalog without its dates: the same update made a minute later is the same file."""
    if data is None:
        return None
    return re.sub(rb'(?m)^"(POT-Creation-Date|PO-Revision-Date): [^"\n]*\\n"$', rb"\1", data)


def _damaged(root: Path, old: dict[Path, bytes], new: dict[Path, bytes]) -> list[str]:
    """Every catalog that is neither as it was nor as the update writes it."""
    now = _catalogs(root)
    return [str(rel) for rel in sorted(old.keys() | new.keys() | now.keys())
            if _undated(now.get(rel)) not in (_undated(old.get(rel)), _undated(new.get(rel)))]


# The runs above, each in a process of its own as before, but forked from one that has
# imported the project's code already (a fresh interpreter's start and imports cost more
# than the update itself). One request a line, [how, root, writer, at]: the child runs
# KILLED_INSIDE_A_WRITE with those arguments (how "killed"), or the plain command
# `make-editions --root ROOT update` (how "update"), its stdout and stderr to files; the
# answer is a line [exit status as subprocess gives it (-9: SIGKILL), stdout, stderr].
FORKER = r'''
import json, os, sys, tempfile

import editions.build, editions.catalog, editions.check, editions.cli, editions.manuscript, editions.update  # noqa

script = sys.argv[1]
for line in sys.stdin:
    how, root, writer, at = json.loads(line)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            code = 1
            try:
                if how == "killed":
                    sys.argv = ["-c", root, writer, str(at)]
                    exec(compile(script, "<killed>", "exec"), {"__name__": "__main__"})
                else:
                    code = editions.cli.main(["--root", root, "update"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        print(json.dumps([os.waitstatus_to_exitcode(status), out.read(), err.read()]), flush=True)
'''


class Forker:
    """FORKER, started once: run(how, root, writer, at) gives what subprocess.run would."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", FORKER, KILLED_INSIDE_A_WRITE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)

    def run(self, how: str, root: Path, writer: str = "", at: int = -1,
            timeout: int = 300) -> subprocess.CompletedProcess:
        import select

        self.proc.stdin.write(json.dumps([how, str(root), writer, at]) + "\n")
        self.proc.stdin.flush()
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(how, timeout)
        code, out, err = json.loads(self.proc.stdout.readline())
        return subprocess.CompletedProcess([how, str(root), writer, at], code, out, err)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def forker():
    f = Forker()
    yield f
    f.close()


def _killed_update(forker: Forker, root: Path, writer: str, at: int) -> subprocess.CompletedProcess:
    return forker.run("killed", root, writer, at)


@pytest.fixture(scope="module")
def edited(tmp_path_factory, forker) -> tuple[Path, dict, dict, int, Path]:
    """A project whose catalogs are in step, then an edit that changes every article's
    template and catalogs: the project (not updated), its catalogs before and after an
    update, how many files that update writes under translations/, and the folder each
    run works in (`at`: a fresh copy of the project there, each time).

    Every run is in that one folder, so the manuscripts parsed once there are read back
    from the parse cache (keyed by the manuscript's path and bytes; under .cache/, no
    file of translations/): the runs differ only in where the update is killed."""
    from conftest import ALL

    base = copy_project(tmp_path_factory.mktemp("kill") / "base", slugs=ALL)
    settle = forker.run("update", base)  # `make-editions --root BASE update`
    assert settle.returncode == 0, settle.stderr
    for path in (base / "manuscripts").glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\nA closing line the editor added.\n",
                        encoding="utf-8")
    work = tmp_path_factory.mktemp("kill") / "work"
    reference = at(base, work)
    done = _killed_update(forker, reference, "atomic", -1)  # counts the writes, kills nothing
    assert done.returncode == 0, done.stderr
    old, new = _catalogs(base), _catalogs(reference)
    changed = [rel for rel in new if _undated(new[rel]) != _undated(old.get(rel))]
    assert len(changed) >= 6, changed  # both templates, and four article catalogs
    parsed = base / ".cache" / "manuscripts"  # (the parses of `work`'s manuscripts, for every copy)
    parsed.mkdir(parents=True, exist_ok=True)
    for entry in (reference / ".cache" / "manuscripts").iterdir():
        shutil.copy(entry, parsed / entry.name)
    return base, old, new, int(done.stdout.split()[-1]), work


def at(base: Path, work: Path) -> Path:
    """A fresh copy of `base` in `work` (what was there before removed)."""
    if work.exists():
        shutil.rmtree(work)
    return shutil.copytree(base, work)


def test_an_update_killed_inside_any_write_leaves_every_catalog_old_or_new(edited, forker):
    base, old, new, writes, work = edited
    for at_write in range(writes):
        root = at(base, work)
        killed = _killed_update(forker, root, "atomic", at_write)
        assert killed.returncode == -signal.SIGKILL, (at_write, killed.stdout, killed.stderr)
        assert _damaged(root, old, new) == [], at_write
        assert list((root / "translations").rglob(".*.tmp")), at_write  # it was killed inside a write
        again = forker.run("update", root)  # the command, `make-editions --root ROOT update`
        assert again.returncode == 0, again.stderr
        assert not list(root.rglob(".*.tmp"))  # swept
        assert _damaged(root, {}, new) == [], at_write  # and the next run finishes the job
        for rel in new:
            assert subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(root / rel)],
                                  timeout=60).returncode == 0, rel


def test_the_kill_test_catches_a_writer_that_is_not_atomic(edited, forker):
    """The same fault with a writer that writes straight into the target: the check above
    must see the half-written catalog, whichever write is killed."""
    base, old, new, writes, work = edited
    for at_write in range(writes):
        root = at(base, work)
        killed = _killed_update(forker, root, "naive", at_write)
        assert killed.returncode == -signal.SIGKILL, (at_write, killed.stdout, killed.stderr)
        assert _damaged(root, old, new), at_write


def test_nfc_is_applied_alike_and_keeps_letters_that_must_stay_distinct(tiny):
    from editions.manuscript import read

    decomposed = "\u0627\u0653ب"  # alef + combining madda, composes to آ under NFC
    write_manuscript(tiny, "tiny", f"{decomposed} and می\u200cشود with ی ي ک ك ټ ډ ړ ږ ښ ګ ڼ ې ۍ.")
    ms = read(tiny / "manuscripts" / "tiny.md")
    body = ms.segments[-1].msgid
    assert body.startswith("\u0622ب") and "\u200c" in body
    assert all(ch in body for ch in "ی ي ک ك ټ ډ ړ ږ ښ ګ ڼ ې ۍ".split())
    build(Project(tiny), formats=["html"], runner=Recorder())  # (for the catalogs)
    path = Project(tiny).po("tiny", "fa-AF")
    po = polib.pofile(str(path))
    for e in po:  # the translator's file carries the decomposed form: it still matches
        e.msgstr = "ترجمه " + decomposed + " می\u200cشود"
    po.save(str(path))
    table = check.translations(catalog.load(path))
    assert table[body] == "ترجمه \u0622ب می\u200cشود"
