"""make-editions: the command line. Parses arguments, calls the library, maps errors to exits."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import EditionsError, UsageError
from .locale import LANGUAGES


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0–65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make-editions",
                                description="Build Sangar's HTML, EPUB and PDF editions from manuscripts and catalogs.")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: here)")
    sub = p.add_subparsers(dest="command")
    b = sub.add_parser("build", help="keep catalogs in step, then build editions and the index (default)")
    b.add_argument("slugs", nargs="*", metavar="SLUG")
    b.add_argument("--lang", nargs="+", choices=list(LANGUAGES), help="only these languages")
    b.add_argument("--format", nargs="+", choices=["html", "epub", "pdf"], help="only these formats")
    b.add_argument("--draft", action="store_true", help="also build incomplete translations, marked as drafts")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or Dask distributed tasks")
    b.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    e = sub.add_parser("extract", help="write the POT templates")
    e.add_argument("slugs", nargs="*", metavar="SLUG")
    u = sub.add_parser("update", help="extract, then merge into every language's catalog")
    u.add_argument("slugs", nargs="*", metavar="SLUG")
    s = sub.add_parser("status", help="translated / fuzzy / untranslated / obsolete per article and language")
    s.add_argument("slugs", nargs="*", metavar="SLUG")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    v = sub.add_parser("serve", help="preview dist/ on 127.0.0.1, rebuilding and reloading on changes")
    v.add_argument("--port", type=_port, default=8000)
    c = sub.add_parser("check", help="quality checks on catalogs and manuscripts (exit 1 on errors)")
    c.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runner = None
    if (args.command or "build") == "build" and getattr(args, "executor", "local") == "local":
        from .executor import Local

        runner = Local(getattr(args, "jobs", None), str(args.root.resolve()))  # before the imports below: workers warm up now
    try:
        return _main(args, runner)
    except BrokenPipeError:  # `make-editions status | head`: the reader left, nothing is wrong
        sys.stdout = None
        return 0
    finally:
        if runner is not None:
            runner.close()


def _main(args, runner) -> int:
    from . import build as b
    from .fsutil import project_lock

    project = b.Project(args.root.resolve())
    try:
        if not project.manuscripts.is_dir():
            raise UsageError(f"{project.root} has no manuscripts/ folder (use --root)")
        command = args.command or "build"
        if command in ("status", "check"):  # read-only: no lock, no heavy imports
            return _report(b, project, command, args)
        if command == "serve":
            return _serve(b, project, args.port)
        with project_lock(project.root, lambda m: print(m, file=sys.stderr, flush=True)):
            report = _run(b, project, command, args, runner)
    except UsageError as exc:
        print(f"make-editions: error: {exc}", file=sys.stderr)
        return 2
    except EditionsError as exc:
        print(str(exc), file=sys.stderr)
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
    files = [f for p in paths for f in (sorted(p.rglob("*.po")) + sorted(p.rglob("*.md")) if p.is_dir() else [p])]
    from .render.assets import printable

    findings = check_paths(files, project.rel, printable(project.root))
    for f in findings:
        print(f)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    print(f"checked {len(files)} file(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _serve(b, project, port: int) -> int:
    import threading

    from . import serve
    from .fsutil import project_lock

    def rebuild() -> None:
        with project_lock(project.root, lambda m: print(m, file=sys.stderr, flush=True)):
            report = b.build(project)
        if report.errors:
            print(f"make-editions: {len(report.errors)} error(s) in this build", file=sys.stderr)

    state = serve.State()
    try:  # listen first: a taken port is a usage error before any work
        httpd = serve.server(project.dist, port, state)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    rebuild()
    stop = threading.Event()
    threading.Thread(target=serve.watch, args=(project.root, rebuild, state, stop), daemon=True).start()
    print(f"serving {project.rel(project.dist)}/ at http://127.0.0.1:{httpd.server_port}/ "
          "(rebuilds on changes; Ctrl-C stops)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        httpd.server_close()
    return 0


def _run(b, project, command: str, args, runner=None):
    if command == "build":
        if getattr(args, "executor", "local") == "dask" and not args.scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS")
        return b.build(project, getattr(args, "slugs", None), getattr(args, "lang", None),
                       getattr(args, "format", None), getattr(args, "draft", False),
                       getattr(args, "jobs", None), getattr(args, "executor", "local"),
                       getattr(args, "scheduler", None), runner)
    report = b.Report()
    mss = b.load_manuscripts(project, b.slugs_of(project, args.slugs), report)
    (b.extract if command == "extract" else b.update)(project, mss, report)
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
