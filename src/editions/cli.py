"""make-editions: the command line. Parses arguments, calls the library, maps errors to exits."""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from .errors import EditionsError, UsageError
from .locale import LANGUAGES


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0–65535)")
    return port


def _lang(value: str) -> str:
    """A language tag however it is typed: `fa-AF`, the catalog folder's `fa_AF`, `FA-af`."""
    for tag in LANGUAGES:
        if tag.lower() == value.replace("_", "-").lower():
            return tag
    raise argparse.ArgumentTypeError(
        f"unknown language {value!r} (choose from {', '.join(LANGUAGES)}; "
        f"{', '.join(lang.gettext for lang in LANGUAGES.values() if lang.gettext != lang.tag)} work too)")


SLUG = ("SLUG is an article: the name of manuscripts/SLUG.md without .md, or the path to that\n"
        "file (manuscripts/SLUG.md, ./manuscripts/SLUG.md, an absolute path). Default: every article.")
ROOT = ("the project folder, the one holding manuscripts/ (default: the current folder or the "
        "nearest folder above it that holds manuscripts/, as git finds .git)")
EXITS = "Exit status: 0 success, 1 a content problem (bad manuscript or catalog, a check failed), 2 a usage error."


def _parser() -> argparse.ArgumentParser:
    # --root is accepted before and after the command; SUPPRESS keeps a subcommand's
    # absent --root from overwriting one given before it.
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument("--root", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=ROOT)

    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[root], help=summary, epilog=EXITS,
                              description=f"{summary[0].upper()}{summary[1:]}.\n\n{details}".strip(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    def formats(parser: argparse.ArgumentParser, hint: str = "") -> None:
        parser.add_argument("--format", nargs="+", type=str.lower, choices=["html", "epub", "pdf"], metavar="F",
                            help=f"only these formats: html, epub, pdf (default: all three{hint})")

    p = argparse.ArgumentParser(
        prog="make-editions", parents=[root], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build Sangar's HTML, EPUB and PDF editions from manuscripts and catalogs.\n"
                    "Without a command: build. `make-editions COMMAND --help` tells more.",
        epilog=EXITS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = command("build", "keep catalogs in step, then build the editions and the index (the default command)",
                "Extracts and merges the catalogs (rewriting only files whose content changes), then\n"
                "renders every publishable edition whose inputs changed into dist/, and\n"
                "dist/index.html.\n\n" + SLUG)
    b.add_argument("slugs", nargs="*", metavar="SLUG", help="articles to build (default: all)")
    b.add_argument("--lang", nargs="+", type=_lang, metavar="L",
                   help=f"only these languages: {', '.join(LANGUAGES)} (fa_AF, ps_AF too; "
                        "default: every language of each article)")
    formats(b)
    b.add_argument("--draft", action="store_true",
                   help="also build incomplete translations, marked as drafts (default: only complete ones)")
    b.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: one per core)")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or Dask distributed tasks")
    b.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    e = command("extract", "write the POT templates",
                "Writes translations/SLUG.pot for each article and the UI words' template,\n"
                "translations/messages.pot.\n\n" + SLUG)
    e.add_argument("slugs", nargs="*", metavar="SLUG", help="articles to extract (default: all)")
    u = command("update", "extract, then merge into every language's catalog",
                "Writes the templates, then brings translations/<locale>/LC_MESSAGES/SLUG.po of every\n"
                "language in step with them, keeping every translation (fuzzy, obsolete or revived).\n\n" + SLUG)
    u.add_argument("slugs", nargs="*", metavar="SLUG", help="articles to update (default: all)")
    s = command("status", "translated / fuzzy / untranslated / obsolete per article and language",
                "Reads the catalogs only; shows which languages are publishable.\n\n" + SLUG)
    s.add_argument("slugs", nargs="*", metavar="SLUG", help="articles to show (default: all)")
    s.add_argument("--json", action="store_true", help="machine-readable output (default: a table)")
    v = command("serve", "preview dist/ on 127.0.0.1, rebuilding and reloading on changes",
                "Builds, serves dist/ at http://127.0.0.1:PORT/ and rebuilds when a manuscript, catalog\n"
                "or style changes; open pages reload themselves. Ctrl-C stops.")
    v.add_argument("--port", type=_port, default=8000, metavar="N", help="port to listen on (default: 8000)")
    formats(v, "; html alone is the quickest preview")
    v.add_argument("--draft", action="store_true",
                   help="preview drafts: build incomplete translations too and serve dist-drafts/ "
                        "(default: serve dist/, what is online)")
    r = command("rename", "give an article a new slug, keeping every translation",
                "Moves manuscripts/OLD.md to manuscripts/NEW.md (and its slug: line), its template\n"
                "and every language's catalog; the next build publishes it under NEW and removes\n"
                "OLD's editions from dist/.")
    r.add_argument("old", metavar="OLD", help="the article's slug now")
    r.add_argument("new", metavar="NEW", help="its new slug (lowercase letters, digits, hyphens)")
    c = command("check", "quality checks on catalogs and manuscripts (exit 1 on errors)",
                "Prints every finding as path:line: error|warning: code: message.\n"
                "PATH is a manuscript (.md), a catalog (.po or .pot) or a folder of them, relative to\n"
                "the current folder. Default: every manuscript and catalog of the project.")
    c.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders to check (default: all)")
    return p


def _find_root(here: Path) -> Path:
    """The nearest folder, from `here` up, that holds manuscripts/."""
    for folder in (here, *here.parents):
        if (folder / "manuscripts").is_dir():
            return folder
    raise UsageError(f"no manuscripts/ folder in {here} or any folder above it: "
                     "run make-editions inside a project, or give --root DIR")


def _slug(value: str, root: Path) -> str:
    """SLUG as typed, or the slug of a path to manuscripts/SLUG.md (from here or from the root)."""
    path = Path(value)
    if path.name == value and path.suffix != ".md":
        return value
    manuscripts = (root / "manuscripts").resolve()
    for base in (Path.cwd(), root):
        where = base / path
        if where.suffix == ".md" and where.parent.resolve() == manuscripts:
            return where.stem
    if path.name == value:  # `x.md`: the article x
        return path.stem
    raise UsageError(f"{value} is not a manuscript of {root}: give a SLUG or manuscripts/SLUG.md")


def _normalise(args: argparse.Namespace) -> argparse.Namespace:
    """The arguments as the library takes them: the project root found, slugs from paths."""
    given = getattr(args, "root", None)
    args.root = given.resolve() if given is not None else _find_root(Path.cwd())
    if getattr(args, "slugs", None):
        args.slugs = [_slug(value, args.root) for value in args.slugs]
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = _normalise(_parser().parse_args(argv))
    except UsageError as exc:
        print(f"make-editions: error: {exc}", file=sys.stderr)
        return 2
    reports: list = []  # the build's report as it goes: what an interrupted run had done
    with _ctrl_c():
        try:
            # (the build starts its renderers itself, once it finds something changed)
            return _main(args, reports)
        except BrokenPipeError:  # `make-editions status | head`: the reader left, nothing is wrong
            sys.stdout = None
            return 0
        except KeyboardInterrupt:
            print(_interrupted(reports[-1] if reports else None), file=sys.stderr, flush=True)
            return INTERRUPTED


INTERRUPTED = 130  # 128 + SIGINT, as shells report a run stopped by Ctrl-C


def _interrupted(report) -> str:
    """The one line an interrupted run ends with. Every file is written whole or not at
    all (fsutil.atomic_write), and an edition counts as written once its card is: the
    next run rebuilds only what is missing and sweeps the temporary files."""
    if report is None or report.planned is None:
        return "interrupted: nothing half-written"
    return f"interrupted: {report.built} of {report.planned} editions written, nothing half-written"


@contextlib.contextmanager
def _ctrl_c():
    """Ctrl-C (SIGINT, sent to the whole process group) is handled by this process alone:
    here it raises KeyboardInterrupt, once — the rest of the run winds down (a PDF worker
    finishes its page, the pool shuts down) without a second one breaking in. Processes
    forked meanwhile (the catalog and PDF pools) inherit the handler and ignore it: this
    process stops them, and they print no traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    me = os.getpid()

    def interrupt(signum, frame):
        if os.getpid() != me:
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _main(args, reports: list) -> int:
    from . import build as b
    from .fsutil import project_lock

    project = b.Project(args.root)
    try:
        if not project.manuscripts.is_dir():
            raise UsageError(f"{project.root} has no manuscripts/ folder: give --root the project folder")
        command = args.command or "build"
        if command in ("status", "check"):  # read-only: no lock, no heavy imports
            return _report(b, project, command, args)
        if command == "serve":
            return _serve(b, project, args.port, reports, args.draft, args.format)
        with project_lock(project.root, lambda m: print(m, file=sys.stderr, flush=True)):
            report = _run(b, project, command, args, reports)
    except UsageError as exc:
        print(f"make-editions: error: {exc}", file=sys.stderr)
        return 2
    except EditionsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder: what was written stays whole (atomic writes)
        if exc.strerror is None:  # not the system's (Jinja2's TemplateNotFound is an OSError)
            print(f"{project.rel(project.root / 'styles' / 'templates')}: error: {type(exc).__name__}: {exc} "
                  "(restore the file from the project's repository)", file=sys.stderr)
            return 1
        where = project.rel(Path(exc.filename)) if exc.filename else str(project.root)
        print(f"{where}: error: cannot write ({exc.strerror}): free some space or make the folder writable, "
              "then run again — nothing already written was damaged", file=sys.stderr)
        return 1
    if report.errors:
        print(f"make-editions: {len(report.errors)} error(s)", file=sys.stderr)
        return 1
    return 0


def _report(b, project, command: str, args) -> int:
    if command == "status":
        from . import status

        found, errors = status.rows(project, b.slugs_of(project, args.slugs))
        for exc in errors:
            print(str(exc), file=sys.stderr)
        print(status.as_json(found) if args.json else status.table(found))
        return 1 if errors else 0
    from .check import check_paths

    paths = [p.resolve() for p in args.paths] or (
        sorted(project.manuscripts.glob("*.md")) + sorted(project.translations.rglob("*.po"))
        + sorted(project.translations.glob("*.pot")))
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file: {missing[0]}")
    root = project.root.resolve()
    strays = [p for p in paths if not p.resolve().is_relative_to(root)
              or not (p.is_dir() or p.suffix in (".md", ".po", ".pot"))]
    if strays:  # check reads nothing else: a stray file could be a secret, and its lines would be echoed
        raise UsageError(f"{strays[0]}: check takes manuscripts (.md) and catalogs (.po, .pot) inside the project")
    files = [f for p in paths for f in (sorted(p.rglob("*.po")) + sorted(p.rglob("*.md")) if p.is_dir() else [p])]
    from .render.assets import printable

    from .catalog import orphans

    slugs = {p.stem for p in project.manuscripts.glob("*.md")}
    findings = check_paths(files, project.rel, printable(project.root),
                           [] if args.paths else orphans(project.translations, slugs))
    for f in findings:
        print(f)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    print(f"checked {len(files)} file(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _serve(b, project, port: int, reports: list, draft: bool = False, formats: list | None = None) -> int:
    from . import serve
    from .fsutil import project_lock

    from .executor import Local

    runner = None  # one for the server's lifetime, its workers forked before any thread starts
    clean = [False]  # the last build ended without an error

    def rebuild(changed=None):  # in this (the main) thread, so that Ctrl-C stops a build as it stops `build`
        report = b.Report()
        reports[:] = [report]
        # After a clean build, an edit of one article's own files (serve.articles) rebuilds
        # that article and the site's pages: every other article is as that build left it.
        slugs = serve.articles(project, changed) if clean[0] else None
        clean[0] = False
        if slugs:
            report.say(f"changed: {', '.join(slugs)} (the other articles are as the last build left them)")
        with project_lock(project.root, lambda m: print(m, file=sys.stderr, flush=True)):
            b.build(project, draft=draft, formats=formats, report=report, runner=runner, slugs=slugs)
        reports.clear()  # done: Ctrl-C from now on interrupts no build
        clean[0] = not report.errors
        if report.errors:
            print(f"make-editions: {len(report.errors)} error(s) in this build", file=sys.stderr)
        return report

    state = serve.State()
    try:  # listen first: a taken port is a usage error before any work
        tree = project.tree(draft)  # dist/, or the drafts a translator previews
        tree.mkdir(parents=True, exist_ok=True)
        httpd = serve.server(tree, port, state)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    runner = Local(None, str(project.root))
    serving = []

    def ready() -> None:  # the first build done, the sources watched: serve the tree
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        serving.append(True)
        print(f"serving {project.rel(tree)}/ at http://127.0.0.1:{httpd.server_port}/ "
              "(rebuilds on changes; Ctrl-C stops)", flush=True)

    try:  # the first build once the sources are watched: what is saved during it is built next
        serve.watch(project.root, rebuild, state, threading.Event(), ready=_Then(ready), first=True)  # until Ctrl-C
    finally:
        if serving:
            httpd.shutdown()
        httpd.server_close()
        runner.close()
    return 0


class _Then:
    """serve.watch's `ready`: `fn` called when set."""

    def __init__(self, fn):
        self.fn = fn

    def set(self) -> None:
        self.fn()


def _run(b, project, command: str, args, reports: list | None = None):
    if command == "build":
        if getattr(args, "executor", "local") == "dask" and not args.scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS")
        report = b.Report()
        if reports is not None:
            reports.append(report)
        options = b.Options.of(slugs=getattr(args, "slugs", None), langs=getattr(args, "lang", None),
                               formats=getattr(args, "format", None), draft=getattr(args, "draft", False),
                               jobs=getattr(args, "jobs", None), executor=getattr(args, "executor", "local"),
                               scheduler=getattr(args, "scheduler", None))
        return b.build(project, options, report=report)
    report = b.Report()
    if command == "rename":
        from .rename import rename

        for line in rename(project.root, args.old, args.new):
            report.say(line)
        return report
    mss = b.load_manuscripts(project, b.slugs_of(project, args.slugs), report)
    if command == "extract":
        b.extract(project, mss, report)
    else:  # (what each catalog publishes is the build's to find out)
        b.update(project, mss, report, publish=False)
    return report


def run() -> int:
    """The `make-editions` command: main(), then an exit that does not walk the heap. At
    shutdown Python collects garbage across every object it made (0.04 s after a build, a
    twentieth of a cold one); frozen, they are left to the process's end. Only the command
    does this: main() called from Python leaves the collector alone."""
    import gc

    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
