"""Lighthouse's four category scores (performance, accessibility, best practices, SEO) for
each page type of a built site, with the mobile and the desktop preset, each marked against
the goal (≥ 95, issue 13). Also the bytes each page transferred (Lighthouse's
total-byte-weight, cold cache).

    make bench                                     # after the archive figures
    .venv/bin/python benchmarks/lighthouse.py      # builds a copy of the project in a tmp dir
    .venv/bin/python benchmarks/lighthouse.py --dist DIR       # an already built dist/
    .venv/bin/python benchmarks/lighthouse.py --archive 30     # a generated archive (archive.py)

The site is served on 127.0.0.1 by the project's own server (editions.serve, no live
reload). Lighthouse comes from the npm registry (`make .venv/lighthouse/...`, see the
Makefile) and drives the system Chromium (CHROME_PATH). Page types, when they exist: the
root page (index.html), the Dari front page, an archive page, and the seed article's Dari
edition. Nothing here is a test: the exit status is 0 unless Lighthouse could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = "cloud-over-the-taliban"
LIGHTHOUSE = ROOT / ".venv" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOAL = 95


def copy_project(dest: Path) -> Path:
    for folder in ("manuscripts", "translations", "styles"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def build(project: Path, *args: str) -> Path:
    run = subprocess.run([str(BIN / "make-editions"), "--root", str(project), "build", *args],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"lighthouse.py: the build failed (exit {run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return project / "dist"


def _pick(paths: list[Path]) -> Path | None:
    return min(paths, key=lambda p: (len(p.parts), str(p))) if paths else None


def pages(dist: Path) -> list[tuple[str, Path]]:
    """(page type, path) for each page type this dist/ has. The layout of dist/ is being
    reworked (issue 13): pages are looked for by their likely names, not assumed."""
    htmls = [p.relative_to(dist) for p in dist.rglob("*.html")]
    found: list[tuple[str, Path | None]] = [("root page", Path("index.html") if (dist / "index.html").exists() else None)]
    front = next((Path(d) / "index.html" for d in ("fa", "fa-AF", "fa_AF", "fa-af") if (dist / d / "index.html").exists()),
                 None)
    found.append(("Dari front page", front))

    def dari(p: Path) -> bool:
        s = p.as_posix()
        return "fa-AF" in s or "fa_AF" in s or "fa-af" in s or s.startswith("fa/")

    archive = [p for p in htmls if "archive" in p.as_posix().lower() or "archiv" in p.parent.as_posix().lower()]
    found.append(("archive page (Dari)", _pick([p for p in archive if dari(p)]) or _pick(archive)))
    months = [p for p in archive if dari(p) and p.parent.name != "archive"]
    found.append(("archive month (Dari)", _pick(months)))
    edition = [p for p in htmls if p.parent.name == SEED and dari(p) and "draft" not in p.as_posix()]
    found.append((f"edition: {SEED} (Dari)", _pick(edition)))
    return [(name, path) for name, path in found if path is not None]


def serve(dist: Path):
    """An HTTP server for dist/ on 127.0.0.1 in a thread: the project's, else the stdlib's."""
    try:
        sys.path.insert(0, str(ROOT / "src"))
        from editions.serve import server

        httpd = server(dist, 0, live=False)
    except Exception:  # noqa: BLE001 - the server's interface is being reworked: serve plainly
        import functools
        import http.server

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dist))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def audit(lighthouse: Path, chrome: str, url: str, preset: str, work: Path) -> dict:
    out = work / f"report-{os.getpid()}-{preset}.json"
    flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
    cmd = [str(lighthouse), url, "--output=json", f"--output-path={out}", "--quiet",
           f"--chrome-flags={flags}", "--only-categories=" + ",".join(CATEGORIES)]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=chrome)
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse exit {run.returncode}: {(run.stderr or run.stdout)[-1500:]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse: {report['runtimeError'].get('message')}")
    scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
    weight = report["audits"].get("total-byte-weight", {}).get("numericValue")
    failed = {c: [a["id"] for a in report["categories"][c]["auditRefs"]
                  if a.get("weight") and (report["audits"][a["id"]].get("score") is not None)
                  and report["audits"][a["id"]]["score"] < 0.9] for c in CATEGORIES}
    return {"scores": scores, "bytes": weight, "failed": failed, "version": report.get("lighthouseVersion")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dist", type=Path, help="an already built dist/ (default: build a copy of the project)")
    ap.add_argument("--archive", type=int, metavar="N",
                    help="build a generated archive of N articles (benchmarks/archive.py) instead of the project")
    ap.add_argument("--presets", nargs="+", choices=["mobile", "desktop"], default=["mobile", "desktop"])
    ap.add_argument("--runs", type=int, default=1,
                    help="audits of each page and preset; the run with the median performance score is shown "
                         "(default 1: performance moves with the machine's load)")
    ap.add_argument("--lighthouse", type=Path, default=Path(os.environ.get("LIGHTHOUSE", LIGHTHOUSE)))
    ap.add_argument("--chrome", default=os.environ.get("CHROME_PATH") or shutil.which("chromium")
                    or shutil.which("chromium-browser") or "/usr/bin/chromium")
    args = ap.parse_args()
    if not args.lighthouse.exists():
        print(f"lighthouse.py: no Lighthouse at {args.lighthouse} (make {LIGHTHOUSE.relative_to(ROOT)})",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="sangar-lighthouse-") as tmp:
        work = Path(tmp)
        if args.dist:
            dist = args.dist.resolve()
            what = str(dist)
        elif args.archive:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from archive import make_archive

            # HTML editions (every format of 1,000 articles is ~25 CPU-minutes), the seed's in
            # every format: the pages audited are the site's and the seed's edition
            dist = build(make_archive(work / "project", args.archive), "--format", "html")
            build(work / "project", SEED)
            what = f"a generated archive of {args.archive} articles (HTML editions), built in a tmp dir"
        else:
            dist = build(copy_project(work / "project"))
            what = "a copy of the project, built in a tmp dir"
        found = pages(dist)
        httpd = serve(dist)
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        version = None
        print(f"== Lighthouse ({', '.join(args.presets)}{f', median of {args.runs} runs' if args.runs > 1 else ''}), "
              f"goal ≥ {GOAL} in each category: {what} ==")
        print(f"{'page':<44} {'preset':<8} " + " ".join(f"{c:>14}" for c in CATEGORIES) + f" {'bytes':>10}")
        try:
            for name, path in found:
                for preset in args.presets:
                    try:
                        runs = [audit(args.lighthouse, args.chrome, base + path.as_posix(), preset, work)
                                for _ in range(max(1, args.runs))]
                    except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
                        print(f"{name:<44} {preset:<8} could not audit: {exc}")
                        continue
                    runs.sort(key=lambda r: r["scores"]["performance"] or 0)
                    result = runs[len(runs) // 2]
                    version = result["version"]
                    cells = []
                    for c in CATEGORIES:
                        s = result["scores"][c]
                        cells.append(f"{'—':>14}" if s is None else
                                     f"{round(s * 100):>12} {'✓' if round(s * 100) >= GOAL else '✗'}")
                    weight = result["bytes"]
                    print(f"{name:<44} {preset:<8} " + " ".join(cells)
                          + (f" {int(weight):>10,}" if weight is not None else ""))
                    below = "; ".join(f"{c}: {', '.join(ids)}" for c, ids in result["failed"].items() if ids
                                      and result["scores"][c] is not None and round(result["scores"][c] * 100) < GOAL)
                    if below:
                        print(f"{'':<4}audits below 0.9: {below}")
                print(f"{'':<4}{path.as_posix()}")
        finally:
            httpd.shutdown()
        missing = {"Dari front page", "archive page (Dari)"} - {n for n, _ in found}
        if missing:
            print(f"    not in this dist/ yet: {', '.join(sorted(missing))}")
        if version:
            print(f"    Lighthouse {version}, {subprocess.run([args.chrome, '--version'], capture_output=True, text=True).stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
