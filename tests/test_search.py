"""Search across the archive with no server (editions/search.py): Pagefind's index of a
built tree, searched through the search box of _search.html in Debian's Chromium as a
reader would. Dari words are found with their letter variants (ي/ی, ك/ک, with and without
ZWNJ), Pashto ones with ی for ې and گ for ګ, English ones stemmed; each box searches its
own language. The index is remade only when a page changed, and a Pagefind that fails,
hangs or is missing leaves the old index and says so in one line."""
from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from conftest import ALL, copy_project, served
from editions import search
from editions.build import Project, build
from editions.errors import EditionsError
from editions.executor import Local
from editions.layout import Layout

SEED, WATER = "cloud-over-the-taliban", "kabul-water-crisis"
# query → the editions the box of its language finds
DARI = {
    "طالبان": [SEED, WATER],         # 23 times in the seed, twice in the other: the seed first
    "داعش": [SEED],                   # in the Pashto seed too: not found from a Dari page
    "تهدیدهای": [SEED],
    "تهديدهاي": [SEED],               # Arabic yeh (U+064A) for Farsi yeh (U+06CC)
    "تیره‌تر": [SEED],                 # with ZWNJ, as the title has it
    "تیرهتر": [SEED],                  # without
    "تيرهتر": [SEED],                  # without, and with Arabic yeh
    "می تواند": [SEED, WATER],         # a compound typed with a space: «می‌تواند» on both pages
    "میتواند": [SEED, WATER],          # run together
    "نمي شود": [WATER],                # spaced and with Arabic yeh
    "چاه های": [WATER],                # a plural's suffix typed apart: «چاه‌های»
    "خشک": [WATER],
    "خشك": [WATER],                   # Arabic kaf (U+0643) for keheh (U+06A9)
    "۲۰۲۱": [SEED, WATER],
    "2021": [SEED, WATER],            # Latin digits for Persian ones
}
PASHTO = {  # words of translations/ps_AF/LC_MESSAGES/*.po
    "ورېځ": [SEED],                    # "cloud", as written
    "وریځ": [SEED],                    # ی typed for ې
    "څاګانو": [WATER],                 # "wells"
    "څاگانو": [WATER],                 # گ (Dari gaf) typed for ګ
    "طالبانو": [SEED, WATER],
}
ENGLISH = {"drilling": [WATER], "drill": [WATER], "ISIS-Khorasan": [SEED]}
BOXES = {"fa-AF": ("fa", DARI), "ps-AF": ("ps", PASHTO), "en": ("en", ENGLISH)}


def search_digits(n: int, tag: str) -> str:
    return str(n) if tag == "en" else str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("search"), slugs=ALL)
    report = build(Project(root), runner=Local(1), formats=["html"])
    assert not report.errors, report.errors
    layout = Layout(root / "dist")
    for slug in (SEED, WATER):
        for tag in BOXES:
            assert layout.path(Layout.edition(slug, tag)).is_file(), f"{slug} {tag} not built: {report.lines}"
    search.index(layout)  # False if the build made it already
    assert (layout.path(Layout.search) / "pagefind-entry.json").is_file()
    return root


@pytest.fixture(scope="module")
def site(tree):
    with served(tree / "dist") as url:
        yield url




def ask(page, query: str) -> tuple[str, list[dict]]:
    """Type `query` into the box; the status line and the results (href, title, excerpt)."""
    page.fill("#search-q", "")
    page.wait_for_function("() => document.querySelector('#search-status').textContent === ''")
    page.fill("#search-q", query)
    page.wait_for_function("() => document.querySelector('#search-status').textContent !== ''", timeout=15000)
    results = page.eval_on_selector_all("#search-results li", """items => items.map(li => ({
        href: li.querySelector('a').href, title: li.querySelector('a').textContent,
        excerpt: li.querySelector('p').innerHTML}))""")
    return page.text_content("#search-status"), results


@pytest.mark.parametrize("tag", BOXES)
def test_the_search_box_finds_each_languages_editions_and_their_variants(browser, site, tree, tag):
    folder, queries = BOXES[tag]
    context = browser.new_context()
    page = context.new_page()
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{site}{folder}/", wait_until="networkidle")  # the language's front page
    for query, slugs in queries.items():
        status, results = ask(page, query)
        found = [r["href"].removeprefix(site) for r in results]
        assert sorted(found) == sorted(Layout.edition(s, tag) for s in slugs), (query, found)
        assert status.endswith(search_digits(len(slugs), tag)), status
        if query == "طالبان":
            assert found[0] == Layout.edition(SEED, tag), found
        assert all("<mark>" in r["excerpt"] for r in results), (query, results)
        assert all(not set(r["title"] + r["excerpt"]) & set(search.MARKERS + "\u2060") for r in results)
    page_title = (tree / "dist" / Layout.edition(SEED, tag)).read_text(encoding="utf-8")
    _status, results = ask(page, next(q for q, slugs in queries.items() if SEED in slugs))
    seed = next(r for r in results if SEED in r["href"])
    assert f">{seed['title']}</h1>" in page_title  # the page's own letters, not the folded ones
    status, results = ask(page, "zzzqqq")
    assert results == [] and status
    assert all(url.startswith(site) for url in requests), [u for u in requests if not u.startswith(site)]
    assert problems == []
    context.close()


def test_without_javascript_the_form_still_shows_and_points_to_the_archive(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}fa/")
    assert page.locator("form[role=search] input[type=search]").is_visible()
    assert page.locator("label[for=search-q]").text_content() == "جستجو در نسخه‌ها"
    assert page.locator("form[role=search] noscript").count() == 1
    assert page.locator("form[role=search]").get_attribute("action") == "archive/"
    context.close()


def test_variants_are_folded_alike_in_pages_and_queries():
    for written, typed in (("تهدیدهای", "تهديدهاي"), ("خشک", "خشك"), ("ورېځ", "وریځ"), ("څاګانو", "څاگانو"),
                           ("۲۰۲۱", "2021"), ("٢٠٢١", "2021"), ("کـتاب", "کتاب"), ("ۀ", "ه")):
        indexed = search.INVISIBLE.sub("", search.fold_page(written))
        assert indexed == search.fold_query(typed) == search.fold_query(written), (written, typed)
    for written in ("می‌شود", "میشود", "می شود", "مي شود"):  # Dari compounds: ZWNJ (Pagefind drops it), none, space
        for typed in ("می‌شود", "میشود", "می شود", "مي  شود"):
            indexed = search.INVISIBLE.sub("", search.fold_page(written, dari=True)).replace("\u200c", "")
            assert indexed == search.fold_query(typed, dari=True).replace("\u200c", "") == "میشود", (written, typed)
    for written, joined in (("چاه های آب", "چاههای آب"), ("بزرگ ترین", "بزرگترین"), ("بی کار", "بیکار"),
                            ("این مرد", "این مرد"), ("تر و تازه", "تر و تازه"), ("هاشم امین", "هاشم امین")):
        assert search.INVISIBLE.sub("", search.fold_page(written, dari=True)) == joined
        assert search.fold_query(written, dari=True) == joined
    assert search.fold_page("مې ولیدل", dari=False) == "م" + search.MARKED["ې"] + " ولیدل"  # Pashto «مې»: a word, no join
    page = "ی\u2061 نیرو"  # markers already in a page are dropped: only ours remain
    assert search.fold_page(page) == "ی نیرو"
    restore = {marked: letter for letter, marked in search.MARKED.items()}
    for letter, marked in search.MARKED.items():  # each letter is shown again as it was
        assert restore[marked] == letter


def copy_tree(tree: Path, dest: Path) -> Layout:
    shutil.copytree(tree / "dist", dest / "dist")
    search.index(Layout(dest / "dist"))  # its own record in dest/.cache
    return Layout(dest / "dist")


def test_the_index_is_remade_only_when_a_page_changed(tree, tmp_path):
    layout = copy_tree(tree, tmp_path)
    entry = layout.path(Layout.search) / "pagefind-entry.json"
    made = entry.stat().st_mtime_ns
    assert search.index(layout) is False
    assert search.index(layout, changed=["fa/index.html", "fa/feed.xml"]) is False
    assert entry.stat().st_mtime_ns == made
    copies = tmp_path / ".cache" / "search" / "dist.pages"  # what Pagefind reads: the pages folded
    other = copies / Layout.edition(WATER, "fa-AF")
    copied = other.stat().st_mtime_ns
    page = layout.path(Layout.edition(SEED, "fa-AF"))
    page.write_text(page.read_text(encoding="utf-8").replace("داعش", "گرگ"), encoding="utf-8")
    assert search.index(layout, changed=[Layout.edition(SEED, "fa-AF")]) is True
    assert "گرگ" in (copies / Layout.edition(SEED, "fa-AF")).read_text(encoding="utf-8")
    assert other.stat().st_mtime_ns == copied  # only the changed page was folded again
    assert search.index(layout) is False
    shutil.rmtree(layout.path(WATER))  # an article gone: its pages leave the index
    assert search.index(layout) is True
    assert not (copies / WATER).exists()
    fragments = list((layout.path(Layout.search) / "fragment").iterdir())
    assert len(fragments) == len(BOXES)
    assert not list(layout.root.glob(".pagefind*"))


def fake_pagefind(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bin" / "pagefind"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("body, timeout, words", [
    ("echo 'Error: out of cheese' >&2; exit 3", 60, "pagefind failed (Error: out of cheese)"),
    ("sleep 30", 1, "pagefind took more than 1 s"),
])
def test_a_failing_or_hanging_pagefind_leaves_the_old_index(tree, tmp_path, monkeypatch, body, timeout, words):
    layout = copy_tree(tree, tmp_path)
    index = layout.path(Layout.search)
    before = {p.relative_to(index): p.read_bytes() for p in index.rglob("*") if p.is_file()}
    page = layout.path(Layout.edition(WATER, "en"))
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(search, "pagefind_binary", lambda: fake_pagefind(tmp_path, body))
    with pytest.raises(EditionsError) as caught:
        search.index(layout, timeout=timeout)
    message = str(caught.value)
    assert words in message and "\n" not in message and "left as it was" in message
    assert {p.relative_to(index): p.read_bytes() for p in index.rglob("*") if p.is_file()} == before
    assert not list(layout.root.glob(".pagefind*"))
    monkeypatch.undo()
    assert search.index(layout) is True  # the next run tries again


def test_a_missing_pagefind_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.prefix", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EditionsError) as caught:
        search.pagefind_binary()
    assert str(caught.value) == ("make-editions: error: pagefind is not installed (npm pagefind@"
                                 f"{search.PAGEFIND} in .venv/pagefind): run `make setup`")


def test_the_installed_pagefind_is_the_pinned_one():
    import subprocess

    done = subprocess.run([str(search.pagefind_binary()), "--version"], capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["pagefind", search.PAGEFIND]
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    assert f"pagefind@{search.PAGEFIND}" in makefile


def test_only_the_title_and_the_article_body_are_indexed(tree):
    """The fragments (one per page, gzip-compressed JSON) hold what a search can find:
    not the masthead, the byline or the download links."""
    import gzip

    fragments = [json.loads(gzip.decompress(p.read_bytes())[len(b"pagefind_dcd"):])
                 for p in (tree / "dist" / Layout.search / "fragment").iterdir()]
    seed = next(f for f in fragments if f["url"].endswith(Layout.edition(SEED, "en")))
    assert seed["content"].startswith("This means that the cloud over the Taliban")
    assert "ISIS-Khorasan is suppressed" in seed["content"]
    for outside in ("Download PDF", "Ahmad Saidi", "Other languages"):
        assert outside not in seed["content"], outside
    assert seed["meta"]["title"] == "This means that the cloud over the Taliban is getting darker every day"
    assert {f["url"].rsplit(".", 2)[-2] for f in fragments} == set(BOXES)
    assert len(fragments) == 2 * len(BOXES)  # the editions' pages and nothing else
