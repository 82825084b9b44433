"""Manuscripts: Markdown with YAML front matter → a Manuscript of translatable segments.

pandoc (commonmark_x with source positions) parses the body once; `article` turns its
reading into the skeleton and the segments (see there for the element types).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .article import Segment, Walker as _Walker, list_marker  # noqa: F401 (re-exported)
from . import images
from .errors import EditionsError, Problems
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

# The editor's Markdown: CommonMark with GFM tables, footnotes, strikeout, super/subscript,
# bare URLs, typographic quotes and dashes, attributes (heading ids, figure alt/credit).
# Raw HTML is read so that it can be refused at its line; extensions that would let text
# carry divs, spans, math or metadata stay off.
PANDOC_READER = ("commonmark_x+sourcepos+smart+autolink_bare_uris-raw_attribute-bracketed_spans"
                 "-fenced_divs-emoji-tex_math_dollars-yaml_metadata_block-alerts-task_lists-implicit_figures")
MAX_BYTES = 2 * 2**20  # an article is tens of kilobytes


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
    from .reading import read_input

    try:
        text = nfc(read_input(path, MAX_BYTES, "manuscript").decode("utf-8"))
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
    """Parse and validate one manuscript file. Every problem of the body is reported at
    once (Problems), each at the line where the editor must act."""
    meta, meta_lines, lines, body_offset = front_matter(path)
    fields = tuple(
        (name, Segment(_one_line(path, meta_lines[name], meta[name], name), meta_lines[name], comment))
        for name, comment in TRANSLATED_FIELDS.items() if name in meta
    )
    segments: list[Segment] = [seg for _, seg in fields]
    body = lines[body_offset:]
    doc = _pandoc_doc(path, "\n".join(body))
    walker = _Walker(path, body, body_offset, segments, meta["lang"])
    blocks = walker.blocks(doc["blocks"])
    walker.unused_notes()
    for src, line in walker.images:  # every problem in one run: the images' too
        try:
            images.locate(path, line, src)
        except EditionsError as exc:
            walker.problems.append(exc)
    if walker.problems:
        raise Problems(sorted(walker.problems, key=lambda e: e.line or 0))
    skeleton = {"pandoc-api-version": doc["pandoc-api-version"], "meta": {}, "blocks": blocks,
                "notes": walker.notes}
    return Manuscript(path, meta["slug"], meta["lang"], meta["kind"], meta["date"], fields,
                      tuple(segments), json.dumps(skeleton, ensure_ascii=False))


@lru_cache(maxsize=1)
def _yaml():
    """PyYAML and our loader, imported when a manuscript is parsed (~30 ms: a build that
    finds its manuscripts in the parse cache never parses one)."""
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe YAML whose dates stay text, so that a bad one is our error with its line."""

    Loader.yaml_implicit_resolvers = {
        key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml, Loader


def _plain_fields(path: Path, source: str) -> None:
    """Front matter is a flat list of `field: value` lines. YAML can do far more — anchors
    and aliases (a 'billion laughs' expands to gigabytes), merge keys, nesting thousands deep,
    a field given twice (the last silently wins): each is refused at its line, from the
    event stream, before anything is built."""
    yaml, loader = _yaml()
    depth = 0
    keys: dict[str, int] = {}
    expect_key = False
    for event in yaml.parse(source, Loader=loader):
        line = event.start_mark.line + 2
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise EditionsError(path, line, "front matter uses a YAML anchor or alias (& or *): write each "
                                            "value out in full, in double quotes if it holds & or *")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > 1:
                raise EditionsError(path, line, "a front-matter field holds a list or a block of fields: give "
                                                "it one value, e.g. lang: en (quote text that starts with [ or {)")
            expect_key = True
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            continue
        if isinstance(event, yaml.ScalarEvent) and depth == 1:
            if expect_key:
                if event.value in keys:
                    raise EditionsError(path, line, f"the field {event.value!r} is given twice (also line "
                                                    f"{keys[event.value]}): keep one")
                keys[event.value] = line
            expect_key = not expect_key


def _front_matter(path: Path, source: str) -> tuple[dict, dict[str, int]]:
    yaml, loader = _yaml()
    try:
        _plain_fields(path, source)
        node = yaml.compose(source, Loader=loader)
        data = yaml.load(source, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        rows = source.split("\n")[: max(line - 1, 1)]
        field = next((m.group(1) for row in reversed(rows) if (m := re.match(r"([A-Za-z_]\w*)\s*:", row))), None)
        hint = (f" in the field {field!r}: put its value in double quotes, e.g. {field}: \"…\" "
                "(a colon, # or quote inside a value needs them)") if field else ""
        raise EditionsError(path, line, f"front matter is not valid YAML ({exc.problem}){hint}") from None
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
        "lang": (lambda v: isinstance(v, str) and v in LANGUAGES, "one of " + ", ".join(LANGUAGES)),
        "kind": (lambda v: isinstance(v, str) and v in KINDS, "one of " + ", ".join(KINDS)),
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




