"""The social card of an edition that has no lead image (issue 13): a 1200×630 PNG with
the outlet's masthead, the kicker and the title, in the edition's script and direction.

Pillow draws text through libraqm (HarfBuzz shapes it: Arabic letters join, ZWNJ keeps
them apart, brackets mirror in right-to-left text), but it shapes a string in one face,
and no house face has every character a title may hold: the Arabic faces lack Latin
letters, ( ) … and ·, the Latin faces lack Arabic. So a title is laid out here the way a
browser lays out the page's <h1>: each character takes the first face of the edition's
order that has it (the house faces of styles/fonts.toml, then its print_fallback faces;
a character none has is left out, never drawn as a box), the Unicode Bidirectional
Algorithm (UAX #9: the rules a paragraph without explicit embeddings needs, brackets
included) gives each character its level in the edition's direction, lines are broken at
spaces in logical order, and each line's runs (one face, one level) are put in visual
order (rule L2) and shaped one by one, right-to-left at odd levels.

The bytes depend only on the arguments, the fonts and the versions of Pillow, FreeType
and HarfBuzz: no timestamp or text chunk is written.
"""
from __future__ import annotations

import os
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from .errors import EditionsError
from .fsutil import read_toml
from .locale import LANGUAGES, OUTLET

WIDTH, HEIGHT = 1200, 630
MARGIN = 80                        # left and right (the measure is 1040 px)
MEASURE = WIDTH - 2 * MARGIN
BOTTOM = HEIGHT - 64               # the title's last descender stays above this
MASTHEAD_SIZE, OTHERS_SIZE = 60, 26
MASTHEAD_BASELINE = 112
RULE_TOP, RULE_HEIGHT = 140, 6     # the accent rule under the masthead, like header.site's border
KICKER_SIZE = 30
TITLE_SIZES = tuple(range(88, 39, -4))  # the largest at which the title fits is taken
MAX_LINES = 4
MAX_CHARS = 1200                   # of a title, as drawn: 4 lines never hold more
ELLIPSIS = "\u2026"

# Line height and the ascender/descender room of a title line, in ems, by script (the
# pages' h1 has 1.25 for Latin and 1.6 for Arabic script; a card is a little tighter).
LINE = {"ltr": (1.22, 0.96, 0.28), "rtl": (1.5, 1.0, 0.5)}

# The colours of styles/sangar.css's :root, read from it when it names them.
COLOURS = {"accent": "#9b1c1c", "ink": "#1b1b1b", "muted": "#555", "rule": "#d9d2cc"}

ZWNJ, ZWJ = "\u200c", "\u200d"
BIDI_MARKS = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM: strong for bidi, not drawn
KEPT_FORMAT = frozenset({ZWNJ, ZWJ}) | BIDI_MARKS  # every other format character goes
MAX_MARKS = 2                      # combining marks kept on one base (no "Zalgo" towers)


def name(slug: str, tag: str) -> str:
    """The card's file name in dist/assets/cards/."""
    if tag not in LANGUAGES:
        raise ValueError(f"unknown language tag {tag!r}")
    if not slug or "/" in slug or "\\" in slug or slug.startswith("."):
        raise ValueError(f"not a slug: {slug!r}")
    return f"{slug}.{tag}.png"


def card(root: Path, tag: str, title: str, kind: str = "") -> bytes:
    """The PNG card of the edition `tag` with this `title` (untrusted text: anything goes).
    `kind` is the kicker as printed, already in the edition's language (the build's
    words for "Opinion", "Analysis", "News"); "" draws none."""
    with _LOCK:  # one FreeType face is not to be used by two threads at once
        return _card(Path(root), tag, title, kind)


_LOCK = threading.Lock()


def _card(root: Path, tag: str, title: str, kind: str) -> bytes:
    from PIL import Image, ImageDraw, features

    if not features.check("raqm"):  # without it Arabic letters would be drawn apart, in the wrong order
        raise EditionsError(None, None, "the social cards need Pillow with libraqm (and FriBiDi, HarfBuzz)")
    lang = LANGUAGES[tag]
    rtl = lang.dir == "rtl"
    faces = _faces(root)
    colours = _colours(root)
    arabic_lang = tag.split("-")[0] if rtl else "fa"
    bold = _Order(faces.order("bold", rtl), arabic_lang)

    img = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    draw = ImageDraw.Draw(img)

    # Masthead: the edition's name large, the two others small beside it (·-separated),
    # from the start edge (right in Dari and Pashto), on one baseline.
    pieces = [(_line(_prepare(OUTLET[tag], rtl, bold), MASTHEAD_SIZE), colours["accent"])]
    for other, outlet in OUTLET.items():
        if other == tag:
            continue
        other_rtl = LANGUAGES[other].dir == "rtl"
        order = _Order(faces.order("regular", other_rtl), other.split("-")[0] if other_rtl else "fa")
        pieces.append((_line(_prepare("\u00b7", rtl, order), OTHERS_SIZE), colours["muted"]))
        pieces.append((_line(_prepare(outlet, other_rtl, order), OTHERS_SIZE), colours["muted"]))
    gap = 10
    x = WIDTH - MARGIN if rtl else MARGIN
    for piece, fill in pieces:
        if rtl:
            x -= piece.width
            _draw(draw, piece, x, MASTHEAD_BASELINE, fill)
            x -= gap
        else:
            _draw(draw, piece, x, MASTHEAD_BASELINE, fill)
            x += piece.width + gap
    draw.rectangle((MARGIN, RULE_TOP, WIDTH - MARGIN - 1, RULE_TOP + RULE_HEIGHT - 1), fill=colours["accent"])

    top = RULE_TOP + RULE_HEIGHT + 34
    kicker = clean(kind)
    if kicker:
        tracking = 0.0
        if not rtl:  # as the pages' .kicker: uppercase and spaced in Latin, not in Arabic script
            kicker, tracking = kicker.upper(), 0.08 * KICKER_SIZE
        para = _prepare(kicker, rtl, bold)
        lines, _, _ = _wrap(para, KICKER_SIZE, 1, tracking)
        baseline = top + round(KICKER_SIZE * (1.0 if rtl else 0.9))
        bottom = baseline + round(KICKER_SIZE * (0.5 if rtl else 0.3))
        with _clipped(img, (RULE_TOP + RULE_HEIGHT + 6, bottom + 8), colours["accent"]) as (layer, y0):
            for line in lines:
                _draw(layer, line, WIDTH - MARGIN - line.width if rtl else MARGIN, baseline - y0, 255)
        top = bottom + 22

    para = _prepare(headline(title), rtl, bold)
    size, lines = _fit(para, BOTTOM - top, rtl)
    height, ascent, _ = LINE[lang.dir]
    baseline = top + ascent * size
    # Drawn through a mask that ends where the title's room does: no mark stacked on a
    # letter, nor any glyph's overhang, reaches the kicker or the edges.
    with _clipped(img, (top - 12, HEIGHT - 24), colours["ink"]) as (layer, y0):
        for line in lines:
            _draw(layer, line, WIDTH - MARGIN - line.width if rtl else MARGIN, round(baseline) - y0, 255)
            baseline += height * size

    out = BytesIO()
    img.save(out, "PNG", compress_level=7)  # no text, time or size chunk; level 9 is 4× slower for 4 %
    return out.getvalue()


def headline(title: str) -> str:
    """The title as the pages show it (translate.headline: no final full stop)."""
    from .translate import headline as shown

    return shown(title)


# --- the text ------------------------------------------------------------------------------

def clean(text: str) -> str:
    """Untrusted text made safe to draw: NFC; control, format (bidi embeddings, overrides
    and isolates among them), private-use, surrogate and unassigned characters and
    variation selectors removed, except ZWNJ and ZWJ (Dari and Pashto spelling) and the
    bidi marks LRM, RLM and ALM (they only steer the order); every kind of space and line
    break one space; at most MAX_MARKS combining marks on a letter."""
    out: list[str] = []
    marks = 0
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        code = ord(ch)
        if cat in ("Zs", "Zl", "Zp") or ch in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85":
            ch = " "
        elif cat in ("Cc", "Cs", "Co", "Cn") or (cat == "Cf" and ch not in KEPT_FORMAT):
            continue
        elif 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
            continue
        if cat in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        if ch == " " and (not out or out[-1] == " "):
            continue
        if ch in (ZWNJ, ZWJ) and out and out[-1] in (ZWNJ, ZWJ):
            continue
        out.append(ch)
    return "".join(out).strip()


@dataclass(frozen=True, eq=False)  # one object a face (see _face): compared by identity
class _Face:
    path: str
    chars: frozenset
    arabic: bool   # an Arabic-script house face: its runs are shaped as the edition's language
    stamp: tuple = ()


@dataclass(frozen=True)
class _Order:
    faces: tuple[_Face, ...]   # the first that has a character draws it
    arabic_lang: str           # the language Arabic-script runs are shaped as (fa, ps)


@dataclass(frozen=True)
class _Cell:
    ch: str
    face: int    # index in the order; -1: a bidi mark, not drawn
    level: int


@dataclass(frozen=True)
class _Para:
    cells: tuple[_Cell, ...]
    base: int          # 0 left-to-right, 1 right-to-left
    order: _Order
    truncated: bool    # cut at MAX_CHARS: the last line ends with "…" whatever fits


def _prepare(text: str, rtl: bool, order: _Order) -> _Para:
    truncated = len(text) > 16 * MAX_CHARS
    chars: list[str] = []
    faces: list[int] = []
    for ch in clean(text[:16 * MAX_CHARS]):
        if len(chars) == MAX_CHARS:
            truncated = True
            break
        if ch in BIDI_MARKS:
            chars.append(ch)
            faces.append(-1)
            continue
        code = ord(ch)
        prev = next((f for f in reversed(faces) if f >= 0), None)
        # Spaces, punctuation, digits and marks stay in the face of the letter before them
        # when it has them (ISIS-K's hyphen in the Latin face, a space between Dari words
        # in the Arabic one); letters take the first face that has them.
        mark = unicodedata.category(ch) in ("Mn", "Me", "Mc")
        if (mark or unicodedata.bidirectional(ch) not in ("L", "R", "AL")) \
                and prev is not None and code in order.faces[prev].chars:
            face = prev
        elif mark:
            continue  # a mark the face of its letter lacks: shaped apart, it would be a ◌
        else:
            face = next((i for i, f in enumerate(order.faces) if code in f.chars), None)
        if face is None:
            continue  # no face has it (an emoji, say): left out, not drawn as a box
        if ch == " " and (not chars or chars[-1] == " "):
            continue
        chars.append(ch)
        faces.append(face)
    # Joiners left beside a space or an end (by a character left out) join nothing: they go,
    # and the spaces they parted become one.
    kept = [k for k, ch in enumerate(chars)
            if not (ch in (ZWNJ, ZWJ) and (k == 0 or k == len(chars) - 1 or chars[k - 1] == " " or chars[k + 1] == " "))]
    kept = [k for n, k in enumerate(kept) if not (chars[k] == " " and (n == 0 or chars[kept[n - 1]] == " "))]
    chars, faces = [chars[k] for k in kept], [faces[k] for k in kept]
    while chars and chars[-1] == " ":
        chars.pop()
        faces.pop()
    base = 1 if rtl else 0
    levels = bidi_levels("".join(chars), base)
    return _Para(tuple(_Cell(c, f, lv) for c, f, lv in zip(chars, faces, levels)), base, order, truncated)


# --- the bidirectional algorithm (UAX #9) ----------------------------------------------------

_PAIRS = {"(": ")", "[": "]", "{": "}", "\u0f3a": "\u0f3b", "\u0f3c": "\u0f3d", "\u169b": "\u169c",
          "\u2045": "\u2046", "\u207d": "\u207e", "\u208d": "\u208e", "\u2308": "\u2309",
          "\u230a": "\u230b", "\u2329": "\u232a", "\u2768": "\u2769", "\u276a": "\u276b",
          "\u276c": "\u276d", "\u276e": "\u276f", "\u2770": "\u2771", "\u2772": "\u2773",
          "\u2774": "\u2775", "\u27c5": "\u27c6", "\u27e6": "\u27e7", "\u27e8": "\u27e9",
          "\u27ea": "\u27eb", "\u27ec": "\u27ed", "\u27ee": "\u27ef", "\u2983": "\u2984",
          "\u2985": "\u2986", "\u2987": "\u2988", "\u2989": "\u298a", "\u298b": "\u298c",
          "\u298d": "\u2990", "\u298f": "\u298e", "\u2991": "\u2992", "\u2993": "\u2994",
          "\u2995": "\u2996", "\u2997": "\u2998", "\u29d8": "\u29d9", "\u29da": "\u29db",
          "\u29fc": "\u29fd", "\u2e22": "\u2e23", "\u2e24": "\u2e25", "\u2e26": "\u2e27",
          "\u2e28": "\u2e29", "\u3008": "\u3009", "\u300a": "\u300b", "\u300c": "\u300d",
          "\u300e": "\u300f", "\u3010": "\u3011", "\u3014": "\u3015", "\u3016": "\u3017",
          "\u3018": "\u3019", "\u301a": "\u301b", "\ufe59": "\ufe5a", "\ufe5b": "\ufe5c",
          "\ufe5d": "\ufe5e", "\uff08": "\uff09", "\uff3b": "\uff3d", "\uff5b": "\uff5d",
          "\uff5f": "\uff60", "\uff62": "\uff63"}
_CLOSERS = frozenset(_PAIRS.values())
_NEUTRAL = frozenset({"B", "S", "WS", "ON"})


def _strong(t: str) -> str | None:
    """The direction a resolved type counts as for rules N0–N2 (numbers count as R)."""
    return "L" if t == "L" else "R" if t in ("R", "EN", "AN") else None


def bidi_levels(text: str, base: int) -> list[int]:
    """Each character's embedding level in one paragraph of direction `base` (0 LTR, 1 RTL)
    without explicit embeddings (clean() removed them): rules W1–W7, N0–N2, I1–I2 of UAX #9.
    Boundary-neutral characters (ZWNJ, ZWJ) take the level of the character before them."""
    kept = [i for i, ch in enumerate(text) if (unicodedata.bidirectional(ch) or "L") != "BN"]
    chars = [text[i] for i in kept]
    original = [unicodedata.bidirectional(ch) or "L" for ch in chars]
    types = list(original)
    e = "R" if base else "L"
    sos = eos = e
    n = len(types)
    # W1: a mark takes the type of the character before it.
    prev = sos
    for k in range(n):
        if types[k] == "NSM":
            types[k] = prev
        else:
            prev = types[k]
    # W2: European digits after Arabic letters are Arabic digits. W3: AL is R.
    last = sos
    for k in range(n):
        if types[k] in ("L", "R", "AL"):
            last = types[k]
        elif types[k] == "EN" and last == "AL":
            types[k] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4: one separator between two numbers of one kind joins them.
    for k in range(1, n - 1):
        if types[k] == "ES" and types[k - 1] == "EN" == types[k + 1]:
            types[k] = "EN"
        elif types[k] == "CS" and types[k - 1] == types[k + 1] and types[k - 1] in ("EN", "AN"):
            types[k] = types[k - 1]
    # W5: terminators (%, $, …) next to European digits are European digits.
    k = 0
    while k < n:
        if types[k] == "ET":
            j = k
            while j < n and types[j] == "ET":
                j += 1
            if (k > 0 and types[k - 1] == "EN") or (j < n and types[j] == "EN"):
                types[k:j] = ["EN"] * (j - k)
            k = j
        else:
            k += 1
    # W6: the other separators and terminators are neutral.
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]
    # W7: European digits after L (or at the start of an LTR paragraph) are L.
    last = sos
    for k in range(n):
        if types[k] in ("L", "R"):
            last = types[k]
        elif types[k] == "EN" and last == "L":
            types[k] = "L"
    # N0: paired brackets take the direction of what they enclose (BD16 finds the pairs).
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for k, ch in enumerate(chars):
        if types[k] != "ON":
            continue
        if ch in _PAIRS:
            if len(stack) == 63:
                break
            stack.append((_PAIRS[ch], k))
        elif ch in _CLOSERS:
            for s in range(len(stack) - 1, -1, -1):
                if stack[s][0] == ch:
                    pairs.append((stack[s][1], k))
                    del stack[s:]
                    break
    for opening, closing in sorted(pairs):
        inside = {_strong(types[k]) for k in range(opening + 1, closing)} - {None}
        if e in inside:
            d = e
        elif inside:
            before = next((s for s in (_strong(types[k]) for k in range(opening - 1, -1, -1)) if s), sos)
            d = before if before != e else e
        else:
            continue
        for k in (opening, closing):
            types[k] = d
            j = k + 1
            while j < n and original[j] == "NSM":
                types[j] = d
                j += 1
    # N1, N2: a run of neutrals between two of one direction takes it, else the paragraph's.
    k = 0
    while k < n:
        if types[k] in _NEUTRAL:
            j = k
            while j < n and types[j] in _NEUTRAL:
                j += 1
            before = _strong(types[k - 1]) if k > 0 else sos
            after = _strong(types[j]) if j < n else eos
            types[k:j] = [before if before == after else e] * (j - k)
            k = j
        else:
            k += 1
    # I1, I2.
    if base % 2 == 0:
        levels = [base + (1 if t == "R" else 2 if t in ("AN", "EN") else 0) for t in types]
    else:
        levels = [base + (1 if t in ("L", "EN", "AN") else 0) for t in types]
    out = []
    it = iter(levels)
    level = base
    keep = set(kept)
    for i in range(len(text)):
        if i in keep:
            level = next(it)
        out.append(level)
    return out


def visual_order(levels: list[int]) -> list[int]:
    """Rule L2: the indices of items of one line (with these levels) from left to right."""
    order = list(range(len(levels)))
    if not levels:
        return order
    odd = [lv for lv in levels if lv % 2]
    if not odd:
        return order
    for level in range(max(levels), min(odd) - 1, -1):
        k = 0
        while k < len(order):
            if levels[order[k]] >= level:
                j = k
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[k:j] = order[k:j][::-1]
                k = j
            else:
                k += 1
    return order


# --- lines --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Run:
    text: str
    face: _Face
    rtl: bool
    lang: str
    size: int
    tracking: float
    width: float


@dataclass(frozen=True)
class _Line:
    runs: tuple[_Run, ...]   # left to right
    width: float


def _line(para: _Para, size: int, cells: tuple[_Cell, ...] | None = None, tracking: float = 0.0) -> _Line:
    """The line of these cells (all the paragraph's by default), its runs in visual order."""
    cells = para.cells if cells is None else cells
    cells = tuple(c for c in cells if c.face >= 0)
    groups: list[list[_Cell]] = []
    for cell in cells:
        if groups and groups[-1][0].face == cell.face and groups[-1][0].level == cell.level:
            groups[-1].append(cell)
        else:
            groups.append([cell])
    runs = []
    for k in visual_order([g[0].level for g in groups]):
        group = groups[k]
        face = para.order.faces[group[0].face]
        rtl = group[0].level % 2 == 1
        lang = para.order.arabic_lang if face.arabic else "en"
        text = "".join(c.ch for c in group)
        spaced = 0.0 if rtl or face.arabic else tracking  # letter-spacing would part joined letters
        runs.append(_Run(text, face, rtl, lang, size, spaced, _advance(face, size, text, rtl, lang, spaced)))
    return _Line(tuple(runs), sum(r.width for r in runs))


@lru_cache(maxsize=4096)
def _advance(face: _Face, size: int, text: str, rtl: bool, lang: str, tracking: float) -> float:
    font = _font(face, size)
    if tracking:
        return sum(font.getlength(g, direction="ltr", language=lang) + tracking for g in _clusters(text))
    return font.getlength(text, direction="rtl" if rtl else "ltr", language=lang)


def _clusters(text: str) -> list[str]:
    """Letters with their marks and joiners (where a long word may be split, tracking added)."""
    out: list[str] = []
    for ch in text:
        if out and (unicodedata.category(ch) in ("Mn", "Me", "Mc") or ch in (ZWNJ, ZWJ) or out[-1][-1] == ZWJ):
            out[-1] += ch
        else:
            out.append(ch)
    return out


@contextmanager
def _clipped(img, rows: tuple[int, int], colour: str):
    """A mask for the rows [top, bottom) between the side margins (less 20 px of slack), to
    draw on with (mask's ImageDraw, top); painted on `img` in `colour` on leaving."""
    from PIL import Image, ImageDraw

    top, bottom = rows
    left, right = MARGIN - 20, WIDTH - MARGIN + 20
    mask = Image.new("L", (WIDTH, bottom - top), 0)
    yield ImageDraw.Draw(mask), top
    mask.paste(0, (0, 0, left, mask.height))
    mask.paste(0, (right, 0, WIDTH, mask.height))
    img.paste(colour, (0, top, WIDTH, bottom), mask)


def _draw(draw, line: _Line, x: float, baseline: float, fill) -> None:
    """The line's runs from x, on the baseline (raqm shapes each, right to left if odd)."""
    for run in line.runs:
        font = _font(run.face, run.size)
        if run.tracking:
            cx = x
            for g in _clusters(run.text):
                draw.text((cx, baseline), g, font=font, fill=fill, anchor="ls",
                          direction="ltr", language=run.lang)
                cx += font.getlength(g, direction="ltr", language=run.lang) + run.tracking
        else:
            draw.text((x, baseline), run.text, font=font, fill=fill, anchor="ls",
                      direction="rtl" if run.rtl else "ltr", language=run.lang)
        x += run.width


def _wrap(para: _Para, size: int, max_lines: int, tracking: float = 0.0,
          width: float = MEASURE) -> tuple[list[_Line], bool, bool]:
    """Greedy lines of at most `width` px, broken at spaces (a word wider than that between
    letters); beyond `max_lines` the last ends in "…". Returns (lines, cut, a word split)."""
    cells = para.cells

    def measure(a: int, b: int) -> float:
        return _line(para, size, cells[a:b], tracking).width

    words: list[tuple[int, int]] = []
    k = 0
    while k < len(cells):
        if cells[k].ch == " ":
            k += 1
            continue
        j = k
        while j < len(cells) and cells[j].ch != " ":
            j += 1
        words.append((k, j))
        k = j
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    cut = split = False
    for start, end in words:
        if current and measure(current[0], end) <= width:
            current = (current[0], end)
            continue
        if current:
            spans.append(current)
            current = None
            if len(spans) == max_lines:
                cut = True
                break
        while measure(start, end) > width:  # a word longer than the measure: split it
            stop = _fit_prefix(cells, start, end, lambda b, s=start: measure(s, b) <= width)
            spans.append((start, stop))
            start = stop
            split = True
            if len(spans) == max_lines:
                cut = True
                break
        if cut:
            break
        current = (start, end) if start < end else None
    if current and not cut:
        spans.append(current)
    cut = cut or para.truncated
    lines = [_line(para, size, cells[a:b], tracking) for a, b in spans]
    if cut:
        lines[-1:] = [_ellipsized(para, size, spans[-1] if spans else (0, 0), tracking, width)]
    return lines, cut, split


def _breaks(cells: tuple[_Cell, ...], start: int, end: int) -> list[int]:
    """Where a word may be split: before a letter that is not a mark or joiner (nor after a ZWJ)."""
    return [k for k in range(start + 1, end)
            if unicodedata.category(cells[k].ch) not in ("Mn", "Me", "Mc")
            and cells[k].ch not in (ZWNJ, ZWJ) and cells[k - 1].ch != ZWJ]


def _fit_prefix(cells, start: int, end: int, fits) -> int:
    """The longest split point b of cells[start:end] with fits(b) (at least one cluster)."""
    points = _breaks(cells, start, end)
    if not points:
        return end
    lo, hi = 0, len(points) - 1
    if not fits(points[0]):
        return points[0]
    while lo < hi:  # fits(points[lo]) holds
        mid = (lo + hi + 1) // 2
        if fits(points[mid]):
            lo = mid
        else:
            hi = mid - 1
    return points[lo]


def _ellipsized(para: _Para, size: int, span: tuple[int, int], tracking: float, width: float) -> _Line:
    """The line of `span` ended by "…" (at the paragraph's level: where the line ends),
    words (or, for one word, letters) dropped from its end until it fits."""
    face = next((i for i, f in enumerate(para.order.faces) if ord(ELLIPSIS) in f.chars), None)
    dots = (_Cell(ELLIPSIS, face, para.base),) if face is not None else ()
    cells = para.cells
    start, end = span

    def line(b: int) -> _Line:
        while b > start and cells[b - 1].ch == " ":
            b -= 1
        return _line(para, size, cells[start:b] + dots, tracking)

    candidate = line(end)
    if candidate.width <= width:
        return candidate
    spaces = [k for k in range(start + 1, end) if cells[k].ch == " "]
    for k in reversed(spaces):
        candidate = line(k)
        if candidate.width <= width:
            return candidate
    first = spaces[0] if spaces else end
    return line(_fit_prefix(cells, start, first, lambda b: line(b).width <= width))


def _fit(para: _Para, room: float, rtl: bool) -> tuple[int, list[_Line]]:
    """The largest title size whose lines fit the measure, MAX_LINES and `room` px of
    height; at the smallest, what does not fit is cut with "…"."""
    height, ascent, descent = LINE["rtl" if rtl else "ltr"]
    lines: list[_Line] = []
    for size in TITLE_SIZES:
        most = min(MAX_LINES, int((room / size - ascent - descent) / height) + 1)
        if most < 1:
            continue
        lines, cut, split = _wrap(para, size, most)
        if not cut:
            return size, lines if split else _balanced(para, size, lines)
    return TITLE_SIZES[-1], lines


def _balanced(para: _Para, size: int, lines: list[_Line]) -> list[_Line]:
    """The same number of lines, as even as they go (CSS's text-wrap: balance): wrapped
    at the narrowest measure that needs no more lines, so no word is left alone."""
    if len(lines) < 2:
        return lines
    lo, hi = int(sum(line.width for line in lines) / len(lines)) - 1, MEASURE
    best = lines
    while hi - lo > 4:
        mid = (lo + hi) // 2
        trial, cut, split = _wrap(para, size, len(lines), width=mid)
        if cut or split:
            lo = mid
        else:
            best, hi = trial, mid
    return best


# --- faces and colours ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Faces:
    arabic: dict    # weight name → _Face
    latin: dict
    fallback: tuple[_Face, ...]

    def order(self, weight: str, rtl: bool) -> tuple[_Face, ...]:
        first, second = (self.arabic, self.latin) if rtl else (self.latin, self.arabic)
        return (first[weight], second[weight], *self.fallback)


def _faces(root: Path) -> _Faces:
    """The sans faces of styles/fonts.toml (the pages' headings and masthead) and its
    print_fallback faces, upright ones, bold first."""
    where = root / "styles" / "fonts.toml"
    conf = read_toml(where)
    source_dir = str(conf.get("source_dir", ""))
    src = Path(source_dir)
    files = {(f.get("family"), f.get("weight", 400)): src / f["file"]
             for f in conf.get("font", []) if f.get("style", "normal") == "normal" and f.get("file")}

    def face(family: str, weight: int, arabic: bool) -> _Face:
        for w in (weight, 400, 700):
            if (family, w) in files and files[family, w].is_file():
                return _face(str(files[family, w]), arabic, _stamp(files[family, w]))
        raise EditionsError(where, None, f"the social cards need the face {family!r} ({weight}): "
                                         f"not named or not found in {source_dir}")

    extra: list[_Face] = []
    for pattern in conf.get("print_fallback", ()):
        p = Path(pattern) if Path(pattern).is_absolute() else src / pattern
        found = sorted(Path(p.anchor).glob(str(p.relative_to(p.anchor))),
                       key=lambda f: ("Bold" not in f.name, f.name))
        extra += [_face(str(f), False, _stamp(f)) for f in found
                  if "Italic" not in f.name and f.suffix.lower() in (".ttf", ".otf")]
    return _Faces({"bold": face("Sangar Sans Arabic", 700, True), "regular": face("Sangar Sans Arabic", 400, True)},
                  {"bold": face("Sangar Sans", 700, False), "regular": face("Sangar Sans", 400, False)},
                  tuple(extra))


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


@lru_cache(maxsize=64)
def _face(path: str, arabic: bool, stamp: tuple) -> _Face:
    """A face and its characters; `stamp` (the file's identity) keys the caches, so a
    long-lived process (make-editions serve) uses a face swapped on disk."""
    import uharfbuzz as hb

    return _Face(path, frozenset(hb.Face(hb.Blob.from_file_path(path)).unicodes), arabic, stamp)


def _font(face: _Face, size: int):
    return _freetype(face.path, size, face.stamp)


@lru_cache(maxsize=128)
def _freetype(path: str, size: int, stamp: tuple):
    from PIL import ImageFont

    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


def _colours(root: Path) -> dict:
    try:
        css = (root / "styles" / "sangar.css").read_text(encoding="utf-8")
    except OSError:
        return dict(COLOURS)
    out = dict(COLOURS)
    for key in COLOURS:
        m = re.search(rf"--{key}:\s*(#[0-9a-fA-F]{{6}}|#[0-9a-fA-F]{{3}})\b", css)
        if m:
            out[key] = m.group(1)
    return out
