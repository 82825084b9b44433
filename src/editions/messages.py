"""The UI domain `messages`: words of the editions' templates, extracted with Babel and
translated per language through the same PO machinery as the articles."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polib

from .catalog import new_file

DOMAIN = "messages"
TEMPLATES = Path("styles/templates")


def template(root: Path, cache: Path | None = None) -> polib.POFile:
    """messages.pot from every Jinja template under styles/templates. With `cache`, an
    extraction is kept by the templates' digest: Babel's extractor (a third of a second)
    runs only when a template changed."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((root / TEMPLATES).rglob("*.html")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    kept = cache / f"messages-{digest.hexdigest()[:32]}.pot" if cache is not None else None
    if kept is not None and kept.is_file():
        return polib.pofile(kept.read_text(encoding="utf-8"), check_for_duplicates=False)
    pot = _extract(root)
    if kept is not None:
        from .fsutil import atomic_write

        atomic_write(kept, pot.__unicode__().encode("utf-8"), durable=False)
    return pot


def _extract(root: Path) -> polib.POFile:
    from babel.messages.extract import extract_from_dir

    pot = new_file()
    pot.header = "Sangar editions — words of the editions' templates. Edit the PO files, not this file."
    pot.metadata = {"Project-Id-Version": "Sangar editions", "Report-Msgid-Bugs-To": "",
                    "POT-Creation-Date": "", "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
                    "Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
                    "Language-Team": "LANGUAGE <LL@li.org>", "MIME-Version": "1.0",
                    "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
    entries: dict[tuple, polib.POEntry] = {}
    found = extract_from_dir(root / TEMPLATES, method_map=[("**.html", "jinja2.ext:babel_extract")],
                             options_map={"**.html": {"trimmed": "true"}}, comment_tags=("NOTE:",),
                             strip_comment_tags=True)
    for filename, lineno, message, comments, context in sorted(found, key=lambda r: (r[0], r[1])):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, "")
        key = (context, singular)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = polib.POEntry(msgid=singular, msgid_plural=plural, msgctxt=context,
                                                 comment="\n".join(comments))
            if "%(" in singular:
                entry.flags.append("python-format")
            pot.append(entry)
        entry.occurrences.append(((TEMPLATES / filename).as_posix(), str(lineno)))
    return pot


@dataclass(frozen=True)
class UI:
    """The words of one language's editions."""
    tag: str
    table: dict

    def gettext(self, msgid: str) -> str:
        return self.table.get(msgid) or msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural
