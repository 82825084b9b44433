"""Search across the archive with no server: Pagefind's index of the editions' web pages in
the tree's pagefind/ folder (Layout.search), and the script of the search box beside it.

    index(layout, changed=None, cache=None, timeout=300, shard_pages=None) -> bool

Brings the index up to date when an edition's page changed (False: nothing to do). Pagefind
(npm `pagefind`, installed by `make setup` into .venv/pagefind) keeps one index per
language, by each page's `<html lang>`, and a search box searches the index of its own
page's language. Only an edition's title and article body are indexed: edition.html marks
them with `data-pagefind-body`.

Shards. Pagefind has no incremental mode: a run reads every page of its site, holds all of
them in memory and writes the whole bundle again. Over the whole archive, one page changed
meant a run over every page (at 1,000 articles, 3,000 pages: ~9 CPU-s and ~850 MB, growing
with the archive). So the index is cut into shards: per language, groups of at most
SHARD_PAGES edition pages, each its own Pagefind bundle, and a change runs Pagefind again
over the shards whose pages changed only, one shard after the other (never two at once):
what an update costs, in time and memory, is a shard's, whatever the archive's size.
SHARD_PAGES = 100: Pagefind's memory grows with what its shard's pages hold (their words),
not with the archive. Measured on benchmarks/archive.py's pages, a run over 50, 100, 150,
200 pages of the longer article (kabul-water-crisis, Pashto) peaks at 45, 77, 106, 133 MB
and takes 0.2, 0.4, 0.6, 0.7 CPU-s. At 200 a shard of such pages went over the Python
process of the build (~110 MB at 100 articles, where a language's only shard has 100
pages): a cold build's peak grew from 100 to 1,000 articles, 110 → 137 MB. At 100 pages a
shard is never larger than the whole index of a 100-article archive, and stays under the
build's own processes (an HTML build's Python process, ~110 MB; a PDF worker, ~175 MB).
What it costs: a reader's browser fetches a few small files per shard (below): 10 shards
a language at 1,000 articles instead of 5.

The fresh shard. Even a shard's run (~0.3 CPU-s for 100 pages) is most of what a
translator's one-word fix costs at 1,000 articles, so a few changes are not made into
their shards at once: a page changed, added or gone since its shard's bundle was made is
"behind" there, and while a language has at most FRESH_PAGES pages behind, its shards stay
as they are and the pages behind that are still there are indexed, alone, in the
language's fresh shard (pagefind/<tag>/fresh/: one Pagefind run over those few pages,
~0.01 CPU-s for one). The search box drops from its results the old versions of those
pages (their ids in the shards behind, in sangar-shards.json) and shows a page once when
two shards hold it unchanged (a page whose indexed words did not change keeps its id).
One more change than FRESH_PAGES, a shard that gives pages to another (SHARD_PAGES
lowered), or one that is not known whole makes the shards behind again, as above, and the
fresh shard goes. A page in the fresh shard is ranked within that shard's few pages (see
below), a little off from where its own shard would put it.

    pagefind/sangar-search.js       the search box's script
    pagefind/sangar-shards.json     each language's shards and the ids the box hides (asked
                                    for with `no-cache`: the browser checks it is current)
    pagefind/<tag>/<n>/, <tag>/fresh/
                                    a shard (tag fa-AF, ps-AF or en; n = 0, 1, 2 …): a
                                    Pagefind bundle (pagefind.js, its worker and wasm,
                                    pagefind-entry.json, *.pf_meta, index/, fragment/;
                                    not Pagefind's own UIs, UNUSED) and sangar-pages.json,
                                    the ids its pages have in its search results
    .cache/search/<tree>.json       the record: each shard's pages, with the stamp (size and
                                    time) of each one's folded copy, what its bundle was
                                    made from and each page's id in it; each language's
                                    fresh shard and the ids it hides
    .cache/search/<tree>.pages/<tag>/<n>/<slug>/<slug>.<tag>.html
                                    a shard's folded copies: the only pages Pagefind reads
                                    when it makes that shard (its --site)

A page keeps its shard from run to run. New pages of a language (in URL order) go into its
last shard while that has room, else into a new one (n + 1); a removed page leaves its
shard, and a shard left with no page is removed. (When SHARD_PAGES was lowered, a shard
keeps its first SHARD_PAGES pages in URL order and gives up the others as new pages.) A
shard is made again when a page of it came, went or changed size or time (unless the fresh
shard takes the change, above), and every shard
when the folding, the search box's script or Pagefind's
executable changed. It is made in the tree's .pagefind.new/ and swapped in; a Pagefind
that fails or takes too long leaves that shard's bundle as it was (and the record says it
is out of date; the shards made before it in the run stay).

What a reader's browser fetches, on the first query: the script and sangar-shards.json,
then Pagefind's code once
— pagefind.js, its worker and the wasm of the language's first shard — and of each shard
of the language its pagefind-entry.json, .pf_meta and sangar-pages.json (the first shard
is Pagefind's own index; the others are merged into it with mergeIndex and share its
wasm). Then, per query, of each shard the chunks of the index that hold the query's words
(index/*.pf_index), and the fragments of the results shown (and of each shard's best
result, see below). Results of all shards are ranked together by Pagefind's score, in
which a word's weight (BM25's idf and the pages' average length) is reckoned within its
shard, not the whole language: close to the ranking of one index, not the same.

A word of a query that no word of an index starts with is searched there as the longest
word of the index that starts it (Pagefind's fallback: «بامیان» as «با», "inflation" as
"in"). In one index that happened only to a word no page of the language has; in shards it
happens in every shard that lacks the word, and would bring all of that shard's pages with
«با». So the search box looks at the best result of each shard (sift in its script): a
shard whose result has only such a shorter word for a word of the query gives up its
results when another shard has the word itself.

Letters that are typed more than one way are found as one. Pagefind itself drops the
ZWNJ from a word («می‌شود» is found as «میشود» and the reverse) and the harakat; it does
not know that ي and ی, or ك and ک, are one letter to a reader. So both sides are folded:

- the index is made from a copy of the pages in which each letter of FOLDS is written as
  its folded letter followed by an invisible marker (U+2061…U+2064, no word character, so
  Pagefind leaves it out of the word it indexes and keeps it in the text it shows);
- the search box folds the query the same way (without markers) before Pagefind sees
  it, and puts the page's own letters back into the titles and excerpts it shows (a
  folded letter and its marker name the original).

Dari compounds are written three ways: with a ZWNJ («می‌شود», as the house style wants),
run together («میشود»), or — on a keyboard without ZWNJ — with a space («می شود»). On Dari
pages and in Dari queries a space after the prefixes می، نمی، بی and before the suffixes
ها، های، هایی، تر، تری، ترین is searched as no space (JOINS; in the index's copy the space
becomes a marker that is shown as a space again), so all three forms find one another.
Pashto pages are left alone: Pashto's مې ("my") is a word of its own.

Not handled: no stemming (Pagefind has none for Dari or Pashto; English is stemmed);
other spaced compounds (a noun and -ی or -ام written apart); presentation-form letters
(U+FB50–U+FEFF, from old PDFs) are not folded.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from .errors import EditionsError
from .fsutil import atomic_write
from .layout import SECTIONS, Layout

PAGEFIND = "1.6.0"  # the version the Makefile installs (npm pagefind@1.6.0)
SCRIPT = "sangar-search.js"  # the search box's script, written into the index folder
CONFIG = "sangar-shards.json"  # beside it: each language's shards and the ids it hides (config())
PAGES = "sangar-pages.json"  # in a shard's bundle: the ids of its pages in the index (the search box's)
SHARD_PAGES = 100  # a shard's most pages (see the module's docstring: what a run over so many costs)
FRESH_PAGES = 10  # a language's most pages in its fresh shard before their shards are made again
FRESH = "fresh"  # in the index: <tag>/fresh/, a language's fresh shard
STAGING = f".{Layout.search}.new"  # in the tree: <tag>.<n>/, a shard's next bundle, then swapped in
RETIRED = f".{Layout.search}.old"  # in the tree: <tag>.<n>/, a shard's bundle being replaced
# What Pagefind writes into a bundle for its own search UIs: the search box uses none.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
          "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js")

# letter → the letter it is searched as. Dari writes ی and ک (Persian); Arabic keyboards
# type ي and ك; Pashto's ې, ۍ and ګ are typed ی and گ on Dari keyboards; ة, ۀ, أ, إ, ٱ are
# spellings of ه and ا; digits of all three kinds are one.
FOLDS = {
    "\u064a": "\u06cc", "\u0649": "\u06cc", "\u06d0": "\u06cc", "\u06cd": "\u06cc",  # ي ى ې ۍ → ی
    "\u0643": "\u06a9",  # ك → ک
    "\u06ab": "\u06af",  # ګ → گ
    "\u0629": "\u0647", "\u06c0": "\u0647",  # ة ۀ → ه
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",  # أ إ ٱ → ا
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # ۰–۹ → 0–9
    **{chr(0x0660 + d): str(d) for d in range(10)},  # ٠–٩ → 0–9
}
TATWEEL = "\u0640"  # the kashida only stretches a word: searched as nothing
MARKERS = "\u2061\u2062\u2063\u2064"
TATWEEL_MARK = "\u2060\u2061"
INVISIBLE = re.compile("[\u2060-\u2064]")  # the markers' range: removed from pages before folding
SPACE_MARK = "\u2060\u2062"  # a joined space of a Dari compound (JOINS), shown as a space
# Dari compounds whose space is searched as none, on folded text (a ی may carry its marker).
# The same patterns, without markers, are the search box's (script()).
_Y = "\u06cc[\u2061-\u2064]?"
_PREFIX = f"(?<![\\w\u2060-\u2064])((?:\u0646)?\u0645{_Y}|\u0628{_Y})[ \u00a0]+(?=[\u0621-\u06ff])"  # (ن)می، بی
_SUFFIX = f"(?<=[\u0621-\u06ff\u2061-\u2064])[ \u00a0]+(?=(?:\u0647\u0627(?:{_Y}){{0,2}}|\u062a\u0631(?:{_Y}\u0646?)?)(?![\\w]))"  # ها(ی)(ی)، تر(ی)(ن)
JOINS = (re.compile(_PREFIX), re.compile(_SUFFIX))


def _marked() -> dict[str, str]:
    """Each letter of FOLDS (and the tatweel) → what the index's copy of a page has in its
    place: the folded letter and a marker, the n-th marker for the n-th letter folded to it."""
    out, count = {TATWEEL: TATWEEL_MARK}, {}
    for letter, folded in FOLDS.items():
        n = count[folded] = count.get(folded, -1) + 1
        out[letter] = folded + MARKERS[n]
    return out


MARKED = _marked()
_FOLD_PAGE = str.maketrans(MARKED)


def fold_page(text: str, dari: bool = False) -> str:
    """A page's text as the index reads it (see the module's docstring)."""
    text = INVISIBLE.sub("", text).translate(_FOLD_PAGE)
    if dari:
        text = JOINS[0].sub(lambda m: m.group(1) + SPACE_MARK, text)
        text = JOINS[1].sub(SPACE_MARK, text)
    return text


def fold_query(text: str, dari: bool = False) -> str:
    """A query as the search box gives it to Pagefind (the Python twin of its script's fold)."""
    text = INVISIBLE.sub("", text).replace(TATWEEL, "").translate(str.maketrans(FOLDS))
    if dari:
        text = JOINS[0].sub(lambda m: m.group(1), text)
        text = JOINS[1].sub("", text)
    return text


def pagefind_binary() -> Path:
    """Pagefind's executable, as `make setup` installs it into the venv (.venv/pagefind);
    else one on PATH."""
    modules = Path(sys.prefix) / "pagefind" / "node_modules"
    for name in ("pagefind_extended", "pagefind"):  # the platform package's own binary: no Node start-up
        for path in sorted(modules.glob(f"@pagefind/*/bin/{name}")):
            if os.access(path, os.X_OK):
                return path
    for path in (modules / ".bin" / "pagefind", shutil.which("pagefind")):
        if path and os.access(path, os.X_OK):
            return Path(path)
    raise EditionsError(None, None, f"pagefind is not installed (npm pagefind@{PAGEFIND} in .venv/pagefind): "
                                    "run `make setup`")


DARI_PAGE = re.compile(r"<html[^>]*\slang=\"fa\b")
EDITION_PAGE = re.compile(r"([^/]+)/\1\.([A-Za-z-]+)\.html")


def _is_edition_page(url: str) -> bool:
    m = EDITION_PAGE.fullmatch(url)
    return bool(m) and m.group(2) in SECTIONS


def edition_pages(layout: Layout) -> list[str]:
    """The URLs of the tree's editions' web pages (`<slug>/<slug>.<tag>.html`), sorted."""
    return sorted(_edition_stamps(layout))


def _edition_stamps(layout: Layout) -> dict[str, str]:
    """Each edition page of the tree (URL) → its stamp: a listing of each article folder,
    the pages' own `lstat` (no path objects: 3,000 pages cost ~0.2 s that way)."""
    root = layout.root
    if not root.is_dir():
        return {}
    out = {}
    with os.scandir(root) as top:
        folders = [e for e in top if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    for folder in folders:
        wanted = {Layout.file_name(folder.name, tag) for tag in SECTIONS}
        try:
            with os.scandir(folder.path) as found:
                for entry in found:
                    if entry.name in wanted and entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        out[f"{folder.name}/{entry.name}"] = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            continue
    return out


def index(layout: Layout, changed: Iterable[str] | None = None, cache: Path | None = None,
          timeout: float = 300, shard_pages: int | None = None, fresh_pages: int | None = None) -> bool:
    """Bring the tree's search index up to date with its editions' pages; True if a shard,
    the script or the index was (re)written or removed. `changed`: the URLs the caller wrote
    or removed in this run, when it knows them (none an edition page, and an index there:
    nothing to do, not even a look at the pages). `cache`: where the folded copies of the
    pages and the record of what was indexed are kept (default: the project's .cache/search
    beside the tree). `shard_pages`: a shard's most pages (default SHARD_PAGES);
    `fresh_pages`: a language's most pages behind their shards before those shards are made
    again (default FRESH_PAGES; 0: every change makes its shard again). Only the shards whose
    pages' size or time changed are made again, or only the language's fresh shard (see the
    module's docstring), each by one Pagefind run of at most `timeout` seconds. A failed or
    timed-out Pagefind leaves that shard as it was and raises EditionsError (one line)."""
    limit = SHARD_PAGES if shard_pages is None else shard_pages
    behind_limit = FRESH_PAGES if fresh_pages is None else fresh_pages
    if limit < 1 or behind_limit < 0:
        raise ValueError(f"shard_pages must be 1 or more and fresh_pages 0 or more, not {limit}, {behind_limit}")
    target = layout.path(Layout.search)
    sharded = (target / SCRIPT).is_file() and not (target / "pagefind-entry.json").exists()  # (not one bundle)
    if changed is not None and sharded and not any(_is_edition_page(u) for u in changed):
        return False
    cache = cache if cache is not None else layout.root.parent / ".cache" / "search"
    record_path = cache / f"{layout.root.name}.json"
    site = cache / f"{layout.root.name}.pages"
    stamps = _edition_stamps(layout)
    binary = pagefind_binary() if stamps else None
    base = _base(binary)
    try:
        before = record_path.read_text(encoding="utf-8")
        record = json.loads(before)
    except (OSError, ValueError):
        before, record = None, {}
    record = record if isinstance(record, dict) else {}
    old = _shards(record)
    if old is None or record.get("fold") != _fold_version():  # the copies are of another folding, or unknown
        shutil.rmtree(site, ignore_errors=True)
        old = {tag: [{**s, "pages": dict.fromkeys(s["pages"]), "held": None} for s in group]
               for tag, group in (old or {}).items()}
    shards = _assign(old, stamps, limit)
    remake, fresh, patched, behinds = [], {}, {}, {}
    for tag, group in shards.items():
        stale = [s for s in group if s["made"] != _made(base, s["pages"], stamps)
                 or (s["indexed"] and not (target / tag / s["name"] / "pagefind-entry.json").is_file())]
        patch = [s for s in stale if _patchable(s, base, target / tag / s["name"], stamps)]
        behind = {u for s in patch for u in _behind(s, stamps)}
        if len(behind) > behind_limit:
            patch, behind = [], set()
        remake += [(tag, s) for s in stale if s not in patch]
        patched[tag], behinds[tag] = patch, behind
        fresh[tag] = _fresh(record, tag, [u for u in sorted(behind) if u in stamps])
    staging, retired = layout.root / STAGING, layout.root / RETIRED
    wrote = False
    try:
        for leftover in (staging, retired):  # of a run that was killed
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
        for tag, shard in remake:  # one after the other: one Pagefind at a time
            shard["made"], shard["held"] = None, None  # until its bundle is in place
            _make(layout, binary, site / tag / shard["name"], target / tag / shard["name"], shard, stamps, timeout)
            shard["made"], shard["base"] = _made(base, shard["pages"], stamps), base
            shard["held"] = _held(target / tag / shard["name"], shard["indexed"])
            wrote = True
        for tag, shard in fresh.items():
            if shard["pages"] and shard["made"] != _made(base, shard["pages"], stamps) or (
                    shard["indexed"] and not (target / tag / FRESH / "pagefind-entry.json").is_file()):
                shard["made"] = None  # (its `held` stays that of the bundle in place until one is made)
                _make(layout, binary, site / tag / FRESH, target / tag / FRESH, shard, stamps, timeout)
                shard["made"] = _made(base, shard["pages"], stamps)
                shard["held"] = _held(target / tag / FRESH, shard["indexed"])
                wrote = True
    finally:
        try:
            for tag, shard in fresh.items():  # (also after a failed run: what is in place)
                shard["hidden"] = _hidden(shards[tag], patched[tag], behinds[tag], shard, stamps)
            wrote = _tidy(target, site, shards, fresh) or wrote
        finally:
            for leftover in (staging, retired):
                shutil.rmtree(leftover, ignore_errors=True)
            now = json.dumps({"fold": _fold_version(), "shards": shards, "fresh": fresh},
                             ensure_ascii=False, sort_keys=True)
            if now != before:
                atomic_write(record_path, now.encode(), durable=False)
    return wrote


def _make(layout: Layout, binary: Path, copies: Path, bundle: Path, shard: dict, stamps: dict[str, str],
          timeout: float) -> None:
    """A shard's bundle made again from its pages (their folded copies brought in step
    first), in the tree's staging folder, then swapped in; none when no page has a copy."""
    staging, retired = layout.root / STAGING, layout.root / RETIRED
    name = f"{bundle.parent.name}.{bundle.name}"
    shard["indexed"] = _refresh(layout, copies, shard["pages"], stamps)
    if not shard["indexed"]:
        if bundle.exists():  # nothing a reader could find in it
            shutil.rmtree(bundle)
        return
    new, old_bundle = staging / name, retired / name
    staging.mkdir(exist_ok=True)
    _run(binary, copies, new, timeout)
    for unused in UNUSED:
        (new / unused).unlink(missing_ok=True)
    (new / PAGES).write_text(json.dumps(_page_ids(new, shard["indexed"])), encoding="utf-8")
    bundle.parent.mkdir(parents=True, exist_ok=True)
    if bundle.exists():
        retired.mkdir(exist_ok=True)
        os.rename(bundle, old_bundle)
    try:
        os.rename(new, bundle)
    except OSError:
        if old_bundle.exists():  # the old bundle back in its place
            os.rename(old_bundle, bundle)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _patchable(shard: dict, base: str, bundle: Path, stamps: dict[str, str]) -> bool:
    """Whether a stale shard's bundle can stay, the pages it is behind on being searched in
    the fresh shard instead: it was made whole (not left by a failed run), with what every
    shard is made with now, the id of each of its pages in its results is known, and each
    page it holds and no longer has is gone (not given to another shard: lowered limit)."""
    return (shard["made"] is not None and shard.get("base") == base and isinstance(shard.get("held"), dict)
            and not any(u in stamps for u in shard["held"] if u not in shard["pages"])
            and (bundle / "pagefind-entry.json").is_file())


def _behind(shard: dict, stamps: dict[str, str]) -> set[str]:
    """The pages a shard's bundle is behind on: its pages that are new to it or changed
    since it was made, and the pages it holds that are gone from it."""
    return ({u for u, stamp in shard["pages"].items() if stamp != stamps[u]}
            | {u for u in shard["held"] if u not in shard["pages"]})


def _hidden(group: list[dict], patched: list[dict], behind: set[str], fresh: dict, stamps: dict[str, str]) -> list[str]:
    """The ids the search box hides in a language's results: the old versions, in the
    shards behind on them, of gone pages and of the pages the fresh shard in place holds
    (not of those a failed run left out of it) — unless an id is also one of a bundle's for
    a page as it is (a page whose indexed words did not change keeps its id)."""
    anew = (fresh["held"] or {}) if fresh["pages"] else {}
    live = {i for s in group if isinstance(s["held"], dict) for u, i in s["held"].items()
            if u in s["pages"] and u not in behind} | set(anew.values())
    return sorted({s["held"][u] for s in patched for u in _behind(s, stamps)
                   if u in s["held"] and (u not in stamps or u in anew)} - live)


def _held(bundle: Path, pages: int) -> dict[str, str] | None:
    """Each page of a bundle (URL) → its id in the bundle's results, read from its
    fragments (gzip-compressed JSON after Pagefind's signature). None if that is not known
    (a fragment of several pages, or one not read)."""
    if not pages:
        return {}
    held = {}
    try:
        for path in (bundle / "fragment").glob("*.pf_fragment"):
            data = gzip.decompress(path.read_bytes())
            if not data.startswith(b"pagefind_dcd"):
                return None
            held[json.loads(data[len(b"pagefind_dcd"):])["url"].lstrip("/")] = path.name.removesuffix(".pf_fragment")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return held if len(held) == pages else None


def _fresh(record: dict, tag: str, pages: list[str]) -> dict:
    """A language's fresh shard as the record has it (its copies' stamps, what its bundle
    was made of, its pages' ids), with `pages`: the pages its language's shards are behind
    on that are still there. Its `hidden`, the ids of the old versions in those shards, is
    worked out once the bundles are made."""
    found = record.get("fresh") if isinstance(record.get("fresh"), dict) else {}
    was = found.get(tag) if isinstance(found.get(tag), dict) else {}
    known = was.get("pages") if isinstance(was.get("pages"), dict) else {}
    held = was.get("held") if isinstance(was.get("held"), dict) else None
    return {"pages": {u: known.get(u) for u in pages}, "made": was.get("made") if pages else None,
            "indexed": was.get("indexed") if isinstance(was.get("indexed"), int) else 0,
            "held": held, "hidden": []}


def _shards(record: dict) -> dict[str, list[dict]] | None:
    """The record's shards, per language (None: no record, or not one of shards)."""
    found = record.get("shards") if isinstance(record, dict) else None
    if not isinstance(found, dict):
        return None
    out = {}
    for tag, group in found.items():
        if tag not in SECTIONS or not isinstance(group, list):
            return None
        out[tag] = []
        for s in group:
            if not (isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"].isdigit()
                    and isinstance(s.get("pages"), dict)):
                return None
            held = s.get("held")
            held = dict(held) if isinstance(held, dict) and all(isinstance(i, str) for i in held.values()) else None
            out[tag].append({"name": s["name"], "pages": dict(s["pages"]), "made": s.get("made"),
                             "indexed": s.get("indexed") if isinstance(s.get("indexed"), int) else 0,
                             "base": s.get("base"), "held": held})
        if len({s["name"] for s in out[tag]}) != len(out[tag]):
            return None
    return out


def _assign(old: dict[str, list[dict]], stamps: dict[str, str], limit: int) -> dict[str, list[dict]]:
    """Each language's shards: the recorded ones, less the pages that are gone (and the
    shards left empty), each page in the shard it was in; the new pages, in URL order, in
    the language's last shard while it has room, then in new ones. A shard of more than
    `limit` pages (the limit was lowered) keeps its first `limit` and gives up the rest as
    new pages. A shard: {name, pages: {URL: the stamp of its folded copy, or None}, made,
    indexed}; the shards of a language in the order of their numbers."""
    by_tag: dict[str, list[str]] = {}
    for url in sorted(stamps):
        by_tag.setdefault(EDITION_PAGE.fullmatch(url).group(2), []).append(url)
    out = {}
    for tag in SECTIONS:
        urls = by_tag.get(tag, [])
        present, placed, group = set(urls), set(), []
        for s in sorted(old.get(tag, []), key=lambda s: int(s["name"])):
            kept = sorted(u for u in s["pages"] if u in present and u not in placed)[:limit]
            if kept:
                placed.update(kept)
                group.append({**s, "pages": {u: s["pages"][u] for u in kept}})
        for url in urls:
            if url in placed:
                continue
            if not group or len(group[-1]["pages"]) >= limit:
                group.append({"name": str(int(group[-1]["name"]) + 1 if group else 0), "pages": {},
                              "made": None, "indexed": 0, "base": None, "held": None})
            group[-1]["pages"][url] = None
        if group:
            out[tag] = group
    return out


def _page_ids(bundle: Path, pages: int) -> list[str]:
    """The ids of a bundle's pages, as its search results name them: its fragments' names
    (one fragment a page; none when Pagefind put several pages in one fragment file)."""
    ids = sorted(p.name.removesuffix(".pf_fragment") for p in (bundle / "fragment").glob("*.pf_fragment"))
    return ids if len(ids) == pages else []


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _fold_version() -> str:
    """What the folded copies depend on: the letters' markers and the Dari joins."""
    return hashlib.sha256(json.dumps([MARKED, [j.pattern for j in JOINS]], sort_keys=True).encode()).hexdigest()[:16]


def _base(binary: Path | None) -> str:
    """What every shard is made with: Pagefind's executable (path, size, time), the folding
    and the search box's script (without its list of shards)."""
    h = hashlib.sha256()
    if binary is not None:
        h.update(f"{binary}\0{_stamp(binary)}\0".encode())
    h.update(f"{_fold_version()}\0{script()}".encode())
    return h.hexdigest()


def _made(base: str, pages: dict, stamps: dict[str, str]) -> str:
    """What a shard's bundle is made of: `base` and its pages' URLs, sizes and times."""
    h = hashlib.sha256(base.encode())
    for url in sorted(pages):
        h.update(f"\0{url}\0{stamps[url]}".encode())
    return h.hexdigest()


def _refresh(layout: Layout, copies: Path, pages: dict, stamps: dict[str, str]) -> int:
    """Bring a shard's folded copies (`copies`, what Pagefind reads for it) in step with its
    `pages` (URL → the stamp of its copy, updated here): only the pages whose size or time
    changed are copied again, those of pages no more in the shard go. The number of copies
    (pages that are not an edition's, as the templates make them, have none)."""
    for url in sorted(pages):
        dest = copies / url
        if pages[url] != stamps[url] or not dest.is_file():
            _copy_folded(layout.path(url), dest)
            pages[url] = stamps[url]
    if copies.is_dir():
        for path in sorted(copies.rglob("*"), reverse=True):  # files first, then their emptied folders
            url = path.relative_to(copies).as_posix()
            if path.is_file() and url not in pages:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return sum((copies / url).is_file() for url in pages)


def _tidy(target: Path, site: Path, shards: dict[str, list[dict]], fresh: dict[str, dict]) -> bool:
    """The index folder and the copies' folder hold the shards of `shards` and the fresh
    shards of `fresh` with pages, and nothing else (removed shards, a bundle from before
    shards, leftovers go); the script lists the shards whose bundle is in place (a
    language's fresh shard last) and the ids it hides, or there is no index when none is.
    True if anything was written or removed."""
    changed = False
    for folder in (target, site):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.name in shards and entry.is_dir() and not entry.is_symlink():
                names = {s["name"] for s in shards[entry.name]} | ({FRESH} if fresh[entry.name]["pages"] else set())
                for inner in sorted(entry.iterdir()):
                    if inner.name not in names or not inner.is_dir() or inner.is_symlink():
                        _remove(inner)
                        changed = True
            elif not (folder == target and entry.name in (SCRIPT, CONFIG)):
                _remove(entry)
                changed = True
    live = {tag: [f"{tag}/{name}/" for name in [*(s["name"] for s in group), FRESH]
                  if (target / tag / name / "pagefind-entry.json").is_file()]
            for tag, group in shards.items()}
    live = {tag: folders for tag, folders in live.items() if folders}
    hidden = {tag: fresh[tag]["hidden"] for tag in live if fresh[tag]["hidden"]}
    if not live:  # nothing a reader could find
        if target.exists() or target.is_symlink():
            _remove(target)
            changed = True
        return changed
    for name, text in ((CONFIG, config(live, hidden)), (SCRIPT, script())):
        try:
            same = (target / name).read_text(encoding="utf-8") == text
        except (OSError, ValueError):
            same = False
        if not same:
            atomic_write(target / name, text.encode(), durable=False)
            changed = True
    return changed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _copy_folded(src: Path, dest: Path) -> None:
    """The page folded (see the module's docstring), or the page itself (a hard link) when
    it has nothing to fold. A copy is never written into: it may be a link to the page."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    text = src.read_text(encoding="utf-8")
    if "data-pagefind-body" not in text:  # not an edition's page as the templates make it
        return
    folded = fold_page(text, dari=DARI_PAGE.search(text[:2000]) is not None)
    if folded == text:
        try:
            os.link(src, dest)
            return
        except OSError:
            pass
    dest.write_text(folded, encoding="utf-8")


def _run(binary: Path, site: Path, out: Path, timeout: float) -> None:
    """Pagefind over `site`, its bundle written to `out`; in its own process group, so that
    a timeout ends whatever it started too."""
    import signal

    args = [str(binary), "--site", str(site), "--output-path", str(out), "--silent"]
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    except OSError as exc:
        raise EditionsError(None, None, f"pagefind could not be started ({exc.strerror}): run `make setup`") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise EditionsError(None, None, f"pagefind took more than {timeout:g} s: "
                                        "the search index was left as it was") from None
    except BaseException:  # interrupted (Ctrl-C): no Pagefind left running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    said = [line.strip() for line in (stderr + "\n" + stdout).splitlines() if line.strip()]
    if proc.returncode != 0 or not (out / "pagefind-entry.json").is_file():
        why = said[-1] if said else f"exit status {proc.returncode}"
        raise EditionsError(None, None, f"pagefind failed ({why}): the search index was left as it was")


def script() -> str:
    """The search box's script (pagefind/sangar-search.js): the form of _search.html's
    search_box made live with Pagefind's own API (no UI library), the query folded as the
    index was, the page's letters put back into what it shows. What changes with the index
    is not in it but in CONFIG beside it, which the script asks for with `no-cache` (the
    browser checks it is current): a script a reader's browser kept could otherwise name
    shards that are gone."""
    fold = dict(FOLDS)
    restore = {marked: letter for letter, marked in MARKED.items()} | {SPACE_MARK: " "}
    joins = [j.pattern.replace("[\u2061-\u2064]?", "").replace("[\u2060-\u2064]", "").replace("\\w", "\\p{L}\\p{M}")
             for j in JOINS]
    return (_SCRIPT.replace("__FOLD__", json.dumps(fold, ensure_ascii=True))
            .replace("__RESTORE__", json.dumps(restore, ensure_ascii=True))
            .replace("__JOINS__", json.dumps(joins, ensure_ascii=True))
            .replace("__VERSION__", PAGEFIND)
            .replace("__CONFIG__", CONFIG)
            .replace("__PAGES__", PAGES))


def config(shards: dict[str, list[str]], hidden: dict[str, list[str]]) -> str:
    """CONFIG: `shards`, each language's shards, their folders relative to the script's
    ("fa-AF/0/"), the first one first; `hidden`, each language's ids of pages that its
    fresh shard holds anew (or that are gone), in the shards behind on them."""
    return json.dumps({"shards": shards, "hidden": hidden}, ensure_ascii=True, sort_keys=True)


_SCRIPT = r"""// Sangar's search box: made by make-editions (editions/search.py) with Pagefind __VERSION__'s index.
(() => {
  "use strict";
  const FOLD = __FOLD__;
  const RESTORE = __RESTORE__;
  const here = document.currentScript;
  if (!here) return;
  const folder = new URL("./", here.src);  // this folder: the index
  const site = new URL("../", folder);      // the tree's root: results' URLs start there
  const lang = (document.documentElement.lang || "").toLowerCase();
  const settings = { baseUrl: site.pathname, excerptLength: 24 };
  // The language's first shard is Pagefind's own index (its pagefind.js, worker and wasm);
  // each other one is merged into it: its entry and meta now, its words' chunks as a query
  // needs them. A merged index's path ends in "/" (Pagefind skips one that the first
  // shard's path starts with) and takes the settings itself.
  let engine = null;
  const load = () => engine ??= (async () => {
    // the index as it is now: language → its shards' bundles, relative to this folder, and
    // the ids of old versions in them (its fresh shard has those pages anew)
    const config = await fetch(new URL("__CONFIG__", folder), { cache: "no-cache" }).then((r) => r.json());
    const tags = Object.keys(config.shards ?? {});
    const tag = tags.find((t) => t.toLowerCase() === lang) ??
      tags.find((t) => t.split("-")[0].toLowerCase() === lang.split("-")[0]);
    const shards = tag ? config.shards[tag] : [];
    const hidden = new Set(tag ? config.hidden?.[tag] ?? [] : []);
    if (!shards.length) return null;
    const pagefind = await import(new URL(`${shards[0]}pagefind.js`, folder).href);
    await pagefind.options(settings);
    const owner = new Map();  // a page's id in the index → its shard (null: in two, not known)
    await Promise.all(shards.map(async (shard, i) => {
      const [ids] = await Promise.all([
        fetch(new URL(`${shard}__PAGES__`, folder), { cache: "no-cache" }).then((r) => r.ok ? r.json() : []).catch(() => []),
        i ? pagefind.mergeIndex(new URL(shard, folder).pathname, settings) : null]);
      for (const id of ids) owner.set(id, owner.has(id) ? null : shard);
    }));
    return { pagefind, owner, hidden };
  })().catch((error) => { engine = null; throw error; });  // the next query tries again
  // A shard without a word of the query searches it as its longest word that starts it
  // («بامیان» as «با»: Pagefind's fallback). The best result of each shard is looked at, and
  // a shard that fell back gives up its results when another shard has the word itself.
  const plain = (word) => word.normalize("NFD").replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();
  const EXACT = Math.exp(Math.exp(-1 / 8) - 1);  // Pagefind's bonus for a word as long as the query's
  // Of a result's page, for a word of the query: true if a word found starts with it (or,
  // the query's only word, a word found is as long as its stem: English); false if only
  // words shorter than it, that start it, were found; null if that is not known.
  const verdict = (data, term, only) => {
    const words = (data.raw_content ?? data.content ?? "").split(/[^\S\uFEFF]+/);
    let shorter = false, exact = false;
    for (const l of data.weighted_locations ?? []) {
      const word = plain(words[l.location] ?? "");
      if (!word) continue;
      if (word.startsWith(term)) return true;
      if (Math.abs(l.balanced_score / (l.weight * 24) ** 2 - EXACT) < 1e-4) exact = true;
      else if (term.startsWith(word)) shorter = true;
    }
    return exact ? (only || null) : shorter ? false : null;
  };
  const sift = async (results, term, owner) => {
    const terms = term.split(/\s+/).map(plain).filter(Boolean);
    const best = new Map();  // shard → its best result
    for (const r of results) {
      const shard = owner.get(r.id);
      if (shard && !best.has(shard)) best.set(shard, r);
    }
    if (best.size < 2 || !terms.length) return results;
    const verdicts = await Promise.all([...best].map(async ([shard, r]) => {
      const data = await r.data();
      return [shard, terms.map((t) => verdict(data, t, terms.length === 1))];
    }));
    const found = terms.map((_, i) => verdicts.some(([, v]) => v[i] === true));
    const astray = new Set(verdicts.filter(([, v]) => v.some((x, i) => x === false && found[i])).map(([s]) => s));
    return astray.size ? results.filter((r) => !astray.has(owner.get(r.id))) : results;
  };
  const [PREFIX, SUFFIX] = __JOINS__.map((source) => new RegExp(source, "gu"));
  const dari = /^fa\b/i.test(document.documentElement.lang);
  const join = (text) => dari ? text.replace(PREFIX, "$1").replace(SUFFIX, "") : text;
  const fold = (text) => join(text.normalize("NFC").replace(/[\u2060-\u2064\u0640]/g, "")
    .replace(/./gu, (c) => FOLD[c] ?? c));
  const restore = (text) => text.replace(/.[\u2061-\u2064]|\u2060\u2061/gu, (m) => RESTORE[m] ?? m)
    .replace(/[\u2060-\u2064]/g, "");
  const persian = /^(fa|ps)\b/i.test(document.documentElement.lang);
  const number = (n) => persian ? String(n).replace(/[0-9]/g, (d) => "۰۱۲۳۴۵۶۷۸۹"[d]) : String(n);
  // Pagefind's excerpt: the page's text with "<" and ">" escaped and the words found in
  // <mark>; built as nodes, so that no text of a page is ever read as markup.
  const excerpt = (html) => {
    const p = document.createElement("p");
    let marked = false;
    for (const part of restore(html).split(/(<mark>|<\/mark>)/)) {
      if (part === "<mark>") { marked = true; continue; }
      if (part === "</mark>") { marked = false; continue; }
      const text = document.createTextNode(part.replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
      if (marked) { const m = document.createElement("mark"); m.append(text); p.append(m); } else p.append(text);
    }
    return p;
  };
  for (const form of document.querySelectorAll("form[data-sangar-search]")) {
    const input = form.querySelector("input[type=search]");
    const list = document.getElementById(form.dataset.results);
    const status = document.getElementById(form.dataset.status);
    if (!input || !list || !status) continue;
    let asked = null;
    const run = async () => {
      const term = fold(input.value).trim();
      if (term === asked) return;
      asked = term;
      if (!term) { list.replaceChildren(); list.hidden = true; status.textContent = ""; return; }
      let found = [];
      try {
        const index = await load();
        if (index) {
          const answer = await index.pagefind.debouncedSearch(term, {}, 200);
          if (answer === null || term !== asked) return;  // a later search is under way
          const seen = new Set();  // a page once, though two shards hold it unchanged
          const results = answer.results.filter((r) => !index.hidden.has(r.id) && !seen.has(r.id) && seen.add(r.id));
          found = await sift(results, term, index.owner);
        }
      } catch (error) {
        console.warn("search:", error);
        return;
      }
      if (term !== asked) return;
      const shown = await Promise.all(found.slice(0, 20).map((r) => r.data()));
      if (term !== asked) return;
      list.replaceChildren(...shown.map((d) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = d.url;
        a.textContent = restore(d.meta?.title || d.url);
        li.append(a, excerpt(d.excerpt || ""));
        return li;
      }));
      list.hidden = shown.length === 0;
      status.textContent = shown.length ? `${form.dataset.found} ${number(found.length)}` : form.dataset.none;
    };
    input.addEventListener("input", run);
    form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
    const asked_in_url = new URLSearchParams(location.search).get(input.name);
    if (asked_in_url) { input.value = asked_in_url; run(); }
  }
})();
"""
