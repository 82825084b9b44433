"""make-editions: the command line. Parses arguments, calls the library, maps errors to exits."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import EditionsError, UsageError
from .locale import LANGUAGES


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
    b.add_argument("--jobs", type=int, default=None, help="worker processes (reserved; builds run in order)")
    e = sub.add_parser("extract", help="write the POT templates")
    e.add_argument("slugs", nargs="*", metavar="SLUG")
    u = sub.add_parser("update", help="extract, then merge into every language's catalog")
    u.add_argument("slugs", nargs="*", metavar="SLUG")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import build as b

    project = b.Project(args.root.resolve())
    try:
        if not project.manuscripts.is_dir():
            raise UsageError(f"{project.root} has no manuscripts/ folder (use --root)")
        command = args.command or "build"
        if command == "build":
            report = b.build(project, getattr(args, "slugs", None), getattr(args, "lang", None),
                             getattr(args, "format", None), getattr(args, "draft", False))
        else:
            report = b.Report()
            mss = b.load_manuscripts(project, b.slugs_of(project, args.slugs), report)
            (b.extract if command == "extract" else b.update)(project, mss, report)
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


if __name__ == "__main__":
    sys.exit(main())
