"""The website around the editions (site.py): chooser, front pages, archive, feeds, sitemap,
robots.txt; and what the edition page says to machines (JSON-LD, og:locale, its feed).
Synthetic entries, the real templates and UI catalogs; nothing is fetched."""
from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import polib
import pytest
from lxml import etree

from editions import messages, site
from editions.layout import LATEST, PER_PAGE, Layout
from editions.locale import AFGHAN_MONTHS, format_date
from editions.render import html
from editions.translate import Edition

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
TAGS = ("fa-AF", "ps-AF", "en")
BASE = "https://sangar.example/editions/"
HOSTILE = {"fa-AF": 'سنگر </script><script>alert(1)</script> ]]> <!-- & "نقل" شماره',
           "ps-AF": 'سنګر </SCRIPT ><img src=x onerror=alert(2)> ]]> شمېره',
           "en": 'Title </script><script>alert(3)</script> ]]> & "quoted" number'}
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"


# --- helpers ---

def ui(tag: str) -> messages.UI:
    if tag == "en":
        return messages.UI("en", {})
    po = polib.pofile(str(ROOT / "translations" / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"))
    return messages.UI(tag, {e.msgid: e.msgstr for e in po if e.msgstr and not e.fuzzy and not e.obsolete})


@pytest.fixture(scope="module")
def envs():
    return {tag: html.environment(ROOT, ui(tag)) for tag in TAGS}


def entries(n: int, first=dt.date(2026, 11, 27), step: int = 1, tags=TAGS, images: bool = True,
            source: str = "en") -> list[dict]:
    """n articles, one a day (`step` days apart) back from `first`, in every language of `tags`."""
    out = []
    for i in range(n):
        day = first - dt.timedelta(days=i * step)
        for tag in tags:
            out.append({
                "slug": f"piece-{i:03d}", "tag": tag, "kind": ("opinion", "analysis", "news")[i % 3],
                "title": f"{HOSTILE[tag]} {i}", "author": f"نویسنده {i}" if tag != "en" else f"Writer {i}",
                "date_iso": day.isoformat(), "date_text": format_date(day, tag),
                "summary": f"{HOSTILE[tag]} summary", "updated": f"{day.isoformat()}T10:{i % 60:02d}:00Z",
                "image": ({"src": f"assets/images/{i:016x}-960.jpg", "width": 960, "height": 640,
                           "srcset": f"assets/images/{i:016x}-480.webp 480w, assets/images/{i:016x}-960.webp 960w",
                           "alt": f"alt {HOSTILE[tag]}"} if images and i % 2 else None),
                "sizes": {"html": 20_000 + i, "pdf": 250_000 + i, "epub": 160_000 + i},
                "languages": list(tags), "source": source})
    return out


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], []

    def iter(self, tag: str | None = None):
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def find(self, tag: str, **attrs):
        return [n for n in self.iter(tag) if all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def itertext(self):
        yield from self.text
        for child in self.children:
            yield from child.itertext()

    def string(self) -> str:
        return "".join(self.itertext())


VOID = {"meta", "link", "img", "br", "hr", "input", "source"}


class Tree(HTMLParser):
    """A page as the standard library's HTML parser reads it (as a browser tokenises it:
    a script's content ends at the first </script)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", {}, None)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Node(tag, dict(attrs), self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        self.node.text.append(data)


def page(dist: Path, url: str) -> Node:
    return Tree((dist / url).read_text(encoding="utf-8")).root


def inert(tree: Node) -> None:
    """Nothing active in a site page but the search box's own script (the tree's own file,
    no inline code): no event handler, no javascript: link."""
    for node in tree.iter():
        if node.tag == "script":
            assert re.fullmatch(r"(\.\./)*pagefind/sangar-search\.js", node.attrs.get("src") or ""), node.attrs
            assert not "".join(node.text).strip()
            continue
        assert node.tag not in ("iframe", "object", "embed", "style"), node.tag
        assert not any(k.startswith("on") for k in node.attrs), node.attrs
        for key in ("href", "src"):
            assert not (node.attrs.get(key) or "").lower().startswith(("javascript:", "data:")), node.attrs


@pytest.fixture
def dist(tmp_path):
    return tmp_path / "dist"


# --- front pages and the chooser ---

def test_front_pages_list_the_latest_newest_first_with_images_sizes_and_switcher(dist, envs):
    written = site.write(Layout(dist), entries(25), envs, "")
    for tag in TAGS:
        url = Layout.front(tag)
        assert url in written
        tree = page(dist, url)
        inert(tree)
        root = tree.find("html")[0]
        assert root.attrs["lang"] == tag and root.attrs["dir"] == ("ltr" if tag == "en" else "rtl")
        items = [li for li in tree.find("li") if li.parent.attrs.get("class") == "articles"]
        assert len(items) == LATEST
        titles = [li.find("h2")[0].string() for li in items]
        assert titles == [f"{HOSTILE[tag]} {i}" for i in range(LATEST)]  # newest first, text as written
        times = [li.find("time")[0].attrs["datetime"] for li in items]
        assert times == sorted(times, reverse=True)
        first = items[0]
        assert first.find("a")[0].attrs["href"] == f"../piece-000/piece-000.{tag}.html"
        kicker = first.find("p", class_="kicker")[0].string()
        assert kicker == {"fa-AF": "دیدگاه", "ps-AF": "نظر", "en": "Opinion"}[tag]
        assert first.find("time")[0].string() == format_date(dt.date(2026, 11, 27), tag)
        sizes = [s.string() for s in first.find("span", class_="size")]
        pdf_kb, epub_kb = str(round(250_000 / 1024)), str(round(160_000 / 1024))
        if tag == "en":
            assert sizes == [f"({pdf_kb} KB)", f"({epub_kb} KB)"]
        else:
            persian = str.maketrans("0123456789", PERSIAN)
            assert sizes[0].startswith(f"({pdf_kb.translate(persian)} ") and sizes[1].startswith(f"({epub_kb.translate(persian)} ")
            assert not re.search(r"[0-9]", "".join(sizes))
        links = [a.attrs["href"] for a in first.find("ul", class_="links")[0].iter("a")]
        assert links == [f"../piece-000/piece-000.{tag}.{fmt}" for fmt in ("html", "pdf", "epub")]
        images = tree.find("img")
        assert len(images) == LATEST // 2
        for n, img in enumerate(images):
            assert img.attrs["width"] == "960" and img.attrs["height"] == "640"
            assert img.attrs["alt"].startswith("alt ") and HOSTILE[tag] in img.attrs["alt"]
            assert img.attrs["src"].startswith("../assets/images/")
            assert all(c.strip().startswith("../assets/images/") for c in img.attrs["srcset"].split(","))
            assert ("loading" in img.attrs) == (n > 0)  # the first image is loaded at once, the rest lazily
        switch = {a.attrs["hreflang"]: a.attrs["href"] for a in tree.find("nav")[0].iter("a")}
        assert switch == {t: f"../{Layout.section(t)}/" for t in TAGS if t != tag}
        feeds = tree.find("link", type="application/atom+xml")
        assert [f.attrs["href"] for f in feeds] == ["feed.xml"]
        alternates = {n.attrs["hreflang"]: n.attrs["href"] for n in tree.find("link", rel="alternate")
                      if "hreflang" in n.attrs}
        assert alternates == {}  # hreflang only as absolute URLs: with a base_url (test below)
        assert tree.find("meta", name="description")[0].attrs["content"].endswith(
            {"fa-AF": "افغانستان و منطقه", "ps-AF": "شننې او نظرونه", "en": "the region"}[tag])
        foot = [a.attrs["href"] for a in tree.find("footer")[0].iter("a")]
        assert foot == ["./", "archive/", "feed.xml"]


def test_the_root_is_a_chooser_each_section_in_its_own_language(dist, envs):
    site.write(Layout(dist), entries(5), envs, "")
    tree = page(dist, Layout.index)
    inert(tree)
    sections = tree.find("section")
    assert [(s.attrs["lang"], s.attrs["dir"]) for s in sections] == [("fa-AF", "rtl"), ("ps-AF", "rtl"), ("en", "ltr")]
    for section, tag in zip(sections, TAGS):
        heading = section.find("h2")[0]
        assert heading.find("a")[0].attrs["href"] == f"{Layout.section(tag)}/"
        assert heading.string() == {"fa-AF": "دری", "ps-AF": "پښتو", "en": "English"}[tag]
        headlines = section.find("ul", class_="headlines")[0].find("li")
        assert [h.find("a")[0].string() for h in headlines] == [f"{HOSTILE[tag]} {i}" for i in range(3)]
        assert headlines[0].find("a")[0].attrs["href"] == f"piece-000/piece-000.{tag}.html"
        words = section.string()
        if tag == "fa-AF":
            assert "آرشیف" in words and "Archive" not in words  # the section's words are its language's
        if tag == "en":
            assert "Archive" in words
    alternates = {n.attrs["hreflang"]: n.attrs["href"] for n in tree.find("link", rel="alternate") if "hreflang" in n.attrs
                  and n.attrs.get("type") is None}
    assert alternates == {}  # no base_url: no hreflang (absolute only)
    assert not [n for n in tree.find("link") if "hreflang" in n.attrs]  # (feed links neither: Lighthouse reads them so)
    assert "افغانستان" in tree.find("meta", name="description")[0].attrs["content"]


def test_a_language_without_editions_leaves_the_chooser_and_its_pages_go(dist, envs):
    site.write(Layout(dist), entries(5), envs, "")
    assert (dist / "ps" / "index.html").exists() and (dist / "ps" / "feed.xml").exists()
    removed: list[str] = []
    written = site.write(Layout(dist), entries(5, tags=("fa-AF", "en")), envs, "", removed=removed)
    assert not (dist / "ps" / "index.html").exists() and not (dist / "ps" / "feed.xml").exists()
    assert not (dist / "ps" / "archive").exists()
    assert {"ps/index.html", "ps/feed.xml", "ps/archive/index.html"} <= set(removed)
    assert not any(u.startswith("ps/") for u in written)
    assert [s.attrs["lang"] for s in page(dist, Layout.index).find("section")] == ["fa-AF", "en"]
    switch = [a.attrs["hreflang"] for a in page(dist, Layout.front("fa-AF")).find("nav")[0].iter("a")]
    assert switch == ["en"]


# --- the archive ---

def qaws(n: int) -> list[dict]:
    """n articles inside Qaws 1405 (22 November – 21 December 2026)."""
    eds = entries(n, first=dt.date(2026, 12, 21))
    for i, e in enumerate(eds):
        day = dt.date(2026, 12, 21) - dt.timedelta(days=(i // 3) % 30)
        e.update(date_iso=day.isoformat(), date_text=format_date(day, e["tag"]))
    return eds


@pytest.mark.parametrize("tag", ["fa-AF", "ps-AF"])
def test_a_month_of_65_is_three_pages_with_prev_next_in_persian_digits(dist, envs, tag):
    written = site.write(Layout(dist), qaws(65), envs, "")
    urls = [Layout.archive(tag, "1405-09", n) for n in (1, 2, 3)]
    assert urls == [f"{Layout.section(tag)}/archive/1405-09/index.html", f"{Layout.section(tag)}/archive/1405-09/2.html",
                    f"{Layout.section(tag)}/archive/1405-09/3.html"]
    assert set(urls) <= set(written) and Layout.archive(tag, "1405-09", 4) not in written
    expect = {1: ("", "2.html"), 2: ("./", "3.html"), 3: ("2.html", "")}
    seen = []
    for n, url in enumerate(urls, 1):
        tree = page(dist, url)
        inert(tree)
        head = tree.find("head")[0]
        rel = {r: [link.attrs["href"] for link in head.find("link", rel=r)] for r in ("prev", "next")}
        prev, nxt = expect[n]
        assert rel == {"prev": [prev] if prev else [], "next": [nxt] if nxt else []}
        pager = tree.find("nav", class_="pager")[0]
        assert [a.attrs["href"] for a in pager.find("a", rel="prev")] == ([prev] if prev else [])
        assert [a.attrs["href"] for a in pager.find("a", rel="next")] == ([nxt] if nxt else [])
        numbers = [a.string() for a in pager.find("ul")[0].iter("a")]
        assert numbers == ["۱", "۲", "۳"]
        current = [a.string() for a in pager.iter("a") if a.attrs.get("aria-current") == "page"]
        assert current == [PERSIAN[n]]
        items = [li for li in tree.find("li") if li.parent.attrs.get("class") == "articles"]
        assert len(items) == (PER_PAGE if n < 3 else 5)
        seen += [li.find("h2")[0].string() for li in items]
        h1 = tree.find("h1")[0].string()
        month = f"{AFGHAN_MONTHS[tag][8]} ۱۴۰۵"
        assert h1 == month if n == 1 else (h1.startswith(month + " — ") and h1.endswith(f" {PERSIAN[n]}"))
        assert not re.search(r"[0-9]", tree.find("main")[0].find("nav")[0].string())
    assert sorted(seen) == sorted(f"{HOSTILE[tag]} {i}" for i in range(65))  # each edition once


def test_the_archive_overview_names_months_in_each_calendar(dist, envs):
    eds = entries(3, first=dt.date(2026, 11, 24), step=40)  # 24 Nov, 15 Oct, 5 Sep 2026
    site.write(Layout(dist), eds, envs, "")
    fa = page(dist, Layout.archive("fa-AF"))
    assert [h.string() for h in fa.find("h2")] == ["۱۴۰۵"]
    months = [(a.string(), a.attrs["href"]) for a in fa.find("ul", class_="months")[0].iter("a")]
    assert months == [("قوس", "1405-09/"), ("میزان", "1405-07/"), ("سنبله", "1405-06/")]
    assert [c.string() for c in fa.find("span", class_="count")] == ["(۱)"] * 3
    ps = page(dist, Layout.archive("ps-AF"))
    assert [a.string() for a in ps.find("ul", class_="months")[0].iter("a")] == ["لیندۍ", "تله", "وږی"]
    en = page(dist, Layout.archive("en"))
    assert [a.string() for a in en.find("ul", class_="months")[0].iter("a")] == ["November", "October", "September"]
    assert [h.string() for h in en.find("h2")] == ["2026"]
    assert page(dist, Layout.archive("en", "2026-10")).find("h1")[0].string() == "October 2026"
    switch = {a.attrs["hreflang"]: a.attrs["href"] for a in fa.find("nav")[0].iter("a")}
    assert switch == {"ps-AF": "../../ps/archive/", "en": "../../en/archive/"}


def test_archive_pages_that_should_no_longer_exist_are_removed_and_nothing_else_is_touched(dist, envs):
    layout = Layout(dist)
    older = entries(1, first=dt.date(2026, 10, 1))
    for e in older:
        e["slug"] = "older"
    site.write(layout, qaws(65) + older, envs, "")
    assert (dist / "fa" / "archive" / "1405-09" / "3.html").exists()
    assert (dist / "fa" / "archive" / "1405-07" / "index.html").exists()
    stamps = {p: p.stat().st_mtime_ns for p in dist.rglob("*") if p.is_file()}
    written = site.write(layout, qaws(65) + older, envs, "")  # the same again: no file is rewritten
    assert {p: p.stat().st_mtime_ns for p in dist.rglob("*") if p.is_file()} == stamps
    assert set(written) == {p.relative_to(dist).as_posix() for p in stamps}
    removed: list[str] = []
    written = site.write(layout, qaws(40), envs, "", removed=removed)  # 40: two pages; "older" deleted
    for tag in ("fa", "ps"):
        assert not (dist / tag / "archive" / "1405-09" / "3.html").exists()
        assert (dist / tag / "archive" / "1405-09" / "2.html").exists()
        assert not (dist / tag / "archive" / "1405-07").exists()  # the month's folder too
        assert f"{tag}/archive/1405-09/3.html" in removed and f"{tag}/archive/1405-07/index.html" in removed
        assert f"{tag}/archive/1405-09/3.html" not in written
    assert not set(removed) & set(written)
    assert all((dist / u).is_file() for u in written)


# --- feeds ---

def feed_tree(dist: Path, tag: str) -> ET.Element:
    return ET.fromstring((dist / Layout.feed(tag)).read_bytes())


@pytest.mark.parametrize("base_url", ["", BASE])
def test_feeds_are_valid_atom_with_enclosures(dist, envs, base_url):
    site.write(Layout(dist), entries(60), envs, base_url)
    for tag in TAGS:
        raw = (dist / Layout.feed(tag)).read_bytes()
        parsed = feedparser.parse(raw, response_headers={"content-location": BASE + Layout.feed(tag),
                                                      "content-type": "application/atom+xml; charset=utf-8"})
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.language == tag
        assert len(parsed.entries) == site.FEED_SIZE
        assert [e.title for e in parsed.entries[:3]] == [f"{HOSTILE[tag]} {i}" for i in range(3)]
        assert parsed.entries[0].summary == f"{HOSTILE[tag]} summary"
        root = ET.fromstring(raw)
        assert root.tag == f"{ATOM}feed" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == tag
        for name in ("id", "title", "updated"):  # RFC 4287 4.1.1: exactly one each
            assert len(root.findall(f"{ATOM}{name}")) == 1, name
        assert root.findtext(f"{ATOM}updated") == "2026-11-27T10:00:00Z"  # the newest entry's change
        assert root.find(f"{ATOM}author/{ATOM}name").text
        self_link = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"]
        assert len(self_link) == 1
        assert self_link[0].get("href") == (f"{BASE}{Layout.section(tag)}/feed.xml" if base_url else "feed.xml")
        ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
        assert len(set(ids)) == len(ids) == site.FEED_SIZE and all(i.startswith("urn:uuid:") for i in ids)
        stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
        for i, entry in enumerate(root.findall(f"{ATOM}entry")):
            for name in ("id", "title", "updated", "published"):
                assert len(entry.findall(f"{ATOM}{name}")) == 1, name
            assert stamp.fullmatch(entry.findtext(f"{ATOM}updated")) and stamp.fullmatch(entry.findtext(f"{ATOM}published"))
            assert entry.findtext(f"{ATOM}author/{ATOM}name")
            links = entry.findall(f"{ATOM}link")
            alternate = [ln for ln in links if ln.get("rel") == "alternate"]
            assert len(alternate) == 1 and alternate[0].get("type") == "text/html"
            edition = Layout.edition(f"piece-{i:03d}", tag)
            assert alternate[0].get("href") == (BASE + edition if base_url else "../" + edition)
            enclosures = {ln.get("type"): ln for ln in links if ln.get("rel") == "enclosure"}
            assert set(enclosures) == {"application/pdf", "application/epub+zip"}
            assert enclosures["application/pdf"].get("length") == str(250_000 + i)
            assert enclosures["application/epub+zip"].get("length") == str(160_000 + i)
            assert enclosures["application/pdf"].get("href").endswith(f"piece-{i:03d}.{tag}.pdf")
        enclosure = parsed.entries[0].enclosures
        assert sorted((x.type, x.length) for x in enclosure) == [("application/epub+zip", "160000"),
                                                                 ("application/pdf", "250000")]


def test_feed_ids_do_not_change_when_the_site_gets_an_address(tmp_path, envs):
    site.write(Layout(tmp_path / "a"), entries(3), envs, "")
    site.write(Layout(tmp_path / "b"), entries(3), envs, BASE)
    for tag in TAGS:
        ids = [[e.findtext(f"{ATOM}id") for e in feed_tree(tmp_path / d, tag).iter(f"{ATOM}entry")] for d in "ab"]
        assert ids[0] == ids[1]
        assert feed_tree(tmp_path / "a", tag).findtext(f"{ATOM}id") == feed_tree(tmp_path / "b", tag).findtext(f"{ATOM}id")
    fa = [e.findtext(f"{ATOM}id") for e in feed_tree(tmp_path / "a", "fa-AF").iter(f"{ATOM}entry")]
    en = [e.findtext(f"{ATOM}id") for e in feed_tree(tmp_path / "a", "en").iter(f"{ATOM}entry")]
    assert not set(fa) & set(en)  # an edition's id is its own, not its article's


def test_xml_cannot_carry_control_characters_into_a_feed(dist, envs):
    eds = entries(1)
    for e in eds:
        e["title"] = "a\x00b\x1bc\ufffed"
    site.write(Layout(dist), eds, envs, "")
    assert feed_tree(dist, "en").find(f"{ATOM}entry/{ATOM}title").text == "abcd"


def test_pages_of_a_language_announce_its_feed(dist, envs):
    site.write(Layout(dist), qaws(3), envs, "")
    for url, href in ((Layout.front("ps-AF"), "feed.xml"), (Layout.archive("ps-AF"), "../feed.xml"),
                      (Layout.archive("ps-AF", "1405-09"), "../../feed.xml")):
        links = page(dist, url).find("link", rel="alternate", type="application/atom+xml")
        assert [ln.attrs["href"] for ln in links] == [href], url


# --- sitemap and robots.txt ---

def test_sitemap_is_valid_with_hreflang_alternates(dist, envs):
    english_only = entries(1, first=dt.date(2026, 1, 1), tags=("en",))
    english_only[0]["slug"] = "english-only"
    eds = entries(4, source="ps-AF") + english_only
    site.write(Layout(dist), eds, envs, BASE)
    doc = etree.parse(str(dist / "sitemap.xml"))
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "sitemap-all.xsd")))
    assert schema.validate(doc), schema.error_log
    urls = {u.findtext(f"{SM}loc"): u for u in ET.parse(dist / "sitemap.xml").getroot()}
    fronts = [BASE + f"{Layout.section(t)}/" for t in TAGS]
    assert set(urls) == {BASE, *fronts, *(BASE + Layout.edition(f"piece-{i:03d}", t) for i in range(4) for t in TAGS),
                         BASE + Layout.edition("english-only", "en")}

    def alternates(loc):
        return {x.get("hreflang"): x.get("href") for x in urls[loc].findall(f"{XHTML}link")}

    for loc in [BASE, *fronts]:
        assert alternates(loc) == {**dict(zip(TAGS, fronts)), "x-default": BASE}
    for t in TAGS:
        loc = BASE + Layout.edition("piece-002", t)
        assert alternates(loc) == {**{u: BASE + Layout.edition("piece-002", u) for u in TAGS},
                                   "x-default": BASE + Layout.edition("piece-002", "ps-AF")}  # the source
        assert urls[loc].findtext(f"{SM}lastmod") == "2026-11-25T10:02:00Z"
    assert alternates(BASE + Layout.edition("english-only", "en")) == {}
    robots = (dist / "robots.txt").read_text()
    assert "User-agent: *" in robots and f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_the_sitemap_schema_can_fail(dist, envs):
    site.write(Layout(dist), entries(2), envs, BASE)
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "sitemap-all.xsd")))
    good = (dist / "sitemap.xml").read_bytes()
    for bad in (good.replace(f"<loc>{BASE}".encode(), b"<loc>", 1),  # a relative location
                good.replace(b'hreflang="ps-AF"', b'lang="ps-AF"', 1),  # an alternate without hreflang
                good.replace(b"<lastmod>2026", b"<lastmod>26", 1)):
        assert bad != good
        assert not schema.validate(etree.fromstring(bad))


def test_without_base_url_there_is_no_sitemap_and_robots_says_so(dist, envs):
    site.write(Layout(dist), entries(2), envs, BASE)
    assert (dist / "sitemap.xml").exists()
    removed: list[str] = []
    written = site.write(Layout(dist), entries(2), envs, "", removed=removed)
    assert not (dist / "sitemap.xml").exists() and "sitemap.xml" in removed and "sitemap.xml" not in written
    robots = (dist / "robots.txt").read_text()
    assert "Sitemap:" not in robots.replace("# No sitemap", "") and "User-agent: *\nAllow: /" in robots
    assert "robots.txt" in written


def test_site_pages_get_canonical_urls_with_a_base_url(dist, envs):
    site.write(Layout(dist), qaws(2), envs, BASE)
    tree = page(dist, Layout.front("en"))
    assert [n.attrs["href"] for n in tree.find("link", rel="canonical")] == [BASE + "en/"]
    alternates = {n.attrs["hreflang"]: n.attrs["href"] for n in tree.find("link", rel="alternate") if "hreflang" in n.attrs}
    assert alternates == {**{t: BASE + Layout.section(t) + "/" for t in TAGS}, "x-default": BASE}
    root = page(dist, Layout.index)
    assert {n.attrs["hreflang"]: n.attrs["href"] for n in root.find("link", rel="alternate")
            if "hreflang" in n.attrs and n.attrs.get("type") is None} == alternates
    archive = page(dist, Layout.archive("fa-AF"))
    assert {n.attrs["hreflang"]: n.attrs["href"] for n in archive.find("link", rel="alternate")
            if "hreflang" in n.attrs} == {t: BASE + Layout.section(t) + "/archive/" for t in TAGS}
    month = page(dist, Layout.archive("fa-AF", "1405-09"))
    assert [n.attrs["href"] for n in month.find("link", rel="canonical")] == [BASE + "fa/archive/1405-09/"]


def test_entries_whose_image_is_not_ours_show_no_image(dist, envs):
    eds = entries(2)
    for e in eds:
        if e["image"]:
            e["image"] = {**e["image"], "src": "javascript:alert(1)"}
    site.write(Layout(dist), eds, envs, "")
    assert page(dist, Layout.front("en")).find("img") == []


# --- only the pages whose key changed are rendered ---

@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The URLs of the pages rendered (every page is rendered through site._render)."""
    urls: list[str] = []
    real = site._render

    def spy(url, make):
        urls.append(url)
        return real(url, make)

    monkeypatch.setattr(site, "_render", spy)
    return urls


def keyed(dist: Path, eds: list[dict], envs, previous: dict | None = None, context: str = "words 1",
          base_url: str = BASE, removed: list[str] | None = None) -> tuple[list[str], dict]:
    """site.write as build.py calls it: the previous keys in, the new ones out."""
    keys: dict = {}
    written = site.write(Layout(dist), eds, envs, base_url, removed, context=context, previous=previous, keys=keys)
    return written, keys


def snapshot(dist: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(dist).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(dist.rglob("*")) if p.is_file()}


def lazy(envs) -> tuple[site.Lazy, list[str]]:
    """Environments as build.py passes them (made when first asked for), and the list of those made."""
    made: list[str] = []
    return site.Lazy(TAGS, lambda tag: made.append(tag) or envs[tag]), made


def test_the_same_entries_again_render_nothing_and_make_no_environment(dist, envs, rendered):
    written, keys = keyed(dist, entries(70), envs)
    assert sorted(rendered) == sorted(written) == sorted(keys)  # the first time, every page
    assert len(written) == 3 * 7 + 3  # front, overview, feed, 4 month pages (October's 31 on two); chooser, sitemap, robots
    before = snapshot(dist)
    rendered.clear()
    envs_, made = lazy(envs)
    again, keys_again = keyed(dist, entries(70), envs_, previous=keys)
    assert rendered == [] and made == []
    assert again == written and keys_again == keys
    assert snapshot(dist) == before  # every file as it was, not even rewritten
    read_back = json.loads(json.dumps(entries(70), sort_keys=True))  # as build.py has them from the state
    assert any(list(a["image"]) != list(b["image"]) for a, b in zip(read_back, entries(70)) if a["image"])  # reordered
    assert keyed(dist, read_back, envs_, previous=keys)[1] == keys and rendered == [] and made == []


@pytest.mark.parametrize("i, month, shown", [
    (1, "1405-09", {"front", "feed", "chooser"}),  # among the latest 3: every page that lists it
    (10, "1405-08", {"front", "feed"}),           # on the front page (20) and in the feed (50)
    (60, "1405-07", set()),                       # only in the archive (and the sitemap)
])
def test_a_changed_title_renders_only_the_pages_that_show_it(tmp_path, envs, rendered, i, month, shown):
    dist = tmp_path / "dist"
    _, keys = keyed(dist, entries(70), envs)
    before = snapshot(dist)
    eds = entries(70)
    edited = next(e for e in eds if e["slug"] == f"piece-{i:03d}" and e["tag"] == "fa-AF")
    edited["title"] = "عنوان تازه"
    rendered.clear()
    envs_, made = lazy(envs)
    written, _ = keyed(dist, eds, envs_, previous=keys)
    expect = {Layout.archive("fa-AF", month), Layout.sitemap}
    expect |= {{"front": Layout.front("fa-AF"), "feed": Layout.feed("fa-AF"), "chooser": Layout.index}[p] for p in shown}
    assert set(rendered) == expect
    assert len(rendered) == len(expect)  # each once
    assert set(made) == ({"fa-AF", "ps-AF", "en"} if "chooser" in shown else {"fa-AF"})  # the chooser speaks all three
    for url in expect - {Layout.sitemap}:
        assert "عنوان تازه" in (dist / url).read_text(encoding="utf-8"), url
    after = snapshot(dist)
    assert {url for url in after if after[url] != before[url]} == expect - {Layout.sitemap}  # its lastmod is the same
    fresh = tmp_path / "fresh"  # what a write of everything gives: the same files
    site.write(Layout(fresh), eds, envs, BASE)
    assert {u: data for u, (data, _) in snapshot(fresh).items()} == {u: data for u, (data, _) in after.items()}
    assert sorted(written) == sorted(after)


def test_stamped_entries_key_the_pages_alike_and_are_not_hashed_again(dist, envs, rendered, monkeypatch):
    """The build records each entry with its own digests (site.stamped): the pages' keys are
    those of the entries themselves, a run hashes no stamped entry again (an archive's site
    costs what its changed entries cost), and an edited entry, stamped again, renders the
    pages that show it. A stamp of another version is not trusted."""
    _, keys = keyed(dist, entries(70), envs)
    stamped = [site.stamped(e) for e in entries(70)]
    stamped = json.loads(json.dumps(stamped))  # as build.py reads them back from the state
    hashed = []
    real = site.key
    monkeypatch.setattr(site, "key", lambda *parts: hashed.append(parts) or real(*parts))
    rendered.clear()
    _, keys_again = keyed(dist, stamped, envs, previous=keys)
    assert keys_again == keys and rendered == [] and hashed == []
    edited = next(e for e in stamped if e["slug"] == "piece-001" and e["tag"] == "fa-AF")
    edited.update(site.stamped({**edited, "title": "عنوان تازه"}))
    assert len(hashed) == 1
    keyed(dist, stamped, envs, previous=keys)
    assert Layout.front("fa-AF") in rendered and len(hashed) == 1  # the new stamp, not the entries, was hashed
    assert "عنوان تازه" in (dist / Layout.front("fa-AF")).read_text(encoding="utf-8")
    old = [{**e, site.STAMP: [site.STAMP_VERSION - 1, *e[site.STAMP][1:]]} for e in stamped]
    hashed.clear()
    assert keyed(dist, old, envs, previous=keys_again)[1] == keyed(dist, stamped, envs, previous=keys_again)[1]
    assert len(hashed) == len(old)


def test_a_process_that_writes_the_pages_again_makes_each_stamped_edition_once(dist, envs, monkeypatch):
    """serve writes the pages after every edit: the editions of stamped entries it made
    before for that tree are not made again, an edited one is, and the pages are those a
    fresh process writes."""
    stamped = json.loads(json.dumps([site.stamped(e) for e in entries(40)]))
    keyed(dist, stamped, envs)
    drafts = json.loads(json.dumps([site.stamped({**e, "draft": True}) for e in entries(40)]))
    keyed(dist.parent / "drafts", drafts, envs)  # another tree between, with its own entries (serve --draft)
    made = []
    real = site._edition
    monkeypatch.setattr(site, "_edition", lambda e: made.append(e["slug"]) or real(e))
    edited = next(e for e in stamped if e["slug"] == "piece-003" and e["tag"] == "ps-AF")
    edited.update(site.stamped({**edited, "title": "نوی سرلیک"}))
    keyed(dist, stamped, envs)
    assert made == ["piece-003"]
    monkeypatch.setattr(site, "_MADE", {})
    fresh = dist.parent / "fresh"
    keyed(fresh, stamped, envs)
    assert len(made) == len(stamped) + 1
    assert {u: data for u, (data, _) in snapshot(fresh).items()} == {u: data for u, (data, _) in snapshot(dist).items()}


def test_a_new_updated_time_alone_renders_only_the_feed_and_the_sitemap(dist, envs, rendered):
    """A word fixed in an edition's text changes its `updated` time and its page's size,
    which no list of editions shows: no environment is made, no template rendered."""
    _, keys = keyed(dist, entries(70), envs)
    eds = entries(70)
    edited = next(e for e in eds if e["slug"] == "piece-005" and e["tag"] == "ps-AF")
    edited["updated"] = "2026-12-01T08:00:00Z"
    edited["sizes"] = {**edited["sizes"], "html": edited["sizes"]["html"] + 7}
    rendered.clear()
    envs_, made = lazy(envs)
    keyed(dist, eds, envs_, previous=keys)
    assert sorted(rendered) == [Layout.feed("ps-AF"), Layout.sitemap] and made == []
    assert "2026-12-01T08:00:00Z" in (dist / Layout.feed("ps-AF")).read_text()
    assert "2026-12-01T08:00:00Z" in (dist / Layout.sitemap).read_text()


def test_a_deleted_page_is_written_again(dist, envs, rendered):
    _, keys = keyed(dist, entries(70), envs)
    before = snapshot(dist)
    gone = [Layout.index, Layout.archive("ps-AF", "1405-08"), Layout.feed("en")]
    for url in gone:
        (dist / url).unlink()
    rendered.clear()
    written, again = keyed(dist, entries(70), envs, previous=keys)
    assert sorted(rendered) == sorted(gone) and again == keys
    assert {u: data for u, (data, _) in snapshot(dist).items()} == {u: data for u, (data, _) in before.items()}
    assert sorted(written) == sorted(before)


def test_a_link_in_a_pages_place_is_refused_even_when_its_key_is_unchanged(dist, envs, rendered):
    from editions.errors import EditionsError

    _, keys = keyed(dist, entries(3), envs)
    feed = dist / Layout.feed("en")
    target = dist.parent / "elsewhere.xml"
    target.write_bytes(feed.read_bytes())
    feed.unlink()
    feed.symlink_to(target)
    with pytest.raises(EditionsError, match="not a plain file"):
        keyed(dist, entries(3), envs, previous=keys)


@pytest.mark.parametrize("change", ["context", "base_url"])
def test_new_words_templates_or_address_render_every_page(dist, envs, rendered, change):
    _, keys = keyed(dist, entries(70), envs)
    rendered.clear()
    other = {"context": {"context": "words 2"}, "base_url": {"base_url": "https://other.example/"}}[change]
    written, again = keyed(dist, entries(70), envs, previous=keys, **other)
    assert sorted(rendered) == sorted(written) == sorted(again) == sorted(keys)
    assert not set(again.values()) & set(keys.values())


def test_pages_that_go_leave_the_keys(dist, envs, rendered):
    _, keys = keyed(dist, qaws(65), envs, base_url="")
    assert Layout.archive("fa-AF", "1405-09", 3) in keys
    rendered.clear()
    removed: list[str] = []
    written, again = keyed(dist, qaws(40), envs, previous=keys, base_url="", removed=removed)
    assert Layout.archive("fa-AF", "1405-09", 3) in removed and Layout.archive("fa-AF", "1405-09", 3) not in again
    assert sorted(again) == sorted(written)
    assert {Layout.archive("fa-AF"), Layout.archive("fa-AF", "1405-09", 2)} <= set(rendered)  # fewer, on fewer pages


# --- the edition page: JSON-LD, og:locale, its feed ---

def edition(tag: str, **fields) -> Edition:
    values = {"slug": "piece", "tag": tag, "dir": "ltr" if tag == "en" else "rtl", "source_lang": "en",
              "kind": "analysis", "title": HOSTILE[tag], "author": f"{HOSTILE[tag]} author", "author_role": "",
              "credit": "", "date_iso": "2026-11-24", "date_text": format_date(dt.date(2026, 11, 24), tag),
              "draft": False, "document": "", "summary": HOSTILE[tag] + " \u2028 summary",
              "image": "../assets/images/0123456789abcdef-1600.jpg"}
    return Edition(**{**values, **fields})


OTHERS = {"fa-AF": [("ps-AF", "piece.ps-AF.html", "پښتو"), ("en", "piece.en.html", "English")],
          "ps-AF": [("fa-AF", "piece.fa-AF.html", "دری"), ("en", "piece.en.html", "English")],
          "en": [("fa-AF", "piece.fa-AF.html", "دری"), ("ps-AF", "piece.ps-AF.html", "پښتو")]}


def render_edition(envs, tag: str, base_url: str = "") -> str:
    others = [{"tag": t, "href": h, "autonym": a} for t, h, a in OTHERS[tag]]
    return html.page(envs[tag], edition(tag), "<p>Body.</p>", {"en": "Sangar", "fa-AF": "سنگر", "ps-AF": "سنګر"},
                     others, "../assets", base_url)


@pytest.mark.parametrize("tag", TAGS)
def test_edition_page_carries_newsarticle_json_ld_that_text_cannot_break(envs, tag):
    text = render_edition(envs, tag, BASE)
    tree = Tree(text).root
    scripts = tree.find("script")
    assert len(scripts) == 1 and scripts[0].attrs == {"type": "application/ld+json"}
    raw = scripts[0].string()
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == HOSTILE[tag]  # exactly, once the escapes are read back
    assert data["author"] == {"@type": "Person", "name": f"{HOSTILE[tag]} author"}
    assert data["datePublished"] == "2026-11-24" and data["inLanguage"] == tag
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == {"en": "Sangar", "fa-AF": "سنگر", "ps-AF": "سنګر"}[tag]
    assert data["image"] == [BASE + "assets/images/0123456789abcdef-1600.jpg"]
    assert data["url"] == BASE + f"piece/piece.{tag}.html"
    assert data["description"] == HOSTILE[tag] + " \u2028 summary"
    if tag != "en":
        assert data["translationOfWork"]["url"] == BASE + "piece/piece.en.html"
    else:
        assert "translationOfWork" not in data
    # Nothing of the hostile title runs anywhere else in the page either.
    body = tree.find("body")[0]
    assert not body.find("script") and not body.find("img")


def test_edition_page_json_ld_without_base_url_and_without_image(envs):
    others = [{"tag": "en", "href": "piece.en.html", "autonym": "English"}]
    text = html.page(envs["fa-AF"], edition("fa-AF", image=""), "<p>x</p>", {"fa-AF": "سنگر", "en": "Sangar"},
                     others, "../assets", "")
    data = json.loads(Tree(text).root.find("script")[0].string())
    assert "image" not in data and "url" not in data
    assert data["translationOfWork"]["url"] == "piece.en.html"


@pytest.mark.parametrize("tag, locale, alternates", [("en", "en_US", ["fa_AF", "ps_AF"]),
                                                     ("fa-AF", "fa_AF", ["ps_AF", "en_US"]),
                                                     ("ps-AF", "ps_AF", ["fa_AF", "en_US"])])
def test_edition_page_og_locale_and_its_alternates(envs, tag, locale, alternates):
    tree = Tree(render_edition(envs, tag)).root
    assert [m.attrs["content"] for m in tree.find("meta", property="og:locale")] == [locale]
    assert [m.attrs["content"] for m in tree.find("meta", property="og:locale:alternate")] == alternates


@pytest.mark.parametrize("tag", TAGS)
def test_edition_page_hreflang_alternates_are_absolute_or_absent(envs, tag):
    def alternates(text):
        return {n.attrs["hreflang"]: n.attrs["href"] for n in Tree(text).root.find("link", rel="alternate")
                if "hreflang" in n.attrs and n.attrs.get("type") is None}

    assert alternates(render_edition(envs, tag)) == {}  # a relative hreflang is invalid: none without base_url
    found = alternates(render_edition(envs, tag, BASE))
    assert found[tag] == BASE + f"piece/piece.{tag}.html" and len(found) > 1
    assert all(href.startswith(BASE) for href in found.values())


@pytest.mark.parametrize("tag", TAGS)
def test_edition_page_links_its_languages_feed(envs, tag):
    feeds = Tree(render_edition(envs, tag)).root.find("link", rel="alternate", type="application/atom+xml")
    assert [f.attrs["href"] for f in feeds] == [f"../{Layout.section(tag)}/feed.xml"]
    feeds = Tree(render_edition(envs, tag, BASE)).root.find("link", rel="alternate", type="application/atom+xml")
    assert [f.attrs["href"] for f in feeds] == [f"{BASE}{Layout.section(tag)}/feed.xml"]


# --- the interface words ---

SITE_TEMPLATES = {f"styles/templates/{name}.html" for name in (
    "site-page", "front", "archive", "archive-month", "_items", "_site", "chooser", "chooser-section")}


def test_every_interface_word_of_the_site_pages_is_translated_in_dari_and_pashto():
    """Else the build skips the language: the words of these templates (and the feed link's
    title on the edition page) have Dari and Pashto translations."""
    pot = messages._extract(ROOT)
    used = [e.msgid for e in pot if {path for path, _line in e.occurrences} & SITE_TEMPLATES]
    assert {"Archive", "Previous page", "Next page", "Atom feed", "Pages", "Read online"} <= set(used)
    for tag in ("fa-AF", "ps-AF"):
        table = ui(tag).table
        missing = [msgid for msgid in used if not table.get(msgid)]
        assert not missing, (tag, missing)
    for word in ("Archive", "Previous page", "Next page", "Atom feed", "Pages"):
        fa, ps = ui("fa-AF").table[word], ui("ps-AF").table[word]
        assert not re.search("[\u064a\u0643]", fa), word  # Dari: ی and ک, not the Arabic letters
        assert re.fullmatch(r"[\u0600-\u06ff\u200c ]+", fa) and re.fullmatch(r"[\u0600-\u06ff ]+", ps), word


def test_lists_offer_only_the_files_the_build_made(dist, envs):
    """An edition built with --format html has no PDF or EPUB: its lists link neither."""
    eds = entries(3)
    for e in eds:
        if e["slug"] == "piece-001":
            e["sizes"] = {"html": e["sizes"]["html"]}
    site.write(Layout(dist), eds, envs, "")
    for tag in TAGS:
        links = [a.attrs["href"] for a in page(dist, Layout.front(tag)).find("a") if "download" in a.attrs]
        assert f"../piece-000/piece-000.{tag}.pdf" in links and f"../piece-000/piece-000.{tag}.epub" in links
        assert not [h for h in links if "piece-001" in h], links
