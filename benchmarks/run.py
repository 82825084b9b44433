"""Speed and scale of the pipeline, each figure with a ratio against a baseline measured in
the same run (machines are noisy: never compare with numbers from elsewhere).

    make bench                      # seed article + a 200-article archive
    .venv/bin/python benchmarks/run.py --archive 1000 --build-articles 40
"""
from __future__ import annotations

import argparse
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
        table = None if loc is None else catalog.translations(
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

    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
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
    from editions.render.assets import fetcher

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=int, default=200, help="articles in the generated archive (default 200)")
    ap.add_argument("--large", action="store_true", help="an archive of 1,000 articles")
    ap.add_argument("--build-articles", type=int, default=12, help="articles in the full-build comparison")
    ap.add_argument("--only", choices=["seed", "archive", "memory", "tagging"], help="run one part")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the naive way and of the cold build (median)")
    args = ap.parse_args()
    n = 1000 if args.large else args.archive
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="sangar-bench-") as tmp:
        if args.only in (None, "seed"):
            seed(Path(tmp), max(1, args.repeat))
        if args.only in (None, "archive"):
            archive(Path(tmp), n, args.build_articles)
        if args.only in (None, "memory"):
            memory_scaling(Path(tmp), [max(1, n // 8), max(2, n // 2), n])
        if args.only in (None, "tagging"):
            tagging(Path(tmp), max(1, args.repeat), args.build_articles)


if __name__ == "__main__":
    main()
