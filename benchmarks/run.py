"""Speed and scale of the pipeline, each figure with a ratio against a baseline measured in
the same run (machines are noisy: never compare with numbers from elsewhere).

    make bench                      # seed article + a 200-article archive + the archive scale
    .venv/bin/python benchmarks/run.py --archive 1000 --build-articles 40
    .venv/bin/python benchmarks/run.py --archive-scale     # issue 12's goals, ✓/✗ (~10 min)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "cloud-over-the-taliban"
BIN = Path(sys.executable).parent


def copy_project(dest: Path) -> Path:
    """The styles and the seed article alone (manuscript, its catalogs, the UI's): the naive
    baseline builds the seed's nine editions, so the cold build must build the same."""
    shutil.copytree(ROOT / "styles", dest / "styles")
    names = [f"manuscripts/{SLUG}.md"] + [p.relative_to(ROOT).as_posix() for p in (ROOT / "translations").rglob("*")
                                          if p.is_file() and p.stem in (SLUG, "messages")]
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    return dest


def timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def cli(root: Path, *args: str) -> list[str]:
    return [str(BIN / "make-editions"), "--root", str(root), *args]


def line(name: str, seconds: float, base: float, base_name: str, goal: str = "") -> None:
    print(f"{name:<44} {seconds:8.2f} s   {seconds / base:6.2f} × {base_name}" + (f"   (goal {goal})" if goal else ""))


def _translations(catalog):
    """msgid → msgstr of what a catalog publishes (catalog.translations, check.translations since the new core)."""
    if hasattr(catalog, "translations"):
        return catalog.translations
    from editions.check import translations

    return translations


def naive_inputs(root: Path, work: Path) -> list[Path]:
    """Each edition as a standalone Markdown file, for the naive command-line pipeline."""
    sys.path.insert(0, str(ROOT / "src"))
    import pypandoc

    from editions import catalog
    from editions.manuscript import read
    from editions.translate import edition

    ms = read(root / "manuscripts" / f"{SLUG}.md")
    out = []
    for tag, loc in (("en", None), ("fa-AF", "fa_AF"), ("ps-AF", "ps_AF")):
        table = None if loc is None else _translations(catalog)(
            catalog.load(root / "translations" / loc / "LC_MESSAGES" / f"{SLUG}.po"))
        ed = edition(ms, tag, table)
        md = pypandoc.convert_text(ed.document, "markdown", format="json")
        path = work / f"{tag}.md"
        path.write_text(f"---\ntitle: \"{ed.title}\"\nlang: {tag}\ndir: {ed.dir}\n---\n\n{md}", encoding="utf-8")
        out.append(path)
    return out


def seed(tmp: Path, repeat: int) -> None:
    """The naive way and a cold build, each `repeat` times alternately; medians."""
    import statistics

    from editions.pandoc import binary

    pandoc = binary()  # the build's own pandoc
    print(f"== seed article: nine editions (median of {repeat} runs each) ==")
    inputs = naive_inputs(ROOT, tmp)
    css = ROOT / "styles" / "sangar.css"

    def naive_once() -> float:
        start = time.perf_counter()
        for md in inputs:
            html = md.with_suffix(".html")
            subprocess.run([pandoc, "-s", str(md), "-o", str(html), "--css", str(css)], check=True,
                           stderr=subprocess.DEVNULL)
            subprocess.run([pandoc, str(md), "-o", str(md.with_suffix(".epub"))], check=True,
                           stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "weasyprint"), str(html), str(md.with_suffix(".pdf"))], check=True,
                           stderr=subprocess.DEVNULL)
        return time.perf_counter() - start

    naives, colds = [], []
    for i in range(repeat):
        naives.append(naive_once())
        colds.append(timed(cli(copy_project(tmp / f"cold{i}"))))
    naive, cold = statistics.median(naives), statistics.median(colds)
    line("naive: pandoc ×6 + weasyprint ×3 (CLI)", naive, naive, "naive")
    line("make-editions, cold (--jobs default)", cold, naive, "naive", "≤ 0.40")
    print(f"{'  (each run: naive ' + ' '.join(f'{t:.2f}' for t in naives) + ', cold ' + ' '.join(f'{t:.2f}' for t in colds) + ')':<44}")
    project = tmp / "cold0"
    noop = timed(cli(project))
    line("make-editions, nothing changed", noop, cold, "cold")
    po = project / "translations" / "ps_AF" / "LC_MESSAGES" / f"{SLUG}.po"
    po.write_text(po.read_text(encoding="utf-8").replace("ننګونه", "ننګونې", 1), encoding="utf-8")
    one = timed(cli(project))
    line("make-editions, one catalog changed", one, cold, "cold")


def make_archive(dest: Path, n: int, catalogs: bool = True) -> Path:
    """The project plus `n` copies of the real article (and of its complete catalogs)."""
    project = copy_project(dest)
    source = (project / "manuscripts" / f"{SLUG}.md").read_text(encoding="utf-8")
    pos = {loc: (project / "translations" / loc / "LC_MESSAGES" / f"{SLUG}.po").read_text(encoding="utf-8")
           for loc in ("fa_AF", "ps_AF")} if catalogs else {}
    for i in range(n):
        slug = f"article-{i:04d}"
        (project / "manuscripts" / f"{slug}.md").write_text(source.replace(f"slug: {SLUG}", f"slug: {slug}"),
                                                            encoding="utf-8")
        for loc, text in pos.items():
            (project / "translations" / loc / "LC_MESSAGES" / f"{slug}.po").write_text(text, encoding="utf-8")
    if catalogs:
        subprocess.run(cli(project, "update"), check=True, stdout=subprocess.DEVNULL)  # every catalog complete
    return project


def archive(tmp: Path, n: int, build_n: int) -> None:
    print(f"== archive: {n} articles from the real one ==")
    project = make_archive(tmp / f"archive{n}", n)
    stale = {p: p.read_bytes() for p in (project / "translations").rglob("article-*.po")}
    # The editors change one paragraph in every article and the templates follow; the
    # translators' catalogs are still the old ones (as when they come back from Poedit).
    for path in (project / "manuscripts").glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("Overall, ISIS-K remains", "Overall, ISIS-K still remains"),
                        encoding="utf-8")
    subprocess.run(cli(project, "extract"), check=True, stdout=subprocess.DEVNULL)
    for path, data in stale.items():
        path.write_bytes(data)
    gnu = Path(tempfile.mkdtemp(dir=tmp))
    shutil.copytree(project / "translations", gnu / "translations")
    ours = timed(cli(project, "update"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # msgmerge gets the same new templates our extract wrote, and the same old catalogs.
    start = time.perf_counter()
    for pot in sorted((project / "translations").glob("*.pot")):
        for loc in ("fa_AF", "ps_AF"):
            po = gnu / "translations" / loc / "LC_MESSAGES" / f"{pot.stem}.po"
            if po.exists():
                subprocess.run(["msgmerge", "--quiet", "--previous", "-U", "--backup=off", str(po), str(pot)],
                               check=True)
    msgmerge = time.perf_counter() - start
    line(f"msgmerge --previous, {2 * n + 2} catalogs", msgmerge, msgmerge, "msgmerge")
    line("make-editions update (extract + merge)", ours, msgmerge, "msgmerge", "≤ 0.50")
    gnu_fuzzy = sum(1 for p in (gnu / "translations").rglob("article-*.po")
                    if "#, fuzzy" in p.read_text(encoding="utf-8"))
    print(f"{'  fuzzy catalogs after the edit (msgmerge)':<44} {gnu_fuzzy} of {2 * n}")
    fuzzy = sum(1 for p in (project / "translations").rglob("article-*.po")
                if "#, fuzzy" in p.read_text(encoding="utf-8"))
    print(f"{'  fuzzy catalogs after the edit (ours)':<44} {fuzzy} of {2 * n}")
    print(f"{'  peak memory of the update (KiB)':<44} {usage}")

    small = make_archive(tmp / f"build{build_n}", build_n)
    one = timed(cli(small, "build", "--jobs", "1"))
    shutil.rmtree(small / "dist")
    two = timed(cli(small, "build", "--jobs", "2"))
    editions = 3 * (build_n + 1)
    line(f"full build of {editions} editions, --jobs 1", one, one, "jobs 1")
    line(f"full build of {editions} editions, --jobs 2", two, one, "jobs 1", "≤ 0.59 (≥ 1.7× faster)")


UNTAGGED = ("import sys; import editions.render.pdf as pdf; pdf.VARIANT = None; "
            "from editions.cli import run; sys.argv[0] = 'make-editions'; run()")


def untagged(root: Path, *args: str) -> list[str]:
    """make-editions as before issue 14: WeasyPrint's plain PDF (forked PDF workers inherit it)."""
    return [sys.executable, "-c", UNTAGGED, "--root", str(root), *args]


def tagging(tmp: Path, repeat: int, build_n: int) -> None:
    """What tagged PDF/UA-1 + PDF/A-2a costs: per PDF in one warm process (the six editions of
    both articles), a cold build of the project, and a full archive build."""
    import statistics

    sys.path.insert(0, str(ROOT / "src"))
    from editions.render import pdf
    from editions.render.pdf import fetcher

    print(f"== tagged PDFs (PDF/UA-1 + PDF/A-2a) against untagged (median of {repeat}) ==")
    project = copy_project(tmp / "tagging")
    subprocess.run(cli(project), check=True, stdout=subprocess.DEVNULL)
    wp, fonts = pdf.weasyprint(), pdf.font_config(str(project))
    pages = [(p, p.read_text(encoding="utf-8")) for p in sorted((project / "dist").glob("*/*.html"))]
    assets = project / "dist" / "assets"

    def weasyprint_ua(doc):
        return doc.write_pdf(pdf_variant="pdf/ua-1")  # WeasyPrint's tags alone (our wrapper still runs)

    ways = {
        "untagged": lambda doc: doc.write_pdf(),
        "pdf/ua-1 (WeasyPrint)": weasyprint_ua,
        "ours: pdf/a-2a + ua-1 + finisher": None,
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    sizes: dict[str, int] = {}
    for _ in range(repeat):
        for name, write in ways.items():
            start, size = time.perf_counter(), 0
            for path, html in pages:
                if write is None:
                    data = pdf.render(html, path.parent, [assets], fonts)
                else:
                    doc = wp.HTML(string=html, base_url=path.parent.as_uri() + "/", url_fetcher=fetcher([assets]),
                                  media_type="print").render(font_config=fonts)
                    data = write(doc)
                size += len(data)
            times[name].append(time.perf_counter() - start)
            sizes[name] = size
    base = statistics.median(times["untagged"])
    for name in ways:
        t = statistics.median(times[name])
        line(f"{len(pages)} PDFs in one process, {name}", t, base, "untagged")
        print(f"{'  per PDF / size per PDF':<44} {t / len(pages) * 1000:8.1f} ms  {sizes[name] / len(pages) / 1024:6.0f} KiB")

    tagged_cold, plain_cold = [], []
    for i in range(repeat):
        plain_cold.append(timed(untagged(copy_project(tmp / f"plain{i}"))))
        tagged_cold.append(timed(cli(copy_project(tmp / f"tagged{i}"))))
    plain, tagged = statistics.median(plain_cold), statistics.median(tagged_cold)
    line("cold build (6 editions), untagged", plain, plain, "untagged")
    line("cold build (6 editions), tagged", tagged, plain, "untagged")

    small = make_archive(tmp / f"tagbuild{build_n}", build_n)
    plain = timed(untagged(small, "build", "--jobs", "2"))
    shutil.rmtree(small / "dist")
    shutil.rmtree(small / ".cache", ignore_errors=True)
    tagged = timed(cli(small, "build", "--jobs", "2"))
    editions = 3 * (build_n + 1)
    line(f"archive build, {editions} editions, --jobs 2, untagged", plain, plain, "untagged")
    line(f"archive build, {editions} editions, --jobs 2, tagged", tagged, plain, "untagged")


def memory_scaling(tmp: Path, sizes: list[int]) -> None:
    print("== peak memory of `update` by archive size ==")
    first = None
    for n in sizes:
        project = make_archive(tmp / f"mem{n}", n, catalogs=False)
        code = ("import resource, sys; from editions.cli import main; main(['--root', sys.argv[1], 'update']);"
                "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
                " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), file=sys.stderr)")
        run = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
        kib = int(run.stderr.strip().splitlines()[-1])
        first = first or kib
        print(f"{'  ' + str(n) + ' articles':<44} {kib:8d} KiB   {kib / first:6.2f} × smallest")


# ---------------------------------------------------------------------------------------
# Archive scale (issue 12): a generated archive (benchmarks/archive.py), every figure with
# its baseline from the same run and a ✓/✗ against its goal.

MEASURE = r"""
import json, resource, subprocess, sys, time
with open(sys.argv[1], "ab") as log:
    start = time.perf_counter()
    code = subprocess.run(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss}))
"""

# A no-op run in one process, watched: which modules it imported (sys.modules at the end,
# and `-X importtime` for every process it started), and which processes it started
# (multiprocessing processes, forks, subprocesses by program name).
PROBE = r"""
import json, os, sys
started = []
def hook(event, args):
    if event in ("os.fork", "os.forkpty"):
        started.append(["fork", ""])
    elif event == "subprocess.Popen":
        started.append(["exec", os.path.basename(str(args[0]))])
    elif event in ("os.posix_spawn", "os.spawn", "os.exec"):
        started.append(["exec", os.path.basename(str(args[0]))])
sys.addaudithook(hook)
import multiprocessing.process as mpp
_start = mpp.BaseProcess.start
def start(self):
    started.append(["worker", type(self).__name__ + " " + (self.name or "")])
    return _start(self)
mpp.BaseProcess.start = start
from importlib.metadata import entry_points
me = os.getpid()
sys.argv = ["make-editions", *sys.argv[1:]]
(ep,) = [e for e in entry_points(group="console_scripts") if e.name == "make-editions"]
try:
    code = ep.load()()
except SystemExit as exc:
    code = exc.code
if os.getpid() == me:
    with open(os.environ["SANGAR_PROBE"], "w") as out:
        json.dump({"code": code, "started": started,
                   "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("weasyprint", "babel"))}, out)
sys.exit(code if isinstance(code, int) else 0)
"""

# The raw renderer floor of given editions, in one warm process: pandoc (the binary the
# project calls) from the edition's pandoc AST to standalone HTML and to EPUB, and
# WeasyPrint in-process (imported and warmed up before timing) laying out the built HTML
# edition for print. CPU of each (pandoc: the child's user + sys; WeasyPrint: this
# process's), median of `repeat`.
FLOOR = r"""
import json, os, resource, statistics, subprocess, sys, time
from pathlib import Path
root, formats, repeat, htmls = Path(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3]), json.loads(sys.argv[4])
from editions.pandoc import binary
pandoc = binary()  # the build's own pandoc
work = Path(sys.argv[5])
def ast(slug, tag, html):
    try:  # the edition's own document, as the build translates it
        from editions import catalog
        from editions.manuscript import read
        from editions.translate import edition
        try:
            from editions.check import translations
        except ImportError:
            translations = catalog.translations
        ms = read(root / "manuscripts" / f"{slug}.md")
        table = None if tag == ms.lang else translations(
            catalog.load(root / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / f"{slug}.po"))
        doc = edition(ms, tag, table).document
        return doc if isinstance(doc, str) else json.dumps(doc), "translated"
    except Exception:  # the project's interface moved: the built page, read back by pandoc
        return subprocess.run([pandoc, "-f", "html", "-t", "json", html], capture_output=True, text=True,
                              check=True).stdout, "from the built page"
def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
def run_pandoc(args, cwd):
    c, w = child_cpu(), time.perf_counter()
    subprocess.run([pandoc, *args], check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return child_cpu() - c, time.perf_counter() - w
if "pdf" in formats:
    import weasyprint
out = {}
for key, html in htmls.items():
    slug, tag = key.split(" ")
    doc, how = ast(slug, tag, html)
    src = work / f"{slug}.{tag}.json"
    src.write_text(doc, encoding="utf-8")
    res = f"--resource-path={root / 'manuscripts'}:{Path(html).parent}"
    title = f"--metadata=pagetitle:{slug}"
    times = {f: [] for f in formats}
    for i in range(repeat + 1):  # the first round warms up (page cache, fonts, WeasyPrint's caches)
        got = {}
        if "html" in formats:
            got["html"] = run_pandoc(["-f", "json", "-s", title, res, "-o", str(work / "x.html"), str(src)], root)
        if "epub" in formats:
            got["epub"] = run_pandoc(["-f", "json", title, res, "-o", str(work / "x.epub"), str(src)], root)
        if "pdf" in formats:
            c, w = time.process_time(), time.perf_counter()
            weasyprint.HTML(filename=html, media_type="print").write_pdf()
            got["pdf"] = (time.process_time() - c, time.perf_counter() - w)
        if i:
            for f, t in got.items():
                times[f].append(t)
    out[key] = {"how": how, **{f: [statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)]
                               for f, ts in times.items()}}
print(json.dumps(out))
"""


class BuildFailed(RuntimeError):
    pass


def _mark(ok: bool | None) -> str:
    return "?" if ok is None else ("✓" if ok else "✗")


def measure(cmd: list[str], log: Path) -> dict:
    """Wall time, CPU (user + sys) and peak RSS (the largest process) of `cmd` and every
    process it started, from a wrapper of its own (so runs do not add up)."""
    run = subprocess.run([sys.executable, "-c", MEASURE, str(log), *cmd], capture_output=True, text=True, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise BuildFailed(f"{' '.join(cmd[3:])} exited {result['code']}:\n{tail}")
    return result


def _built(log: Path) -> str:
    """The build's own summary line (`editions: N built, …`), if it printed one."""
    lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.startswith("editions:")]
    return lines[-1][len("editions:"):].strip() if lines else ""


def repeated(fn, repeat: int, budget: float) -> dict:
    """fn() → a measure() result, run `repeat` times or until `budget` seconds are spent (at
    least once): the median wall and the median CPU, and the runs' walls."""
    import statistics

    runs: list[dict] = []
    while len(runs) < repeat and (not runs or sum(r["wall"] for r in runs) < budget):
        runs.append(fn())
    return {"wall": statistics.median(r["wall"] for r in runs), "cpu": statistics.median(r["cpu"] for r in runs),
            "runs": [r["wall"] for r in runs]}


def figure(name: str, value: str, ratio: str = "", goal: str = "", ok: bool | None = None) -> None:
    tail = f"   {_mark(ok)} goal {goal}" if goal else ""
    print(f"{name:<52} {value:>12}  {ratio:<26}{tail}".rstrip())


def probe(root: Path, args: list[str], log: Path) -> dict:
    """One watched run (see PROBE): modules imported, processes started. The run goes the
    whole way (the picture of the run before is removed: see noops)."""
    (root / ".cache" / "unchanged.json").unlink(missing_ok=True)
    out = log.with_suffix(".probe.json")
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, "--root", str(root), *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, SANGAR_PROBE=str(out)))
    imported = set()
    for ln in run.stderr.splitlines():
        if ln.startswith("import time:") and "|" in ln:
            imported.add(ln.rsplit("|", 1)[1].strip())
    seen = json.loads(out.read_text()) if out.exists() else {"started": None, "modules": None}
    started = seen["started"] or []
    workers = [s[1].split(" ")[0] for s in started if s[0] == "worker"]  # multiprocessing, any start method
    forks = sum(1 for s in started if s[0] == "fork")  # (a fork-started worker is counted once)
    workers += ["fork"] * max(0, forks - sum(1 for w in workers if w.startswith("Fork")))
    programs = [s[1] for s in started if s[0] == "exec"]
    python = Path(sys.executable).name
    workers += [p for p in programs if p.startswith("python") or p == python]
    return {"code": run.returncode, "any_process": imported, "main": seen["modules"],
            "workers": workers if seen["started"] is not None else None,
            "programs": sorted(set(p for p in programs if p not in workers))}


def report_probe(label: str, seen: dict) -> None:
    """A no-op imports neither WeasyPrint nor Babel's extractor, and starts no worker."""
    if seen["code"] != 0:
        print(f"{'  (the watched run exited ' + str(seen['code']) + ')':<52}")
    for mod in ("weasyprint", "babel.messages.extract"):
        anywhere = mod in seen["any_process"]
        main = seen["main"] is not None and mod in seen["main"]
        where = "no" if not anywhere else ("yes, in the main process" if main else "yes, in a worker process")
        figure(f"{label}: imports {mod}?", where, goal="no", ok=not anywhere)
    if seen["workers"] is None:
        figure(f"{label}: worker processes started", "unknown", "(the run ended before the probe's report)",
               goal="none", ok=None)
    else:
        figure(f"{label}: worker processes started", str(len(seen["workers"])),
               ("(" + ", ".join(sorted(set(seen["workers"]))) + ")")[:26] if seen["workers"] else "",
               goal="none", ok=not seen["workers"])
    if seen["programs"]:
        print(f"{'  other programs it ran':<52} {', '.join(seen['programs'])}")


def catalog_changed(what: str, changed: dict, noop: dict, render: float) -> None:
    """One Dari catalog changed ≤ the no-op + 1.5 × the render of that edition: judged on
    CPU (user + sys of every process; the render's too), which a busy machine disturbs far
    less than wall time; the wall times are shown beside it."""
    limit = noop["cpu"] + 1.5 * render
    figure(f"one Dari catalog changed, {what}: CPU", f"{changed['cpu']:.2f} s",
           f"{(changed['cpu'] - noop['cpu']) / render:.1f} × render over no-op",
           f"≤ no-op + 1.5 × render = {limit:.2f} s", changed["cpu"] <= limit)
    figure("  wall: changed, no-op", f"{changed['wall']:.2f} s", f"{noop['wall']:.2f} s")


def edition_html(dist: Path, slug: str, tag: str) -> Path:
    """The built HTML page of one edition, wherever the layout of dist/ puts it."""
    short = tag.split("-")[0]
    pages = [p for p in dist.rglob("*.html") if slug in p.as_posix() and "draft" not in p.as_posix()]
    named = [p for p in pages if tag in p.name] or [p for p in pages if tag in p.as_posix()] \
        or [p for p in pages if short in p.relative_to(dist).parts]
    if not named:
        raise BuildFailed(f"no built HTML page of {slug} {tag} under {dist}")
    return min(named, key=lambda p: (len(p.parts), str(p)))


def floor(root: Path, editions: list[tuple[str, str]], formats: list[str], repeat: int, tmp: Path) -> dict:
    """The raw renderer floor (see FLOOR) of each edition: {(slug, tag): {fmt: (cpu, wall)}}."""
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="floor"))
    htmls = {f"{slug} {tag}": str(edition_html(root / "dist", slug, tag)) for slug, tag in editions}
    run = subprocess.run([sys.executable, "-c", FLOOR, str(root), ",".join(formats), str(repeat), json.dumps(htmls),
                          str(work)], capture_output=True, text=True)
    if run.returncode != 0:
        raise BuildFailed(f"the renderer floor could not be measured:\n{run.stderr[-1500:]}")
    got = json.loads(run.stdout.strip().splitlines()[-1])
    return {tuple(k.split(" ")): v for k, v in got.items()}


def _cpu(fl: dict) -> float:
    return sum(v[0] for k, v in fl.items() if k != "how")


def change_catalog(root: Path, slug: str = SLUG, toggle: bool = False) -> None:
    """One Dari catalog changed: one word of one msgstr (the translator's fix; `toggle`:
    changed back if it was changed)."""
    po = root / "translations" / "fa_AF" / "LC_MESSAGES" / f"{slug}.po"
    text = po.read_text(encoding="utf-8")
    old, new = "واقعیت‌های موجود", "واقعیت‌های کنونی"
    new = text.replace(*((new, old) if toggle and new in text else (old, new)), 1)
    if new == text:
        raise BuildFailed(f"{po}: the word the benchmark changes is not there")
    po.write_text(new, encoding="utf-8")


def served_change(root: Path, args: list[str], log: Path, edits: int = 3) -> dict:
    """One Dari catalog changed while `make-editions serve ARGS` runs (the preview an editor
    keeps open): the CPU (user + sys) the server and its workers spend from the edit to the
    end of the rebuild it makes — everything the server does in that time, its watcher's
    polls too where it polls (no inotify) —, and the wall time from the edit to the
    rebuild's summary (the watcher's settle, 0.5 s, included). Medians of `edits` edits
    (the word changed, back, and again). psutil comes with Dask's distributed."""
    import queue
    import statistics
    import threading

    import psutil

    proc = subprocess.Popen(cli(root, "serve", "--port", "0", *args), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()
    said: list[str] = []

    def until(prefix: str, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while True:
            try:
                ln = lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise BuildFailed(f"serve printed no {prefix!r} line in {timeout:.0f} s:\n{''.join(said)[-1500:]}")
            said.append(ln)
            if ln.startswith(prefix):
                return

    def cpu() -> float:
        top = psutil.Process(proc.pid)
        total = 0.0
        for p in [top, *top.children(recursive=True)]:
            try:
                t = p.cpu_times()
            except psutil.Error:  # (a pandoc that ended: its time is its parent's, once reaped)
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    runs = []
    try:
        until("serving ")
        time.sleep(1.5)  # settled: a poll or two
        for _ in range(edits):
            before, start = cpu(), time.monotonic()
            change_catalog(root, toggle=True)
            until("editions:")
            wall = time.monotonic() - start
            time.sleep(0.3)  # (the reload bump and the watcher's look at what the build wrote)
            runs.append({"cpu": cpu() - before, "wall": wall})
    finally:
        os.killpg(proc.pid, 2)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.write_text("".join(said), encoding="utf-8")
    return {"cpu": statistics.median(r["cpu"] for r in runs), "wall": statistics.median(r["wall"] for r in runs),
            "runs": [r["cpu"] for r in runs]}


def change_style(root: Path, n: int) -> None:
    css = root / "styles" / "sangar.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\n/* benchmark: style change {n} */\n", encoding="utf-8")


def archive_scale(tmp: Path, n: int, full_n: int, dask_n: int, repeat: int) -> None:
    """The figures of issue 12's archive-scale goals."""
    import statistics

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from archive import make_archive

    tmp = tmp / "scale"
    tmp.mkdir()
    logs = tmp / "logs"
    logs.mkdir()
    count = iter(range(10**6))

    def build(root: Path, *args: str) -> dict:
        log = logs / f"{next(count):03d}.log"
        result = measure(cli(root, "build", *args), log)
        result["built"] = _built(log)
        return result

    def noops(root: Path, *args: str, budget: float = 10) -> tuple[dict, dict]:
        """The no-op the whole way (read → plan → run → publish: the first run after a build,
        made so by removing the picture of the run before) and again (from that picture:
        every run after it; src/editions/unchanged.py)."""
        picture = root / ".cache" / "unchanged.json"

        def whole() -> dict:
            picture.unlink(missing_ok=True)
            return build(root, *args)

        first = repeated(whole, repeat, budget)
        time.sleep(0.2)  # (a picture trusts no stamp newer than 0.1 s)
        build(root, *args)
        if not picture.is_file():
            raise BuildFailed(f"a no-op of {root.name} left no picture (.cache/unchanged.json)")
        return first, repeated(lambda: build(root, *args), repeat, budget)

    print(f"== archive scale: {n:,} articles × 3 languages (benchmarks/archive.py), medians of up to {repeat} ==")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} cores: "
          "absolute goals (seconds) need a quiet machine; ratios less so")
    print("-- one article (the seed alone), the baseline of the no-op --")
    try:
        colds = [build(make_archive(tmp / f"one{i}", 1))["wall"] for i in range(repeat)]
        cold1 = statistics.median(colds)
        one = tmp / "one0"
        one_whole, one_noop = noops(one)
        one_html_whole, one_html = noops(one, "--format", "html")
        noop1, noop1_html = one_noop["wall"], one_html["wall"]
        figure("cold build, 3 editions × 3 formats", f"{cold1:.2f} s", "1.00 × cold")
        print(f"{'  (each run ' + ' '.join(f'{t:.2f}' for t in colds) + '; no-ops ' + ' '.join(f'{t:.2f}' for t in one_noop['runs']) + ')':<52}")
        figure("nothing changed, the whole way", f"{one_whole['wall']:.2f} s",
               f"{one_whole['wall'] / cold1:.2f} × cold", "≈ ≤ 0.10 × cold", one_whole["wall"] / cold1 <= 0.10)
        figure("nothing changed, again (from the picture)", f"{noop1:.2f} s", f"{noop1 / cold1:.2f} × cold",
               "≈ ≤ 0.10 × cold", noop1 / cold1 <= 0.10)
        figure("  its CPU (user + sys, every process)", f"{one_noop['cpu']:.2f} s")
        figure("nothing changed, --format html: whole way, again", f"{one_html_whole['wall']:.2f} s",
               f"{noop1_html:.2f} s")
        report_probe("no-op", probe(one, ["build"], logs / "probe-one"))
    except BuildFailed as exc:
        print(f"  could not measure: {exc}")
        return

    print(f"-- {n:,} articles, HTML only (a full build of every format is ~1.3 CPU-s an article) --")
    big = make_archive(tmp / f"archive{n}", n)
    big_cold = None
    try:
        cold = big_cold = build(big, "--format", "html")
        figure(f"cold build, {3 * n:,} HTML editions", f"{cold['wall']:.1f} s",
               f"CPU {cold['cpu']:.0f} s, peak {cold['maxrss'] / 1024:.0f} MB")
        big_noop, big_again = noops(big, "--format", "html", budget=20)
        for label, mine, one_of in (("the whole way", big_noop, one_html_whole), ("again (from the picture)", big_again, one_html)):
            noop = mine["wall"]
            figure(f"nothing changed, --format html, {label}", f"{noop:.2f} s", f"CPU {mine['cpu']:.2f} s",
                   "≤ 1.0 s", noop <= 1.0)
            figure("  against the one-article no-op (HTML, the same way)", f"{noop / one_of['wall']:.2f} ×",
                   f"CPU {mine['cpu'] / one_of['cpu']:.2f} ×", f"≤ 2 × ({one_of['wall']:.2f} s)",
                   noop <= 2 * one_of["wall"])
            if len(mine["runs"]) > 1:
                print(f"{'  (each run ' + ' '.join(f'{t:.2f}' for t in mine['runs']) + ')':<52}")
        noop = big_noop["wall"]
        if noop <= 5:
            report_probe(f"no-op, {n:,} articles", probe(big, ["build", "--format", "html"], logs / "probe-big"))
        else:
            print(f"{'  (imports of this no-op not probed: it takes ' + f'{noop:.0f} s)':<52}")
        change_catalog(big)
        changed = build(big, "--format", "html")
        fl = floor(big, [(SLUG, "fa-AF")], ["html"], repeat, tmp)[(SLUG, "fa-AF")]
        render = _cpu(fl)
        catalog_changed("--format html", changed, big_noop, render)
        print(f"{'  render of that edition alone (pandoc HTML)':<52} {render:9.3f} s   ({fl['how']}; {changed['built']})")
        served = served_change(big, ["--format", "html"], logs / "serve-big.log")
        catalog_changed("--format html, in `serve` (warm)", served, big_noop, render)
        print(f"{'  (each edit, CPU ' + ' '.join(f'{t:.2f}' for t in served['runs']) + ')':<52}")
    except BuildFailed as exc:
        print(f"  could not measure: {exc}")

    print("-- peak memory by archive size (largest process of the build) --")
    try:
        small_n = max(1, n // 10)
        small = build(make_archive(tmp / f"mem{small_n}", small_n), "--format", "html")
        if big_cold is not None:
            ratio = big_cold["maxrss"] / small["maxrss"]
            figure(f"cold build, HTML only, {small_n:,} → {n:,} articles",
                   f"{small['maxrss'] / 1024:.0f} → {big_cold['maxrss'] / 1024:.0f} MB", f"{ratio:.2f} ×",
                   "flat (≤ 1.10 ×)", ratio <= 1.10)
    except BuildFailed as exc:
        print(f"  could not measure: {exc}")

    print(f"-- full rebuild after a style change: {full_n} articles × 3 languages × 3 formats --")
    try:
        full = make_archive(tmp / f"full{full_n}", full_n)
        mem_n = max(2, full_n // 3)
        first = build(make_archive(tmp / f"fullmem{mem_n}", mem_n), "--jobs", "2")
        cold = build(full, "--jobs", "2")
        figure(f"cold build, {3 * full_n} editions, --jobs 2", f"{cold['wall']:.1f} s", f"CPU {cold['cpu']:.0f} s")
        ratio = cold["maxrss"] / first["maxrss"]
        figure(f"  peak memory, cold, {mem_n} → {full_n} articles",
               f"{first['maxrss'] / 1024:.0f} → {cold['maxrss'] / 1024:.0f} MB", f"{ratio:.2f} ×",
               "flat (≤ 1.10 ×)", ratio <= 1.10)
        full_noop, full_again = noops(full, budget=15)
        for label, mine, one_of in (("the whole way", full_noop, one_whole), ("again", full_again, one_noop)):
            figure(f"nothing changed, {full_n} articles, every format, {label}", f"{mine['wall']:.2f} s",
                   f"{mine['wall'] / one_of['wall']:.2f} × one-article no-op", f"≤ 2 × ({one_of['wall']:.2f} s)",
                   mine["wall"] <= 2 * one_of["wall"])
        change_catalog(full)
        changed = build(full)
        editions = [(slug, tag) for slug in (SLUG, "kabul-water-crisis") for tag in ("en", "fa-AF", "ps-AF")]
        floors = floor(full, editions, ["html", "epub", "pdf"], repeat, tmp)
        render = _cpu(floors[(SLUG, "fa-AF")])
        catalog_changed("every format", changed, full_noop, render)
        print(f"{'  render of that edition alone (HTML + EPUB + PDF)':<52} {render:9.3f} s   ({changed['built']})")
        served = served_change(full, [], logs / "serve-full.log")
        catalog_changed("every format, in `serve` (warm)", served, full_noop, render)
        print(f"{'  (each edit, CPU ' + ' '.join(f'{t:.2f}' for t in served['runs']) + ')':<52}")
        change_style(full, 1)
        two = build(full, "--jobs", "2")
        change_style(full, 2)
        one_job = build(full, "--jobs", "1")
        floor_cpu = statistics.mean(_cpu(v) for v in floors.values())
        per = {f: statistics.mean(v[f][0] for v in floors.values()) for f in ("html", "epub", "pdf")}
        figure("raw renderer floor, CPU per edition", f"{floor_cpu:.3f} s", "1.00 × floor")
        print(f"{'  (pandoc HTML / pandoc EPUB / WeasyPrint PDF)':<52} "
              f"{per['html']:.3f} / {per['epub']:.3f} / {per['pdf']:.3f} s   "
              f"(mean of {len(floors)} editions: both real articles; {next(iter(floors.values()))['how']})")
        editions_n = 3 * full_n
        for label, r in (("--jobs 2", two), ("--jobs 1", one_job)):
            cpu = r["cpu"] / editions_n
            figure(f"style changed, rebuild {label}: CPU per edition", f"{cpu:.3f} s", f"{cpu / floor_cpu:.2f} × floor",
                   "≤ 1.3 × floor", cpu <= 1.3 * floor_cpu)
            print(f"{'  wall, peak memory, what it did':<52} {r['wall']:9.1f} s   {r['maxrss'] / 1024:.0f} MB; {r['built']}")
        speedup = one_job["wall"] / two["wall"]
        figure("style changed, --jobs 2 against --jobs 1 (wall)", f"{speedup:.2f} ×", "faster", "≥ 1.8 ×",
               speedup >= 1.8)
    except BuildFailed as exc:
        print(f"  could not measure: {exc}")

    print(f"-- Dask: {dask_n} articles on a LocalCluster of two worker processes --")
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = before or str(int(time.time()) - 86400)  # feeds as of one time
    try:
        dask_build(tmp, dask_n, build)
    except BuildFailed as exc:
        print(f"  could not measure: {exc}")
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _tree(dist: Path) -> dict[str, bytes]:
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in sorted(dist.rglob("*")) if p.is_file()}


def dask_build(tmp: Path, n: int, build) -> None:
    """The same build, local and on Dask: byte-identical editions? And the same project
    built in another folder (PDFs name their images after their URLs, which must not
    depend on where the project is)."""
    import logging

    from archive import make_archive, slug_of

    project = make_archive(tmp / f"dask{n}", n)

    def moved(name: str) -> dict[str, bytes]:
        tree = _tree(project / "dist")
        shutil.move(project / "dist", tmp / f"dist-{name}")
        shutil.rmtree(project / ".cache", ignore_errors=True)
        return tree

    here = build(project, "--jobs", "2")
    local = moved("local")
    try:
        from distributed import LocalCluster
    except ImportError as exc:
        raise BuildFailed(f"distributed is not installed: {exc}") from None
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        there = build(project, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    dask = moved("dask")

    def differ(a: dict, b: dict) -> list[str]:
        return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))

    slugs = [slug_of(i) for i in range(n)]

    def edition(name: str) -> bool:  # an article's page or file, not the site's (index, feeds…)
        return any(slug in name for slug in slugs)

    found = differ(local, dask)
    editions = [k for k in local if edition(k)]
    wrong = [k for k in found if edition(k)]
    figure(f"local --jobs 2, {3 * n} editions", f"{here['wall']:.1f} s", here["built"][:26])
    figure("Dask, 2 worker processes", f"{there['wall']:.1f} s", f"{there['wall'] / here['wall']:.2f} × local")
    figure("editions' files that differ, local against Dask", f"{len(wrong)} of {len(editions)}", "",
           "byte-identical (0)", not wrong)
    others = [k for k in found if not edition(k)]
    print(f"{'  other files of dist/ that differ':<52} {len(others)} of {len(local) - len(editions)}"
          + (f": {', '.join(others[:4])}{' …' if len(others) > 4 else ''}" if others else ""))
    if found:
        print(f"{'  differing: ' + ', '.join(found[:4]) + (' …' if len(found) > 4 else ''):<52}")
        build(project, "--jobs", "2")
        again = differ(local, moved("again"))
        print(f"{'  a second local build differs in':<52} {len(again)} file(s)"
              + (f" ({', '.join(again[:3])})" if again else " (the local build is reproducible)"))
    elsewhere = make_archive(tmp / f"dask-elsewhere{n}", n)
    build(elsewhere, "--jobs", "2")
    moved_differ = [k for k in differ(local, _tree(elsewhere / "dist")) if edition(k)]
    print(f"{'  (the same project built in another folder:':<52} {len(moved_differ)} edition file(s) differ"
          + (f": {', '.join(moved_differ[:3])}{' …' if len(moved_differ) > 3 else ''})" if moved_differ else ")"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=int, default=200, help="articles in the generated archive (default 200)")
    ap.add_argument("--large", action="store_true", help="an archive of 1,000 articles")
    ap.add_argument("--build-articles", type=int, default=12, help="articles in the full-build comparison")
    ap.add_argument("--only", choices=["seed", "archive", "memory", "tagging", "archive-scale"], help="run one part")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the naive way and of the cold build (median)")
    scale = ap.add_argument_group("archive scale (issue 12's goals; part of the default run)")
    scale.add_argument("--archive-scale", action="store_true", help="run only this part (= --only archive-scale)")
    scale.add_argument("--scale-articles", type=int, default=1000, metavar="N",
                       help="articles of the no-op, catalog-change and memory figures (default 1000; HTML only)")
    scale.add_argument("--full-articles", type=int, default=60, metavar="N",
                       help="articles of the full rebuild after a style change (default 60: 180 editions × 3 formats)")
    scale.add_argument("--dask-articles", type=int, default=6, metavar="N",
                       help="articles of the local-against-Dask comparison (default 6)")
    args = ap.parse_args()
    if args.archive_scale:
        args.only = "archive-scale"
    n = 1000 if args.large else args.archive
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="sangar-bench-") as tmp:
        if args.only in (None, "seed"):
            part(seed, Path(tmp), max(1, args.repeat))
        if args.only in (None, "archive"):
            part(archive, Path(tmp), n, args.build_articles)
        if args.only in (None, "memory"):
            part(memory_scaling, Path(tmp), [max(1, n // 8), max(2, n // 2), n])
        if args.only in (None, "tagging"):
            part(tagging, Path(tmp), max(1, args.repeat), args.build_articles)
        if args.only in (None, "archive-scale"):
            part(archive_scale, Path(tmp), max(2, args.scale_articles), max(2, args.full_articles),
                 max(1, args.dask_articles), max(1, args.repeat))


def part(fn, *args) -> None:
    """One part of the benchmark; if it breaks (the project's interface moved under it), the
    others still run."""
    import traceback

    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"!! {fn.__name__}: could not run: {type(exc).__name__}: {str(exc)[-800:]} "
              f"({Path(where.filename).name}:{where.lineno})", flush=True)


if __name__ == "__main__":
    main()
