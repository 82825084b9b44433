"""Search across the archive with no server: Pagefind's index of the editions' web pages in
the tree's pagefind/ folder (Layout.search), and the script of the search box beside it.

    index(layout, changed=None, cache=None, timeout=300) -> bool

(Re)writes the index when an edition's page changed (False: nothing to do). Pagefind
(npm `pagefind`, installed by `make setup` into .venv/pagefind) keeps one index per
language, by each page's `<html lang>`, and a search box searches the index of its own
page's language. Only an edition's title and article body are indexed: edition.html marks
them with `data-pagefind-body`.

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
STAGING = f".{Layout.search}.new"  # the next index, made beside the live one, then swapped in
RETIRED = f".{Layout.search}.old"

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
    root = layout.root
    if not root.is_dir():
        return []
    out = []
    for folder in os.scandir(root):
        if not folder.is_dir(follow_symlinks=False) or folder.name.startswith("."):
            continue
        for tag in SECTIONS:
            url = Layout.edition(folder.name, tag)
            if os.path.isfile(layout.path(url)) and not os.path.islink(layout.path(url)):
                out.append(url)
    return sorted(out)


def index(layout: Layout, changed: Iterable[str] | None = None, cache: Path | None = None,
          timeout: float = 300) -> bool:
    """Bring the tree's search index up to date with its editions' pages; True if it was
    (re)written or removed. `changed`: the URLs the caller wrote or removed in this run,
    when it knows them (none an edition page, and an index there: nothing to do, not even a
    look at the pages). `cache`: where the folded copies of the pages and the record of
    what was indexed are kept (default: the project's .cache/search beside the tree).
    Otherwise nothing is done when no page's size or time changed since the index was
    made. A failed or timed-out Pagefind leaves the old index as it was and raises
    EditionsError (one line)."""
    target = layout.path(Layout.search)
    entry = target / "pagefind-entry.json"
    if changed is not None and entry.is_file() and not any(_is_edition_page(u) for u in changed):
        return False
    cache = cache if cache is not None else layout.root.parent / ".cache" / "search"
    record_path = cache / f"{layout.root.name}.json"
    stamps = {url: _stamp(layout.path(url)) for url in edition_pages(layout)}
    binary = pagefind_binary() if stamps else None
    digest = _digest(stamps, binary)
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        record = record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        record = {}
    if record.get("digest") == digest and (entry.is_file() or not stamps):
        return False
    staging, retired = layout.root / STAGING, layout.root / RETIRED
    for leftover in (staging, retired):  # of a run that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    site = cache / f"{layout.root.name}.pages"
    if stamps:
        _refresh(layout, site, stamps, record)
    if not stamps or not any(site.rglob("*.html")):  # nothing a reader could find
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)
    else:
        try:
            _run(binary, site, staging, timeout)
            (staging / SCRIPT).write_text(script(), encoding="utf-8")
            if target.exists():
                os.rename(target, retired)
            try:
                os.rename(staging, target)
            except OSError:
                if retired.exists():  # the old index back in its place
                    os.rename(retired, target)
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(retired, ignore_errors=True)
    atomic_write(record_path, json.dumps({"digest": digest, "fold": _fold_version(), "pages": stamps},
                                         ensure_ascii=False).encode(), durable=False)
    return True


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _fold_version() -> str:
    return hashlib.sha256(json.dumps(MARKED, sort_keys=True).encode()).hexdigest()[:16]


def _digest(stamps: dict[str, str], binary: Path | None) -> str:
    """What the index is made of: every page's URL, size and time, Pagefind's executable
    (path, size, time) and the folding and script this module writes."""
    h = hashlib.sha256()
    if binary is not None:
        h.update(f"{binary}\0{_stamp(binary)}\0".encode())
    h.update(script().encode())
    for url, stamp in sorted(stamps.items()):
        h.update(f"{url}\0{stamp}\0".encode())
    return h.hexdigest()


def _refresh(layout: Layout, site: Path, stamps: dict[str, str], record: dict) -> None:
    """Bring the folded copies of the pages in `site` (what Pagefind reads) in step: only
    the pages whose size or time changed since the last index are copied again (all of
    them when the folding changed), those of removed pages go."""
    if record.get("fold") != _fold_version():
        shutil.rmtree(site, ignore_errors=True)
        record = {}
    before = record.get("pages") if isinstance(record.get("pages"), dict) else {}
    for url, stamp in stamps.items():
        dest = site / url
        if before.get(url) != stamp or not dest.is_file():
            _copy_folded(layout.path(url), dest)
    if site.is_dir():
        for path in sorted(site.rglob("*"), reverse=True):  # files first, then their emptied folders
            url = path.relative_to(site).as_posix()
            if path.is_file() and url not in stamps:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


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
    index was, the page's letters put back into what it shows."""
    fold = dict(FOLDS)
    restore = {marked: letter for letter, marked in MARKED.items()} | {SPACE_MARK: " "}
    joins = [j.pattern.replace("[\u2061-\u2064]?", "").replace("[\u2060-\u2064]", "").replace("\\w", "\\p{L}\\p{M}")
             for j in JOINS]
    return (_SCRIPT.replace("__FOLD__", json.dumps(fold, ensure_ascii=True))
            .replace("__RESTORE__", json.dumps(restore, ensure_ascii=True))
            .replace("__JOINS__", json.dumps(joins, ensure_ascii=True))
            .replace("__VERSION__", PAGEFIND))


_SCRIPT = r"""// Sangar's search box: made by make-editions (editions/search.py) with Pagefind __VERSION__'s index.
(() => {
  "use strict";
  const FOLD = __FOLD__;
  const RESTORE = __RESTORE__;
  const here = document.currentScript;
  if (!here) return;
  const bundle = new URL("./", here.src);  // this folder: the index
  const site = new URL("../", bundle);      // the tree's root: results' URLs start there
  let engine = null;
  const load = () => engine ??= import(new URL("pagefind.js", bundle).href).then(async (pagefind) => {
    await pagefind.options({ baseUrl: site.pathname, excerptLength: 24 });
    return pagefind;
  });
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
      let found;
      try {
        found = await (await load()).debouncedSearch(term, {}, 200);
      } catch (error) {
        console.warn("search:", error);
        return;
      }
      if (found === null || term !== asked) return;  // a later search is under way
      const shown = await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
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
      status.textContent = shown.length ? `${form.dataset.found} ${number(found.results.length)}` : form.dataset.none;
    };
    input.addEventListener("input", run);
    form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
    const asked_in_url = new URLSearchParams(location.search).get(input.name);
    if (asked_in_url) { input.value = asked_in_url; run(); }
  }
})();
"""
