"""The web editions in a real browser (Debian's Chromium driven by Playwright) at phone
and desktop widths: direction, fonts, overflow, console, links, axe-core; screenshots are
kept in test-artifacts/screenshots/.

The pages are those of the project's articles (conftest.shared_build); with SANGAR_BROWSER_ARCHIVE=N in the
environment (`make bench` sets 1000) they are those of a generated archive of N articles
(benchmarks/archive.py: the seed article among N-1 copies, HTML editions, the seed's in
every format): front pages of the latest 20, archive months of 30 a page with their
pagers, the search index in shards."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, SLUG, copy_project, served
from editions import serve
from editions.build import Project, build
from editions.executor import Local

AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PAGES = {
    "index": ("index.html", "rtl", {"Sangar Sans Arabic"}),
    "front-fa": ("fa/", "rtl", {"Sangar Sans Arabic"}),
    "front-ps": ("ps/", "rtl", {"Sangar Sans Arabic"}),
    "front-en": ("en/", "ltr", {"Sangar Sans"}),
    "archive-fa": ("fa/archive/", "rtl", {"Sangar Sans Arabic"}),
    "month-fa": ("fa/archive/1405-09/", "rtl", {"Sangar Sans Arabic"}),
    "month-en": ("en/archive/2026-11/", "ltr", {"Sangar Sans"}),
    "en": (f"{SLUG}/{SLUG}.en.html", "ltr", {"Sangar Serif", "Sangar Sans"}),
    "fa-AF": (f"{SLUG}/{SLUG}.fa-AF.html", "rtl", {"Sangar Naskh", "Sangar Sans Arabic"}),
    "ps-AF": (f"{SLUG}/{SLUG}.ps-AF.html", "rtl", {"Sangar Naskh", "Sangar Sans Arabic"}),
}
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "narrow": {"width": 320, "height": 640},
             "desktop": {"width": 1280, "height": 900}}
TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip", ".html": "text/html", "": "text/html",
         ".xml": "application/atom+xml"}


ARCHIVE = int(os.environ.get("SANGAR_BROWSER_ARCHIVE") or 0)


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    if ARCHIVE:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from archive import make_archive

        root = make_archive(tmp_path_factory.mktemp("web") / "archive", ARCHIVE)
        assert not build(Project(root), runner=Local(2), formats=["html"]).errors
        assert not build(Project(root), runner=Local(2), slugs=[SLUG]).errors  # its PDF and EPUB links
        dist = root / "dist"
    else:  # the project's articles as built once for the session (read-only: only served)
        dist = request.getfixturevalue("shared_build") / "dist"
    with served(dist) as url:
        yield url




# The editions at every width; the site's pages (chooser, front pages, archive) at phone and desktop.
CASES = [(name, viewport) for name in PAGES for viewport in VIEWPORTS
         if viewport != "narrow" or "/" in PAGES[name][0] and PAGES[name][0].endswith(".html")]


@pytest.mark.parametrize("name,viewport", CASES)
def test_page_in_the_browser(browser, site, name, viewport):
    path, direction, fonts = PAGES[name]
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(site + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    loaded = set(page.evaluate("async () => { await document.fonts.ready;"
                               " return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family); }"))
    assert {f.strip('"') for f in loaded} >= fonts, loaded
    assert page.evaluate("document.documentElement.dir") == direction
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"], "horizontal scroll"
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
    assert all(url.startswith(origin) for url in requests), [u for u in requests if not u.startswith(origin)]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations"
                               ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
    assert violations == []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        url, _, fragment = href.partition("#")
        if url.rstrip("/") == page.url.partition("#")[0].rstrip("/") and fragment:
            assert page.locator(f"#{fragment}").count() == 1, href
            continue
        assert url.startswith(origin), href  # no link leaves the site
        got = context.request.get(url)
        assert got.status == 200, href
        suffix = Path(urlsplit(url).path).suffix
        assert got.headers["content-type"].startswith(TYPES[suffix]), (href, got.headers["content-type"])
    assert problems == []
    context.close()


def test_rtl_pages_mirror_the_masthead_and_lists(browser, site):
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(site + PAGES["fa-AF"][0])
    width = VIEWPORTS["phone"]["width"]
    name = page.locator(".outlet-name").bounding_box()
    assert name["x"] + name["width"] > width * 0.6  # the masthead starts at the right
    marker_side = page.evaluate("getComputedStyle(document.querySelector('ol')).direction")
    assert marker_side == "rtl"
    # Persian digits with the house style's dash («۱-», like «الف-»): extends `persian`
    assert page.evaluate("getComputedStyle(document.querySelector('ol')).listStyleType") == "sangar-numbers"
    context.close()


def test_live_reload_after_a_rebuild(browser, tmp_path):
    root = copy_project(tmp_path / "live")
    assert not build(Project(root), runner=Local(1), formats=["html"]).errors
    state = serve.State()
    httpd = serve.server(root / "dist", 0, state)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{httpd.server_port}/{PAGES['en'][0]}")
        page.wait_for_function("() => document.readyState === 'complete'")
        marker = page.evaluate("() => (window.__marker = 1)")
        assert marker == 1
        state.bump()  # what the watcher does after a rebuild
        page.wait_for_function("() => window.__marker === undefined", timeout=15000)
        context.close()
    finally:
        httpd.shutdown()


def test_serve_rebuilds_when_a_source_changes(tmp_path):
    root = copy_project(tmp_path / "watch")
    state = serve.State()
    stop = threading.Event()
    rebuilt, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(root, lambda _changed: rebuilt.set(), state, stop, 0.05, ready), daemon=True)
    watcher.start()
    assert ready.wait(timeout=30)
    try:
        po = root / "translations" / "fa_AF" / "LC_MESSAGES" / f"{SLUG}.po"
        po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert rebuilt.wait(timeout=30), "no rebuild after a catalog changed"
        stop.set()
        watcher.join(timeout=10)
        assert state.version == 1
    finally:
        stop.set()
        watcher.join(timeout=10)


def test_serve_sends_the_right_content_types(tmp_path):
    import urllib.request

    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("a.pdf", "a.epub", "a.html", "a.css", "a.ttf"):
        (dist / name).write_bytes(b"<html><body>x</body></html>" if name.endswith("html") else b"x")
    httpd = serve.server(dist, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}/"
        got = {n: urllib.request.urlopen(base + n).headers["Content-Type"]
               for n in ("a.pdf", "a.epub", "a.html", "a.css", "a.ttf")}
        assert got["a.pdf"] == "application/pdf" and got["a.epub"] == "application/epub+zip"
        assert got["a.html"].startswith("text/html") and got["a.css"].startswith("text/css")
        assert got["a.ttf"] == "font/ttf"
        page = urllib.request.urlopen(base + "a.html").read()
        assert b"/__sangar/version" in page and not (dist / "a.html").read_bytes().count(b"script")
    finally:
        httpd.shutdown()


def test_the_watcher_survives_a_failing_rebuild(tmp_path):
    root = copy_project(tmp_path / "w2")
    calls = []

    def rebuild(_changed):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bad edit")

    state, stop, ready = serve.State(), threading.Event(), threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(root, rebuild, state, stop, 0.05, ready), daemon=True)
    watcher.start()
    assert ready.wait(timeout=30)
    css = root / "styles" / "print.css"
    try:
        css.write_text(css.read_text() + "\n")
        for _ in range(600):
            if calls:
                break
            stop.wait(0.05)
        css.write_text(css.read_text() + "\n/* again */\n")
        for _ in range(600):
            if state.version == 1:
                break
            stop.wait(0.05)
        assert len(calls) == 2 and state.version == 1
    finally:
        stop.set()
        watcher.join(timeout=10)
