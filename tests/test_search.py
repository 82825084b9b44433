"""Search across the archive with no server (editions/search.py): Pagefind's index of a
built tree, searched through the search box of _search.html in Debian's Chromium as a
reader would. Dari words are found with their letter variants (ي/ی, ك/ک, with and without
ZWNJ), Pashto ones with ی for ې and گ for ګ, English ones stemmed; each box searches its
own language. The index is cut into shards (per language, a few pages each; here one
page, so that every language has two): a change makes again only its page's shard, no
Pagefind run ever reads more than a shard's pages, and the box finds and ranks the pages
of all its language's shards. A Pagefind that fails, hangs or is missing leaves the old
shard and says so in one line."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from conftest import served
from editions import search
from editions.errors import EditionsError
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
    "بازگشت": [SEED],                 # not in the other page, whose «با» Pagefind would take for it (sift)
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
def tree(tmp_path_factory, shared_build) -> Path:
    """Every article built (a copy of the session's build: its index is remade here), the
    index cut into shards of one page."""
    root = shutil.copytree(shared_build, tmp_path_factory.mktemp("search") / "p", symlinks=True)
    layout = Layout(root / "dist")
    for slug in (SEED, WATER):
        for tag in BOXES:
            assert layout.path(Layout.edition(slug, tag)).is_file(), f"{slug} {tag} not built"
    assert search.index(layout, shard_pages=1) is True  # the build's shards (of SHARD_PAGES) cut in two
    index = layout.path(Layout.search)
    for tag in BOXES:  # two shards a language: the seed's page in the first (URL order), the other's in the second
        assert shard_urls(index / tag / "0") == {Layout.edition(SEED, tag)}
        assert shard_urls(index / tag / "1") == {Layout.edition(WATER, tag)}
    assert not (index / "pagefind-entry.json").exists() and not any((index / tag / "2").exists() for tag in BOXES)
    assert listed(layout) == {tag: [f"{tag}/0/", f"{tag}/1/"] for tag in BOXES}
    return root


def fragments(bundle: Path) -> list[dict]:
    """A bundle's fragments (one per page, gzip-compressed JSON): what a search finds and shows."""
    return [json.loads(gzip.decompress(p.read_bytes())[len(b"pagefind_dcd"):]) for p in (bundle / "fragment").iterdir()]


def shard_urls(bundle: Path) -> set[str]:
    assert (bundle / "pagefind-entry.json").is_file(), bundle
    return {f["url"].lstrip("/") for f in fragments(bundle)}


def listed(layout: Layout) -> dict[str, list[str]]:
    """The shards the search box's script loads, per language."""
    return json.loads((layout.path(Layout.search) / search.CONFIG).read_text(encoding="utf-8"))["shards"]


def hidden(layout: Layout) -> dict[str, list[str]]:
    """The ids the search box drops from each language's results."""
    return json.loads((layout.path(Layout.search) / search.CONFIG).read_text(encoding="utf-8"))["hidden"]


def page_ids(bundle: Path) -> dict[str, str]:
    """Each page of a bundle (URL) → its id in the bundle's results (its fragment's name)."""
    return {json.loads(gzip.decompress(p.read_bytes())[len(b"pagefind_dcd"):])["url"].lstrip("/"):
            p.name.removesuffix(".pf_fragment") for p in (bundle / "fragment").iterdir()}


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
        if query == "طالبان":  # the seed's page in the first shard, the other's in the second: ranked together
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
    index = f"{site}{Layout.search}/"
    assert {u.split("?")[0] for u in requests if u.endswith(".js") and u.startswith(index)} == {
        f"{index}{search.SCRIPT}", f"{index}{tag}/0/pagefind.js", f"{index}{tag}/0/pagefind-worker.js"}
    for shard in ("0", "1"):  # both shards of the page's language: the second merged into the first
        assert any(u.startswith(f"{index}{tag}/{shard}/pagefind-entry.json") for u in requests), (shard, requests)
    assert not [u for u in requests if u.startswith(index) and not u.startswith(f"{index}{tag}/")
                and u not in (f"{index}{search.SCRIPT}", f"{index}{search.CONFIG}")]  # no other language's shard
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


def copy_tree(tree: Path, dest: Path, shard_pages: int | None = None, extra: tuple[str, ...] = ()) -> Layout:
    """The built tree copied to `dest`, with `extra` Dari pages (copies of the other
    article's, under slugs of their own), and its index made there (its own record in
    dest/.cache) with shards of `shard_pages`. (Tests of how shards are made again pass
    `fresh_pages=0`: every change makes its shard again, no fresh shard.)"""
    shutil.copytree(tree / "dist", dest / "dist")
    layout = Layout(dest / "dist")
    for slug in extra:
        add_page(layout, slug)
    search.index(layout, shard_pages=shard_pages)
    return layout


def add_page(layout: Layout, slug: str, tag: str = "fa-AF") -> Path:
    page = layout.path(Layout.edition(slug, tag))
    page.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(layout.path(Layout.edition(WATER, tag)), page)
    return page


def touch(page: Path) -> None:
    """The page's time moved on, its bytes the same."""
    st = page.stat()
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def files(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def runs(monkeypatch) -> list[tuple[str, list[str]]]:
    """Each Pagefind run of the test: its site (the shard's copies) as 'tag/n', and the pages there."""
    seen, real = [], search._run

    def run(binary, site, out, timeout):
        seen.append((f"{site.parent.name}/{site.name}",
                     sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))))
        return real(binary, site, out, timeout)

    monkeypatch.setattr(search, "_run", run)
    return seen


def test_the_index_is_remade_only_when_a_page_changed(tree, tmp_path):
    layout = copy_tree(tree, tmp_path)  # shards of SHARD_PAGES: one a language
    entry = layout.path(Layout.search) / "fa-AF" / "0" / "pagefind-entry.json"
    made = entry.stat().st_mtime_ns
    assert search.index(layout, fresh_pages=0) is False
    assert search.index(layout, fresh_pages=0, changed=["fa/index.html", "fa/feed.xml"]) is False
    assert entry.stat().st_mtime_ns == made
    copies = tmp_path / ".cache" / "search" / "dist.pages" / "fa-AF" / "0"  # what Pagefind reads: the pages folded
    other = copies / Layout.edition(WATER, "fa-AF")
    copied = other.stat().st_mtime_ns
    page = layout.path(Layout.edition(SEED, "fa-AF"))
    page.write_text(page.read_text(encoding="utf-8").replace("داعش", "گرگ"), encoding="utf-8")
    assert search.index(layout, fresh_pages=0, changed=[Layout.edition(SEED, "fa-AF")]) is True
    assert "گرگ" in (copies / Layout.edition(SEED, "fa-AF")).read_text(encoding="utf-8")
    assert other.stat().st_mtime_ns == copied  # only the changed page was folded again
    assert search.index(layout, fresh_pages=0) is False
    shutil.rmtree(layout.path(WATER))  # an article gone: its pages leave the index
    assert search.index(layout, fresh_pages=0) is True
    assert not (copies / WATER).exists()
    index = layout.path(Layout.search)
    assert {tag: shard_urls(index / tag / "0") for tag in BOXES} == {tag: {Layout.edition(SEED, tag)} for tag in BOXES}
    assert not list(layout.root.glob(".pagefind*"))


def test_a_change_makes_again_only_its_pages_shard(tree, tmp_path, runs):
    extra = ("zz-1", "zz-2", "zz-3")  # Dari: the seed and the other in fa-AF/0, zz-1, zz-2 in fa-AF/1, zz-3 in /2
    layout = copy_tree(tree, tmp_path, shard_pages=2, extra=extra)
    index, copies = layout.path(Layout.search), tmp_path / ".cache" / "search" / "dist.pages"
    shards = {"fa-AF": ["fa-AF/0/", "fa-AF/1/", "fa-AF/2/"], "ps-AF": ["ps-AF/0/"], "en": ["en/0/"]}
    assert listed(layout) == shards
    assert shard_urls(index / "fa-AF" / "1") == {Layout.edition(s, "fa-AF") for s in ("zz-1", "zz-2")}
    runs.clear()
    assert search.index(layout, shard_pages=2, fresh_pages=0) is False and runs == []

    touch(layout.path(Layout.edition(WATER, "fa-AF")))  # its time: one run, of its shard
    before = files(index)
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True
    assert runs == [("fa-AF/0", [Layout.edition(SEED, "fa-AF"), Layout.edition(WATER, "fa-AF")])]
    unchanged = {k: v for k, v in before.items() if k.parts[:2] != ("fa-AF", "0")}  # the other shards, the script
    assert {k: v for k, v in files(index).items() if k.parts[:2] != ("fa-AF", "0")} == unchanged

    runs.clear()
    page = layout.path(Layout.edition(SEED, "en"))  # its bytes, inside a paragraph
    page.write_text(page.read_text(encoding="utf-8").replace("is suppressed", "is suppressed quokka"), encoding="utf-8")
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True
    assert [site for site, _pages in runs] == ["en/0"]
    assert any("quokka" in f["content"] for f in fragments(index / "en" / "0"))

    runs.clear()
    layout.path(Layout.edition("zz-1", "fa-AF")).unlink()  # a page gone: its shard made again, without it
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True
    assert runs == [("fa-AF/1", [Layout.edition("zz-2", "fa-AF")])]
    assert shard_urls(index / "fa-AF" / "1") == {Layout.edition("zz-2", "fa-AF")}
    assert not (copies / "fa-AF" / "1" / "zz-1").exists()

    runs.clear()
    shutil.rmtree(layout.path("zz-2"))  # the shard's last page gone: the shard goes, no run
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True
    assert runs == []
    assert not (index / "fa-AF" / "1").exists() and not (copies / "fa-AF" / "1").exists()
    assert listed(layout) == {**shards, "fa-AF": ["fa-AF/0/", "fa-AF/2/"]}

    runs.clear()
    add_page(layout, "zz-4")  # new pages: into the last shard while it has room, then a new one
    add_page(layout, "zz-5")
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True
    assert runs == [("fa-AF/2", [Layout.edition(s, "fa-AF") for s in ("zz-3", "zz-4")]),
                    ("fa-AF/3", [Layout.edition("zz-5", "fa-AF")])]
    assert listed(layout) == {**shards, "fa-AF": ["fa-AF/0/", "fa-AF/2/", "fa-AF/3/"]}
    assert not list(layout.root.glob(".pagefind*"))


def test_a_few_changes_are_searched_in_the_fresh_shard_until_there_are_too_many(tree, tmp_path, runs):
    """A changed page is indexed alone in its language's fresh shard and its old version
    hidden in its shard (a run over one page, not a shard's); a gone page is only hidden;
    past `fresh_pages` pages behind, the shards behind are made again and the fresh shard
    goes."""
    layout = copy_tree(tree, tmp_path, shard_pages=2, extra=("zz-1", "zz-2", "zz-3"))
    index = layout.path(Layout.search)
    seed_en, old = Layout.edition(SEED, "en"), page_ids(index / "en" / "0")
    dari = {**page_ids(index / "fa-AF" / "0"), **page_ids(index / "fa-AF" / "1")}
    before = files(index / "en" / "0")
    runs.clear()
    page = layout.path(seed_en)
    page.write_text(page.read_text(encoding="utf-8").replace("is suppressed", "is suppressed quokka"), encoding="utf-8")
    assert search.index(layout, shard_pages=2, fresh_pages=2) is True
    assert runs == [("en/fresh", [seed_en])]  # one page read, not its shard's two
    assert files(index / "en" / "0") == before  # the shard's bundle as it was
    assert shard_urls(index / "en" / "fresh") == {seed_en}
    assert any("quokka" in f["content"] for f in fragments(index / "en" / "fresh"))
    assert listed(layout)["en"] == ["en/0/", "en/fresh/"]
    assert hidden(layout) == {"en": [old[seed_en]]}  # the old version, found no more
    runs.clear()
    assert search.index(layout, shard_pages=2, fresh_pages=2) is False and runs == []

    layout.path(Layout.edition("zz-1", "fa-AF")).unlink()  # gone: hidden, no run
    assert search.index(layout, shard_pages=2, fresh_pages=2) is True
    assert runs == [] and hidden(layout)["fa-AF"] == [dari[Layout.edition("zz-1", "fa-AF")]]
    assert "fa-AF/fresh/" not in listed(layout)["fa-AF"]
    touch(layout.path(Layout.edition("zz-2", "fa-AF")))  # its time only: indexed again, same id, not hidden
    assert search.index(layout, shard_pages=2, fresh_pages=2) is True
    assert runs == [("fa-AF/fresh", [Layout.edition("zz-2", "fa-AF")])]
    assert page_ids(index / "fa-AF" / "fresh") == {Layout.edition("zz-2", "fa-AF"): dari[Layout.edition("zz-2", "fa-AF")]}
    assert hidden(layout)["fa-AF"] == [dari[Layout.edition("zz-1", "fa-AF")]]

    runs.clear()
    touch(layout.path(Layout.edition(WATER, "fa-AF")))  # a third page behind: over the limit
    assert search.index(layout, shard_pages=2, fresh_pages=2) is True
    assert runs == [("fa-AF/0", [Layout.edition(SEED, "fa-AF"), Layout.edition(WATER, "fa-AF")]),
                    ("fa-AF/1", [Layout.edition("zz-2", "fa-AF")])]
    assert not (index / "fa-AF" / "fresh").exists()
    assert not (tmp_path / ".cache" / "search" / "dist.pages" / "fa-AF" / "fresh").exists()
    assert hidden(layout) == {"en": [old[seed_en]]} and listed(layout)["fa-AF"] == ["fa-AF/0/", "fa-AF/1/", "fa-AF/2/"]
    runs.clear()
    assert search.index(layout, shard_pages=2, fresh_pages=0) is True  # en: made again, its fresh shard gone
    assert runs == [("en/0", [seed_en, Layout.edition(WATER, "en")])]
    assert hidden(layout) == {} and listed(layout)["en"] == ["en/0/"] and not (index / "en" / "fresh").exists()


def test_the_box_finds_a_changed_page_by_its_new_words_once_and_not_by_its_old_ones(browser, tree, tmp_path,
                                                                                     monkeypatch):
    """Also from a browser that kept what it fetched before the change, from a host that
    lets it keep files an hour (the box asks whether the list of shards is current)."""
    from editions import serve

    layout = copy_tree(tree, tmp_path, shard_pages=1)
    real = serve.Handler.end_headers
    monkeypatch.setattr(serve.Handler, "end_headers",
                        lambda self: (self.send_header("Cache-Control", "max-age=3600"), real(self)))
    with served(layout.root) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}fa/", wait_until="networkidle")
        assert [r["href"].removeprefix(url) for r in ask(page, "داعش")[1]] == [Layout.edition(SEED, "fa-AF")]
        dari = layout.path(Layout.edition(SEED, "fa-AF"))
        dari.write_text(dari.read_text(encoding="utf-8").replace("داعش", "گرگ"), encoding="utf-8")
        assert search.index(layout, shard_pages=1) is True
        assert listed(layout)["fa-AF"] == ["fa-AF/0/", "fa-AF/1/", "fa-AF/fresh/"] and hidden(layout)["fa-AF"]
        page.goto(f"{url}fa/", wait_until="networkidle")
        for query, slugs in {"گرگ": [SEED], "داعش": [], "طالبان": [SEED, WATER], "خشک": [WATER]}.items():
            status, results = ask(page, query)
            assert [r["href"].removeprefix(url) for r in results] == [Layout.edition(s, "fa-AF") for s in slugs], query
            assert status.endswith(search_digits(len(slugs), "fa-AF")) if slugs else status
        context.close()


@pytest.mark.parametrize("limits", [(2,), (3, 1)])
def test_no_pagefind_run_reads_more_than_a_shard(tree, tmp_path, runs, limits):
    """Each run reads at most `shard_pages` pages, however many there are (also when the
    limit was lowered since the shards were made: a shard gives up the pages above it)."""
    layout = copy_tree(tree, tmp_path, shard_pages=limits[0], extra=("zz-1", "zz-2", "zz-3"))
    assert runs and all(0 < len(pages) <= limits[0] for _site, pages in runs), runs
    for limit in limits[1:]:
        runs.clear()
        assert search.index(layout, shard_pages=limit) is True
        assert runs and all(0 < len(pages) <= limit for _site, pages in runs), runs
    index = layout.path(Layout.search)
    every = {tag: set() for tag in BOXES}
    for tag, folders in listed(layout).items():
        for folder in folders:
            urls = shard_urls(index / folder)
            assert 0 < len(urls) <= limits[-1] and not urls & every[tag], (folder, urls)
            every[tag] |= urls
    assert set().union(*every.values()) == set(search.edition_pages(layout))  # each page in one shard


def test_an_index_of_one_bundle_is_replaced_by_shards(tree, tmp_path):
    """A tree indexed before shards (one bundle in pagefind/): made again as shards, also
    when the build wrote no edition page; nothing of the old bundle stays."""
    shutil.copytree(tree / "dist", tmp_path / "dist")
    layout = Layout(tmp_path / "dist")
    index = layout.path(Layout.search)
    shutil.rmtree(index)
    index.mkdir()
    for name in ("pagefind-entry.json", "pagefind.js", "fragment/en_1234567.pf_fragment", search.SCRIPT):
        (index / name).parent.mkdir(parents=True, exist_ok=True)
        (index / name).write_text("old")
    assert search.index(layout, changed=["fa/index.html"]) is True
    assert sorted(p.name for p in index.iterdir()) == sorted([*BOXES, search.SCRIPT, search.CONFIG])
    assert listed(layout) == {tag: [f"{tag}/0/"] for tag in BOXES}


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
    layout = copy_tree(tree, tmp_path, shard_pages=1)
    index = layout.path(Layout.search)
    before = files(index)
    page = layout.path(Layout.edition(WATER, "en"))
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(search, "pagefind_binary", lambda: fake_pagefind(tmp_path, body))
    with pytest.raises(EditionsError) as caught:
        search.index(layout, timeout=timeout, shard_pages=1)
    message = str(caught.value)
    assert words in message and "\n" not in message and "left as it was" in message
    assert files(index) == before
    assert not list(layout.root.glob(".pagefind*"))
    monkeypatch.undo()
    assert search.index(layout, shard_pages=1) is True  # the next run tries again


def test_a_shard_that_fails_is_made_again_next_time_and_those_before_it_stay(tree, tmp_path, monkeypatch):
    layout = copy_tree(tree, tmp_path, shard_pages=1)
    index = layout.path(Layout.search)
    before = files(index)
    for slug in (SEED, WATER):  # en/0 and en/1 to make again: the second fails
        touch(layout.path(Layout.edition(slug, "en")))
    seen, real = [], search._run

    def run(binary, site, out, timeout):
        seen.append(f"{site.parent.name}/{site.name}")
        if len(seen) == 2:
            raise EditionsError(None, None, "pagefind failed (no): the search index was left as it was")
        return real(binary, site, out, timeout)

    monkeypatch.setattr(search, "_run", run)
    entry = index / "en" / "0" / "pagefind-entry.json"
    made = entry.stat().st_ino
    with pytest.raises(EditionsError):
        search.index(layout, shard_pages=1, fresh_pages=0)
    assert seen == ["en/0", "en/1"]
    assert entry.stat().st_ino != made  # the first one made and in place
    after = files(index)
    assert {k for k in after if after[k] != before.get(k)} <= {k for k in after if k.parts[:2] == ("en", "0")}
    assert {k: v for k, v in after.items() if k.parts[:2] == ("en", "1")} == {
        k: v for k, v in before.items() if k.parts[:2] == ("en", "1")}  # the failed shard as it was
    seen.clear()
    assert search.index(layout, shard_pages=1, fresh_pages=0) is True  # the record did not take it for made
    assert seen == ["en/1"]
    assert search.index(layout, shard_pages=1, fresh_pages=0) is False


def test_a_fresh_shard_that_fails_hides_nothing_it_does_not_hold(tree, tmp_path, monkeypatch, runs):
    """The changed page's old version stays findable (its new one is not indexed yet), and
    the next run makes the fresh shard."""
    layout = copy_tree(tree, tmp_path, shard_pages=1)
    page = layout.path(Layout.edition(SEED, "en"))
    page.write_text(page.read_text(encoding="utf-8").replace("is suppressed", "is suppressed quokka"), encoding="utf-8")
    real = search._run

    def run(binary, site, out, timeout):
        if site.name == search.FRESH:
            raise EditionsError(None, None, "pagefind failed (no): the search index was left as it was")
        return real(binary, site, out, timeout)

    monkeypatch.setattr(search, "_run", run)
    with pytest.raises(EditionsError):
        search.index(layout, shard_pages=1)
    assert hidden(layout) == {} and listed(layout)["en"] == ["en/0/", "en/1/"]
    monkeypatch.setattr(search, "_run", real)
    assert search.index(layout, shard_pages=1) is True
    assert listed(layout)["en"] == ["en/0/", "en/1/", "en/fresh/"] and len(hidden(layout)["en"]) == 1
    assert search.index(layout, shard_pages=1) is False


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
    not the masthead, the byline or the download links; a shard, its own language's."""
    index = tree / "dist" / Layout.search
    found = {bundle.relative_to(index).parts: fragments(bundle) for bundle in index.glob("*/*")}
    for (tag, _n), shard in found.items():
        assert {f["url"].rsplit(".", 2)[-2] for f in shard} == {tag}
    pages = [f for shard in found.values() for f in shard]
    seed = next(f for f in pages if f["url"].endswith(Layout.edition(SEED, "en")))
    assert seed["content"].startswith("This means that the cloud over the Taliban")
    assert "ISIS-Khorasan is suppressed" in seed["content"]
    for outside in ("Download PDF", "Ahmad Saidi", "Other languages"):
        assert outside not in seed["content"], outside
    assert seed["meta"]["title"] == "This means that the cloud over the Taliban is getting darker every day"
    assert {f["url"].rsplit(".", 2)[-2] for f in pages} == set(BOXES)
    assert len(pages) == 2 * len(BOXES)  # the editions' pages and nothing else
