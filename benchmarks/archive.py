"""A generated archive: a project with the real styles, the UI catalogs and `n` articles
derived from the two real manuscripts, for the archive-scale benchmark (benchmarks/run.py)
and the site tests (front pages, archive pages, feeds, search). Its output is never
committed.

    python benchmarks/archive.py DEST N

Article 0 is the seed article (`cloud-over-the-taliban`) and article 1 the second real one
(`kabul-water-crisis`, with its photo), exactly as they are; every further article is a copy
of one of them (alternately) under its own slug (`<seed-slug>-NNNN`), with its own title
(the seed's title followed by its number, in the edition's digits in the Dari and Pashto
catalogs, so every catalog stays complete), its own date (spread evenly over four years,
newest first: archive pages by month exist in both calendars) and a kind that cycles through
opinion, analysis and news. `make_archive(dest, 1)` is the seed article alone.

Only files are copied and rewritten (no pandoc, no msgcat): 1,000 articles take about a
second. The same arguments always give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("cloud-over-the-taliban", "kabul-water-crisis")
KINDS = ("opinion", "analysis", "news")
LOCALES = ("fa_AF", "ps_AF")
NEWEST = dt.date(2026, 11, 27)  # the day before the newest real article
SPAN_DAYS = 4 * 365  # the oldest article: four years earlier
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def slug_of(i: int) -> str:
    """The slug of article `i` (0 and 1: the real articles)."""
    return SEEDS[i] if i < len(SEEDS) else f"{SEEDS[i % 2]}-{i:04d}"


def date_of(i: int, n: int) -> dt.date:
    """Article `i` of `n`: evenly from NEWEST (article 0) back to four years before."""
    return NEWEST - dt.timedelta(days=(i * SPAN_DAYS) // max(1, n - 1)) if n > 1 else NEWEST


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _title_entry(text: str) -> re.Match:
    """The title's entry of a catalog or template (its `#. title` comment, then the rest)."""
    m = re.search(r'^#\. title\n((?:#.*\n)*)(msgid (?:".*"\n)+)(msgstr (?:".*"\n?)+)', text, re.M)
    if m is None:
        raise ValueError("no title entry")
    return m


def _unquote(block: str, keyword: str) -> str:
    body = block[len(keyword):].strip()
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body)).replace('\\"', '"').replace("\\\\", "\\")


class _Seed:
    """One real article: its manuscript, its template and catalogs, split where they change."""

    def __init__(self, root: Path, slug: str) -> None:
        self.slug = slug
        self.manuscript = (root / "manuscripts" / f"{slug}.md").read_text(encoding="utf-8")
        m = re.search(r"^title: *(.*)$", self.manuscript, re.M)
        self.title = m.group(1).strip().strip("'\"")
        self.texts = {"pot": (root / "translations" / f"{slug}.pot").read_text(encoding="utf-8")}
        for loc in LOCALES:
            self.texts[loc] = (root / "translations" / loc / "LC_MESSAGES" / f"{slug}.po").read_text(encoding="utf-8")
        self.translated = {}
        for key, text in self.texts.items():
            entry = _title_entry(text)
            if _unquote(entry.group(2), "msgid") != self.title:
                raise ValueError(f"{slug} {key}: the title entry is not the manuscript's title")
            self.translated[key] = _unquote(entry.group(3), "msgstr")

    def manuscript_for(self, slug: str, title: str, date: dt.date, kind: str) -> str:
        head, sep, body = self.manuscript.partition("\n---\n")
        head = re.sub(r"^slug:.*$", f"slug: {slug}", head, count=1, flags=re.M)
        head = re.sub(r"^title:.*$", f"title: {title}", head, count=1, flags=re.M)
        head = re.sub(r"^date:.*$", f"date: {date.isoformat()}", head, count=1, flags=re.M)
        head = re.sub(r"^kind:.*$", f"kind: {kind}", head, count=1, flags=re.M)
        return head + sep + body

    def catalog_for(self, key: str, slug: str, title: str, number: int) -> str:
        text = self.texts[key].replace(f"manuscripts/{self.slug}.md:", f"manuscripts/{slug}.md:")
        entry = _title_entry(text)
        tr = self.translated[key]
        if tr:
            tr = f"{tr.rstrip('.۔')} ({str(number).translate(PERSIAN_DIGITS)})"
        block = f"msgid {_po_string(title)}\nmsgstr {_po_string(tr)}" + ("\n" if entry.group(3).endswith("\n") else "")
        return text[:entry.start(2)] + block + text[entry.end(3):]


def make_archive(dest: Path, n: int, seed_root: Path = ROOT) -> Path:
    """Write a project of `n` articles under `dest` (created; must not hold a project yet)
    and return it. Deterministic: the same `n` and seeds give the same files."""
    if n < 1:
        raise ValueError("an archive holds at least one article")
    dest = Path(dest)
    seed_root = Path(seed_root)
    (dest / "manuscripts").mkdir(parents=True, exist_ok=True)
    shutil.copytree(seed_root / "styles", dest / "styles", dirs_exist_ok=True)
    images = seed_root / "manuscripts" / "images"
    if images.is_dir() and n > 1:
        shutil.copytree(images, dest / "manuscripts" / "images", dirs_exist_ok=True)
    folders = {loc: dest / "translations" / loc / "LC_MESSAGES" for loc in LOCALES}
    for loc, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(seed_root / "translations" / loc / "LC_MESSAGES" / "messages.po", folder / "messages.po")
    shutil.copy2(seed_root / "translations" / "messages.pot", dest / "translations" / "messages.pot")
    seeds = [_Seed(seed_root, s) for s in SEEDS]
    for i in range(n):
        slug = slug_of(i)
        if i < len(SEEDS):  # the real articles, as they are
            shutil.copy2(seed_root / "manuscripts" / f"{slug}.md", dest / "manuscripts" / f"{slug}.md")
            shutil.copy2(seed_root / "translations" / f"{slug}.pot", dest / "translations" / f"{slug}.pot")
            for loc, folder in folders.items():
                shutil.copy2(seed_root / "translations" / loc / "LC_MESSAGES" / f"{slug}.po", folder / f"{slug}.po")
            continue
        seed = seeds[i % 2]
        title = f"{seed.title.rstrip('.')} ({i})"
        kind = KINDS[(i // 2) % len(KINDS)]
        (dest / "manuscripts" / f"{slug}.md").write_text(
            seed.manuscript_for(slug, title, date_of(i, n), kind), encoding="utf-8")
        (dest / "translations" / f"{slug}.pot").write_text(seed.catalog_for("pot", slug, title, i), encoding="utf-8")
        for loc, folder in folders.items():
            (folder / f"{slug}.po").write_text(seed.catalog_for(loc, slug, title, i), encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", type=Path, help="the folder to write the project into")
    ap.add_argument("n", type=int, help="articles (1: the seed article alone; 2: both real articles)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be at least 1")
    if (args.dest / "manuscripts").exists():
        ap.error(f"{args.dest} already holds manuscripts/")
    make_archive(args.dest, args.n)
    print(f"{args.dest}: {args.n} article(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
