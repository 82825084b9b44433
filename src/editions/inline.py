"""One segment's text (a msgid or an untrusted msgstr) → pandoc inline AST.

Each text is parsed on its own, never concatenated into a document, so a translation
cannot open a block, a metadata section or a reference definition. Only emphasis,
strong, code, line breaks and links are recognised; raw HTML stays text.
"""
from __future__ import annotations

import re
from functools import lru_cache

SAFE_SCHEMES = ("http://", "https://", "mailto:")


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    # "zero" has html and every rule off; turn on only the inline syntax we carry.
    return MarkdownIt("zero").enable(["emphasis", "link", "autolink", "backticks", "escape",
                                      "entity", "newline"])


def safe_url(url: str) -> bool:
    return url.startswith("#") or url.lower().startswith(SAFE_SCHEMES)


def links(text: str) -> list[str]:
    """The link targets a text carries, in order."""
    return [tok.attrs["href"] for tok in _tokens(text) if tok.type == "link_open"]


def _tokens(text: str):
    parsed = _parser().parseInline(text)
    return parsed[0].children or [] if parsed else []


def to_inlines(text: str, allowed_links: frozenset[str] | None = None) -> list[dict]:
    """Pandoc inlines for `text`. A link outside `allowed_links` (when given) or with an
    unsafe scheme keeps its words and loses its target."""
    stack: list[list[dict]] = [[]]
    opened: list = []
    for tok in _tokens(text):
        kind = tok.type
        if kind == "text":
            stack[-1].extend(_words(tok.content))
        elif kind == "softbreak":
            stack[-1].append({"t": "Space"})
        elif kind == "hardbreak":
            stack[-1].append({"t": "LineBreak"})
        elif kind == "code_inline":
            stack[-1].append({"t": "Code", "c": [["", [], []], tok.content]})
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
    return stack[0]


def _wrap(start, content: list[dict], allowed_links) -> list[dict]:
    if start.type == "strong_open":
        return [{"t": "Strong", "c": content}]
    if start.type == "em_open":
        return [{"t": "Emph", "c": content}]
    if start.type == "link_open":
        href = start.attrs.get("href", "")
        if safe_url(href) and (allowed_links is None or href in allowed_links):
            return [{"t": "Link", "c": [["", [], []], content, [href, start.attrs.get("title") or ""]]}]
    return content


# Characters no text node may carry, even when written as an entity (&#x202E;): bidi
# overrides and isolates, C0/C1 controls (they make EPUB XML ill-formed), non-characters.
BIDI = "\u202a-\u202e\u2066-\u2069"
BIDI_CONTROLS = re.compile(f"[{BIDI}]")
UNSAFE_CHARS = re.compile(f"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f{BIDI}\ufffe\uffff]")


def _words(text: str) -> list[dict]:
    out: list[dict] = []
    for part in re.split(r"([ \t\r\n]+)", UNSAFE_CHARS.sub("", text)):
        if not part:
            continue
        out.append({"t": "Space"} if part.isspace() else {"t": "Str", "c": part})
    return out


def plain(text: str) -> str:
    """The words of a segment without its markup (for titles, metadata and checks)."""
    return "".join(_plain(i) for i in to_inlines(text))


def _plain(node: dict) -> str:
    t, c = node["t"], node.get("c")
    if t == "Str":
        return c
    if t in ("Space", "LineBreak", "SoftBreak"):
        return " "
    if t == "Code":
        return c[1]
    if t == "Link":
        return "".join(_plain(i) for i in c[1])
    return "".join(_plain(i) for i in c)
