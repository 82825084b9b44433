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
    extraction is kept by the templates' digest and the extractor's (this module, Babel's
    version), there and in the machine's cache (fsutil.machine_cache): Babel's extractor
    (~0.3 s) runs only when a template changed — not in every new copy of a project (a
    fresh clone's first build, each test's project)."""
    import hashlib

    from .fsutil import atomic_write, machine_cache

    digest = hashlib.sha256(_extractor())
    for path in sorted((root / TEMPLATES).rglob("*.html")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    name = f"messages-{digest.hexdigest()[:32]}.pot"
    places = [cache / name, machine_cache(root) / "templates" / name] if cache is not None else []
    for kept in places:
        try:
            text = kept.read_text(encoding="utf-8")
        except OSError:
            continue
        pot = polib.pofile(text, check_for_duplicates=False)
        if kept != places[0]:
            atomic_write(places[0], text.encode("utf-8"), durable=False)
        return pot
    pot = _extract(root)
    for kept in places:
        try:
            atomic_write(kept, pot.__unicode__().encode("utf-8"), durable=False)
        except OSError:  # a machine cache that cannot be written: the project's still is
            continue
    return pot


def _extractor() -> bytes:
    """What an extraction depends on besides the templates: this module and Babel's version
    (its dist-info folder's name, beside the package: no importlib.metadata)."""
    import importlib.util

    spec = importlib.util.find_spec("babel")
    site = Path(spec.origin).parent.parent if spec and spec.origin else None
    names = sorted(p.name for p in site.glob("[Bb]abel-*.dist-info")) if site else []
    return Path(__file__).read_bytes() + repr(names).encode()


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
