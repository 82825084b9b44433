"""Property: for any manuscript built from the article model's elements, every word and
link of the source reaches the English edition exactly once, and a Dari catalog whose
msgstrs copy the msgids gives an edition with the same words and links."""
import re
from collections import Counter
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editions.manuscript import read
from test_article import photo
from editions.render.html import pandoc_html
from editions.translate import edition

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DARI = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیټډړږښګڼېۍ"
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")

word = st.one_of(st.text(LATIN, min_size=1, max_size=8), st.text(DARI, min_size=1, max_size=8),
                 st.integers(0, 99999).map(str))
words = st.lists(word, min_size=1, max_size=4)
path_part = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
label_part = st.uuids().map(lambda u: u.hex[:10])  # each note and reference its own label


class Piece:
    """Markdown for one element, the words a reader sees, the links it carries, and any
    definitions (notes, references) it needs at the end of the manuscript."""

    def __init__(self, md, seen, urls=(), tail=()):
        self.md, self.seen, self.urls, self.tail = md, list(seen), list(urls), list(tail)


def url_words(url):
    return re.findall(r"\w+", url)


@st.composite
def inline_piece(draw, allow_notes=True):
    kind = draw(st.sampled_from(["word", "emph", "strong", "strike", "sup", "sub", "code", "link", "auto",
                                 "bare", "ref", "quote", "note"] if allow_notes else
                                ["word", "emph", "strong", "code", "link", "auto", "quote"]))
    ws = draw(words)
    text = " ".join(ws)
    url = f"https://ex{draw(path_part)}.org/{draw(path_part)}"
    if kind == "word":
        return Piece(text, ws)
    if kind in ("emph", "strong", "strike"):
        mark = {"emph": "*", "strong": "**", "strike": "~~"}[kind]
        return Piece(f"{mark}{text}{mark}", ws)
    if kind in ("sup", "sub"):
        mark = "^" if kind == "sup" else "~"
        return Piece(f"{mark}{ws[0]}{mark}", ws[:1])
    if kind == "code":
        return Piece(f"`{text}`", ws)
    if kind == "link":
        return Piece(f"[{text}]({url})", ws, [url])
    if kind == "auto":
        return Piece(f"<{url}>", url_words(url), [url])
    if kind == "bare":
        return Piece(url, url_words(url), [url])
    if kind == "ref":
        label = f"r{draw(label_part)}"
        return Piece(f"[{text}][{label}]", ws, [url], [f"[{label}]: {url}"])
    if kind == "quote":
        return Piece(f'"{text}"', ws)
    note = draw(st.lists(inline_piece(allow_notes=False), min_size=1, max_size=3))
    label = f"n{draw(label_part)}"
    return Piece(f"[^{label}]", [w for p in note for w in p.seen], [u for p in note for u in p.urls],
                 [f"[^{label}]: " + " ".join(p.md for p in note)] + [t for p in note for t in p.tail])


def join(pieces, prefix=""):
    return Piece(prefix + " ".join(p.md for p in pieces), [w for p in pieces for w in p.seen],
                 [u for p in pieces for u in p.urls], [t for p in pieces for t in p.tail])


texts = st.lists(inline_piece(), min_size=1, max_size=5)


@st.composite
def block(draw):
    kind = draw(st.sampled_from(["para", "heading", "bullets", "numbers", "quote", "table", "figure", "code"]))
    if kind == "para":
        return join(draw(texts))
    if kind == "heading":
        return join(draw(texts), "## ")
    if kind in ("bullets", "numbers"):
        items = [join(draw(texts), "- " if kind == "bullets" else f"{i + 1}. ")
                 for i in range(draw(st.integers(1, 3)))]
        return Piece("\n".join(p.md for p in items), [w for p in items for w in p.seen],
                     [u for p in items for u in p.urls], [t for p in items for t in p.tail])
    if kind == "quote":
        return join(draw(texts), "> ")
    if kind == "code":
        ws = draw(words)
        return Piece("```\n" + " ".join(ws) + "\n```", ws)
    if kind == "figure":
        caption, alt, credit = draw(words), draw(words), draw(words)
        md = f'![{" ".join(caption)}](images/p.jpg){{alt="{" ".join(alt)}" credit="{" ".join(credit)}"}}'
        return Piece(md, caption + alt + credit)
    cols = draw(st.integers(1, 3))
    head = [draw(words) for _ in range(cols)]
    rows = [[draw(st.one_of(words, st.sampled_from([["1,234"], ["56.5%"], ["7"]]))) for _ in range(cols)]
            for _ in range(draw(st.integers(1, 3)))]
    caption = draw(words)
    md = ("| " + " | ".join(" ".join(h) for h in head) + " |\n|" + "---|" * cols + "\n"
          + "\n".join("| " + " | ".join(" ".join(c) for c in r) + " |" for r in rows)
          + "\n\nTable: " + " ".join(caption))
    seen = caption + [w for h in head for w in h] + [w for r in rows for c in r for w in c]
    return Piece(md, [t for w in seen for t in re.findall(r"\w+", w)])


class _Seen(HTMLParser):
    """The words and links a reader of a body meets (note numbers and back links aside)."""

    def __init__(self):
        super().__init__()
        self.text, self.urls, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "footnote" in (a.get("class") or ""):
            self.skip += 1
        elif tag == "a":
            self.urls.append(a["href"])
        if tag == "img":
            self.text.append(f" {a.get('alt', '')} ")

    def handle_endtag(self, tag):
        if tag == "a" and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(f" {data} ")


def seen(html):
    parser = _Seen()
    parser.feed(html)
    return Counter(re.findall(r"\w+", "".join(parser.text).translate(DIGITS))), Counter(parser.urls)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(block(), min_size=1, max_size=5))
def test_every_word_and_link_reaches_every_edition(tmp_path, blocks):
    folder = tmp_path / "manuscripts"
    folder.mkdir(exist_ok=True)
    tails = [t for b in blocks for t in b.tail]
    body = "\n\n".join([b.md for b in blocks] + tails)
    photo(folder / "images" / "p.jpg")
    path = folder / "gen.md"
    path.write_text(f"---\nslug: gen\ntitle: T\nauthor: A\ndate: 2026-11-20\n---\n\n{body}\n", encoding="utf-8")
    ms = read(path)
    want_words = Counter(w for b in blocks for p in b.seen for w in re.findall(r"\w+", p))
    want_urls = Counter(u for b in blocks for u in b.urls)
    english = seen(pandoc_html(edition(ms, "en", None)))
    assert english == (want_words, want_urls), body
    copied = {s.msgid: s.msgid for s in ms.segments}
    assert seen(pandoc_html(edition(ms, "fa-AF", copied))) == (want_words, want_urls), body
