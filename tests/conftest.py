"""Shared fixtures: a copy of the real project in tmp_path, and small manuscripts."""
from __future__ import annotations

import contextlib
import shutil
import textwrap
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLUG = "cloud-over-the-taliban"
ALL = tuple(sorted(p.stem for p in (ROOT / "manuscripts").glob("*.md")))  # every article of the project


def copy_project(dest: Path, with_translations: bool = True, slugs: tuple[str, ...] = (SLUG,)) -> Path:
    """The project's styles and the articles `slugs` — manuscripts, their images (and
    catalogs, with the UI's) — copied under `dest`."""
    shutil.copytree(ROOT / "styles", dest / "styles")
    names = [f"manuscripts/{slug}.md" for slug in slugs]
    if with_translations:
        names += [p.relative_to(ROOT).as_posix() for p in (ROOT / "translations").rglob("*")
                  if p.is_file() and p.stem in (*slugs, "messages")]
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    if (ROOT / "manuscripts" / "images").is_dir():
        shutil.copytree(ROOT / "manuscripts" / "images", dest / "manuscripts" / "images")
    (dest / "translations").mkdir(exist_ok=True)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def write_manuscript(root: Path, stem: str, body: str, **front: str) -> Path:
    """A small manuscript; front-matter fields default to a valid English piece."""
    fields = {"slug": stem, "lang": "en", "title": "A title", "author": "A. Writer",
              "date": "2026-11-24", **front}
    head = "".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None)
    path = root / "manuscripts" / f"{stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{head}---\n\n{textwrap.dedent(body).strip()}\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A project with the real styles and UI catalogs, one small manuscript, no article catalogs."""
    return make_tiny(tmp_path / "tiny")


def make_tiny(root: Path) -> Path:
    """The `tiny` project, made at `root`."""
    shutil.copytree(ROOT / "styles", root / "styles")
    (root / "translations").mkdir()
    shutil.copy(ROOT / "translations" / "messages.pot", root / "translations")
    for ui in ROOT.glob("translations/*/LC_MESSAGES/messages.po"):  # the real UI words
        dest = root / ui.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ui, dest)
    write_manuscript(root, "tiny", """
        First paragraph with **bold** and a [link](https://example.org/).

        ## A heading

        1. **One:** first item
        2. **Two:** second item
    """)
    return root


def translate_all(root: Path, slug: str, tags=("fa-AF", "ps-AF"), text=lambda msgid: msgid) -> None:
    """Fill every entry of the article's catalogs (the msgid itself by default: complete,
    and nothing `check` calls wrong)."""
    import polib

    from editions.build import Project

    for tag in tags:
        path = Project(root).po(slug, tag)
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr = text(e.msgid)
        po.save(str(path))


class Recorder:
    """A runner for `build(..., runner=Recorder())` that renders nothing: for the tests of
    what is rebuilt, and when. It keeps each job the build hands it (`jobs`, `built`) and
    gives back, per format, a few bytes that stand for the file: a marker, the edition and
    a digest of the whole job. An edition made again from the same job gets the same bytes
    (as from a real, deterministic render: the file is not rewritten), one made from other
    inputs other bytes; the bytes carry the edition's fields (`draft=`, its translated
    document), so a test can still see what went into a file. Formats in `real` are
    rendered for real, where a test reads them (HTML is one pandoc run per edition; PDFs
    and EPUBs are what costs)."""

    def __init__(self, real: tuple[str, ...] = ()):
        self.real = tuple(real)
        self.jobs: list = []
        self.closed = False

    @property
    def built(self) -> list[tuple[str, str, bool]]:
        """(slug, tag, draft) of each edition handed to this runner, in order."""
        return [(j.edition.slug, j.edition.tag, j.edition.draft) for j in self.jobs]

    def run(self, jobs, done) -> None:
        import dataclasses

        for job in jobs:
            self.jobs.append(job)
            files = {fmt: self.fake(job, fmt) for fmt in job.formats if fmt not in self.real}
            real = tuple(fmt for fmt in job.formats if fmt in self.real)
            if real:
                from editions.render.edition import render

                try:
                    files.update(render(dataclasses.replace(job, formats=real)))
                except Exception as exc:  # noqa: BLE001 - reported for this edition, as the real runners do
                    done(job, exc)
                    continue
            done(job, {fmt: files[fmt] for fmt in job.formats})

    def close(self) -> None:
        self.closed = True

    @staticmethod
    def fake(job, fmt: str) -> bytes:
        import hashlib
        import html

        ed = job.edition
        digest = hashlib.sha256(repr(job).encode("utf-8")).hexdigest()
        text = f"fake {fmt} of {ed.slug} {ed.tag} draft={ed.draft} {digest}\n{ed!r}\n"
        if fmt == "html":  # a page, as what reads the tree's pages (the search index) expects
            return (f'<!DOCTYPE html>\n<html lang="{ed.tag}" dir="{ed.dir}"><head><meta charset="utf-8">'
                    f"<title>{html.escape(ed.title)}</title></head>\n<body><main><h1>{html.escape(ed.title)}</h1>"
                    f"<pre>{html.escape(text)}</pre></main></body></html>\n").encode("utf-8")
        return ({"pdf": "%PDF-1.7 ", "epub": "PK "}.get(fmt, "") + text).encode("utf-8")


def command(*args: str, cwd: Path | None = None):
    """What `make-editions ARGS` (typed in `cwd`) runs — editions.cli.main — in this
    process: its exit status and what it printed, as a subprocess.CompletedProcess, like
    `cli_build`'s. For a test of what the command does; what needs a process of its own
    (signals, the exit status a shell sees, locks, a run that may hang) runs the real one."""
    import contextlib
    import io
    import os
    import subprocess

    from editions import cli

    out, err = io.StringIO(), io.StringIO()
    here, columns = os.getcwd(), os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # --help wrapped as on a pipe
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse's own exits: --help, a usage error
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.chdir(here)
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return subprocess.CompletedProcess(["make-editions", *args], code, out.getvalue(), err.getvalue())


def cli_build(root: Path, *args: str, timeout: int = 600):
    """The real command, as an editor runs it (`make-editions --root ROOT ARGS`)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory) -> Path:
    """Every article of the project built once, with the real command, into all its
    editions: shared by the modules that judge the output (end to end, the analysis
    article, accessibility). Read-only: a test that changes the tree makes its own copy."""
    root = copy_project(tmp_path_factory.mktemp("shared"), slugs=ALL)
    done = cli_build(root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture(scope="session")
def epubchecked(shared_build) -> dict:
    """epubcheck's verdict on every EPUB of `shared_build`, in one JVM (tests/epubcheck.py)."""
    import epubcheck

    return epubcheck.check(sorted((shared_build / "dist").rglob("*.epub")))


# Debian's Chromium, driven by Playwright, for the tests that look at pages in a browser:
# its headless shell (chromium-headless-shell, `make setup` installs it: the same engine and
# version without the desktop browser's start-up and UI processes), else the browser itself.
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for every test that looks at pages (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def served(tree: Path):
    """`tree` (a built dist/) on 127.0.0.1 by the project's own server, without live reload: its URL."""
    from editions import serve

    httpd = serve.server(tree, 0, live=False)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
