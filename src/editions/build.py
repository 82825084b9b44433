"""Orchestration: keep catalogs in step, build each published edition, write the index."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog, messages
from .errors import EditionsError, UsageError
from .locale import LANGUAGES
from .manuscript import Manuscript, read

FORMATS = ("html", "epub", "pdf")


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def manuscripts(self) -> Path:
        return self.root / "manuscripts"

    @property
    def translations(self) -> Path:
        return self.root / "translations"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    def pot(self, slug: str) -> Path:
        return self.translations / f"{slug}.pot"

    def po(self, slug: str, tag: str) -> Path:
        return self.translations / LANGUAGES[tag].gettext / "LC_MESSAGES" / f"{slug}.po"

    def output(self, slug: str, tag: str, fmt: str) -> Path:
        return self.dist / slug / f"{slug}.{tag}.{fmt}"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


@dataclass
class Report:
    """What a run did, for the summary and the exit status."""
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(line, flush=True)

    def error(self, exc: EditionsError) -> None:
        self.errors.append(str(exc))
        print(str(exc), file=sys.stderr, flush=True)


def slugs_of(project: Project, wanted: list[str] | None) -> list[str]:
    found = sorted(p.stem for p in project.manuscripts.glob("*.md"))
    if wanted:
        unknown = [s for s in wanted if s not in found]
        if unknown:
            raise UsageError(f"no manuscript named {', '.join(unknown)} in {project.rel(project.manuscripts)}/")
        return [s for s in found if s in wanted]
    return found


def load_manuscripts(project: Project, slugs: list[str], report: Report) -> list[Manuscript]:
    out = []
    for slug in slugs:
        try:
            out.append(read(project.manuscripts / f"{slug}.md"))
        except EditionsError as exc:
            report.error(exc)
    return out


def extract(project: Project, mss: list[Manuscript], report: Report) -> dict:
    """Write each manuscript's POT and the UI's messages.pot; returns name → POT."""
    pots = {}
    for ms in mss:
        pot = catalog.template_for(ms, project.root)
        if catalog.save_template(pot, project.pot(ms.slug)):
            report.say(f"wrote {project.rel(project.pot(ms.slug))}")
        pots[ms.slug] = pot
    ui = messages.template(project.root)
    path = project.translations / f"{messages.DOMAIN}.pot"
    if catalog.save_template(ui, path):
        report.say(f"wrote {project.rel(path)}")
    pots[messages.DOMAIN] = ui
    return pots


def update(project: Project, mss: list[Manuscript], report: Report) -> dict:
    """Extract, then merge every template into each of its languages' catalogs; returns the templates."""
    pots = extract(project, mss, report)
    targets = [(ms.slug, [t for t in LANGUAGES if t != ms.lang]) for ms in mss]
    targets.append((messages.DOMAIN, [t for t in LANGUAGES if t != "en"]))
    memories = {tag: memory_of(project, tag) for tag in LANGUAGES}
    for name, tags in targets:
        for tag in tags:
            path = project.po(name, tag)
            try:
                old = catalog.load(path) if path.exists() else None
            except EditionsError as exc:
                report.error(exc)  # a broken catalog is left exactly as it is
                continue
            memory = memories[tag] if name != messages.DOMAIN else catalog.NO_MEMORY
            merged = catalog.merge(old, pots[name], LANGUAGES[tag], memory, project.rel(path))
            if catalog.save(merged, path):
                report.say(f"{'updated' if old is not None else 'created'} {project.rel(path)}")
    return pots


def memory_of(project: Project, tag: str) -> "catalog.Memory":
    """Every article catalog of a language, as translation memory (unreadable ones skipped:
    they are reported where they are merged)."""
    import polib

    folder = project.translations / LANGUAGES[tag].gettext / "LC_MESSAGES"
    found = []
    for path in sorted(folder.glob("*.po")):
        if path.stem == messages.DOMAIN:
            continue
        try:
            found.append((project.rel(path), polib.pofile(str(path))))
        except (OSError, ValueError):
            continue
    return catalog.Memory.of(found)


def build(project: Project, slugs: list[str] | None = None, langs: list[str] | None = None,
          formats: list[str] | None = None, draft: bool = False) -> Report:
    """The default command: catalogs in step, then every publishable edition and the index."""
    from .render import assets as assets_mod
    from .render import epub, html, pdf
    from .translate import edition, missing

    report = Report()
    mss = load_manuscripts(project, slugs_of(project, slugs), report)
    pots = update(project, mss, report)
    langs = langs or list(LANGUAGES)
    formats = formats or list(FORMATS)
    assets = assets_mod.build(project.root, project.dist)
    _conf, fonts = assets_mod.fonts(project.root)
    uis = {}
    for tag in LANGUAGES:
        try:
            uis[tag] = messages.ui_for(project.root, tag)
        except EditionsError as exc:  # its editions would carry broken words: build none of them
            report.error(exc)
            uis[tag] = messages.UI(tag, {})
            langs = [t for t in langs if t != tag]
            continue
        gaps = [e.msgid for e in pots[messages.DOMAIN] if e.msgid not in uis[tag].table]
        if tag != "en" and gaps and not draft and tag in langs:
            report.say(f"skipped {tag}: {len(gaps)} of {len(pots[messages.DOMAIN])} interface words in "
                       f"{project.rel(messages.po_path(project.root, tag))} untranslated or fuzzy "
                       f"(build with --draft to see it)")
            langs = [t for t in langs if t != tag]
    outlet = {tag: ui.gettext("Sangar") for tag, ui in uis.items()}
    envs = {tag: html.environment(project.root, ui) for tag, ui in uis.items()}
    for ms in mss:
        tables = {}
        for tag in langs:
            if tag == ms.lang:
                tables[tag] = None
                continue
            path = project.po(ms.slug, tag)
            problems: list[EditionsError] = []
            try:
                tables[tag] = catalog.translations(catalog.load(path), path, problems)
            except EditionsError as exc:
                report.error(exc)  # its previous editions stay in dist/
                continue
            for exc in problems:
                report.error(exc)
            gaps = missing(ms, tables[tag])
            if gaps and not draft:
                report.say(f"skipped {ms.slug} {tag}: {len(gaps)} of {len(ms.segments)} segments "
                           f"untranslated or fuzzy (build with --draft to see it)")
                del tables[tag]
        published = [t for t in LANGUAGES if t in tables]
        for tag, table in tables.items():
            ed = edition(ms, tag, table, draft=draft and table is not None and bool(missing(ms, table)))
            body = html.pandoc_html(ed)
            others = [{"tag": o, "href": project.output(ms.slug, o, "html").name,
                       "autonym": uis[o].gettext(LANGUAGES[o].english_name)}
                      for o in published if o != tag]
            page = html.page(envs[tag], ed, body, outlet, others, "../assets")
            out_dir = project.dist / ms.slug
            if "html" in formats:
                _write_text(project.output(ms.slug, tag, "html"), page)
            if "pdf" in formats:
                pdf.write(page, out_dir, project.output(ms.slug, tag, "pdf"), [assets])
            if "epub" in formats:
                epub.write(project.root, ed, html.epub_body(envs[tag], ed, body, outlet), assets, fonts,
                           project.output(ms.slug, tag, "epub"))
            write_card(project, ed)
            report.say(f"built {ms.slug} {tag}" + (" (draft)" if ed.draft else "") + ": "
                       + ", ".join(project.rel(project.output(ms.slug, tag, f)) for f in formats))
    write_index(project, mss, envs, outlet)
    report.say(f"wrote {project.rel(project.dist / 'index.html')}")
    return report


INDEX_ORDER = ("fa-AF", "ps-AF", "en")


def write_card(project: Project, ed) -> None:
    """What the index says about one edition, kept beside it: the index lists what is in
    dist/, even editions this run could not rebuild (a broken catalog keeps the old ones)."""
    card = {"slug": ed.slug, "tag": ed.tag, "title": ed.title, "author": ed.author,
            "date_iso": ed.date_iso, "date_text": ed.date_text, "draft": ed.draft}
    _write_text(project.output(ed.slug, ed.tag, "json"), json.dumps(card, ensure_ascii=False, indent=1))


def write_index(project: Project, mss: list[Manuscript], envs, outlet) -> None:
    """dist/index.html: every edition on disk, one section per language, Dari first."""
    from .render import html

    sections = []
    for tag in INDEX_ORDER:
        items = []
        for ms in sorted(mss, key=lambda m: (m.date, m.slug), reverse=True):
            card_path = project.output(ms.slug, tag, "json")
            if not card_path.exists() or not project.output(ms.slug, tag, "html").exists():
                continue
            card = json.loads(card_path.read_text(encoding="utf-8"))
            base = f"{ms.slug}/{ms.slug}.{tag}"
            items.append({**card, "href": f"{base}.html", "pdf": f"{base}.pdf", "epub": f"{base}.epub"})
        if items:
            sections.append(html.index_section(envs[tag], tag, items))
    _write_text(project.dist / "index.html", html.index_page(envs["fa-AF"], "fa-AF", outlet, sections))


def _write_text(path: Path, text: str) -> None:
    from .fsutil import write_if_changed

    write_if_changed(path, text)
