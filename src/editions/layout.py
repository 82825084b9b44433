"""Where everything lives in a published tree (dist/, or dist-drafts/ for drafts) and what
its URL is: the one place that spells out dist/'s paths. Every page, feed, sitemap entry
and link is made from these names.

    index.html                      the language chooser (see site.py for why)
    fa/index.html, ps/, en/         each language's front page (the latest editions)
    fa/archive/index.html           the archive: years and months in the language's calendar
    fa/archive/1405-09/index.html   one month, 30 editions a page; 2.html, 3.html … after it
    fa/feed.xml                     the language's Atom feed
    <slug>/<slug>.<tag>.html|pdf|epub   the editions (their URLs have not changed since the first build)
    assets/                         stylesheets, fonts, images
    pagefind/                       the search index (search.py: a Pagefind bundle a shard)
    sitemap.xml, robots.txt

A URL here is a path relative to the tree's root, '/'-separated, never starting with '/'.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("html", "epub", "pdf")
PER_PAGE = 30  # editions on an archive page
LATEST = 20    # editions on a front page

# A language's folder: the first part of its tag (fa-AF → fa).
SECTIONS = {"fa-AF": "fa", "ps-AF": "ps", "en": "en"}


@dataclass(frozen=True)
class Layout:
    root: Path  # the tree: dist/ or dist-drafts/

    # --- URLs (relative to the tree's root) ---
    index = "index.html"
    sitemap = "sitemap.xml"
    robots = "robots.txt"
    assets = "assets"
    images = "assets/images"
    cards = "assets/cards"   # social cards of editions without a lead figure (cards.py)
    search = "pagefind"

    @staticmethod
    def folders() -> set[str]:
        """The tree's folders that are not an article's (the site's own)."""
        return {Layout.assets, Layout.search, *SECTIONS.values()}

    @staticmethod
    def edition(slug: str, tag: str, fmt: str = "html") -> str:
        return f"{slug}/{Layout.file_name(slug, tag, fmt)}"

    @staticmethod
    def file_name(slug: str, tag: str, fmt: str = "html") -> str:
        """An edition's file in its article's folder."""
        return f"{slug}.{tag}.{fmt}"

    @staticmethod
    def section(tag: str) -> str:
        return SECTIONS[tag]

    @staticmethod
    def front(tag: str) -> str:
        return f"{SECTIONS[tag]}/index.html"

    @staticmethod
    def archive(tag: str, month: str | None = None, page: int = 1) -> str:
        """The archive's overview, or one month's page (`month` as 'YYYY-MM' in the
        language's calendar; page 1 is the month's index.html)."""
        if month is None:
            return f"{SECTIONS[tag]}/archive/index.html"
        return f"{SECTIONS[tag]}/archive/{month}/" + ("index.html" if page == 1 else f"{page}.html")

    @staticmethod
    def feed(tag: str) -> str:
        return f"{SECTIONS[tag]}/feed.xml"

    # --- files and links ---
    def path(self, url: str) -> Path:
        return self.root.joinpath(*url.split("/"))

    @staticmethod
    def href(page: str, target: str) -> str:
        """A link from the page at URL `page` to URL `target`, relative, so that the tree
        works from any folder or server; a folder's index.html is linked as the folder."""
        rel = posixpath.relpath(target, posixpath.dirname(page) or ".")
        if rel == "index.html" or rel.endswith("/index.html"):
            rel = rel[: -len("index.html")] or "./"
        return rel

    @staticmethod
    def up(page: str) -> str:
        """The relative way from the page at URL `page` to the tree's root ('' for a page at
        the root, '../' one folder down, …): `up(page) + url` links to any URL, for pages
        that list many (site.py prefixes hundreds of links with it instead of one `href` each)."""
        return "../" * page.count("/")

    @staticmethod
    def absolute(url: str, base_url: str) -> str:
        """The published address of `url` (base_url from styles/site.toml ends in '/'); the
        URL itself when no base_url is set. A folder's index.html is its folder."""
        if url == "index.html" or url.endswith("/index.html"):
            url = url[: -len("index.html")]
        return f"{base_url}{url}" if base_url else url
