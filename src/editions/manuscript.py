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
                 "-fenced_divs-smart-emoji-tex_math_dollars-yaml_metadata_block-alerts")


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
    doc = _pandoc_doc(path, "\n".join(lines[body_offset:]))
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
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            raise EditionsError(path, 2, f"front matter lacks the required field {key!r}")
    meta = dict(data)
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
    meta["date"] = date
    return meta, lines


def _one_line(path: Path, line: int, value: object, name: str) -> str:
    if not isinstance(value, str):
        raise EditionsError(path, line, f"{name} must be text")
    return " ".join(value.split())


def _pandoc_doc(path: Path, body: str) -> dict:
    import pypandoc

    try:
        out = pypandoc.convert_text(body, "json", format=PANDOC_READER, extra_args=["--sandbox"])
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

    def blocks(self, blocks: list, pos: str | None = None, comment: str = "") -> list:
        out = []
        for block in blocks:
            out.extend(self.block(block, pos, comment))
        return out

    def block(self, block: dict, pos: str | None, comment: str) -> list:
        kind, c = block["t"], block.get("c")
        if kind == "Div" and _attr(c[0], "wrapper"):
            return self.blocks(c[1], _attr(c[0], "data-pos"), comment)
        if kind in ("Para", "Plain"):
            return [{"t": kind, "c": self.segment(pos, comment or "paragraph")}]
        if kind == "Header":
            level, (ident, _classes, attrs), _ = c
            seg = self.segment(dict(attrs).get("data-pos"), f"heading (level {level})", header=True)
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

    def line_of(self, pos: str | None) -> int | None:
        m = re.match(r"(\d+):", pos or "")
        return int(m.group(1)) + self.offset if m else None

    def segment(self, pos: str | None, comment: str, header: bool = False) -> dict:
        if not pos:
            raise EditionsError(self.path, None, "pandoc gave no source position for a block")
        text = ""
        for part in pos.split(";"):
            (l1, c1), (l2, c2) = (map(int, p.split(":")) for p in part.split("-"))
            for ln in range(l1, l2 + 1):
                src = self.lines[self.offset + ln - 1] + "\n" if self.offset + ln - 1 < len(self.lines) else ""
                lo = c1 - 1 if ln == l1 else 0
                hi = c2 - 1 if ln == l2 else len(src)
                text += src[lo:hi]
        text = " ".join(text.split())
        if header:
            text = re.sub(r"^#{1,6}\s*", "", re.sub(r"\s+#+$", "", text))
        if not text:
            raise EditionsError(self.path, self.line_of(pos), "empty text block")
        self.segments.append(Segment(text, self.line_of(pos), comment))
        return {"segment": len(self.segments) - 1}


def _attr(attr: list, key: str) -> str | None:
    return dict(attr[2]).get(key)
