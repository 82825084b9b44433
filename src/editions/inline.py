"""One segment's text (a msgid or an untrusted msgstr) ↔ pandoc inline AST.

Each text is parsed on its own, never concatenated into a document, so a translation
cannot open a block, a metadata section or a reference definition. Only emphasis,
strong, strikeout, super/subscript, code, line breaks, links and note calls (`[^1]`)
are recognised; raw HTML stays text.

`markdown` goes the other way: it writes the manuscript's own inlines (as pandoc read
them) as the msgid a translator sees, in exactly the syntax `to_inlines` reads back, so a
segment is the block's whole content — never a slice of the source that may miss a link
at its edge. `manuscript` checks each msgid reads back to what pandoc read.
"""
from __future__ import annotations

import re
from functools import lru_cache

SAFE_SCHEMES = ("http://", "https://", "mailto:")
NOTE_CALL = re.compile(r"\\.|\[\^(\d{1,4})\]", re.S)
# Private-use sentinels stand for a note call while markdown-it parses the text.
NOTE_OPEN, NOTE_CLOSE = "\ue000", "\ue001"
NOTE_MARK = re.compile(f"{NOTE_OPEN}(\\d+){NOTE_CLOSE}")
SENTINELS = re.compile(f"[{NOTE_OPEN}{NOTE_CLOSE}]")
QUOTES = {"en": ("“", "”", "‘", "’"), "fa-AF": ("«", "»", "‹", "›"), "ps-AF": ("«", "»", "‹", "›")}
WRAPS = {"strong_open": "Strong", "em_open": "Emph", "s_open": "Strikeout",
         "sup_open": "Superscript", "sub_open": "Subscript"}


def _warm_mdurl() -> None:
    """mdurl (markdown-it's URL code) makes its lookup tables on first use and registers
    each before filling it: two threads parsing manuscripts at once (inputs._parse_all)
    could read a half-made table (IndexError, seen in a cold build of 60 articles). They
    are made here, at import — under the import lock, before any thread can use them."""
    import mdurl

    mdurl.encode("")
    mdurl.decode("")
    mdurl.decode("", mdurl.DECODE_DEFAULT_CHARS + "%")


_warm_mdurl()


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.subscript import sub_plugin
    from mdit_py_plugins.superscript import superscript_plugin

    # "zero" has html and every rule off; turn on only the inline syntax we carry.
    return (MarkdownIt("zero").enable(["emphasis", "link", "autolink", "backticks", "escape", "entity",
                                       "newline", "strikethrough"])
            .use(sub_plugin).use(superscript_plugin))


def safe_url(url: str) -> bool:
    return url.startswith("#") or url.lower().startswith(SAFE_SCHEMES)


def normalize_url(url: str) -> str:
    """A URL as the inline parser would write it (percent-encoded the same way)."""
    return _parser().normalizeLink(url)


def links(text: str) -> list[str]:
    """The link targets a text carries, in order."""
    return [tok.attrs["href"] for tok in _tokens(text) if tok.type == "link_open"]


def notes(text: str) -> list[int]:
    """The note calls (`[^1]`) a text carries, in order."""
    return [int(n) for n in NOTE_MARK.findall(_protect(text))]


def _protect(text: str) -> str:
    return NOTE_CALL.sub(lambda m: f"{NOTE_OPEN}{m.group(1)}{NOTE_CLOSE}" if m.group(1) else m.group(0),
                         SENTINELS.sub("", text))


@lru_cache(maxsize=512)  # (~1.5 KB a text: memory stays flat however large the archive)
def _tokens(text: str) -> tuple:
    """The inline tokens of `text` (read, never changed, by their users: kept for the texts
    parsed last — a catalog's check and its edition's translation parse each msgid and
    msgstr several times, and the Dari and Pashto catalogs share their msgids)."""
    parsed = _parser().parseInline(_protect(text))
    return tuple(parsed[0].children or ()) if parsed else ()


def to_inlines(text: str, allowed_links: frozenset[str] | None = None, smart: str | None = None) -> list[dict]:
    """Pandoc inlines for `text`. A link outside `allowed_links` (when given) or with an
    unsafe scheme keeps its words and loses its target. A note call becomes
    {"t": "NoteRef", "c": n} for the caller to fill. `smart`: a language tag whose
    quotes and dashes replace typed ones (for translations)."""
    stack: list[list[dict]] = [[]]
    opened: list = []
    for tok in _tokens(text):
        kind = tok.type
        if kind in ("text", "text_special"):
            stack[-1].extend(_words(_smarten(tok.content, smart) if smart else tok.content))
        elif kind == "softbreak":
            stack[-1].append({"t": "Space"})
        elif kind == "hardbreak":
            stack[-1].append({"t": "LineBreak"})
        elif kind == "code_inline":
            code = NOTE_MARK.sub(lambda m: f"[^{m.group(1)}]", tok.content)
            stack[-1].append({"t": "Code", "c": [["", [], []], UNSAFE_CHARS.sub("", code)]})
        elif kind.endswith("_open"):
            opened.append(tok)
            stack.append([])
        elif kind.endswith("_close") and opened:
            start, content = opened.pop(), stack.pop()
            stack[-1].extend(_wrap(start, content, allowed_links))
        else:  # anything else the parser hands back is shown as the text it came from
            stack[-1].extend(_words(tok.content or tok.markup))
    while opened:  # unbalanced (should not happen): keep the words
        opened.pop()
        content = stack.pop()
        stack[-1].extend(content)
    return _merge(stack[0])


def _wrap(start, content: list[dict], allowed_links) -> list[dict]:
    if start.type in WRAPS:
        return [{"t": WRAPS[start.type], "c": content}]
    if start.type == "link_open":
        href = start.attrs.get("href", "")
        if safe_url(href) and (allowed_links is None or href in allowed_links):
            return [{"t": "Link", "c": [["", [], []], content, [href, start.attrs.get("title") or ""]]}]
    return content


def _smarten(text: str, tag: str) -> str:
    """Typed quotes and dashes of a translation → the language's own."""
    dq_open, dq_close, sq_open, sq_close = QUOTES.get(tag, QUOTES["en"])
    text = text.replace("---", "—").replace("--", "–").replace("...", "…")
    out = []
    for i, ch in enumerate(text):
        before = text[i - 1] if i else " "
        opening = before.isspace() or before in "([{«‹“‘—–/"
        if ch == '"':
            out.append(dq_open if opening else dq_close)
        elif ch == "'" and tag == "en":
            out.append(sq_open if opening else sq_close)
        else:
            out.append(ch)
    return "".join(out)


# Characters no text node may carry, even when written as an entity (&#x202E;): bidi
# overrides and isolates, C0/C1 controls (they make EPUB XML ill-formed), non-characters.
BIDI = "\u202a-\u202e\u2066-\u2069"
BIDI_CONTROLS = re.compile(f"[{BIDI}]")
UNSAFE_CHARS = re.compile(f"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f{BIDI}\ufffe\uffff]")


def _words(text: str) -> list[dict]:
    out: list[dict] = []
    for part in re.split(f"([ \\t\\r\\n]+|{NOTE_OPEN}\\d+{NOTE_CLOSE})", UNSAFE_CHARS.sub("", text)):
        if not part:
            continue
        if part.startswith(NOTE_OPEN):
            out.append({"t": "NoteRef", "c": int(part[1:-1])})
        elif part.isspace():
            out.append({"t": "Space"})
        else:
            out.append({"t": "Str", "c": SENTINELS.sub("", part)})
    return out


def _merge(nodes: list[dict]) -> list[dict]:
    """Adjacent Str nodes joined, runs of spaces made one: the canonical form of inlines."""
    out: list[dict] = []
    for n in nodes:
        if n["t"] == "Str" and out and out[-1]["t"] == "Str":
            out[-1] = {"t": "Str", "c": out[-1]["c"] + n["c"]}
        elif n["t"] == "Space" and out and out[-1]["t"] == "Space":
            continue
        else:
            out.append(n)
    return out


def plain(text: str) -> str:
    """The words of a segment without its markup or note calls (titles, metadata, checks)."""
    return "".join(plain_of(i) for i in to_inlines(text))


def plain_of(node: dict) -> str:
    t, c = node["t"], node.get("c")
    if t == "Str":
        return c
    if t in ("Space", "LineBreak", "SoftBreak"):
        return " "
    if t == "Code":
        return c[1]
    if t in ("NoteRef", "Note"):
        return ""
    if t == "RawInline":
        return c[1]
    if t == "Image":
        return "".join(plain_of(i) for i in c[1])
    if t in ("Link", "Span", "Quoted"):
        return "".join(plain_of(i) for i in c[1])
    return "".join(plain_of(i) for i in c)


# --- manuscript inlines → msgid -------------------------------------------------------

class Unwritable(ValueError):
    """A passage whose formatting the translators' syntax cannot carry exactly."""


def canonical(nodes: list[dict], lang: str, note_number) -> list[dict]:
    """pandoc's inlines as `to_inlines` gives them back: quotes as characters, soft breaks as
    spaces, URLs normalised, attributes gone, notes as NoteRef (numbered by `note_number`)."""
    dq_open, dq_close, sq_open, sq_close = QUOTES.get(lang, QUOTES["en"])
    out: list[dict] = []
    for n in nodes:
        t, c = n["t"], n.get("c")
        if t == "Str":
            out.append({"t": "Str", "c": UNSAFE_CHARS.sub("", c)})
        elif t in ("Space", "SoftBreak"):
            out.append({"t": "Space"})
        elif t == "LineBreak":
            out.append(n)
        elif t == "Quoted":
            o, e = (dq_open, dq_close) if c[0]["t"] == "DoubleQuote" else (sq_open, sq_close)
            out += [{"t": "Str", "c": o}, *canonical(c[1], lang, note_number), {"t": "Str", "c": e}]
        elif t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
            out.append({"t": t, "c": canonical(c, lang, note_number)})
        elif t == "Code":
            out.append({"t": "Code", "c": [["", [], []], c[1]]})
        elif t == "Link":
            out.append({"t": "Link", "c": [["", [], []], canonical(c[1], lang, note_number),
                                            [normalize_url(c[2][0]), c[2][1]]]})
        elif t == "Note":
            out.append({"t": "NoteRef", "c": note_number(n)})
        elif t == "Span":
            out += canonical(c[1], lang, note_number)
        else:
            raise Unwritable(t)
    return _merge(out)


def markdown(nodes: list[dict]) -> str:
    """The msgid for canonical inlines: the most readable spelling that reads back exactly."""
    for em, full in (("*", False), ("_", False), ("*", True), ("_", True)):
        text = _write(nodes, em, full)
        if to_inlines(text) == nodes:
            return text
    raise Unwritable("emphasis")


_MINIMAL = re.compile(r"[\\`*~^]|\[(?=\^)|\](?=\()|<(?=[A-Za-z])|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
_FULL = re.compile(r"[\\`*\[\]<>~^_!&\"()]")


def _escape(text: str, full: bool) -> str:
    return (_FULL if full else _MINIMAL).sub(lambda m: "\\" + m.group(0), text)


def _write(nodes: list[dict], em: str, full: bool) -> str:
    out = []
    for n in nodes:
        t, c = n["t"], n.get("c")
        if t == "Str":
            out.append(_escape(c, full))
        elif t == "Space":
            out.append(" ")
        elif t == "LineBreak":
            out.append("\\\n")
        elif t == "NoteRef":
            out.append(f"[^{c}]")
        elif t in ("Emph", "Strong", "Strikeout"):
            mark = {"Emph": em, "Strong": "**", "Strikeout": "~~"}[t]
            out.append(mark + _write(c, em, full) + mark)
        elif t in ("Superscript", "Subscript"):
            mark = "^" if t == "Superscript" else "~"
            inner = _write(c, em, full)
            out.append(mark + re.sub(r"(?<!\\) ", "\\ ", inner) + mark)
        elif t == "Code":
            ticks = "`" * (max((len(r) for r in re.findall("`+", c[1])), default=0) + 1)
            pad = " " if c[1][:1] in ("`", " ") or c[1][-1:] in ("`", " ") else ""
            out.append(f"{ticks}{pad}{c[1]}{pad}{ticks}")
        elif t == "Link":
            url, title = c[2]
            words = _write(c[1], em, full)
            shown = url[7:] if url.startswith("mailto:") else url
            if not title and c[1] == [{"t": "Str", "c": shown}] and re.fullmatch(r"[^\s<>]+", url):
                out.append(f"<{shown}>")
                continue
            target = f"<{url}>" if re.search(r"[\s()<>]", url) else url
            quoted = title.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f"[{words}]({target}" + (f' "{quoted}"' if title else "") + ")")
        else:
            raise Unwritable(t)
    return "".join(out)
