"""Manuscripts: Markdown with YAML front matter → a Manuscript of translatable segments.

pandoc (commonmark_x with source positions) parses the body once; each text block
(paragraph, heading, list item) becomes one segment whose msgid is the author's own
Markdown for that block, whitespace collapsed, with the line it starts on.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import EditionsError
from .locale import LANGUAGES

KINDS = ("opinion", "analysis", "news")
# Front-matter fields that translators translate, with the comment they see in the catalog.
TRANSLATED_FIELDS = {
    "title": "title",
    "author": "author's name",
    "author_role": "author's role",
    "credit": "credit line",
}
REQUIRED = ("slug", "title", "author", "date")
OPTIONAL = ("lang", "kind", "author_role", "credit")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Extensions that would let text carry markup, attributes or metadata of its own.
PANDOC_READER = ("commonmark_x+sourcepos-raw_html-raw_attribute-attributes-bracketed_spans"
                 "-fenced_divs-smart-emoji-tex_math_dollars-yaml_metadata_block-alerts-task_lists")
REFERENCE_DEFINITION = re.compile(r" {0,3}\[[^\]]+\]:\s")


@dataclass(frozen=True)
class Segment:
    msgid: str
    line: int
    comment: str


@dataclass(frozen=True)
class Manuscript:
    path: Path
    slug: str
    lang: str
    kind: str
    date: dt.date
    fields: tuple[tuple[str, Segment], ...]   # translated front-matter fields, in order
    segments: tuple[Segment, ...]             # every segment: fields first, then the body
    skeleton: str   # pandoc JSON document; each text block holds {"segment": i} in place of inlines

    def field(self, name: str) -> Segment | None:
        return dict(self.fields).get(name)

    def to_json(self) -> str:
        return json.dumps({"path": str(self.path), "slug": self.slug, "lang": self.lang, "kind": self.kind,
                           "date": self.date.isoformat(),
                           "fields": [[n, s.msgid, s.line, s.comment] for n, s in self.fields],
                           "segments": [[s.msgid, s.line, s.comment] for s in self.segments],
                           "skeleton": self.skeleton}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Manuscript":
        d = json.loads(text)
        return cls(Path(d["path"]), d["slug"], d["lang"], d["kind"], dt.date.fromisoformat(d["date"]),
                   tuple((n, Segment(m, ln, c)) for n, m, ln, c in d["fields"]),
                   tuple(Segment(m, ln, c) for m, ln, c in d["segments"]), d["skeleton"])


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def front_matter(path: Path) -> tuple[dict, dict[str, int], list[str], int]:
    """Validated front matter, the line of each field, the file's lines, and the index of
    the first body line. Cheap: no pandoc."""
    try:
        text = nfc(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise EditionsError(path, None, f"not UTF-8 text ({exc.reason})") from None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise EditionsError(path, 1, "a manuscript starts with YAML front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise EditionsError(path, 1, "front matter is not closed by a '---' line") from None
    meta, meta_lines = _front_matter(path, "\n".join(lines[1:end]))
    return meta, meta_lines, lines, end + 1


def read(path: Path) -> Manuscript:
    """Parse and validate one manuscript file."""
    meta, meta_lines, lines, body_offset = front_matter(path)
    fields = tuple(
        (name, Segment(_one_line(path, meta_lines[name], meta[name], name), meta_lines[name], comment))
        for name, comment in TRANSLATED_FIELDS.items() if name in meta
    )
    segments: list[Segment] = [seg for _, seg in fields]
    for number, line in enumerate(lines[body_offset:], body_offset + 1):
        if REFERENCE_DEFINITION.match(line):
            raise EditionsError(path, number, "footnotes are not supported: put the note in the text"
                                if line.lstrip().startswith("[^") else
                                "reference-style link definitions are not supported: write links inline, "
                                "[text](https://…)")
    doc = _pandoc_doc(path, "\n".join(lines[body_offset:]))
    lines = [line.expandtabs(4) for line in lines]  # pandoc counts columns with tab stops of 4
    skeleton = {"pandoc-api-version": doc["pandoc-api-version"], "meta": {},
                "blocks": _Walker(path, lines, body_offset, segments).blocks(doc["blocks"])}
    return Manuscript(path, meta["slug"], meta["lang"], meta["kind"], meta["date"], fields,
                      tuple(segments), json.dumps(skeleton, ensure_ascii=False))


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay text, so that a bad one is our error with its line."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _front_matter(path: Path, source: str) -> tuple[dict, dict[str, int]]:
    try:
        node = yaml.compose(source, Loader=_Loader)
        data = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        raise EditionsError(path, line, f"front matter is not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise EditionsError(path, 2, f"front matter is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or node is None:
        raise EditionsError(path, 2, "front matter must be a mapping of fields")
    lines = {k.value: v.start_mark.line + 2 for k, v in node.value if isinstance(k.value, str)}
    for key in data:
        if not isinstance(key, str) or key not in REQUIRED + OPTIONAL:
            raise EditionsError(path, lines.get(key), f"unknown front-matter field {key!r}")
    meta = {k: (" ".join(v.split()) if isinstance(v, str) else v) for k, v in data.items()}
    meta = {k: v for k, v in meta.items() if v not in (None, "")}  # blank is missing
    for key in REQUIRED:
        if key not in meta:
            raise EditionsError(path, lines.get(key, 2), f"front matter lacks the required field {key!r}")
    meta.setdefault("lang", "en")
    meta.setdefault("kind", "opinion")
    checks = {
        "slug": (lambda v: isinstance(v, str) and SLUG.fullmatch(v), "lowercase letters, digits and hyphens"),
        "lang": (lambda v: v in LANGUAGES, "one of " + ", ".join(LANGUAGES)),
        "kind": (lambda v: v in KINDS, "one of " + ", ".join(KINDS)),
    }
    for key, (ok, want) in checks.items():
        if not ok(meta[key]):
            raise EditionsError(path, lines.get(key, 2), f"{key} {meta[key]!r} is not valid: use {want}")
    if meta["slug"] != path.stem:
        raise EditionsError(path, lines["slug"], f"slug {meta['slug']!r} must match the file name {path.stem!r}")
    date = meta["date"]
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            date = None
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise EditionsError(path, lines["date"], f"date {meta['date']!r} is not an ISO date (YYYY-MM-DD)")
    if not 1900 <= date.year <= 2100:
        raise EditionsError(path, lines["date"], f"date {date.isoformat()} is out of range (1900–2100)")
    meta["date"] = date
    return meta, lines


def _one_line(path: Path, line: int, value: object, name: str) -> str:
    if not isinstance(value, str):
        raise EditionsError(path, line, f"{name} must be text")
    return " ".join(value.split())


def _pandoc_doc(path: Path, body: str) -> dict:
    from . import pandoc

    try:
        out = pandoc.run(body, PANDOC_READER, "json", ["--sandbox"])
    except RuntimeError as exc:
        raise EditionsError(path, None, f"pandoc could not read the body: {exc}") from None
    return json.loads(out)




def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def list_marker(style: str, delim: str, number: int) -> str:
    """The marker a reader of the source sees: '1.', 'a)', '(iv)'."""
    label = {"LowerAlpha": chr(ord("a") + (number - 1) % 26),
             "UpperAlpha": chr(ord("A") + (number - 1) % 26),
             "LowerRoman": _roman(number).lower(),
             "UpperRoman": _roman(number)}.get(style, str(number))
    return {"OneParen": f"{label})", "TwoParens": f"({label})"}.get(delim, f"{label}.")


class _Walker:
    """Turns pandoc blocks into a skeleton, collecting one segment per text block."""

    def __init__(self, path: Path, lines: list[str], offset: int, segments: list[Segment]):
        self.path, self.lines, self.offset, self.segments = path, lines, offset, segments
        self.last_pos: str | None = None

    def blocks(self, blocks: list, pos: str | None = None, comment: str = "") -> list:
        out = []
        for block in blocks:
            out.extend(self.block(block, pos, comment))
        return out

    def block(self, block: dict, pos: str | None, comment: str) -> list:
        kind, c = block["t"], block.get("c")
        self.last_pos = pos
        if kind == "Div" and _attr(c[0], "wrapper"):
            return self.blocks(c[1], _attr(c[0], "data-pos"), comment)
        if kind in ("Para", "Plain"):
            return [{"t": kind, "c": self.segment(pos, comment or "paragraph", c)}]
        if kind == "Header":
            level, (ident, _classes, attrs), inlines = c
            seg = self.segment(dict(attrs).get("data-pos"), f"heading (level {level})", inlines, header=True)
            return [{"t": "Header", "c": [level, [ident, [], []], seg]}]
        if kind in ("OrderedList", "BulletList"):
            if kind == "OrderedList":
                start, style, delim = c[0][0], c[0][1]["t"], c[0][2]["t"]
                items = c[1]
                markers = [list_marker(style, delim, start + i) for i in range(len(items))]
            else:
                items, markers = c, ["•"] * len(c)
            done = [self.blocks(item, pos, f"list item {m}") for item, m in zip(items, markers)]
            return [{"t": kind, "c": [c[0], done] if kind == "OrderedList" else done}]
        if kind == "BlockQuote":
            return [{"t": "BlockQuote", "c": self.blocks(c, pos, "quotation")}]
        if kind == "HorizontalRule":
            return [block]
        own = c[0] if isinstance(c, list) and c and isinstance(c[0], list) and len(c[0]) == 3 else None
        if own and isinstance(own[2], list):
            pos = dict(map(tuple, own[2])).get("data-pos", pos)
        raise EditionsError(self.path, self.line_of(pos),
                            f"unsupported Markdown block ({kind}): use paragraphs, headings, lists and quotations")

    def extent(self, inlines: list):
        found: list = []
        try:
            _inline_positions(inlines, found)
        except ValueError:
            raise EditionsError(self.path, self.line_of(self.last_pos), "footnotes are not supported: "
                                "put the note in the text or at the end as a paragraph") from None
        if not found:
            return None
        return min(a for a, _ in found), max(b for _, b in found)

    def line_of(self, pos: str | None) -> int | None:
        m = re.match(r"(\d+):", pos or "")
        return int(m.group(1)) + self.offset if m else None

    def segment(self, pos: str | None, comment: str, inlines: list, header: bool = False) -> dict:
        """The block's own Markdown: its line ranges (which skip list and quote markers),
        clipped to where its first inline starts and its last one ends (pandoc's block
        ranges can run into the next block). Hard line breaks stay; other whitespace
        collapses to one space (ASCII only: a no-break space is kept)."""
        if not pos:
            raise EditionsError(self.path, None, "pandoc gave no source position for a block")
        extent = self.extent(inlines)
        if extent is None:
            raise EditionsError(self.path, self.line_of(pos), "empty text block")
        start, end = extent
        text = ""
        for part in pos.split(";"):
            (l1, c1), (l2, c2) = (tuple(map(int, p.split(":"))) for p in part.split("-"))
            (l1, c1), (l2, c2) = max((l1, c1), start), min((l2, c2), end)
            for ln in range(l1, l2 + 1):
                src = self.lines[self.offset + ln - 1] + "\n" if self.offset + ln - 1 < len(self.lines) else ""
                lo = c1 - 1 if ln == l1 else 0
                hi = c2 - 1 if ln == l2 else len(src)
                text += src[lo:hi] if hi > lo else ""
        text = re.sub(r"(?: {2,}|\\)\n(?=.)", "\0", text)
        text = re.sub(r"[ \t\r\n]+", " ", text).strip(" ").replace("\0", "\\\n")
        if header:
            text = re.sub(r"^#{1,6}[ \t]*", "", re.sub(r"[ \t]+#+$", "", text))
        if not text:
            raise EditionsError(self.path, self.line_of(pos), "empty text block")
        self.segments.append(Segment(text, self.line_of(pos), comment))
        return {"segment": len(self.segments) - 1}


def _inline_positions(node, out: list) -> None:
    if isinstance(node, dict):
        if node.get("t") == "Note":
            raise ValueError("footnote")
        if node.get("t") == "Span" and _attr(node["c"][0], "wrapper"):
            pos = _attr(node["c"][0], "data-pos")
            if pos:
                for part in pos.split(";"):
                    a, b = part.split("-")
                    out.append((tuple(map(int, a.split(":"))), tuple(map(int, b.split(":")))))
        for value in node.values():
            _inline_positions(value, out)
    elif isinstance(node, list):
        for value in node:
            _inline_positions(value, out)


def _attr(attr: list, key: str) -> str | None:
    return dict(attr[2]).get(key)
