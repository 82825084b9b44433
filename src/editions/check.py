"""Quality checks on catalogs and manuscripts. Each finding reads
`path:line: error|warning: code: message`; any error makes `check` exit 1."""
from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polib

from . import inline
from .catalog import msgfmt, safe_format
from .inline import BIDI_CONTROLS, UNSAFE_CHARS
from .errors import EditionsError, each
from .locale import LANGUAGES

BY_GETTEXT = {lang.gettext: lang for lang in LANGUAGES.values()}
# Invisible characters that have no business in running text. ZWNJ (U+200C) and ZWJ
# (U+200D) are legitimate in Persian and Pashto and are never flagged.
INVISIBLE = re.compile("[\u200b\u200e\u200f\u2060\u00ad\ufeff]")
ARABIC_INDIC = re.compile("[\u0660-\u0669]")
LATIN_DIGIT = re.compile("[0-9]")
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|%[sdifr]|\{[A-Za-z_]\w*\}|\{\d*\}")
# Linear patterns only: each repetition stops at the next bracket, so `](` × 20,000 is one pass.
URL = re.compile(r"\]\([^()\]]*\)|<[a-z]+:[^<>]*>|https?://\S+|\[\^\d+\]")  # and note calls
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)
NUMBER = re.compile(r"\d+(?:[.,٫٬]\d+)*")
# Dari forms whose prefix takes ZWNJ: «می شود» (space) and «میشود» (joined) → «می‌شود».
ZWNJ_SPACED = re.compile(r"(?<![\w\u200c])(ن?می) (?=[\u0600-\u06ff])")
ZWNJ_JOINED = re.compile(r"(?<![\w\u200c])(ن?می)(?=(?:شو|کن|کرد|تو|باش|گوی|گفت|ده|داد|رو|رف|آی|آم|خواه|گیر|بین|رس|زن|سا|آور|دار|نویس|خوان|کش|گرد|پرس|ماند|نما|انداز)[\u0600-\u06ff]*)")
# Link or image syntax that never becomes a link: unsafe schemes, images, reference definitions.
UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data|file):|<(?:javascript|vbscript|data|file):|"
                         r"!\[[^\[\]]*\]\(|^\s*\[[^\[\]]+\]:\s*\S", re.I | re.M)
# Characters that hide text: Unicode tag characters, the Arabic letter mark, invisible
# operators and the deprecated format controls. (ZWNJ and ZWJ belong to Dari and Pashto.)
HIDDEN = re.compile("[\U000e0000-\U000e007f\u061c\u2061-\u2064\u206a-\u206f\ufff9-\ufffb]")
MARKUP_CHARS = re.compile(r"[*_\[\]`~^\\<>]")
PUNCT = {".": ".۔", "?": "?؟", "!": "!", ":": ":", ";": ";؛", ",": ",،"}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    severity: str  # error | warning
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.code}: {self.message}"


def check_paths(paths: list[Path], rel=lambda p: str(p), printable: frozenset[int] | None = None,
                orphans: list[Path] = ()) -> list[Finding]:
    """`printable`: the characters the PDFs' fonts can draw (render.assets.printable), if known;
    `orphans`: catalogs whose manuscript is gone (catalog.orphans), each a warning."""
    from .catalog import orphan_message

    found: list[Finding] = [Finding(rel(p), 1, "warning", "orphan", orphan_message(p)) for p in orphans]
    for path in paths:
        if path.suffix == ".md":
            found += check_manuscript(path, rel(path), printable)
        elif path.suffix in (".po", ".pot"):
            found += check_catalog(path, rel(path), printable)
    return sorted(found)


def unprintable(text: str, printable: frozenset[int] | None) -> str:
    """The characters of `text` no PDF font can draw (spaces and invisible format
    characters such as ZWNJ need none)."""
    if printable is None:
        return ""
    return "".join(sorted({c for c in text if ord(c) not in printable
                           and unicodedata.category(c) not in ("Cc", "Cf", "Zs", "Zl", "Zp")}))


def _no_glyph(chars: str) -> str:
    return (f"no font of the PDFs has {' '.join(f'{c} (U+{ord(c):04X})' for c in chars[:5])}: "
            f"the PDF shows a box or nothing there (add a face to print_fallback in styles/fonts.toml, "
            f"or write it another way)")


def check_manuscript(path: Path, name: str, printable: frozenset[int] | None = None) -> list[Finding]:
    from .manuscript import read

    out = []
    try:
        text = path.read_text(encoding="utf-8")
        for i, line in enumerate(text.splitlines(), 1):
            if BIDI_CONTROLS.search(line):
                out.append(Finding(name, i, "error", "bidi-control",
                                   "bidirectional control character (U+202A–202E, U+2066–2069)"))
            if missing := unprintable(line, printable):
                out.append(Finding(name, i, "warning", "no-glyph", _no_glyph(missing)))
        read(path)
    except UnicodeDecodeError:
        out.append(Finding(name, 1, "error", "encoding", "not UTF-8 text"))
    except EditionsError as exc:
        out += [Finding(name, p.line or 1, "error", "manuscript", p.message) for p in each(exc)]
    return out


def check_catalog(path: Path, name: str, printable: frozenset[int] | None = None) -> list[Finding]:
    """Every check on one PO/POT file; never raises on a bad file."""
    out: list[Finding] = []

    def add(line, severity, code, message):
        out.append(Finding(name, line or 1, severity, code, message))

    from .catalog import MAX_BYTES, MAX_ENTRIES, scan
    from .reading import read_input

    try:
        raw = read_input(path, MAX_BYTES, "catalog")
    except EditionsError as exc:
        add(1, "error", "size" if "larger than" in exc.message else "file", exc.message)
        return out
    if raw.startswith(b"\xef\xbb\xbf"):
        add(1, "error", "bom", "file starts with a UTF-8 byte-order mark (save without BOM)")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        add(raw[: exc.start].count(b"\n") + 1, "error", "encoding", "not valid UTF-8")
        return out
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")  # CRLF is read as it is; msgfmt accepts it too
    try:
        scan(text, path)  # the build's own first look (catalog.load): the same finding, the same line
    except EditionsError as exc:
        add(exc.line, "error", "syntax", exc.message)
        return out
    if _msgfmt(path, add):  # GNU's own checks: duplicates, formats of flagged entries
        return out
    try:
        po = polib.pofile(text, check_for_duplicates=False)
    except (OSError, ValueError) as exc:
        m = re.search(r"line (\d+)", str(exc))
        add(int(m.group(1)) if m else 1, "error", "syntax", str(exc))
        return out
    if len(po) > MAX_ENTRIES:
        add(1, "error", "size", f"{len(po)} entries: more than {MAX_ENTRIES:,} is not an article's catalog")
        return out
    if path.suffix == ".pot":
        return out
    lang = _language(po, path, add)
    nplurals = _plural_header(po, lang, add)
    lines = text.split("\n")
    for e in po:
        if e.obsolete or e.fuzzy:  # a fuzzy entry is work in progress, never published: no findings
            continue
        at = msgstr_line(lines, e.linenum)
        if e.msgid_plural and nplurals and len(e.msgstr_plural) != nplurals:
            add(e.linenum, "error", "plural-count",
                f"{len(e.msgstr_plural)} plural forms where the header says {nplurals}")
        for msgid, msgstr in _pairs(e):
            _entry(msgid, msgstr, lang, lambda sev, code, msg: add(at, sev, code, msg), formatted=formatted(e, path))
            if missing := unprintable(msgstr, printable):
                add(at, "warning", "no-glyph", _no_glyph(missing))
    return out


def formatted(e: polib.POEntry, path: Path | None) -> bool:
    """Whether an entry's msgstr is %-formatted (the UI words; flagged entries)."""
    return "python-format" in e.flags or (path is not None and path.stem == "messages")


_flagged = formatted  # (translations() has a parameter of that name)


def msgstr_line(lines: list[str], linenum: int | None) -> int | None:
    """The line of an entry's msgstr (where a translator acts), from the line polib gives
    (the entry's first comment)."""
    if not linenum:
        return None
    for number in range(linenum - 1, min(len(lines), linenum + 400)):
        if lines[number].startswith("msgstr"):
            return number + 1
    return linenum


def _pairs(e: polib.POEntry) -> list[tuple[str, str]]:
    """An entry's (source, translation) pairs that are both there: one, or one per plural form."""
    pairs = ([(e.msgid, e.msgstr)] if not e.msgid_plural else
             [(e.msgid if int(i) == 0 else e.msgid_plural, s) for i, s in sorted(e.msgstr_plural.items())])
    return [(msgid, msgstr) for msgid, msgstr in pairs if msgid and msgstr]


def entry_errors(e: polib.POEntry, lang, formatted: bool) -> list[str]:
    """The one validator of a published entry, shared by `check`, `status` and `build`:
    its errors as `code: message`."""
    found: list[str] = []
    for msgid, msgstr in _pairs(e):
        _entry(msgid, msgstr, lang, lambda sev, code, msg: found.append(f"{code}: {msg}") if sev == "error"
               else None, formatted=formatted)
    return found


def _msgfmt(path: Path, add) -> bool:
    """GNU msgfmt's own checks (syntax, duplicates, formats of flagged entries); True if fatal."""
    try:
        run = msgfmt(path)
    except EditionsError as exc:  # (it did not finish)
        add(1, "error", "msgfmt", exc.message)
        return True
    if run is None:
        return False
    for line in run.stderr.splitlines():
        m = re.match(r".*?:(\d+):(?:\d+:)? (.*)", line)
        if m and "found" not in line.split(":")[0] and not m.group(2).startswith("..."):  # "...": a note to the line before
            warning = m.group(2).startswith("warning")
            # msgfmt quotes the file's text in some messages (a keyword "…" unknown): a file
            # that is not a catalog at all could be a secret. Only msgfmt's own words are kept.
            message = re.sub(r'"[^"]*"', "…", m.group(2))[:120]
            add(int(m.group(1)), "warning" if warning else "error", "msgfmt", message)
    return run.returncode != 0


def _language(po: polib.POFile, path: Path, add):
    declared = po.metadata.get("Language", "")
    folder = path.parent.parent.name if path.parent.name == "LC_MESSAGES" else ""
    if not declared:
        add(1, "error", "header", "no Language header")
    elif folder and declared != folder:
        add(1, "error", "header", f"Language is {declared!r} but the catalog is in {folder}/")
    charset = re.search(r"charset=([\w-]+)", po.metadata.get("Content-Type", ""))
    if not charset or charset.group(1).upper() != "UTF-8":
        add(1, "error", "header", "Content-Type must declare charset=UTF-8")
    return BY_GETTEXT.get(declared) or BY_GETTEXT.get(folder)


def _plural_header(po: polib.POFile, lang, add) -> int | None:
    from .catalog import plural_count

    forms = po.metadata.get("Plural-Forms", "")
    if not forms.strip():
        add(1, "error" if any(e.msgid_plural for e in po) else "warning", "plural-forms",
            "no Plural-Forms header")
        return None
    try:
        n = plural_count(forms, None)
    except EditionsError as exc:
        add(1, "error", "plural-forms", exc.message)
        return None
    if lang is not None:
        want = int(re.search(r"nplurals=(\d+)", lang.plural_forms).group(1))
        if n != want:
            add(1, "error", "plural-forms", f"nplurals={n} does not fit {lang.tag} ({lang.plural_forms})")
    return n


def _bounded(msgid: str, msgstr: str, add) -> bool:
    """A translation within bounds every later step can afford (parsing, layout): not far
    longer than its source, not far more markup. Outside them nothing else is judged."""
    if len(msgstr) > 4 * len(msgid) + 2000:
        add("error", "too-long", f"{len(msgstr):,} characters for a source of {len(msgid):,}: "
                                 "a translation is at most four times its source (plus 2,000)")
        return False
    extra = len(MARKUP_CHARS.findall(msgstr)) - len(MARKUP_CHARS.findall(msgid))
    if extra > 64:
        add("error", "markup", f"{extra} more markup characters (* _ [ ] ` ~ ^ \\ < >) than the source: "
                               "keep the source's formatting and write the rest as words")
        return False
    return True


def _entry(msgid: str, msgstr: str, lang, add, formatted: bool = False) -> None:
    if not _bounded(msgid, msgstr, add):
        return
    if HIDDEN.search(msgstr):
        ch = HIDDEN.search(msgstr).group(0)
        add("error", "hidden-char", f"invisible character U+{ord(ch):04X} can hide or reorder text: remove it")
    if BIDI_CONTROLS.search(msgstr) or BIDI_CONTROLS.search(html.unescape(msgstr)):
        add("error", "bidi-control", "bidirectional control character (U+202A–202E, U+2066–2069) in msgstr, "
                                     "also when written as an entity")
    elif UNSAFE_CHARS.search(msgstr) or UNSAFE_CHARS.search(html.unescape(msgstr)):
        add("error", "control-char", "control character in msgstr (it would break the EPUB's XML)")
    if formatted and not safe_format(msgid, msgstr):
        add("error", "format", "a % that is not %% or one of the source's %(name)s placeholders")
    if INVISIBLE.search(msgstr):
        ch = INVISIBLE.search(msgstr).group(0)
        add("warning", "invisible", f"invisible character U+{ord(ch):04X} in msgstr")
    if Counter(PLACEHOLDER.findall(msgid)) != Counter(PLACEHOLDER.findall(msgstr)):
        add("error", "placeholders", f"placeholders differ: {sorted(set(PLACEHOLDER.findall(msgid)))} in the "
                                     f"source, {sorted(set(PLACEHOLDER.findall(msgstr)))} in the translation")
    src_links, tr_links = inline.links(msgid), inline.links(msgstr)
    if Counter(src_links) != Counter(tr_links):
        add("error", "links", f"links differ: source has {src_links}, translation has {tr_links}")
    elif UNSAFE_LINK.search(msgstr) and not UNSAFE_LINK.search(msgid):
        add("error", "links", "a link or image the source does not have (never published as a link)")
    if Counter(inline.notes(msgid)) != Counter(inline.notes(msgstr)):
        add("error", "notes", f"note calls differ: source has {_calls(msgid)}, translation has {_calls(msgstr)} "
                              "(keep each [^n] once, where the note belongs)")
    if _emphasis(msgid) != _emphasis(msgstr):
        add("error", "emphasis", "bold, italic, code or strikeout in the source is missing or different in the "
                                 "translation")
    if "<" in msgstr and re.search(r"<\s*/?\s*[A-Za-z!]", msgstr) and not re.search(r"<\s*/?\s*[A-Za-z!]", msgid):
        add("error", "markup", "HTML in a translation is shown as text, never as markup: remove it")
    src_nums = Counter(_numbers(msgid))
    tr_nums = Counter(_numbers(msgstr))
    if src_nums != tr_nums:
        missing = sorted((src_nums - tr_nums).elements())
        extra = sorted((tr_nums - src_nums).elements())
        add("error", "numbers", f"numbers differ: missing {missing}, added {extra}")
    if msgid[:1].isspace() != msgstr[:1].isspace() or msgid[-1:].isspace() != msgstr[-1:].isspace():
        add("warning", "whitespace", "leading or trailing whitespace differs from the source")
    end_src, end_tr = msgid.rstrip()[-1:], msgstr.rstrip()[-1:]
    if end_src in PUNCT and end_tr not in PUNCT[end_src] and end_tr not in "»\"')":
        add("warning", "punctuation", f"the source ends with {end_src!r}, the translation with {end_tr!r}")
    if lang is None or lang.dir == "ltr":
        return
    if lang.tag == "fa-AF" and re.search("[\u064a\u0643]", msgstr):
        add("error", "arabic-letters", "Arabic ي/ك in Dari: use Persian ی (U+06CC) and ک (U+06A9)")
    if lang.tag == "ps-AF" and "\u0643" in msgstr:
        add("error", "arabic-letters", "Arabic ك in Pashto: use ک (U+06A9)")
    if ARABIC_INDIC.search(msgstr):
        add("error", "arabic-indic-digits", "Arabic-Indic digits (٠–٩): use Persian digits ۰–۹")
    if LATIN_DIGIT.search(URL.sub("", PLACEHOLDER.sub("", msgstr))):
        add("warning", "latin-digits", "Latin digits in running text: use Persian digits ۰–۹")
    if lang.tag == "fa-AF":
        for rx in (ZWNJ_SPACED, ZWNJ_JOINED):
            m = rx.search(msgstr)
            if m:
                word = msgstr[m.start(): m.end() + 6].split()[0:2]
                add("warning", "zwnj", f"«{' '.join(word)}…» needs a ZWNJ after «{m.group(1)}» (e.g. می‌شود)")
                break


@lru_cache(maxsize=512)  # (~1.5 KB a text: memory stays flat however large the archive)
def _emphasis(text: str) -> tuple:
    """How many of each emphasis `text` carries, as sorted (kind, count) pairs (kept for
    the texts checked last: a msgid is checked in each language's catalog)."""
    counts: Counter = Counter()

    def walk(nodes):
        for n in nodes:
            # Super/subscript may become words (m^3^ → «متر مکعب»): only these must match.
            if n["t"] in ("Strong", "Emph", "Code", "Strikeout"):
                counts[n["t"]] += 1
            c = n.get("c")
            if isinstance(c, list):
                walk([x for x in c if isinstance(x, dict)])
                for x in c:
                    if isinstance(x, list):
                        walk([y for y in x if isinstance(y, dict)])
    walk(inline.to_inlines(text))
    walk = None  # (it calls itself: see translate._calls)
    return tuple(sorted(counts.items()))


def _calls(text: str) -> str:
    return " ".join(f"[^{n}]" for n in inline.notes(text)) or "none"


def _numbers(text: str) -> list[str]:
    plain = URL.sub("", PLACEHOLDER.sub("", text)).translate(DIGITS)
    return [re.sub(r"[.,٫٬]", "", n) for n in NUMBER.findall(plain)]


def translations(po: polib.POFile, path: Path | None = None, problems: list | None = None,
                 formatted: bool = False) -> dict[str, str]:
    """msgid → msgstr (NFC) for entries a reader may see: translated, not fuzzy, not
    obsolete, and without an error of `check`'s validator (check.entry_errors: bidi and
    control characters, placeholders, links, notes, emphasis, numbers, markup, letters of
    the wrong script…). Each held-back entry is reported in `problems` at its msgstr line
    with check's own words. `formatted`: the msgstrs are %-formats (the UI words; also
    recognised, as check does, by the catalog's name and by python-format flags)."""
    lang = BY_GETTEXT.get(po.metadata.get("Language", ""))
    lines: list[str] | None = None
    table = {}
    for e in po:
        if not e.msgstr or e.fuzzy or e.obsolete:
            continue
        errors = entry_errors(e, lang, formatted or _flagged(e, path))
        if errors:
            if problems is not None:  # linenum is None for a catalog merged in memory
                if lines is None and path is not None and getattr(e, "linenum", None):
                    lines = Path(path).read_text(encoding="utf-8").split("\n")
                line = msgstr_line(lines or [], getattr(e, "linenum", None)) if lines else None
                problems += [EditionsError(path, line, f"{err} (entry not published)") for err in errors]
            continue
        table[unicodedata.normalize("NFC", e.msgid)] = unicodedata.normalize("NFC", e.msgstr)
    return table
