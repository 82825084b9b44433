"""Catalogs in step with their manuscripts: templates extracted, catalogs merged (keeping
every translation), and what each catalog publishes.

The build calls `merge` only for catalogs whose template or file changed since they were
last merged (see build.read): an unchanged archive merges nothing. A language's
translation memory (its other catalogs, orphaned ones first) is read only when a merge
has a new segment to offer it for."""
from __future__ import annotations

import os
from dataclasses import dataclass

from . import catalog, check, messages
from .errors import EditionsError
from .fsutil import ABSENT, ChangedMeanwhile, stamp_of
from .locale import LANGUAGES
from .project import slugs_of


@dataclass(frozen=True)
class Published:
    """What readers may see of one catalog: msgid → msgstr, and the entries held back."""
    table: dict
    problems: tuple


def extract(project, mss, report) -> dict:
    """Write each manuscript's POT and the UI's messages.pot; returns name → POT."""
    pots = {ms.slug: template(project, ms, report) for ms in mss}
    pots[messages.DOMAIN] = ui_template(project, report)
    return pots


def template(project, ms, report):
    """One manuscript's POT, written to translations/ if it changed."""
    return _saved(project, catalog.template_for(ms, project.root), project.pot(ms.slug), report)


def ui_template(project, report):
    """messages.pot, from the templates, written to translations/ if it changed."""
    return _saved(project, messages.template(project.root, project.cache / "templates"),
                  project.translations / f"{messages.DOMAIN}.pot", report)


def _saved(project, pot, path, report):
    try:
        if catalog.save_template(pot, path, project.cache / "templates"):
            report.say(f"wrote {project.rel(path)}")
    except EditionsError as exc:  # something else in the template's place: reported, the rest goes on
        report.error(exc)
    return pot


def update(project, mss, report, publish: bool = True) -> tuple[dict, dict]:
    """Extract, then merge every template into each of its languages' catalogs. Returns the
    templates and, for every readable catalog, what it publishes (with `publish` false, as
    `make-editions update` asks: nothing, and no catalog is checked for it)."""
    pots = extract(project, mss, report)
    names = [(ms.slug, ms.lang) for ms in mss] + [(messages.DOMAIN, "en")]
    wanted = [(name, tag, pots[name]) for name, src in names for tag in LANGUAGES if tag != src]
    return pots, merge(project, wanted, report, publish=publish)


def merge(project, wanted: list[tuple], report, slugs: set[str] | None = None, memories: dict | None = None,
          written: dict | None = None, publish: bool = True) -> dict:
    """Merge each (name, tag, pot) into its catalog and write it if it changed. Returns
    (name, tag) → Published for every catalog that could be read and written (with
    `publish` false: {}, and nothing is checked); a broken
    catalog is reported and left exactly as it is. `slugs`: every manuscript of the
    project (for the orphans the memory draws on). `memories`: the translation memory
    by language, loaded when first needed, kept there for the caller's next merge.
    `written`: filled with (name, tag) → (the SHA-256 of the bytes written, the file's stamp
    right after) for each catalog written (None: not known), which the build records then,
    not after the whole merge (a translator's save in between is then seen as such)."""
    from concurrent.futures import ThreadPoolExecutor

    valid = project.cache / "valid"
    memories = {} if memories is None else memories
    loaded: dict = {}
    found: dict = {}
    writes = []
    for name, tag, pot in wanted:
        path = project.po(name, tag)
        try:  # (the memory may have read it already)
            old = _load(path, loaded, valid)
        except EditionsError as exc:
            report.error(exc)
            continue
        memory = catalog.NO_MEMORY
        if name != messages.DOMAIN and _new_segments(old, pot):
            if tag not in memories:
                memories[tag] = _memory(project, tag, loaded, slugs)
            memory = memories[tag]
        merged = catalog.merge(old, pot, LANGUAGES[tag], memory, project.rel(path))
        unchanged = old is not None and catalog.same(merged, old)
        if not unchanged:
            writes.append((merged, path, old is None, (name, tag), loaded[path][0]))
        found[(name, tag)] = (old if unchanged else merged)

    def save(work) -> tuple | bool | EditionsError | ChangedMeanwhile:
        try:
            digest = catalog.save(work[0], work[1], valid, expect=work[4])
            if digest is None:
                return False
            return digest, stamp_of(work[1])
        except EditionsError as exc:  # msgcat refused it: only this catalog stops
            return exc
        except ChangedMeanwhile as exc:  # a translator saved it since it was read
            return exc
        except OSError as exc:
            return EditionsError(project.rel(work[1]), None, f"could not write the catalog: {exc.strerror}")

    # GNU layout comes from msgcat, a process per catalog: threads run several at once
    # (no process pool: nothing forks beside the threads a preview server or a pool runs).
    with ThreadPoolExecutor(max(2, os.cpu_count() or 1)) as pool:
        saved = list(pool.map(save, writes))
    for (_, path, created, which, _), wrote in zip(writes, saved):
        if isinstance(wrote, EditionsError):
            report.error(wrote)
            found.pop(which, None)  # not written, not published: old editions stay
        elif isinstance(wrote, ChangedMeanwhile):
            report.say(f"{project.rel(path)}: saved while it was being merged: left as it was saved, "
                       "to be merged again")
            found.pop(which, None)  # (merged next time: its old editions stay until then)
        elif wrote:
            report.say(f"{'created' if created else 'updated'} {project.rel(path)}")
            if written is not None:
                written[which] = wrote
    if not publish:
        return {}
    rewritten = {path for _, path, _, _, _ in writes}
    out = {}
    for (name, tag), po in found.items():
        path = project.po(name, tag)
        out[(name, tag)] = published(po, path, name)
        if path in rewritten and out[(name, tag)].problems:  # their lines: those of the file as written
            try:
                out[(name, tag)] = published(catalog.load(path, valid), path, name)
            except EditionsError as exc:
                report.error(exc)
                del out[(name, tag)]
    return out


def published(po, path, name: str) -> Published:
    problems: list[EditionsError] = []
    table = check.translations(po, path, problems, formatted=name == messages.DOMAIN)
    return Published(table, tuple(problems))


def _new_segments(old, pot) -> bool:
    """Whether the template has a segment the catalog has no entry for (the memory may help)."""
    known = {(e.msgctxt, e.msgid) for e in old} if old is not None else set()
    return any((t.msgctxt, t.msgid) not in known for t in pot)


def _load(path, loaded: dict, valid):
    """The catalog at `path` (None: there is none), read once per update: `loaded[path]` is
    (the file's stamp just before it was read, the catalog), so that a catalog a translator
    saves meanwhile is not written over (catalog.save's `expect`)."""
    if path not in loaded:
        loaded[path] = (stamp_of(path) or ABSENT, catalog.load(path, valid) if path.exists() else None)
    return loaded[path][1]


def _memory(project, tag: str, loaded: dict, slugs: set[str] | None) -> catalog.Memory:
    """Every readable catalog of the language — other articles', and orphaned ones (an
    article renamed by hand comes back pre-filled from its old catalog)."""
    folder = project.translations / LANGUAGES[tag].gettext / "LC_MESSAGES"
    slugs = slugs if slugs is not None else set(slugs_of(project, None))
    orphaned = {project.rel(p) for p in catalog.orphans(project.translations, slugs) if p.parent == folder}
    known = []
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else ():
        if path.stem == messages.DOMAIN:
            continue
        try:  # (kept in `loaded`: the merge that follows reads most of them too)
            po = _load(path, loaded, project.cache / "valid")
        except EditionsError:
            continue  # reported when its own article is built, or by check
        if po is not None:
            known.append((project.rel(path), po))
    return catalog.Memory.of(known, frozenset(orphaned))
