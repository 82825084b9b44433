"""A manuscript plus one language's translations → an Edition ready to render."""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import inline
from .locale import LANGUAGES, digits, format_date
from .manuscript import Manuscript


@dataclass(frozen=True)
class Edition:
    slug: str
    tag: str
    dir: str
    source_lang: str
    kind: str
    title: str
    author: str
    author_role: str
    credit: str
    date_iso: str
    date_text: str
    draft: bool
    document: str  # pandoc JSON of the article body, translated
    summary: str = ""  # the first paragraph, shortened: page description and social cards
    image: str = ""    # the lead figure's image (page-relative URL): og:image


def missing(ms: Manuscript, table: dict[str, str]) -> list[str]:
    """Msgids of the manuscript that have no published translation in `table`."""
    return [s.msgid for s in ms.segments if s.msgid not in table]


def edition(ms: Manuscript, tag: str, table: dict[str, str] | None, draft: bool = False,
            pictures: dict[str, dict] | None = None) -> Edition:
    """Translate `ms` into `tag` with msgid→msgstr `table` (None: the source language).
    Missing or fuzzy entries fall back to the source text (only drafts have any).
    `pictures`: each figure's image (by the src the manuscript names) as the page shows
    it — {"src", "width", "height", "srcset"} (see images.shown)."""
    def text(msgid: str) -> str:
        return msgid if table is None else table.get(msgid) or msgid

    def field(name: str) -> str:
        seg = ms.field(name)
        return inline.plain(text(seg.msgid)) if seg else ""

    skeleton = json.loads(ms.skeleton)
    segments = ms.segments
    notes: list = []
    lead: list[str] = []

    def inlines(index: int) -> list[dict]:
        msgid = segments[index].msgid
        translated = table is not None and bool(table.get(msgid))
        nodes = _calls(inline.to_inlines(text(msgid), frozenset(inline.links(msgid)), tag if translated else None),
                       inline.notes(msgid), notes)
        if table is not None and not translated:  # a draft's source text keeps its own language and direction
            source = LANGUAGES[ms.lang]
            return [{"t": "Span", "c": [["", ["source-text"], [["lang", source.tag], ["dir", source.dir]]], nodes]}]
        return nodes

    def fill(node):
        if isinstance(node, dict):
            t, c = node.get("t"), node.get("c")
            if t in ("Para", "Plain") and isinstance(c, dict):
                if "segment" in c:
                    return {"t": t, "c": inlines(c["segment"])}
                return {"t": t, "c": [{"t": "Str", "c": number(c["number"], tag)}]}
            if t == "Header" and isinstance(c[2], dict):
                return {"t": "Header", "c": [c[0], c[1], inlines(c[2]["segment"])]}
            if t == "Table":
                return _table({k: fill(v) for k, v in node.items()}, lang.dir)
            if t == "SangarFigure":
                return _figure(c, tag, pictures or {}, lambda i: inlines(i), lead,
                               lambda i: inline.plain(text(segments[i].msgid)))
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return node

    lang = LANGUAGES[tag]
    notes.extend(fill(n) for n in skeleton.pop("notes", []))
    skeleton["blocks"] = fill(skeleton["blocks"])
    fill = None  # (it calls itself: see _calls)
    return Edition(
        slug=ms.slug, tag=tag, dir=lang.dir, source_lang=ms.lang, kind=ms.kind,
        title=headline(field("title")), author=field("author"), author_role=field("author_role"),
        credit=field("credit"), date_iso=ms.date.isoformat(), date_text=format_date(ms.date, tag),
        draft=draft, document=json.dumps(skeleton, ensure_ascii=False),
        summary=_summary(next((inline.plain(text(seg.msgid)) for seg in ms.segments[len(ms.fields):]
                               if seg.comment == "paragraph"), "")),
        image=lead[0] if lead else "",
    )


def headline(title: str) -> str:
    """The title as shown: headlines carry no final full stop (house style; Afghan outlets
    never punctuate them), whatever the source or the catalog says. ? ! and … stay."""
    stripped = title.rstrip()
    if stripped.endswith((".", "۔")) and not stripped.endswith(".."):
        return stripped[:-1].rstrip()
    return title


def number(text: str, tag: str) -> str:
    """A number from a table cell in the edition's digits and separators."""
    if LANGUAGES[tag].dir == "ltr":
        return text
    return digits(text.translate(_SEPARATORS), tag)


_SEPARATORS = str.maketrans({",": "٬", ".": "٫", "%": "٪"})


_MIRROR = {"AlignLeft": "AlignRight", "AlignRight": "AlignLeft"}


def _mirror(node):
    """Left and right alignment exchanged."""
    if isinstance(node, dict):
        if node.get("t") in _MIRROR and "c" not in node:
            return {"t": _MIRROR[node["t"]]}
        return {k: _mirror(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_mirror(v) for v in node]
    return node


def _table(table: dict, direction: str) -> dict:
    """A table in a region that scrolls on a phone (focusable, named by its caption);
    in a right-to-left edition left and right alignment change places with the columns."""
    c = table["c"]
    numeric = {int(n) for n in dict(c[0][2]).get("numeric", "").split()}
    c = [["", [], []], *c[1:]]  # the note of numeric columns is ours, not the page's
    if direction == "rtl":
        # Numbers run left to right in any script: a right-aligned numeric column keeps its
        # units in line, so only the other columns mirror.
        specs = [spec if i in numeric else _mirror(spec) for i, spec in enumerate(c[2])]
        rows = lambda rs: [[r[0], [cell if i in numeric else _mirror(cell) for i, cell in enumerate(r[1])]]
                           for r in rs]
        head = [c[3][0], rows(c[3][1])]
        bodies = [[b[0], b[1], rows(b[2]), rows(b[3])] for b in c[4]]
        c = [c[0], c[1], specs, head, bodies, c[5]]
    table = {"t": "Table", "c": c}
    caption = "".join(inline.plain_of(n) for b in table["c"][1][1] for n in b["c"])
    attrs = [["role", "region"], ["tabindex", "0"]] + ([["aria-label", caption]] if caption else [])
    return {"t": "Div", "c": [["", ["table-wrap"], attrs], [table]]}


def _calls(nodes: list[dict], wanted: list[int], notes: list) -> list[dict]:
    """Note calls → pandoc notes. A translation keeps every note of its source: a call it
    lacks is added at the end of the text, one it invents stays visible as typed."""
    used: list[int] = []

    def walk(items: list[dict]) -> list[dict]:
        out = []
        for n in items:
            if n["t"] == "NoteRef":
                if n["c"] in wanted and n["c"] not in used and n["c"] <= len(notes):
                    used.append(n["c"])
                    out.append({"t": "Note", "c": notes[n["c"] - 1]})
                else:
                    out.append({"t": "Str", "c": f"[^{n['c']}]"})
            elif n["t"] in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
                out.append({"t": n["t"], "c": walk(n["c"])})
            elif n["t"] == "Link":
                out.append({"t": "Link", "c": [n["c"][0], walk(n["c"][1]), n["c"][2]]})
            else:
                out.append(n)
        return out

    out = walk(nodes)
    # A nested function that calls itself is a reference cycle (function → its closure →
    # itself): left so, it would keep what it closes over (here the notes; in edition(),
    # the manuscript and the catalog's table) until Python's rare full collection, which
    # comes the more seldom the larger the build's state — an archive's build held MBs of
    # such garbage. Rebinding the name breaks the cycle (tests/test_core.py: no cycles).
    walk = None
    out += [{"t": "Note", "c": notes[k - 1]} for k in wanted if k not in used and k <= len(notes)]
    return out


def _figure(fig: dict, tag: str, pictures: dict[str, dict], inlines, lead: list, plain) -> dict:
    """A figure as pandoc's Figure: the image (with its size and web variants), the
    caption and the credit."""
    src = fig["srcs"].get(tag, fig["src"])
    shown = pictures.get(src) or {"src": src, "width": 0, "height": 0, "srcset": ""}
    lead.append(shown["src"])
    attrs = [["width", str(shown["width"])], ["height", str(shown["height"])]] if shown["width"] else []
    if shown["srcset"]:
        attrs += [["srcset", shown["srcset"]], ["sizes", "(max-width: 46rem) 100vw, 46rem"]]
    attrs += [["loading", "lazy" if lead[1:] else "eager"], ["decoding", "async"]]
    alt = [{"t": "Str", "c": plain(fig["alt"])}] if fig["alt"] >= 0 else []
    image = {"t": "Image", "c": [["", [], attrs], alt, [shown["src"], ""]]}
    caption: list[dict] = inlines(fig["caption"]) if fig["caption"] is not None else []
    if fig["credit"] is not None:
        credit = {"t": "Span", "c": [["", ["credit"], []], inlines(fig["credit"])]}
        caption = caption + ([{"t": "Space"}] if caption else []) + [credit]
    return {"t": "Figure", "c": [[fig["id"], [], []], [None, [{"t": "Plain", "c": caption}] if caption else []],
                                 [{"t": "Plain", "c": [image]}]]}

def _summary(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip("،,;؛:") + "…"

