"""The article model: pandoc's reading of a manuscript body → a skeleton plus segments.

One set of element types is shared by extraction, translation and every renderer:
paragraphs, headings (##–######, optional `{#id}`), bullet/numbered/lettered lists,
quotations, rules, code blocks (not translated), pipe tables (with a `Table: …` caption
line), figures (an image alone in its paragraph, with `alt` and `credit`) and notes
(`[^1]`). Inline: emphasis, strong, strikeout, super/subscript, code, links (inline,
reference-style, autolinks, bare URLs) and note calls.

Each text becomes one Segment whose msgid is written from pandoc's own inlines
(inline.markdown), so nothing at a block's edge can be lost. In the skeleton a text's
place holds {"segment": i}; a numeric table cell holds {"number": "1,234"} (shown in
the edition's digits); a figure is {"t": "SangarFigure", "c": {...}}; notes live in
skeleton["notes"], called from the text as `[^n]`.

Anything the model does not carry is refused with the line where the editor must act
and a way forward — all problems of a file at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import inline
from .errors import EditionsError

# A table cell that is only a number (with separators, sign, percent) is not translated:
# the edition shows it in its own digits.
NUMERIC = re.compile(r"[-+−–]?\d{1,3}(?:,\d{3})*(?:\.\d+)?%?|[-+−–]?\d+(?:\.\d+)?%?")
FIGURE_KEYS = {"alt", "credit", "src-fa-AF", "src-ps-AF", "src-en"}
NOTE_DEFINITION = re.compile(r" {0,3}\[\^([^\]\s]+)\]:")
REFERENCE_DEFINITION = re.compile(r" {0,3}\[([^\]^][^\]]*)\]:\s*\S")
NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)")
INLINE_KINDS = {"Str", "Space", "SoftBreak", "LineBreak", "Emph", "Strong", "Strikeout", "Superscript",
                "Subscript", "Code", "Link", "Quoted", "Note", "Span"}
MARKDOWN_HELP = "write it in Markdown (**bold**, *italic*, [words](https://…)) or remove it"


@dataclass(frozen=True)
class Segment:
    msgid: str
    line: int
    comment: str


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


def _attr(attr: list, key: str) -> str | None:
    return dict(attr[2]).get(key)


def _wrapper(node: dict) -> bool:
    return node.get("t") in ("Div", "Span") and _attr(node["c"][0], "wrapper") is not None


def _flat(nodes: list) -> list:
    """Inlines without pandoc's source-position wrappers."""
    out = []
    for n in nodes:
        out.extend(_flat(n["c"][1]) if _wrapper(n) else [n])
    return out


def _first_pos(node) -> str | None:
    if isinstance(node, dict):
        c = node.get("c")
        if isinstance(c, list) and c and isinstance(c[0], list) and len(c[0]) == 3 and isinstance(c[0][2], list):
            pos = dict(map(tuple, c[0][2])).get("data-pos")
            if pos:
                return pos
        return _first_pos(c)
    if isinstance(node, list):
        for v in node:
            pos = _first_pos(v)
            if pos:
                return pos
    return None


class Walker:
    """Turns pandoc blocks into the skeleton, collecting segments, notes and problems."""

    def __init__(self, path: Path, lines: list[str], offset: int, segments: list[Segment], lang: str):
        self.path, self.lines, self.offset, self.segments, self.lang = path, lines, offset, segments, lang
        self.problems: list[EditionsError] = []
        self.notes: list[list] = []
        self.pending: list[tuple[int, list, int | None]] = []
        self.call_line: int | None = None
        self.caption_line: int | None = None
        self.images: list[tuple[str, int | None]] = []  # (src, line) of every figure, each language's too

    # -- reporting --------------------------------------------------------------------

    def refuse(self, line: int | None, message: str) -> None:
        problem = EditionsError(self.path, line, message)
        if all((p.line, p.message) != (line, message) for p in self.problems):
            self.problems.append(problem)

    def line_of(self, pos: str | None) -> int | None:
        m = re.match(r"(?:.*@)?(\d+):", pos or "")
        return int(m.group(1)) + self.offset if m else None

    # -- blocks -----------------------------------------------------------------------

    def blocks(self, blocks: list, pos: str | None = None, comment: str = "") -> list:
        out = []
        i = 0
        while i < len(blocks):
            block = blocks[i]
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            caption = _table_caption(nxt) if _unwrap(block)["t"] == "Table" and nxt else None
            self.caption_line = self.line_of(_first_pos(nxt)) if caption is not None else None
            out.extend(self.block(block, pos, comment, caption))
            i += 2 if caption is not None else 1
        return out

    def block(self, block: dict, pos: str | None, comment: str, caption: list | None = None) -> list:
        kind, c = block["t"], block.get("c")
        if kind == "Div" and _attr(c[0], "wrapper"):
            inner = c[1]
            if len(inner) == 1:
                return self.block(inner[0], _attr(c[0], "data-pos"), comment, caption)
            return self.blocks(inner, _attr(c[0], "data-pos"), comment)
        own = _first_pos(block) if kind != "Div" else None
        line = self.line_of(pos) or self.line_of(own)
        if kind in ("Para", "Plain"):
            first = self.lines[line - self.offset - 1].strip() if line and 0 < line - self.offset <= len(self.lines) else ""
            if re.fullmatch(r"\+[-=:+]+\+", first):
                self.refuse(line, "a grid table ('+---+') is not supported: write it as a pipe table "
                                  "(| a | b | with a |---|---| line under the header)")
                return []
            flat = [n for n in _flat(c) if n["t"] not in ("Space", "SoftBreak")]
            if len(flat) == 1 and flat[0]["t"] == "Image":
                return [self.figure(flat[0], line)]
            return [{"t": kind, "c": self.segment(line, comment or "paragraph", c)}]
        if kind == "Header":
            level, (ident, classes, attrs), inlines = c
            line = self.line_of(dict(map(tuple, attrs)).get("data-pos")) or line
            if level == 1:
                self.refuse(line, "a '#' heading in the body: the title is the article's only top heading; "
                                  "use '##' for its sections")
            if classes or any(k not in ("data-pos", "wrapper") for k, _ in attrs):
                self.refuse(line, "a heading may carry only an id, {#like-this}: remove the other attributes")
            seg = self.segment(line, f"heading (level {level})", inlines)
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
        if kind == "CodeBlock":
            (_ident, classes, _attrs), text = c
            return [{"t": "CodeBlock", "c": [["", [k for k in classes[:1] if re.fullmatch(r"[\w+-]+", k)], []],
                                             inline.UNSAFE_CHARS.sub("", text)]}]
        if kind == "Table":
            return [self.table(c, line, caption)]
        if kind == "RawBlock":
            if c[1].lstrip().startswith("<!--"):
                self.refuse(line, "an HTML comment would be published in the page source: for a note to "
                                  "editors write a line of its own: [//]: # (your note)")
            else:
                self.refuse(line, f"raw HTML ({c[1].strip()[:30]}…) is not published: {MARKDOWN_HELP}")
            return []
        words = {"DefinitionList": "a definition list: use a list with **bold lead-ins:** instead",
                 "LineBlock": "a line block ('| '): write the lines as a paragraph with line breaks (a '\\' "
                              "at the end of a line)",
                 "Div": "a fenced div (':::'): write paragraphs, lists or quotations"}
        self.refuse(line, f"{words.get(kind, f'this kind of block ({kind})')} is not supported")
        return []

    def segment(self, line: int | None, comment: str, inlines: list) -> dict:
        """One text → a Segment whose msgid is exactly its inlines."""
        self.call_line = line
        before = len(self.problems)
        self.check_inlines(inlines)
        if len(self.problems) > before:
            return {"segment": -1}
        try:
            nodes = inline.canonical(_flat(inlines), self.lang, self.note_number)
        except inline.Unwritable as exc:
            self.refuse(line, f"this passage has an element the model does not carry ({exc})")
            return {"segment": -1}
        for label in _uncalled(nodes):
            where = next((n for n, text in enumerate(self.lines, self.offset + 1)
                          if f"[^{label}]" in text and f"[^{label}]:" not in text), line)
            self.refuse(where, f"note call [^{label}] has no note: add a line '[^{label}]: the note's text' "
                               "below the paragraph")
        for label in _unresolved(nodes):
            self.refuse(line, f"link reference [{label}] has no definition: add a line '[{label}]: https://…' "
                              "after the paragraph (a blank line before it)")
        while nodes and nodes[0]["t"] == "Space":
            nodes.pop(0)
        while nodes and nodes[-1]["t"] == "Space":
            nodes.pop()
        if not nodes:
            self.refuse(line, "empty text block: write words in it or remove it")
            return {"segment": -1}
        try:
            msgid = inline.markdown(nodes)
        except inline.Unwritable:
            self.refuse(line, "this passage's formatting cannot be kept exactly for translators (emphasis nested in "
                              "an unusual way, or an invisible control character): simplify it")
            return {"segment": -1}
        self.segments.append(Segment(msgid, line or 0, comment))
        number = len(self.segments) - 1
        pending, self.pending = self.pending, []
        for k, blocks, call_line in pending:
            self.notes[k - 1] = self.blocks(blocks, None, f"note {k}")
            if not self.notes[k - 1]:
                self.refuse(call_line, f"note {k} is empty: write its text after [^…]:")
        return {"segment": number}

    def note_number(self, node: dict) -> int:
        self.notes.append([])
        self.pending.append((len(self.notes), node["c"], self.call_line))
        return len(self.notes)

    def text(self, value: str, line: int | None, comment: str) -> int:
        """A plain-text attribute (alt text, credit) as a segment."""
        seg = self.segment(line, comment, inline._words(value))
        return seg["segment"]

    # -- inlines ----------------------------------------------------------------------

    def check_inlines(self, nodes: list) -> None:
        for n in nodes:
            t, c = n["t"], n.get("c")
            if isinstance(c, list) and c and isinstance(c[0], list) and len(c[0]) == 3:
                self.call_line = self.line_of(_attr(c[0], "data-pos")) or self.call_line
            line = self.call_line
            if t not in INLINE_KINDS and t not in ("RawInline", "Image"):
                self.refuse(line, f"this inline element ({t}) is not supported: {MARKDOWN_HELP}")
            elif t == "RawInline":
                if c[1].startswith("<!--"):
                    self.refuse(line, "an HTML comment inside text: for a note to editors write a line of "
                                      "its own: [//]: # (your note)")
                elif not (c[1].startswith("</") and any(p.line == line and "raw HTML" in p.message
                                                        for p in self.problems)):
                    self.refuse(line, f"raw HTML ({c[1][:30]}) is not published: {MARKDOWN_HELP}")
            elif t == "Image":
                self.refuse(line, "an image inside a sentence: put ![caption](images/…){alt=\"…\"} on a "
                                  "line of its own, as a figure")
            elif t == "Span" and not _wrapper(n):
                self.refuse(line, f"a span with attributes is not supported: {MARKDOWN_HELP}")
            elif t in ("Link", "Code") and (c[0][0] or c[0][1] or any(k != "data-pos" for k, _ in c[0][2])):
                self.refuse(line, f"{'link' if t == 'Link' else 'code'} attributes {{…}} are not supported: "
                                  "remove them")
            if t == "Link":
                self.check_url(c[2][0], line)
            if t == "Note":
                continue  # its blocks are walked as their own segments
            if t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
                self.check_inlines(c)
            elif t in ("Link", "Image", "Quoted", "Span"):
                self.check_inlines(c[1])

    def check_url(self, url: str, line: int | None) -> None:
        if inline.safe_url(url):
            return
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url):
            self.refuse(line, f"link to {url[:40]!r}: links must start with https://, http://, mailto: or #")
        else:
            self.refuse(line, f"relative link {url[:60]!r} works only on the website, not in the PDF or "
                              "e-book: write the full address (https://…)")

    # -- figures, tables, notes -------------------------------------------------------

    def figure(self, image: dict, line: int | None) -> dict:
        (ident, classes, attrs), caption, (src, title) = image["c"]
        line = self.line_of(_attr(image["c"][0], "data-pos")) or line
        if title:
            self.refuse(line, f"a figure's title (\"{title[:30]}\") is not shown anywhere: put those words in the "
                              "caption or in alt=\"…\"")
        kv = {k: v for k, v in attrs if k != "data-pos"}
        for key in kv:
            if key not in FIGURE_KEYS:
                self.refuse(line, f"figure attribute {key!r} is not known: use alt=\"…\", credit=\"…\" "
                                  "or src-fa-AF=\"images/…\" (a language's own image)")
        if classes:
            self.refuse(line, "a figure takes no classes: remove the .class")
        alt = kv.get("alt", "").strip()
        if not alt:
            self.refuse(line, 'a figure needs a description for blind readers: '
                              '![Caption.](images/photo.jpg){alt="What the photo shows"}')
        self.images += [(s, line) for s in (src, *(v for k, v in kv.items() if k.startswith("src-")))]
        out = {"src": src, "line": line or 0, "id": ident,
               "srcs": {k[4:]: v for k, v in kv.items() if k.startswith("src-")},
               "alt": self.text(alt, line, "image description for blind readers") if alt else -1,
               "caption": (self.segment(line, "figure caption", caption)["segment"]
                           if any(n["t"] not in ("Space", "SoftBreak") for n in _flat(caption)) else None),
               "credit": (self.text(kv["credit"], line, "figure credit (photographer, agency)")
                          if kv.get("credit", "").strip() else None)}
        return {"t": "SangarFigure", "c": out}

    def table(self, c: list, line: int | None, caption: list | None) -> dict:
        attr, _caption, colspecs, head, bodies, foot = c
        head_rows = head[1]
        names = []
        if head_rows:
            names = [" ".join(_words(_unwrap(b)) for b in cell[4]) for cell in head_rows[0][1]]
        if not head_rows or not any(n.strip() for n in names):
            self.refuse(line, "tables need a header row: put the column names in the first row, then a "
                              "'|---|---|' line")
        cap = ([{"t": "Plain", "c": self.segment(self.caption_line or line, "table caption", caption)}]
               if caption else [])

        def cells(row_cells: list, header: bool, row: int) -> list:
            out = []
            for col, cell in enumerate(row_cells):
                cattr, align, rs, cs, blocks = cell
                name = names[col] if col < len(names) else str(col + 1)
                done = []
                for b in blocks:
                    b = _unwrap(b)
                    text = _words(b)
                    plain = b["t"] in ("Plain", "Para") and all(n["t"] in ("Str", "Space", "SoftBreak")
                                                                for n in _flat(b["c"]))
                    if plain and NUMERIC.fullmatch(text):  # a bare number: the edition's digits, no translation
                        done.append({"t": "Plain", "c": {"number": text}})
                    elif b["t"] in ("Plain", "Para"):
                        where = f"table column header {col + 1}" if header else \
                            f"table cell, row {row}, column «{name}»"
                        done.append({"t": "Plain", "c": self.segment(self.line_of(_first_pos(b)) or line,
                                                                     where, b["c"])})
                    else:
                        done.extend(self.block(b, None, f"table cell, row {row}"))
                out.append([cattr, align, rs, cs, done])
            return out

        new_head = [head[0], [[r[0], cells(r[1], True, 0)] for r in head_rows]]
        new_bodies = []
        row = 0
        for body in bodies:
            battr, rhc, bhead, brows = body
            rows = []
            for r in brows:
                row += 1
                at = next((self.line_of(_first_pos(cell)) for cell in r[1] if _first_pos(cell)), None)
                typed = self.lines[at - self.offset - 1].strip().strip("|") if at else ""
                if at and len(re.split(r"(?<!\\)\|", typed)) > len(colspecs):
                    self.refuse(at, f"this table row has more cells than the header ({len(colspecs)}): the extra "
                                    "cells would be dropped; add a column name or remove the cells")
                rows.append([r[0], cells(r[1], False, row)])
            new_bodies.append([battr, rhc, bhead, rows])
        numeric = [col for col in range(len(colspecs))
                   if all(len(r[1]) > col and r[1][col][4] and all(isinstance(b["c"], dict) and "number" in b["c"]
                                                                    for b in r[1][col][4])
                          for body in new_bodies for r in body[3])]
        attrs = [["numeric", " ".join(map(str, numeric))]] if numeric else []
        return {"t": "Table", "c": [["", [], attrs], [None, cap], colspecs, new_head, new_bodies, foot]}

    def unused_notes(self) -> None:
        """pandoc drops a note nobody calls; an editor would not notice it is gone."""
        defined: dict[str, int] = {}
        references: dict[str, int] = {}
        called: set[str] = set()
        in_note = False
        for number, line in enumerate(self.lines, self.offset + 1):
            m = NOTE_DEFINITION.match(line)
            if m is None and line.strip() and not line[:1].isspace():
                in_note = False  # a note's text runs on in indented lines only
            if in_note and m is None and NOTE_CALL.search(line):
                self.refuse(number, "a note call inside a note would be dropped: put its words in this note")
            if m:
                in_note = True
                if NOTE_CALL.search(line[m.end():]):
                    self.refuse(number, "a note call inside a note would be dropped: put its words in this note")
                if m.group(1) in defined:
                    self.refuse(number, f"note [^{m.group(1)}] is defined twice (line {defined[m.group(1)]} "
                                        "too): give each note its own label")
                defined.setdefault(m.group(1), number)
                line = line[m.end():]
            r = REFERENCE_DEFINITION.match(line)
            if r and r.group(1) != "//":
                label = " ".join(r.group(1).lower().split())
                if label in references:
                    self.refuse(number, f"link reference [{r.group(1)}] is defined twice (line "
                                        f"{references[label]} too): only the first would be used")
                references.setdefault(label, number)
            called.update(NOTE_CALL.findall(line))
        for label, number in defined.items():
            if label not in called:
                self.refuse(number, f"note [^{label}] is never called: put [^{label}] in the text where "
                                    "it belongs, or delete the note")


def _words(block: dict) -> str:
    """A text block's words without markup (table headers, numeric cells)."""
    if block["t"] not in ("Plain", "Para"):
        return ""
    return "".join(inline.plain_of(n) for n in _flat(block["c"]) if n["t"] != "Note").strip()


def _uncalled(nodes: list[dict]) -> list[str]:
    """Labels of `[^x]` left as text: a note call whose note pandoc did not find."""
    found = []
    for n in nodes:
        if n["t"] == "Str":
            found += re.findall(r"\[\^([^\]\s]+)\]", n["c"])
        elif n["t"] in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
            found += _uncalled(n["c"])
        elif n["t"] == "Link":
            found += _uncalled(n["c"][1])
    return found


def _unresolved(nodes: list[dict]) -> list[str]:
    """Labels of `[words][label]` left as text: a reference link without its definition."""
    text = "".join(inline.plain_of(n) if n["t"] != "Code" else " " for n in nodes)
    return re.findall(r"\]\[([^\]]+)\]", text)


def _unwrap(block: dict) -> dict:
    while _wrapper(block) and len(block["c"][1]) == 1:
        block = block["c"][1][0]
    return block


def _table_caption(block: dict) -> list | None:
    """A paragraph right after a table that starts with 'Table:' (or ':') is its caption."""
    block = _unwrap(block)
    if block["t"] != "Para":
        return None
    flat = inline._merge(_flat(block["c"]))
    if not flat or flat[0]["t"] != "Str":
        return None
    first = flat[0]["c"]
    for prefix in ("Table:", ":"):
        if first.startswith(prefix):
            rest = first[len(prefix):]
            tail = flat[1:]
            while tail and tail[0]["t"] in ("Space", "SoftBreak") and not rest:
                tail = tail[1:]
            return ([{"t": "Str", "c": rest}] if rest else []) + tail
    return None
