"""The website around the editions: the root page, each language's front page, archive and
Atom feed, the sitemap and robots.txt. Every path and link comes from `layout.Layout`.

    site.write(layout, entries, envs, base_url, removed, context=, previous=, keys=) -> [URL, …]

is called by build.py when an edition was written or removed, with every edition published
in the tree (not only those the run built: pages of the languages or months missing from
`entries` are removed). It works out each page's key, renders (one template call) only the
pages whose key is not the one in `previous` or whose file is gone, writes only the files
whose bytes change (`fsutil.write_if_changed`), removes the archive pages, front pages and
feeds that should no longer exist (a month whose last article was deleted, a language
with no edition left) and the sitemap when there is no base_url, fills `keys` with every
page's key for the next run, and returns the URLs of every file it wrote or found already
right, so that the caller can prune the rest.

Decisions:

- **A page is rendered only when what it shows changed**, so that a build that changed one
  edition renders the few pages that list it, not the archive (at 1,000 articles, 3,000
  editions and some 150 pages, rendering them all cost ~0.5 s of CPU for a one-word fix).
  A page's key is a digest of: the caller's `context` (the code, templates, styles and
  interface words: one key for all that; a new one renders every page), base_url, the
  languages present (every page's switcher), the page's URL, its shape (the month, its
  page number and count; the overview's months and counts; the chooser's headlines) and
  a digest of each edition it lists, in order. Each entry is hashed once, when the build
  records it (`stamped`: its digests are kept with it in the state); its
  `listed` digest covers only what a list of editions shows (title, author, kind, dates, image,
  sizes in KB), so a new `updated` time or summary alone renders only its language's feed
  and the sitemap (keyed by whole entries) — XML made without Jinja: no environment is
  made then (`Lazy`). The keys are kept in the state (`state.site_pages`) once the pages are
  written. A page's file is trusted to hold what its key says, as an edition's is: one
  edited by hand stays until its key changes; one that is missing is rendered whatever
  its key says, and one that is not a plain file (a link put in its place) is rendered
  so that write_if_changed refuses it, as it always did. The sitemap lists every edition
  with its `updated` time, so any changed edition renders it (with ElementTree, whose
  serializer is Python: ~80 ms for 3,000 editions).
- An edition's fields are worked out in two steps: what ordering, paging and keys need,
  for every edition (~8 µs each), and what the pages show (`_shown`), only for the
  editions on a page that is rendered.
- **The root `index.html` is a language chooser**, not the Dari front page with a switcher.
  A Pashto or English reader must not land on a page in another language and script and
  hunt for a way out; a chooser is one short page that serves all three. Each language's
  section is in that language (its own `lang` and `dir`, its words from its own catalog):
  its autonym linking to its front page, the tagline, its latest three headlines with
  their dates, and links to its archive and feed. The page's own `lang` is Dari, the
  outlet's first language (the masthead names the outlet in all three scripts), and its
  `hreflang` alternates name the three front pages, with itself as `x-default`.
- **x-default**: for the front pages (and the chooser) the chooser, which suits a reader
  of any language; for an edition the source language's edition (`entry["source"]`; when
  the entry does not say, the first of its languages in Dari, Pashto, English order) —
  the text every other edition was translated from. An article published in one
  language has no alternates. The alternates of an article are the languages that have
  an entry in `entries`, so that no alternate names a page that is not online.
- **No hreflang alternates without base_url**: search engines read them only as absolute
  URLs (Google: "fully-qualified"; Lighthouse's hreflang audit fails a relative one), so
  pages and editions carry them only when the site's address is known; the language
  switcher's links (`<a hreflang>`) are there either way.
- **No sitemap without base_url**: the sitemap protocol wants absolute URLs (the crawler
  resolves nothing), and a relative one would be wrong, so with an empty base_url no
  sitemap.xml is written (an old one is removed) and robots.txt says so in a comment. The
  `Sitemap:` line of robots.txt needs an absolute URL too, so it is there only with a
  base_url. robots.txt allows everything; crawlers read it only at a host's root, so it
  does its work when the tree is published there.
- **Feed ids** are `urn:uuid:` names derived from the slug and language (UUID 5), not
  URLs: an entry's id must never change, and the URLs change when a base_url is first set
  or the site moves; a `tag:` URI needs a domain the project does not have. `published`
  is the article's date at midnight in Kabul (+04:30: the date is Afghan), `updated` the
  edition's last change. Feeds carry the latest 50 editions.
- **Archive months** are in the language's calendar: Solar Hijri with Afghan month names
  and Persian digits for Dari and Pashto (jalali-core, jdatetime's converter), Gregorian with English names for
  English; a month's page lists 30 editions (`layout.PER_PAGE`), newest first.
- XML (feeds, sitemap) is built with xml.etree, which escapes text and attributes;
  characters XML 1.0 cannot carry (C0 controls, U+FFFE/FFFF, lone surrogates) are dropped
  from them so that a feed reader never meets a malformed file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import posixpath
import re
import stat
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from pathlib import Path

from markupsafe import Markup

from .fsutil import write_if_changed
from .layout import LATEST, PER_PAGE, SECTIONS, Layout
from .locale import AFGHAN_MONTHS, AUTONYMS, LANGUAGES, OUTLET, digits, solar_date
from .manuscript import SLUG
from .state import key

ORDER = ("fa-AF", "ps-AF", "en")  # sections of the chooser, hreflang clusters, x-default fallback
FEED_SIZE = 50
HEADLINES = 3   # each language's headlines on the chooser
KINDS = ("opinion", "analysis", "news")
KABUL = dt.timezone(dt.timedelta(hours=4, minutes=30))
ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
IDS = uuid.UUID("6f1d5c1e-5a8b-5b53-9d1a-5a4e6761722e")  # namespace of Sangar's feed and entry ids
IMAGE_URL = re.compile(r"assets/images/[A-Za-z0-9][A-Za-z0-9._-]*")
SRCSET_ITEM = re.compile(r"(assets/images/[A-Za-z0-9][A-Za-z0-9._-]*) (\d{1,5})w")
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)
XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
OG_LOCALES = {"en": "en_US", "fa-AF": "fa_AF", "ps-AF": "ps_AF"}


def write(layout: Layout, entries: list[dict], envs: Mapping, base_url: str,
          removed: list[str] | None = None, *, context: str = "", previous: dict | None = None,
          keys: dict | None = None) -> list[str]:
    """Write the site's pages for `entries` (every edition published in the tree); return
    the URLs written or already right. URLs removed are appended to `removed` if given.

    `envs` maps each language to its Jinja environment; it is read only for the pages that
    are rendered (`Lazy` makes them on first use). `previous` is the {URL: key} that
    `keys` was filled with by the last run: a page whose key is the same and whose file is
    still there is not rendered again. `context` is the key of everything else the pages
    depend on (templates, the interface's words, the code): whoever passes `previous` must
    pass it. Each entry is hashed once, when it is recorded (`stamped`; one without a stamp
    here and now): every page's key is made from these digests, not from the entries again."""
    eds = sorted(_editions(entries, os.fspath(layout.root)), key=lambda e: (e["date_iso"], e["updated"], e["slug"]),
                 reverse=True)
    by_tag = {tag: [e for e in eds if e["tag"] == tag] for tag in ORDER}
    present = [tag for tag in ORDER if by_tag[tag]]
    common = hashlib.blake2b(repr((context, base_url, present)).encode("utf-8"), digest_size=16).digest()
    pages: dict[str, tuple[str, Callable[[], str | bytes]]] = {}
    for tag in present:
        pages.update(_language(tag, by_tag[tag], envs, present, base_url, common))
    headlines = [[(e["html"], *(e["entry"].get(f) for f in ("title", "date_iso", "date_text")))
                  for e in by_tag[t][:HEADLINES]] for t in present]  # all the chooser shows of them
    pages[Layout.index] = (_key(common, Layout.index, headlines), partial(_chooser, by_tag, envs, present, base_url))
    if base_url:
        pages[Layout.sitemap] = (_key(common, Layout.sitemap, None, eds, "digest"),
                                 partial(sitemap, eds, present, base_url))
    pages[Layout.robots] = (_key(common, Layout.robots), partial(robots, base_url))
    previous = previous or {}
    for url, (page_key, make) in pages.items():
        path = layout.path(url)
        if previous.get(url) != page_key or not _plain_file(path):
            write_if_changed(path, _render(url, make))
        if keys is not None:
            keys[url] = page_key
    gone = _remove_stale(layout, set(pages))
    if removed is not None:
        removed.extend(gone)
    return list(pages)


class Lazy(Mapping):
    """A language's Jinja environment made the first time a page asks for it
    (`make(tag)`): a run that renders no page makes none, and reads no catalog for one."""

    def __init__(self, tags, make: Callable):
        self.tags, self.make, self.made = tuple(tags), make, {}

    def __getitem__(self, tag: str):
        if tag not in self.tags:
            raise KeyError(tag)
        if tag not in self.made:
            self.made[tag] = self.make(tag)
        return self.made[tag]

    def __iter__(self):
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)


def _key(common: bytes, url: str, shape=None, eds: list[dict] = (), digest: str = "listed") -> str:
    """A page's key: the run's common key, its URL, what else it shows (`shape`: counts,
    paging, headlines) and a digest of each edition it lists, in order: `listed` (what a
    list of editions shows of one) or `digest` (all of the entry: feeds, the sitemap)."""
    h = hashlib.blake2b(common, digest_size=16)
    h.update(repr((url, shape)).encode("utf-8"))
    h.update("\0".join(e[digest] for e in eds).encode("utf-8"))
    return h.hexdigest()


def _render(url: str, make: Callable[[], str | bytes]) -> str | bytes:
    """One page's text (every page that is rendered is rendered here)."""
    return make()


def _plain_file(path: Path) -> bool:
    """Whether the page's file is there (a link or a folder in its place is not it: the
    page is rendered again and write_if_changed refuses it)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# --- the editions as the pages show them ---

STAMP = "_site"  # an entry's own digests, kept with it in the state (`stamped`)
STAMP_VERSION = 1  # (if what `_digests` hashes changes, raise it: stamps made before are made again)


def stamped(entry: dict) -> dict:
    """`entry` (as the state keeps it: without `languages`) with its own digests (see
    `_digests`): the site's pages then hash only the entries that changed since they were
    stamped, not every edition of the archive at every run."""
    entry = {k: v for k, v in entry.items() if k != STAMP}
    return {**entry, STAMP: [STAMP_VERSION, *_digests(entry)]}


def is_stamped(entry: dict) -> bool:
    stamp = entry.get(STAMP)
    return isinstance(stamp, list) and len(stamp) == 3 and stamp[0] == STAMP_VERSION


def _digests(entry: dict) -> tuple[str, str]:
    """A digest of all of `entry` and one of only what a list of editions (front page,
    archive month) shows of it — so that a change of its `updated` time or its summary alone
    renders only its feed (and the sitemap) —, made of JSON with sorted keys (an entry read
    back from the state has its image's keys in another order)."""
    if is_stamped(entry):
        return entry[STAMP][1], entry[STAMP][2]
    own = {k: v for k, v in entry.items() if k not in (STAMP, "languages")}
    sizes = entry.get("sizes") or {}
    shown = [entry.get(f) for f in ("kind", "title", "author", "date_text", "image")]
    listed = json.dumps([str(entry["slug"]), entry["tag"], dt.date.fromisoformat(entry["date_iso"]).isoformat(), *shown,
                         _kib(sizes.get("pdf")), _kib(sizes.get("epub"))], ensure_ascii=False, sort_keys=True)
    return key(own), hashlib.blake2b(listed.encode("utf-8"), digest_size=16).hexdigest()


def _edition(entry: dict) -> dict:
    """One entry, checked, with what ordering, paging, keys and the sitemap need: cheap,
    since every edition of the tree is one. `digest` is a digest of all of the entry (its
    stamp's, with the languages its article is in), `listed` one of what a list of editions
    shows of it (`_digests`). What the pages show is added by `_shown`, only for the
    editions on a page that is rendered."""
    tag, slug = entry["tag"], str(entry["slug"])
    if tag not in SECTIONS or not SLUG.fullmatch(slug):  # every URL is made of these two
        raise ValueError(f"not an edition: slug {slug!r}, language {tag!r}")
    day = dt.date.fromisoformat(entry["date_iso"])
    whole, listed = _digests(entry)
    digest = hashlib.blake2b(repr((whole, entry.get("languages"))).encode("utf-8"), digest_size=16).hexdigest()
    return {"slug": slug, "tag": tag, "date_iso": day.isoformat(), "day": day,
            "updated": _instant(entry.get("updated") or day.isoformat()), "month": _month(day, tag),
            "source": entry.get("source"), "html": Layout.edition(slug, tag, "html"), "digest": digest,
            "listed": listed, "entry": entry}


_MADE: dict = {}  # tree → {(stamp's digest, languages) → `_edition` of a stamped entry, as the last `write` made it}


def _editions(entries: list[dict], tree: str) -> list[dict]:
    """`_edition` of each entry. A stamped entry's is made once in a process that writes
    a tree's pages again and again (serve): its stamp and languages are all it is made
    from, and it is kept until a `write` of that tree no longer has that entry."""
    before, made, out = _MADE.get(tree, {}), {}, []
    for entry in entries:
        if not is_stamped(entry):
            out.append(_edition(entry))
            continue
        k = (entry[STAMP][1], repr(entry.get("languages")))
        ed = made[k] = before.get(k) or _edition(entry)
        ed["entry"] = entry  # (the same fields; what `_shown` adds to it is made from them)
        out.append(ed)
    _MADE[tree] = made
    return out


def _shown(eds: list[dict]) -> list[dict]:
    """`eds` with what the pages show of each (worked out once per edition and run)."""
    for e in eds:
        if "title" not in e:
            entry, day, tag, slug = e["entry"], e["day"], e["tag"], e["slug"]
            sizes = entry.get("sizes") or {}
            e.update({
                "kind": entry.get("kind") if entry.get("kind") in KINDS else "",
                "title": str(entry["title"]), "author": str(entry.get("author") or ""),
                "date_text": str(entry.get("date_text") or day.isoformat()),
                "summary": str(entry.get("summary") or ""),
                "published": dt.datetime.combine(day, dt.time(), KABUL).isoformat(),
                "image": _checked_image(entry.get("image")), "sizes": {f: sizes.get(f) for f in ("html", "pdf", "epub")},
                "pdf": Layout.edition(slug, tag, "pdf"), "epub": Layout.edition(slug, tag, "epub"),
                "pdf_kb": _kb(sizes.get("pdf"), tag), "epub_kb": _kb(sizes.get("epub"), tag)})
    return eds


def _instant(text) -> str:
    """An ISO 8601 instant as RFC 3339 UTC ('2026-11-30T22:10:05Z'); a date is its midnight UTC."""
    value = str(text)
    if RFC3339_UTC.fullmatch(value):  # as build.py writes it: only checked
        dt.datetime.fromisoformat(value[:-1])
        return value
    if len(value) == 10:
        value += "T00:00:00"
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kib(size) -> int | None:
    """A file's size as shown: in whole KB (at least 1), or None when not known."""
    return max(1, round(size / 1024)) if isinstance(size, int) and size > 0 else None


def _kb(size, tag: str) -> str:
    kib = _kib(size)
    return "–" if kib is None else digits(str(kib), tag)


def _checked_image(image) -> dict | None:
    """The lead image if its URLs are our own images' (assets/images/<name>), else none."""
    if not image or not IMAGE_URL.fullmatch(str(image.get("src", ""))):
        return None
    srcset = [SRCSET_ITEM.fullmatch(part.strip()) for part in str(image.get("srcset") or "").split(",") if part.strip()]
    if not all(srcset):
        srcset = []
    try:
        width, height = int(image["width"]), int(image["height"])
    except (KeyError, TypeError, ValueError):
        return None
    return {"src": image["src"], "srcset": [(m.group(1), m.group(2)) for m in srcset],
            "width": width, "height": height, "alt": str(image.get("alt") or "")}


def _month(day: dt.date, tag: str) -> tuple[int, int]:
    """The (year, month) of `day` in the language's calendar."""
    return _solar_month(day) if tag in AFGHAN_MONTHS else (day.year, day.month)


@lru_cache(maxsize=8192)
def _solar_month(day: dt.date) -> tuple[int, int]:
    """The Solar Hijri (year, month) of `day` (once per day: Dari and Pashto share it)."""
    return solar_date(day)[:2]


@lru_cache(maxsize=None)
def month_name(month: int, tag: str) -> str:
    if tag in AFGHAN_MONTHS:
        return AFGHAN_MONTHS[tag][month - 1]
    from babel.dates import get_month_names

    return get_month_names("wide", locale=LANGUAGES[tag].gettext)[month]


def _month_key(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


# --- pages of one language ---

def _common(page: str, tag: str, base_url: str) -> dict:
    """What every page of a language needs: its way to the root, the outlet's names, links
    to the language's front page, archive and feed."""
    up = Layout.up(page)
    return {"tag": tag, "outlet": {t: OUTLET[t] for t in LANGUAGES}, "up": up, "assets": up + Layout.assets,
            "canonical": Layout.absolute(page, base_url) if base_url else "",
            "front": Layout.href(page, Layout.front(tag)), "archive": Layout.href(page, Layout.archive(tag)),
            "feed": Layout.href(page, Layout.feed(tag)), "alternates": [], "switch": []}


def _link(page: str, target: str, base_url: str) -> str:
    """A link from `page` for a feed: absolute when the site's address is known."""
    return Layout.absolute(target, base_url) if base_url else Layout.href(page, target)


def _cluster(urls: dict[str, str], base_url: str, default: str | None) -> list[dict]:
    """hreflang alternates: one per language's page (this one included) and x-default; none
    without a base_url (see the module's docstring)."""
    if not base_url:
        return []
    out = [{"hreflang": t, "href": Layout.absolute(url, base_url)} for t, url in urls.items()]
    if default is not None:
        out.append({"hreflang": "x-default", "href": Layout.absolute(default, base_url)})
    return out


def _switch(page: str, tag: str, present: list[str], target) -> list[dict]:
    return [{"tag": t, "autonym": AUTONYMS[t], "href": Layout.href(page, target(t))} for t in present if t != tag]


def _language(tag: str, eds: list[dict], envs: Mapping, present: list[str], base_url: str,
              common: bytes) -> dict[str, tuple[str, Callable[[], str | bytes]]]:
    """The language's pages, each as its key and what renders it."""
    pages: dict[str, tuple[str, Callable[[], str | bytes]]] = {}
    front = Layout.front(tag)
    pages[front] = (_key(common, front, None, eds[:LATEST]), partial(_front, tag, eds[:LATEST], envs, present, base_url))

    months: dict[tuple[int, int], list[dict]] = {}
    for e in eds:
        months.setdefault(e["month"], []).append(e)
    overview = Layout.archive(tag)
    counts = [(month, len(months[month])) for month in sorted(months, reverse=True)]
    pages[overview] = (_key(common, overview, counts), partial(_archive, tag, counts, envs, present, base_url))
    for month, listed in months.items():
        count = math.ceil(len(listed) / PER_PAGE)
        for number in range(1, count + 1):
            page = Layout.archive(tag, _month_key(month), number)
            items = listed[(number - 1) * PER_PAGE: number * PER_PAGE]
            pages[page] = (_key(common, page, (month, number, count), items),
                           partial(_month_page, tag, month, number, count, items, envs, present, base_url))

    url = Layout.feed(tag)
    pages[url] = (_key(common, url, None, eds[:FEED_SIZE], "digest"),
                  lambda: feed(tag, _shown(eds[:FEED_SIZE]), base_url))
    return pages


def _front(tag: str, shown: list[dict], envs: Mapping, present: list[str], base_url: str) -> str:
    """The front page: the latest editions, with their lead images."""
    page = Layout.front(tag)
    ctx = _common(page, tag, base_url)
    up = ctx["up"]
    images = {}
    for e in _shown(shown):
        if e["image"]:
            images[e["slug"]] = {**e["image"], "src": up + e["image"]["src"],
                                 "srcset": ", ".join(f"{up}{u} {w}w" for u, w in e["image"]["srcset"])}
    ctx.update(items=shown, images=images,
               alternates=_cluster({t: Layout.front(t) for t in present}, base_url, Layout.index),
               switch=_switch(page, tag, present, Layout.front))
    return envs[tag].get_template("front.html").render(ctx)


def _archive(tag: str, counts: list[tuple[tuple[int, int], int]], envs: Mapping, present: list[str],
             base_url: str) -> str:
    """The archive's overview: months in the language's calendar, newest first."""
    overview = Layout.archive(tag)
    years: dict[int, list[dict]] = {}
    for month, n in counts:
        years.setdefault(month[0], []).append({
            "name": month_name(month[1], tag), "count": digits(str(n), tag),
            "href": Layout.href(overview, Layout.archive(tag, _month_key(month)))})
    ctx = _common(overview, tag, base_url)
    ctx.update(years=[{"year": digits(str(y), tag), "months": ms} for y, ms in years.items()],
               alternates=_cluster({t: Layout.archive(t) for t in present}, base_url, None),
               switch=_switch(overview, tag, present, Layout.archive))
    return envs[tag].get_template("archive.html").render(ctx)


def _month_page(tag: str, month: tuple[int, int], number: int, count: int, items: list[dict], envs: Mapping,
                present: list[str], base_url: str) -> str:
    """Page `number` of `count` of a month's editions."""
    name = _month_key(month)
    page = Layout.archive(tag, name, number)
    ctx = _common(page, tag, base_url)

    def sibling(n: int) -> str:
        return Layout.href(page, Layout.archive(tag, name, n))

    ctx.update(heading=f"{month_name(month[1], tag)} {digits(str(month[0]), tag)}", items=_shown(items),
               number=digits(str(number), tag), switch=_switch(page, tag, present, Layout.archive),
               prev=sibling(number - 1) if number > 1 else "",
               next=sibling(number + 1) if number < count else "",
               pages=[{"number": digits(str(n), tag), "href": sibling(n), "current": n == number}
                      for n in range(1, count + 1)] if count > 1 else [])
    return envs[tag].get_template("archive-month.html").render(ctx)


def _chooser(by_tag: dict[str, list[dict]], envs: Mapping, present: list[str], base_url: str) -> str:
    """The root page: one section per language, in that language (see the module's docstring)."""
    page = Layout.index
    sections = []
    for tag in present:
        sections.append(Markup(envs[tag].get_template("chooser-section.html").render(
            tag=tag, autonym=AUTONYMS[tag], items=_shown(by_tag[tag][:HEADLINES]), up=Layout.up(page),
            front=Layout.href(page, Layout.front(tag)), archive=Layout.href(page, Layout.archive(tag)),
            feed=Layout.href(page, Layout.feed(tag)))))
    env = envs[present[0] if present else next(iter(envs))]
    return env.get_template("chooser.html").render(
        outlet=[(t, OUTLET[t]) for t in ORDER], sections=sections, assets=Layout.assets,
        canonical=Layout.absolute(page, base_url) if base_url else "",
        alternates=_cluster({t: Layout.front(t) for t in present}, base_url, Layout.index),
        feeds=[{"tag": t, "href": Layout.href(page, Layout.feed(t)), "title": OUTLET[t]} for t in present])


# --- feeds, sitemap, robots.txt ---

def _text(value) -> str:
    return XML_BAD.sub("", str(value))


def _el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, name, {k.replace("_", ":"): _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def entry_id(slug: str, tag: str) -> str:
    return f"urn:uuid:{uuid.uuid5(IDS, f'edition {slug} {tag}')}"


def feed(tag: str, eds: list[dict], base_url: str) -> bytes:
    """The language's Atom 1.0 feed of `eds` (newest first). Element names are ours and
    written as such (a default namespace on the root), so nothing depends on ElementTree's
    global prefix table; every text and attribute value is escaped by ElementTree."""
    url = Layout.feed(tag)
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": tag})
    _el(root, "id", f"urn:uuid:{uuid.uuid5(IDS, f'feed {tag}')}")
    _el(root, "title", OUTLET[tag], type="text")
    _el(root, "updated", max((e["updated"] for e in eds), default="1970-01-01T00:00:00Z"))
    _el(_el(root, "author"), "name", OUTLET[tag])
    _el(root, "link", rel="self", type="application/atom+xml", href=_link(url, url, base_url))
    _el(root, "link", rel="alternate", type="text/html", hreflang=tag, href=_link(url, Layout.front(tag), base_url))
    for e in eds:
        entry = _el(root, "entry")
        _el(entry, "id", entry_id(e["slug"], tag))
        _el(entry, "title", e["title"], type="text")
        _el(entry, "updated", e["updated"])
        _el(entry, "published", e["published"])
        if e["author"]:
            _el(_el(entry, "author"), "name", e["author"])
        else:
            _el(_el(entry, "author"), "name", OUTLET[tag])
        if e["kind"]:
            _el(entry, "category", term=e["kind"])
        if e["summary"]:
            _el(entry, "summary", e["summary"], type="text")
        _el(entry, "link", rel="alternate", type="text/html", hreflang=tag, href=_link(url, e["html"], base_url))
        for fmt, mime in (("pdf", "application/pdf"), ("epub", "application/epub+zip")):
            size = e["sizes"].get(fmt)
            attrs = {"rel": "enclosure", "type": mime, "hreflang": tag, "href": _link(url, e[fmt], base_url)}
            if isinstance(size, int) and size > 0:
                attrs["length"] = str(size)
            _el(entry, "link", **attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap(eds: list[dict], present: list[str], base_url: str) -> bytes:
    """sitemap.xml (absolute URLs: only with a base_url): the chooser, the front pages and
    every edition's page, with hreflang alternates (Google's xhtml:link) and lastmod. The
    alternates of an article are made once and shared by its editions' entries."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})

    def cluster(urls: dict[str, str], default: str) -> list[ET.Element]:
        if len(urls) < 2:
            return []
        pairs = [*urls.items(), ("x-default", default)]
        return [ET.Element("xhtml:link", {"rel": "alternate", "hreflang": t, "href": _text(Layout.absolute(u, base_url))})
                for t, u in pairs]

    def url(loc: str, lastmod: str, links: list[ET.Element]) -> None:
        el = _el(root, "url")
        _el(el, "loc", Layout.absolute(loc, base_url))
        if lastmod:
            _el(el, "lastmod", lastmod)
        el.extend(links)

    latest = {tag: max((e["updated"] for e in eds if e["tag"] == tag), default="") for tag in present}
    fronts = cluster({t: Layout.front(t) for t in present}, Layout.index)
    url(Layout.index, max(latest.values(), default=""), fronts)
    for tag in present:
        url(Layout.front(tag), latest[tag], fronts)
    langs: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for e in eds:
        langs.setdefault(e["slug"], []).append(e["tag"])
        if e["source"] in SECTIONS:
            sources.setdefault(e["slug"], e["source"])
    clusters: dict[str, list[ET.Element]] = {}
    for e in eds:
        slug = e["slug"]
        if slug not in clusters:
            tags = [t for t in ORDER if t in langs[slug]]
            default = sources[slug] if sources.get(slug) in tags else tags[0]
            clusters[slug] = cluster({t: Layout.edition(slug, t) for t in tags}, Layout.edition(slug, default))
        url(e["html"], e["updated"], clusters[slug])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(base_url: str) -> str:
    lines = ["User-agent: *", "Allow: /", ""]
    if base_url:
        lines.append(f"Sitemap: {Layout.absolute(Layout.sitemap, base_url)}")
    else:
        lines.append("# No sitemap: styles/site.toml sets no base_url, and a sitemap needs absolute URLs.")
    return "\n".join(lines) + "\n"


# --- what should no longer be there ---

def _remove_stale(layout: Layout, keep: set[str]) -> list[str]:
    """Remove the site's own files that this run did not write: archive pages (a month whose
    editions are gone, a page that a shorter month no longer has), the front page and feed
    of a language with no edition, the sitemap when there is no base_url. Never follows a
    link; removes only files, then the archive's folders left empty."""
    gone = []
    for url in [Layout.sitemap] + [u for tag in SECTIONS for u in (Layout.front(tag), Layout.feed(tag))]:
        path = layout.path(url)
        if url not in keep and (path.is_symlink() or path.is_file()):
            path.unlink()
            gone.append(url)
    for tag in SECTIONS:
        top = layout.path(posixpath.dirname(Layout.archive(tag)))
        if top.is_symlink() or not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top, topdown=False, followlinks=False):
            for name in files + [d for d in dirs if Path(folder, d).is_symlink()]:
                path = Path(folder, name)
                url = path.relative_to(layout.root).as_posix()
                if url not in keep:
                    path.unlink()
                    gone.append(url)
            try:
                os.rmdir(folder)  # only if empty
            except OSError:
                pass
    return sorted(gone)
