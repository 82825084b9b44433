"""Where each language stands: counts per article × language, read from the catalogs
as they are (no pandoc, no WeasyPrint: this is meant to be instant)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from . import messages
from .catalog import load, orphan_message, orphans
from .check import translations
from .errors import EditionsError
from .locale import LANGUAGES
from .manuscript import front_matter


@dataclass(frozen=True)
class Row:
    name: str          # article slug, or "messages" for the UI words
    language: str
    catalog: str       # path relative to the project, "" for the source language
    translated: int
    fuzzy: int
    untranslated: int
    obsolete: int
    percent: int
    publishable: bool
    note: str = ""


def rows(project, slugs: list[str]) -> tuple[list[Row], list[EditionsError]]:
    out: list[Row] = []
    errors: list[EditionsError] = []
    names = [(slug, None) for slug in slugs] + [(messages.DOMAIN, "en")]
    for name, source in names:
        if source is None:
            try:
                source = front_matter(project.manuscripts / f"{name}.md")[0]["lang"]
            except EditionsError as exc:
                errors.append(exc)
                continue
            out.append(Row(name, source, "", 0, 0, 0, 0, 100, True, "source"))
        for tag in LANGUAGES:
            if tag == source:
                continue
            path = project.po(name, tag)
            if not path.exists():
                out.append(Row(name, tag, project.rel(path), 0, 0, 0, 0, 0, False,
                               "no catalog yet: run make-editions update"))
                continue
            try:
                po = load(path)
            except EditionsError as exc:
                errors.append(exc)
                out.append(Row(name, tag, project.rel(path), 0, 0, 0, 0, 0, False, "unreadable"))
                continue
            active = [e for e in po if not e.obsolete]
            fuzzy = sum(1 for e in active if e.fuzzy)
            done = sum(1 for e in active if e.translated())
            total = len(active)
            problems: list[EditionsError] = []  # the build's own judgement of the catalog
            translations(po, path, problems, formatted=name == messages.DOMAIN)
            wrong = len({p.line for p in problems})
            out.append(Row(name, tag, project.rel(path), done, fuzzy, total - done - fuzzy,
                           len(po.obsolete_entries()), round(100 * done / total) if total else 100,
                           done == total and not wrong,
                           f"{wrong} with errors: make-editions check {project.rel(path)}" if wrong else ""))
    for path in orphans(project.translations, {p.stem for p in project.manuscripts.glob("*.md")}):
        if path.suffix == ".po":
            tag = next((t for t, lang in LANGUAGES.items() if lang.gettext == path.parent.parent.name), "?")
            out.append(Row(path.stem, tag, project.rel(path), 0, 0, 0, 0, 0, False,
                           f"orphaned: {orphan_message(path)}"))
    return out, errors


def table(found: list[Row]) -> str:
    head = ("article", "language", "translated", "fuzzy", "untranslated", "obsolete", "done", "publish")
    lines = [head] + [
        (r.name, r.language, str(r.translated), str(r.fuzzy), str(r.untranslated), str(r.obsolete),
         f"{r.percent}%", ("yes" if r.publishable else "no") + (f" ({r.note})" if r.note else ""))
        for r in found]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    right = {2, 3, 4, 5, 6}
    return "\n".join("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(line, widths))).rstrip()
                     for line in lines)


def as_json(found: list[Row]) -> str:
    return json.dumps([asdict(r) for r in found], ensure_ascii=False, indent=2)
