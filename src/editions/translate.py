"""A manuscript plus one language's translations → an Edition ready to render."""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import inline
from .locale import LANGUAGES, format_date
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


def missing(ms: Manuscript, table: dict[str, str]) -> list[str]:
    """Msgids of the manuscript that have no published translation in `table`."""
    return [s.msgid for s in ms.segments if s.msgid not in table]


def edition(ms: Manuscript, tag: str, table: dict[str, str] | None, draft: bool = False) -> Edition:
    """Translate `ms` into `tag` with msgid→msgstr `table` (None: the source language).
    Missing or fuzzy entries fall back to the source text (only drafts have any)."""
    def text(msgid: str) -> str:
        return msgid if table is None else table.get(msgid) or msgid

    def field(name: str) -> str:
        seg = ms.field(name)
        return inline.plain(text(seg.msgid)) if seg else ""

    doc = json.loads(ms.skeleton)
    segments = ms.segments

    def fill(node):
        if isinstance(node, dict):
            c = node.get("c")
            if node.get("t") in ("Para", "Plain") and isinstance(c, dict) and "segment" in c:
                return {"t": node["t"], "c": _inlines(segments[c["segment"]].msgid, text, tag)}
            if node.get("t") == "Header" and isinstance(c[2], dict):
                return {"t": "Header", "c": [c[0], c[1], _inlines(segments[c[2]["segment"]].msgid, text, tag)]}
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return node

    doc["blocks"] = fill(doc["blocks"])
    lang = LANGUAGES[tag]
    return Edition(
        slug=ms.slug, tag=tag, dir=lang.dir, source_lang=ms.lang, kind=ms.kind,
        title=field("title"), author=field("author"), author_role=field("author_role"),
        credit=field("credit"), date_iso=ms.date.isoformat(), date_text=format_date(ms.date, tag),
        draft=draft, document=json.dumps(doc, ensure_ascii=False),
        summary=_summary(next((inline.plain(text(seg.msgid)) for seg in ms.segments[len(ms.fields):]
                               if seg.comment == "paragraph"), "")),
    )


def _summary(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip("،,;؛:") + "…"


def _inlines(msgid: str, text, tag: str) -> list[dict]:
    # A translation may carry only the links its source has.
    return inline.to_inlines(text(msgid), frozenset(inline.links(msgid)))

