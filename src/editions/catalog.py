"""Gettext catalogs: POT templates from manuscripts, PO files merged without losing a msgstr.

polib reads and writes; the merge is ours because polib has none and Babel's loses
`#|` previous msgids and obsolete revivals (see docs/design.md).
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polib

from .errors import EditionsError
from .fsutil import atomic_write, write_if_changed
from .locale import LANGUAGES, Language
from .manuscript import Manuscript

WRAP = 79  # GNU gettext's width
FUZZY_CUTOFF = 70  # rapidfuzz ratio (0–100) below which an old translation is not offered


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M+0000")


# What GNU msgfmt 0.21 `--check` calls "still has the initial default value": a field whose
# whole value is xgettext's placeholder (and `Language` empty or missing). Such a value was
# never filled by anyone, so the project may replace it; any other value is a person's and stays.
PLACEHOLDERS = {
    "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
    "Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
    "Language-Team": "LANGUAGE <LL@li.org>",
    "Language": "",
}
# The desk every language team writes to, as the committed catalogs name it.
TEAM_ADDRESS = "translations@sangar.invalid"
# Nobody has translated a catalog we create, so we name nobody: an empty Last-Translator
# is what it says (msgfmt accepts it, unlike the placeholder), and Poedit, Lokalize or
# Weblate put the translator's name there, and the date in PO-Revision-Date, on first save.
NO_TRANSLATOR = ""
# The UI templates (styles/templates) are written in English.
UI_SOURCE = "en"


def _filled(meta: dict) -> dict:
    """`meta` without the fields that still hold gettext's placeholders."""
    return {k: v for k, v in meta.items() if PLACEHOLDERS.get(k) != v.strip()}


def _header(lang: Language | None, pot_date: str, revision: str | None = None,
            old: dict | None = None, source: str = UI_SOURCE) -> dict:
    """A catalog's header (a template's when `lang` is None, `source` naming the language
    its msgids are in). Fields a translator or their tool filled in `old` are kept as they
    are; the rest is filled so that `msgfmt --check` has nothing to warn about."""
    old = _filled(old or {})
    if revision is not None and revision.strip() == PLACEHOLDERS["PO-Revision-Date"]:
        revision = None
    meta = {
        "Project-Id-Version": "Sangar editions",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": pot_date,
        # A new catalog was last revised when we made it (msginit does the same); a template
        # is revised whenever it is written, so _save_template keeps this equal to its date.
        "PO-Revision-Date": revision or old.get("PO-Revision-Date") or (pot_date if lang is None else now()),
        "Last-Translator": old.get("Last-Translator", NO_TRANSLATOR),
        # A template belongs to no team; a catalog to its language's.
        "Language-Team": old.get("Language-Team", "" if lang is None else
                                 f"{lang.english_name} <{TEAM_ADDRESS}>"),
        # A template's text is in its source language: msgfmt wants a Language, and msginit,
        # msgmerge, Poedit and Weblate all set a translation's own, never copying the template's.
        "Language": source if lang is None else lang.gettext,
    }
    meta.update({
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    })
    if lang is not None:
        meta["Plural-Forms"] = lang.plural_forms
    for key, value in old.items():  # fields an editor added (X-Generator, X-Poedit-…) stay
        meta.setdefault(key, value)
    return meta


def template_header(meta: dict) -> dict:
    """A template's header with every placeholder filled (for templates made elsewhere,
    like the UI's messages.pot), its own fields kept."""
    return _header(None, meta.get("POT-Creation-Date", ""), None, meta,
                   meta.get("Language") or UI_SOURCE)


def new_file() -> polib.POFile:
    return polib.POFile(wrapwidth=WRAP, check_for_duplicates=False)


def template_for(ms: Manuscript, root: Path) -> polib.POFile:
    """The POT of one manuscript: one entry per distinct segment, in document order."""
    pot = new_file()
    pot.header = "Sangar editions — translation template. Edit the PO files, not this file."
    pot.metadata = _header(None, "", source=LANGUAGES[ms.lang].gettext)
    ref = ms.path.relative_to(root).as_posix() if ms.path.is_relative_to(root) else ms.path.name
    seen: dict[str, polib.POEntry] = {}
    for seg in ms.segments:
        entry = seen.get(seg.msgid)
        if entry is None:
            entry = seen[seg.msgid] = polib.POEntry(msgid=seg.msgid, msgstr="", comment=seg.comment)
            pot.append(entry)
        elif seg.comment not in entry.comment.split("\n"):
            entry.comment += "\n" + seg.comment
        entry.occurrences.append((ref, str(seg.line)))
    return pot


MAX_BYTES = 20 * 1024 * 1024  # an article's catalog is a few hundred KB at most
TOOL_TIMEOUT = 120.0  # seconds for msgfmt or msgcat over one catalog (they take milliseconds)


def load(path: Path, valid: Path | None = None) -> polib.POFile:
    """Read a PO/POT file; a syntax error becomes an EditionsError naming the line.
    `valid` is a folder of markers for contents msgfmt already accepted (or we wrote)."""
    from .reading import read_input

    raw = read_input(path, MAX_BYTES, "catalog")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise EditionsError(path, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise EditionsError(path, line, "not valid UTF-8") from None
    charset = re.search(r'^"Content-Type:[^"]*charset=([\w-]+)', text, re.M)
    if charset and charset.group(1).upper() != "UTF-8":
        line = text[: charset.start()].count("\n") + 1
        raise EditionsError(path, line, f"the header declares charset={charset.group(1)}; catalogs are UTF-8")
    marker = valid / hashlib.sha256(raw).hexdigest() if valid is not None else None
    if marker is None or not marker.exists():
        scan(text, path)
        if marker is None:
            _msgfmt_check(path)
    if text.count("\nmsgid ") > MAX_ENTRIES:  # refused before a parser spends seconds on it
        raise EditionsError(path, None, f"more than {MAX_ENTRIES:,} entries: that is not an article's catalog")
    try:
        # polib's own duplicate check is quadratic (20,000 entries: minutes): ours is a set.
        po = polib.pofile(text.replace("\r\n", "\n"), wrapwidth=WRAP, check_for_duplicates=False)
    except (OSError, ValueError) as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise EditionsError(path, int(m.group(1)) if m else None, f"cannot read catalog: {exc}") from None
    if len(po) > MAX_ENTRIES:
        raise EditionsError(path, None, f"{len(po)} entries: more than {MAX_ENTRIES:,} is not an article's catalog")
    seen: set = set()
    for e in po:
        ends = [(s.startswith("\n"), s.endswith("\n")) for s in (e.msgid, *([e.msgstr] if e.msgstr else []),
                                                               *(v for v in e.msgstr_plural.values() if v))]
        if not e.obsolete and len(set(ends)) > 1:
            raise EditionsError(path, e.linenum, "invalid catalog: msgid and msgstr must both begin and end with "
                                                 "\\n, or neither (GNU msgfmt refuses the file otherwise)")
        key = (e.msgctxt, e.msgid, e.obsolete)
        if key in seen:
            raise EditionsError(path, e.linenum, f"invalid catalog: msgid {e.msgid[:40]!r} is defined twice")
        seen.add(key)
    nplurals = plural_count(po.metadata.get("Plural-Forms", ""), path)
    for e in po:
        if bool(e.msgid_plural) != bool(e.msgstr_plural):
            raise EditionsError(path, e.linenum, "msgid_plural and msgstr[n] must come together")
        if e.msgid_plural and nplurals and not e.obsolete and len(e.msgstr_plural) != nplurals:
            raise EditionsError(path, e.linenum, f"{len(e.msgstr_plural)} plural forms where the header "
                                                 f"says nplurals={nplurals}")
    return po


MAX_ENTRIES = 20_000  # the longest article has a few hundred segments
PLURAL_FORMS = re.compile(r"\s*nplurals\s*=\s*([1-6])\s*;\s*plural\s*=\s*([n0-9\s()?:<>=!&|%+*/-]{1,200});?\s*")


def plural_count(header: str, path: Path) -> int | None:
    """nplurals from a Plural-Forms header (1–6, with an expression of n, numbers and C
    operators only); None when there is no header."""
    if not header.strip():
        return None
    m = PLURAL_FORMS.fullmatch(header)
    if m is None:
        raise EditionsError(path, None, f"Plural-Forms {header[:60]!r} is not valid: write it as GNU gettext "
                                        "does, e.g. 'nplurals=2; plural=(n != 1);' (nplurals 1–6)")
    return int(m.group(1))


_LINE = re.compile(r'(?:#[~|] ?)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+)?'
                   r'"((?:[^"\\]|\\.)*)"[ \t]*')
_ESCAPE = re.compile(r'\\(?:[abfnrtv\\"\'?]|[0-7]{1,3}|x[0-9A-Fa-f]+)')
_KEYWORD = re.compile(r"(?:#[~|] ?)?(?:msgctxt|msgid|msgid_plural|msgstr)\b")


# Characters Python's str.splitlines (so polib) takes for line ends and GNU gettext does not.
LINE_BREAKERS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Escapes polib keeps as typed while GNU tools read another character (\a, \101, \x41…).
_FOREIGN_ESCAPE = re.compile(r'\\[^nt"\\r]')


# A catalog in which every line is blank, a comment, or a string with only the escapes \n \t
# \" \\ \r: what `scan` accepts line by line, told by one match over the whole text (a file
# this does not match is scanned line by line, which finds the line that is wrong).
_KEYWORDS = r"(?:msgctxt|msgid|msgid_plural|msgstr)"
_PLAIN_LINE = (r'[ \t]*(?:#(?![~|] ?' + _KEYWORDS + r'\b)(?![~|] ?")[^\n]*'
               r'|(?:#[~|] ?)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+)?'
               r'"(?:[^"\\\n]|\\[nt"\\r])*"[ \t]*)?')
_PLAIN = re.compile(f"(?:{_PLAIN_LINE}\n)*{_PLAIN_LINE}")


def scan(text: str, path: Path) -> None:
    """The mistakes polib reads silently wrong, found in one pass with their line: an
    unterminated string (a writer killed mid-save leaves one), a bad escape, a keyword
    without its string, a character or escape polib reads differently from GNU gettext
    (so that a reviewer's tools and the build always see the same text). GNU msgfmt finds
    the first kinds too; this costs no process."""
    if m := LINE_BREAKERS.search(text):
        raise EditionsError(path, text[: m.start()].count("\n") + 1,
                            f"invalid catalog: character U+{ord(m.group(0)):04X} (a line separator to some "
                            "tools, not to GNU gettext): remove it or type a space")
    if _PLAIN.fullmatch(text):
        return
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not _KEYWORD.match(stripped)
                            and not stripped.startswith(('#~ "', '#| "', '#~"', '#|"'))):
            continue
        m = _LINE.fullmatch(stripped)
        if m is None:
            raise EditionsError(path, number, "invalid catalog: unterminated string or stray text")
        if _ESCAPE.sub("", m.group(1)).count("\\"):
            raise EditionsError(path, number, "invalid catalog: invalid escape sequence")
        if _FOREIGN_ESCAPE.search(m.group(1).replace("\\\\", "")):
            raise EditionsError(path, number, "invalid catalog: an escape such as \\a, \\101 or \\x41 reads "
                                              "differently in GNU tools and here: type the character itself")


def msgfmt(path: Path) -> subprocess.CompletedProcess | None:
    """GNU msgfmt's own checks of the file (what it writes thrown away): its run, with what
    it said as text; None without GNU gettext. One that has not finished after
    TOOL_TIMEOUT is stopped: an EditionsError naming the file."""
    found = shutil.which("msgfmt")
    if found is None:
        return None
    try:
        return subprocess.run([found, "--check-format", "--check-domain", "-o", os.devnull, str(path)],
                              capture_output=True, text=True, errors="replace", timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise EditionsError(path, None, f"msgfmt took more than {TOOL_TIMEOUT:g} s to check the catalog "
                            "and was stopped") from None


def _msgfmt_check(path: Path) -> None:
    """GNU msgfmt's own checks (used where we have not vetted the exact bytes before)."""
    run = msgfmt(path)
    if run is not None and run.returncode != 0:
        first = next((ln for ln in run.stderr.splitlines() if ln.strip()), "invalid catalog")
        m = re.search(r":(\d+):(?:\d+:)? ?(.*)", first)
        line = int(m.group(1)) if m else None
        message = (m.group(2) if m else first).strip()
        raise EditionsError(path, line, f"invalid catalog: {message}")


@dataclass(frozen=True)
class Memory:
    """Translations already done in a language's catalogs: msgid → [(where, msgstr), …].
    `orphans`: the refs of catalogs whose manuscript is gone (renamed by hand, most likely)."""
    entries: dict
    orphans: frozenset = frozenset()

    @classmethod
    def of(cls, catalogs: list[tuple[str, polib.POFile]], orphans: frozenset = frozenset()) -> "Memory":
        entries: dict = {}
        for ref, po in sorted(catalogs, key=lambda c: c[0] not in orphans):  # an orphan's own words first
            for e in po:
                if e.msgstr and not e.fuzzy and not e.obsolete and not e.msgid_plural:
                    entries.setdefault(e.msgid, []).append((ref, e.msgstr))
        return cls(entries, frozenset(orphans))

    def exact(self, msgid: str, exclude: str) -> tuple[str, str] | None:
        return next((hit for hit in self.entries.get(msgid, ()) if hit[0] != exclude), None)

    def near(self, msgid: str, exclude: str) -> tuple[str, tuple[str, str], float] | None:
        """The closest other msgid (rapidfuzz ratio ≥ FUZZY_CUTOFF) outside `exclude`."""
        from rapidfuzz import fuzz, process

        for other, score, _ in process.extract(msgid, list(self.entries), scorer=fuzz.ratio,
                                               score_cutoff=FUZZY_CUTOFF, limit=5):
            hit = self.exact(other, exclude)
            if hit is not None:
                return other, hit, score
        return None


NO_MEMORY = Memory({})


def merge(old: polib.POFile | None, pot: polib.POFile, lang: Language,
          memory: Memory = NO_MEMORY, self_ref: str = "") -> polib.POFile:
    """Bring a catalog in step with its template, keeping every translation:
    same msgid → kept; a returning msgid → revived from `#~`; an edited one → fuzzy with
    `#|` previous msgid; one that left → obsolete `#~`. A new segment with no old
    translation is offered the best match from the language's other catalogs (`memory`),
    fuzzy, with a translator comment naming where it came from."""
    old_entries = list(old) if old is not None else []  # a POFile lists its obsolete entries too
    by_id = {}
    for e in old_entries:  # active entries win over obsolete twins
        by_id.setdefault((e.msgctxt, e.msgid), e)
    new = new_file()
    new.header = old.header if old is not None and old.header else (
        f"{lang.english_name} translation of Sangar editions.")
    old_meta = old.metadata if old is not None else {}
    new.metadata = _header(lang, pot.metadata.get("POT-Creation-Date", ""),
                           old_meta.get("PO-Revision-Date"), old_meta)
    used: set[int] = set()
    pending = []
    for t in pot:
        e = polib.POEntry(msgid=t.msgid, msgctxt=t.msgctxt, msgid_plural=t.msgid_plural,
                          comment=t.comment, occurrences=list(t.occurrences),
                          flags=[f for f in t.flags if f != "fuzzy"])
        prev = by_id.get((t.msgctxt, t.msgid))
        if prev is not None:
            used.add(id(prev))
            _carry(prev, e)
            if prev.fuzzy:  # also when revived from #~: it was never reviewed
                e.flags.append("fuzzy")
                e.previous_msgid = prev.previous_msgid
                e.previous_msgctxt = prev.previous_msgctxt
        else:
            pending.append(e)
        new.append(e)
    candidates = [e for e in old_entries if id(e) not in used and e.msgstr and not e.msgid_plural]
    for e in pending:
        if e.msgid_plural:
            continue
        hit = memory.exact(e.msgid, self_ref)
        if hit is not None:
            # The same whole segment, translated in an orphaned catalog (this article before a
            # rename by hand): taken as it was reviewed. From another article it stays fuzzy:
            # the same sentence elsewhere may want other words.
            _suggest(e, hit, "exact match", reviewed=hit[0] in memory.orphans)
            continue
        best = None
        if candidates:
            from rapidfuzz import fuzz, process  # (~25 ms: only a merge with a new segment needs it)

            best = process.extractOne(e.msgid, [c.msgid for c in candidates], scorer=fuzz.ratio,
                                      score_cutoff=FUZZY_CUTOFF)
        if best is not None:
            prev = candidates.pop(best[2])
            used.add(id(prev))
            _carry(prev, e)
            e.flags.append("fuzzy")
            e.previous_msgid = prev.msgid
            e.previous_msgctxt = prev.msgctxt
            continue
        near = memory.near(e.msgid, self_ref) if memory.entries else None
        if near is not None:
            other, hit, score = near
            _suggest(e, hit, f"{round(score)}% match", previous=other)
    active = {(e.msgctxt, e.msgid) for e in new}
    for e in old_entries:
        if id(e) not in used and (e.msgstr or any(e.msgstr_plural.values())):
            if (e.msgctxt, e.msgid) in active:
                continue  # an obsolete twin of an active entry: GNU gettext refuses the pair
            gone = copy.copy(e)  # the old catalog's own entry stays as it was (same() compares the two)
            gone.obsolete, gone.occurrences = True, []
            new.append(gone)
    return new


def _suggest(e: polib.POEntry, found: tuple[str, str], how: str, previous: str | None = None,
             reviewed: bool = False) -> None:
    ref, msgstr = found
    e.msgstr = msgstr
    if reviewed:
        e.tcomment = f"From {ref}, exact match (that catalog's manuscript is gone: renamed?)."
        return
    e.flags.append("fuzzy")
    e.tcomment = f"Suggested by translation memory from {ref} ({how})."
    if previous is not None:
        e.previous_msgid = previous


def _carry(prev: polib.POEntry, e: polib.POEntry) -> None:
    e.msgstr = prev.msgstr
    e.msgstr_plural = dict(prev.msgstr_plural)
    e.tcomment = prev.tcomment


def serialize(po: polib.POFile, path: Path | None = None) -> str:
    """The file's text as GNU gettext lays it out (polib wraps differently), so that a
    catalog re-saved by msgcat, msgmerge or Poedit and then updated shows no diff beyond
    real changes. Without GNU gettext, polib's own layout."""
    msgcat = shutil.which("msgcat")
    if msgcat is None:
        return po.__unicode__()
    width, po.wrapwidth = po.wrapwidth, 0  # polib's own wrapping is slow and msgcat redoes it
    try:
        text = po.__unicode__()
    finally:
        po.wrapwidth = width
    try:
        run = subprocess.run([msgcat, "--force-po", "-o", "-", "-"], input=text, capture_output=True,
                             text=True, encoding="utf-8", timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise EditionsError(path, None, f"msgcat took more than {TOOL_TIMEOUT:g} s to lay out the catalog "
                            "and was stopped; the catalog was left as it was") from None
    if run.returncode != 0:
        detail = run.stderr.strip().splitlines()[0] if run.stderr.strip() else "failed"
        raise EditionsError(path, None, f"msgcat could not lay out the catalog: {detail}")
    return run.stdout


def digest(po: polib.POFile) -> str:
    """A fingerprint of what a catalog says, dates aside."""
    meta = {k: v for k, v in po.metadata.items() if k not in ("POT-Creation-Date", "PO-Revision-Date")}
    return hashlib.sha256(repr((meta, po.header, [_key(e) for e in po])).encode("utf-8")).hexdigest()


def save_template(pot: polib.POFile, path: Path, cache: Path | None = None) -> bool:
    """Write a POT unless only its creation date would change; True if written. `cache`
    remembers each template's fingerprint, so an unchanged one is not even read."""
    pot.metadata = template_header(pot.metadata)
    stamp = cache / f"{path.name}.sha256" if cache is not None else None
    fingerprint = digest(pot)
    if stamp is not None and os.path.isfile(path) and not os.path.islink(path) and stamp.exists():
        known, _, date = stamp.read_text().partition("\n")
        if known == fingerprint:
            _date(pot, date)
            return False
    written = _save_template(pot, path)
    if stamp is not None:
        atomic_write(stamp, f"{fingerprint}\n{pot.metadata['POT-Creation-Date']}".encode(), durable=False)
    return written


def _save_template(pot: polib.POFile, path: Path) -> bool:
    from .reading import read_input

    try:
        current = (polib.pofile(read_input(path, MAX_BYTES, "template").decode("utf-8"), check_for_duplicates=False)
                   if os.path.lexists(path) else None)
    except (OSError, ValueError, UnicodeDecodeError):
        current = None
    except EditionsError:  # a link, a FIFO, a folder in the template's place
        current = None  # write_if_changed refuses it with its path
    if current is not None:
        _date(pot, current.metadata.get("POT-Creation-Date", ""))
        if same(pot, current):
            return False
    _date(pot, now())
    return write_if_changed(path, serialize(pot, path))


def _date(pot: polib.POFile, date: str) -> None:
    # Nobody revises a template by hand: it is revised when it is written.
    pot.metadata["POT-Creation-Date"] = pot.metadata["PO-Revision-Date"] = date


def save(po: polib.POFile, path: Path, valid: Path | None = None, expect=None) -> str | None:
    """Write a catalog atomically if its content changed: the SHA-256 of the bytes written,
    or None if the file held them already. `expect`: the file's stamp when it was read
    (fsutil.write_if_changed: a catalog saved since is not written over)."""
    data = serialize(po, path).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    if valid is not None:  # msgcat has just read it: no need for msgfmt next time
        atomic_write(valid / digest, b"", durable=False)
    return digest if write_if_changed(path, data, expect=expect) else None


def same(a: polib.POFile, b: polib.POFile) -> bool:
    """Whether two catalogs say the same thing (layout aside): cheaper than writing them out."""
    return a.metadata == b.metadata and a.header == b.header and [_key(e) for e in a] == [_key(e) for e in b]


def _key(e: polib.POEntry) -> tuple:
    return (e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, tuple(sorted(e.msgstr_plural.items())), e.obsolete,
            tuple(e.flags), e.comment, e.tcomment, tuple(e.occurrences), e.previous_msgctxt,
            e.previous_msgid, e.previous_msgid_plural)


_NAMED = re.compile(r"%\([A-Za-z_]\w*\)[sd]")
_PERCENT = re.compile(r"%(?:%|\([A-Za-z_]\w*\)[sd])|%")


def safe_format(msgid: str, msgstr: str) -> bool:
    """Whether every % in msgstr is %% or one of msgid's own %(name)s, and all of those are there."""
    allowed = set(_NAMED.findall(msgid))
    for m in _PERCENT.finditer(msgstr):
        token = m.group(0)
        if token != "%%" and token not in allowed:
            return False
    return set(_NAMED.findall(msgstr)) == allowed


def orphans(translations: Path, slugs: set[str]) -> list[Path]:
    """Templates and catalogs whose manuscript is gone (deleted, or renamed by hand)."""
    found = [p for p in sorted(translations.glob("*.pot")) + sorted(translations.glob("*/LC_MESSAGES/*.po"))
             if p.stem not in slugs and p.stem != "messages"]
    return found


def orphan_message(path: Path) -> str:
    return (f"no manuscript named {path.stem}.md: if the article was renamed, run make-editions rename "
            f"{path.stem} NEW-SLUG (or keep this catalog until the next update has pre-filled the new "
            "one from it); if it was deleted, delete this file")
