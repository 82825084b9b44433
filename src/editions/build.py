"""Orchestration: keep catalogs in step, render what changed, write the index.

Each edition records a digest of everything it depends on (its translated text, the UI
words, the other languages it links to, styles, templates, fonts, and the versions of
the project and its tools) in a card beside it; an edition whose digest is unchanged is
not rebuilt."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, catalog, figures, messages
from .errors import EditionsError, UsageError
from .fsutil import atomic_write, read_toml, write_if_changed
from .locale import AUTONYMS, LANGUAGES, OUTLET
from .manuscript import MAX_BYTES, PANDOC_READER, Manuscript, read
from .reading import read_input

FORMATS = ("html", "epub", "pdf")
INDEX_ORDER = ("fa-AF", "ps-AF", "en")


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

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    def pot(self, slug: str) -> Path:
        return self.translations / f"{slug}.pot"

    def po(self, slug: str, tag: str) -> Path:
        return self.translations / LANGUAGES[tag].gettext / "LC_MESSAGES" / f"{slug}.po"

    @property
    def drafts(self) -> Path:
        """Draft editions (incomplete translations): never under dist/, never linked from it."""
        return self.root / "dist-drafts"

    def tree(self, draft: bool = False) -> Path:
        return self.drafts if draft else self.dist

    def output(self, slug: str, tag: str, fmt: str, draft: bool = False) -> Path:
        return self.tree(draft) / slug / f"{slug}.{tag}.{fmt}"

    def card(self, slug: str, tag: str, draft: bool = False) -> Path:
        """The build's record of one edition (index data, digests): kept out of dist/."""
        return self.cache / "cards" / ("drafts" if draft else "online") / f"{slug}.{tag}.json"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


@dataclass
class Report:
    """What a run did, for the summary and the exit status."""
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    built: int = 0
    unchanged: int = 0
    skipped: int = 0
    planned: int | None = None  # editions this build set out to write (None: not planned yet)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(line, flush=True)

    def error(self, exc: EditionsError | str) -> None:
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
    """Parse each manuscript, through a cache keyed by its bytes: pandoc runs only for
    manuscripts that changed."""
    from importlib.metadata import version

    from . import article, inline, manuscript

    # The parse depends on the reader's code too: a changed model drops every cached parse.
    salt = f"{__version__}|{version('pypandoc-binary')}|{PANDOC_READER}|{code_digest(article, inline, manuscript)}"
    out = []
    for slug in slugs:
        path = project.manuscripts / f"{slug}.md"
        try:
            key = hashlib.sha256(f"{salt}|{path}|".encode() + read_input(path, MAX_BYTES, "manuscript")).hexdigest()
            cached = project.cache / "manuscripts" / f"{key}.json"
            if cached.exists():
                out.append(Manuscript.from_json(cached.read_text(encoding="utf-8")))
                continue
            ms = read(path)
            atomic_write(cached, ms.to_json().encode("utf-8"))
            out.append(ms)
        except EditionsError as exc:
            report.error(exc)
    return out


def extract(project: Project, mss: list[Manuscript], report: Report) -> dict:
    """Write each manuscript's POT and the UI's messages.pot; returns name → POT."""
    pots = {}
    for ms in mss:
        pot = catalog.template_for(ms, project.root)
        try:
            if catalog.save_template(pot, project.pot(ms.slug), project.cache / "templates"):
                report.say(f"wrote {project.rel(project.pot(ms.slug))}")
        except EditionsError as exc:  # something else in the template's place: reported, the rest goes on
            report.error(exc)
        pots[ms.slug] = pot
    ui = messages.template(project.root, project.cache / "templates")
    path = project.translations / f"{messages.DOMAIN}.pot"
    if catalog.save_template(ui, path, project.cache / "templates"):
        report.say(f"wrote {project.rel(path)}")
    pots[messages.DOMAIN] = ui
    return pots


@dataclass(frozen=True)
class Published:
    """What readers may see of one catalog: msgid → msgstr, and the entries held back."""
    table: dict
    problems: tuple


def update(project: Project, mss: list[Manuscript], report: Report) -> tuple[dict, dict]:
    """Extract, then merge every template into each of its languages' catalogs. Returns the
    templates and, for every readable catalog, what it publishes. Languages are
    independent (each has its own translation memory): they are merged in parallel."""
    import multiprocessing

    pots = extract(project, mss, report)
    names = [(ms.slug, ms.lang) for ms in mss] + [(messages.DOMAIN, "en")]
    work = [(project, {n: pots[n] for n, src in names if src != tag}, tag) for tag in LANGUAGES
            if any(src != tag for _, src in names)]
    # Processes pay off for an archive; a handful of catalogs merge faster here, and a small
    # project then never forks beside the threads a preview server runs.
    if len(work) > 1 and (os.cpu_count() or 1) > 1 and len(names) > 16:
        with multiprocessing.get_context("fork").Pool(min(len(work), os.cpu_count() or 1)) as pool:
            results = pool.map(_update_language, work)
    else:
        results = [_update_language(w) for w in work]
    published: dict = {}
    for lines, errors, found in results:
        for line in lines:
            report.say(line)
        for exc in errors:
            report.error(exc)
        published.update(found)
    return pots, published


def _update_language(work) -> tuple[list[str], list[EditionsError], dict]:
    """Load, merge and write every catalog of one language."""
    from concurrent.futures import ThreadPoolExecutor

    project, pots, tag = work
    valid = project.cache / "valid"
    lines: list[str] = []
    errors: list[EditionsError] = []
    olds: dict = {}
    for name in pots:
        path = project.po(name, tag)
        try:
            olds[name] = catalog.load(path, valid) if path.exists() else None
        except EditionsError as exc:
            errors.append(exc)  # a broken catalog is left exactly as it is
    # The memory draws on every catalog of the language — other articles', and orphaned ones
    # (an article renamed by hand comes back pre-filled from its old catalog).
    known = [(project.rel(project.po(name, tag)), po) for name, po in olds.items()
             if po is not None and name != messages.DOMAIN]
    folder = project.translations / LANGUAGES[tag].gettext / "LC_MESSAGES"
    orphaned = {project.rel(p) for p in catalog.orphans(project.translations, set(slugs_of(project, None)))
                if p.parent == folder}
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else ():
        if path.stem not in pots and path.stem != messages.DOMAIN:
            try:
                known.append((project.rel(path), catalog.load(path, valid)))
            except EditionsError:
                pass  # reported when its own article is built, or by check
    memory = catalog.Memory.of(known, frozenset(orphaned))
    found: dict = {}
    writes = []
    for name, old in olds.items():
        path = project.po(name, tag)
        merged = catalog.merge(old, pots[name], LANGUAGES[tag],
                               catalog.NO_MEMORY if name == messages.DOMAIN else memory, project.rel(path))
        unchanged = old is not None and catalog.same(merged, old)
        if not unchanged:
            writes.append((merged, path, old is None))
        problems: list[EditionsError] = []
        table = catalog.translations(old if unchanged else merged, path, problems,
                                     formatted=name == messages.DOMAIN)
        found[(name, tag)] = Published(table, tuple(problems))
    def save(work) -> bool | EditionsError:
        try:
            return catalog.save(work[0], work[1], valid)
        except EditionsError as exc:  # msgcat refused it: only this catalog stops
            return exc
        except OSError as exc:
            return EditionsError(project.rel(work[1]), None, f"could not write the catalog: {exc.strerror}")

    # GNU layout comes from msgcat, a process per catalog: run several at once.
    with ThreadPoolExecutor(max(2, os.cpu_count() or 1)) as pool:
        written = list(pool.map(save, writes))
    for (_, path, created), wrote in zip(writes, written):
        if isinstance(wrote, EditionsError):
            errors.append(wrote)
            found.pop((path.stem, tag), None)  # not written, not published: its old editions stay
        elif wrote:
            lines.append(f"{'created' if created else 'updated'} {project.rel(path)}")
    for key, pub in found.items():  # a held-back entry of a merged catalog gets its line now
        if any(p.line is None for p in pub.problems):
            problems = []
            catalog.translations(catalog.load(project.po(*key), valid), project.po(*key), problems,
                                 formatted=key[0] == messages.DOMAIN)
            found[key] = Published(pub.table, tuple(problems))
    return lines, errors, found


def context_digest(project: Project, fonts) -> str:
    """What every edition depends on besides its own text: styles and templates, the font
    files, and the versions of the project and its tools."""
    from importlib.metadata import version

    h = hashlib.sha256()
    for part in (__version__, version("pypandoc-binary"), version("weasyprint"), version("jinja2"),
                 sys.version):
        h.update(part.encode() + b"\0")
    from . import inline, locale, render, translate

    # The translating and rendering code: a release that draws differently rebuilds what it drew.
    h.update(code_digest(translate, inline, locale, *sorted(Path(render.__file__).parent.glob("*.py"))).encode())
    styles = project.root / "styles"
    for path in sorted(p for p in styles.rglob("*") if p.is_file()):
        h.update(path.relative_to(styles).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for f in fonts:
        h.update(f"{f.family}|{f.file}|{f.weight}|{f.style}|{f.subset}|{f.editions}".encode())
    manifest = project.dist / "assets" / "fonts" / "manifest.json"  # the font files themselves
    h.update(manifest.read_bytes() if manifest.exists() else b"")
    return h.hexdigest()


def build(project: Project, slugs: list[str] | None = None, langs: list[str] | None = None,
          formats: list[str] | None = None, draft: bool = False, jobs: int | None = None,
          executor: str = "local", scheduler: str | None = None, runner=None,
          report: Report | None = None) -> Report:
    """The default command: catalogs in step, then every publishable edition whose inputs
    changed, then the index. `report`, if given, is filled in as the build goes (what an
    interrupted build had done)."""
    from . import executor as executors

    report = Report() if report is None else report
    own = runner is None
    runner = runner or executors.make(executor, jobs, scheduler, str(project.root))  # workers warm up meanwhile
    try:
        _build(project, slugs, langs, formats or list(FORMATS), draft, runner, report)
    finally:
        if own:
            runner.close()
    return report


def _build(project, slugs, langs, formats, draft, runner, report) -> None:
    from .render import assets as assets_mod
    from .render.edition import Job
    from .translate import edition, missing

    mss = load_manuscripts(project, slugs_of(project, slugs), report)
    pots, cats = update(project, mss, report)
    _move_old_cards(project)
    langs = langs or list(LANGUAGES)
    assets = assets_mod.build(project.root, project.dist)
    draft_assets = assets_mod.build(project.root, project.drafts) if draft else None
    _conf, fonts = assets_mod.fonts(project.root)
    context = context_digest(project, fonts)
    base_url = site_base_url(project)
    uis = {"en": messages.UI("en", {})}
    usable = list(LANGUAGES)  # languages whose interface words are complete (or a draft run)
    ui_gaps: set[str] = set()  # languages whose interface words are not (draft runs only)
    for tag in LANGUAGES:
        if tag == "en":
            continue
        po = cats.get((messages.DOMAIN, tag))
        table = po.table if po else {}
        for exc in po.problems if po else ():
            report.error(exc)
        uis[tag] = messages.UI(tag, table)
        gaps = [e.msgid for e in pots[messages.DOMAIN] if e.msgid not in table]
        if po is None or (gaps and not draft):
            if tag in langs:
                report.say(f"skipped {tag}: {len(gaps)} of {len(pots[messages.DOMAIN])} interface words in "
                           f"{project.rel(project.po(messages.DOMAIN, tag))} untranslated, fuzzy or "
                           f"unreadable (build with --draft to see it)")
            usable.remove(tag)
        elif gaps:
            ui_gaps.add(tag)
    outlet = tuple((tag, OUTLET[tag]) for tag in uis)
    plan: list[Job] = []
    digests: dict[tuple[str, str], str] = {}  # (slug, tag) → digest of the job planned for it
    used_images: set[str] | None = set() if not slugs else None  # None: this run does not see them all
    input_digests: dict[tuple[str, str], str] = {}
    for ms in mss:
        try:
            pictures = figures.publish(ms, assets, project.cache)
        except EditionsError as exc:  # nothing of this article is published with a bad image
            report.error(exc)
            used_images = None
            continue
        if used_images is not None:
            used_images |= {name for shown in pictures.values() for name in shown["files"]}
        parsed = ms.to_json()
        draft_pictures = None
        tables = {}
        drafts: set[str] = set()  # languages built with gaps (only in draft runs)
        for tag in usable:
            if tag == ms.lang:
                tables[tag] = None
                continue
            po = cats.get((ms.slug, tag))
            if po is None:
                continue  # unreadable: reported by update; its previous editions stay in dist/
            if tag in langs:
                _findings(report, po.problems)
            gaps = missing(ms, po.table)
            if gaps and not draft:
                if tag in langs:
                    report.skipped += 1
                    kept = " (its previous edition stays online)" if _listed(project, ms.slug, tag) else ""
                    wrong = len({p.line for p in po.problems})
                    why = (f"{wrong} translation(s) with errors (make-editions check "
                           f"{project.rel(project.po(ms.slug, tag))})" if wrong else "")
                    rest = len(gaps) - wrong
                    why += (", " if why and rest > 0 else "") + (f"{rest} of {len(ms.segments)} segments "
                                                                 "untranslated or fuzzy" if rest > 0 else "")
                    report.say(f"skipped {ms.slug} {tag}: {why} (build with --draft to see it){kept}")
                continue
            tables[tag] = po.table
            if gaps or tag in ui_gaps:
                drafts.add(tag)
        # Other languages' pages link to every edition that will be online after this run:
        # the ones built now and earlier complete ones that stay (even if --lang left them out).
        # Drafts are never online: they link to nothing and nothing links to them.
        online = [t for t in LANGUAGES if (t in tables and t not in drafts) or _listed(project, ms.slug, t)]
        for tag, table in tables.items():
            if tag not in langs:
                continue
            is_draft = tag in drafts
            if is_draft:
                draft_pictures = draft_pictures or figures.publish(ms, draft_assets, project.cache)
                pictures_here, tree_assets = draft_pictures, draft_assets
            else:
                pictures_here, tree_assets = pictures, assets
            others = () if is_draft else tuple((o, project.output(ms.slug, o, "html").name,
                                                AUTONYMS[o])
                                               for o in online if o != tag)
            ui_words = tuple(sorted(uis[tag].table.items()))
            # Decided from the inputs before anything is translated: a no-op translates nothing.
            inputs = _inputs_digest(context, parsed, tag, table, ui_words, outlet, others, pictures_here,
                                    base_url, is_draft)
            if _up_to_date(project, ms.slug, tag, is_draft, formats, inputs, "inputs"):
                report.unchanged += 1
                continue
            ed = edition(ms, tag, table, draft=is_draft, pictures=pictures_here)
            job = Job(str(project.root), ed, ui_words, outlet, others,
                      tuple(formats), tuple(fonts), str(tree_assets), base_url)
            digest = job.digest(context)
            if _up_to_date(project, ms.slug, tag, is_draft, formats, digest):
                write_card(project, ed, {}, {fmt: inputs for fmt in formats})  # the quick way next time
                report.unchanged += 1
                continue
            digests[(ed.slug, ed.tag)] = digest
            input_digests[(ed.slug, ed.tag)] = inputs
            plan.append(job)

    report.planned = len(plan)
    progress = _Progress(len(plan), report)

    def done(job: Job, result) -> None:
        ed = job.edition
        if isinstance(result, BaseException):
            report.error(EditionsError(project.rel(project.output(ed.slug, ed.tag, "html", ed.draft)), None,
                                       f"could not render: {result}"))
            return
        for fmt, data in result.items():
            write_if_changed(project.output(ed.slug, ed.tag, fmt, ed.draft), data)
        write_card(project, ed, {fmt: digests[(ed.slug, ed.tag)] for fmt in result},
                   {fmt: input_digests[(ed.slug, ed.tag)] for fmt in result})
        report.built += 1
        progress.advance(f"built {ed.slug} {ed.tag}" + (" (draft)" if ed.draft else "") + ": "
                         + ", ".join(project.rel(project.output(ed.slug, ed.tag, f, ed.draft)) for f in result))

    try:
        runner.run(plan, done)
    finally:  # also when interrupted: the terminal gets its cursor back
        progress.close()
    prune(project, report, used_images)
    write_index(project, uis, dict(outlet))
    if draft:
        write_index(project, uis, dict(outlet), draft=True)
    report.say(f"editions: {report.built} built, {report.unchanged} unchanged, {report.skipped} skipped"
               + (f", {len(report.errors)} error(s)" if report.errors else ""))


def _findings(report: Report, problems, shown: int = 3) -> None:
    """A catalog's errors: the first few as `path:line: error: …`, then how many more."""
    for exc in problems[:shown]:
        report.error(exc)
    if len(problems) > shown:
        report.error(f"{problems[0].path}: error: … and {len(problems) - shown} more "
                     f"(make-editions check {problems[0].path})")


def site_base_url(project: Project) -> str:
    """styles/site.toml's base_url: empty, or an http(s) URL ending in '/'."""
    path = project.root / "styles" / "site.toml"
    if not path.exists():
        return ""
    url = read_toml(path).get("base_url", "")
    if url and not re.fullmatch(r"https?://[^\s\"'<>]+/", url):
        raise EditionsError(path, None, f"base_url {url!r} must be an http(s) URL ending in '/'")
    return url


def code_digest(*sources) -> str:
    """A digest of the project's own code (modules or .py paths) that a cached result depends on."""
    h = hashlib.sha256()
    for source in sources:
        h.update(Path(getattr(source, "__file__", source)).read_bytes())
    return h.hexdigest()


def read_card(project: Project, slug: str, tag: str, draft: bool = False) -> dict:
    """The build's record of one edition ({} when there is none or it is unreadable)."""
    try:
        card = json.loads(project.card(slug, tag, draft).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def _listed(project: Project, slug: str, tag: str, draft: bool = False) -> bool:
    """Whether an edition is in the tree (dist/, or dist-drafts/ for `draft`): its page and
    its card exist."""
    return project.card(slug, tag, draft).exists() and project.output(slug, tag, "html", draft).exists()


def _up_to_date(project: Project, slug: str, tag: str, draft: bool, formats: list[str], digest: str,
                kind: str = "built") -> bool:
    """Whether every format's card entry (`built`: the job's digest; `inputs`: the inputs'
    digest) is `digest` and its file exists."""
    known = read_card(project, slug, tag, draft).get(kind, {})
    return all(known.get(f) == digest and project.output(slug, tag, f, draft).exists() for f in formats)


def _inputs_digest(context: str, ms_json: str, tag: str, table, ui_words, outlet, others, pictures, base_url: str,
                   draft: bool) -> str:
    """Everything an edition is made from, before it is made: the parsed manuscript, the
    language's published translations and UI words, the links to other languages, the
    images, the settings (context covers styles, fonts, tools and the project's translating
    and rendering code)."""
    data = [context, ms_json, tag, sorted(table.items()) if table is not None else None, ui_words, outlet,
            others, pictures, base_url, draft]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


class _Progress:
    """A rich progress bar on a terminal; plain lines otherwise (CI, pipes)."""

    def __init__(self, total: int, report: Report):
        self.report = report
        self.bar = None
        if total > 1 and sys.stdout.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("editions", total=total)

    def advance(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line)
            self.report.lines.append(line)
            self.bar.advance(self.task)
        else:
            self.report.say(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def write_card(project: Project, ed, built: dict[str, str], inputs: dict[str, str] | None = None) -> None:
    """What the index says about one edition, and the digest each format was built from:
    the index lists what is in the tree, even editions this run could not rebuild (a broken
    catalog keeps the old ones)."""
    old = read_card(project, ed.slug, ed.tag, ed.draft)
    card = {"slug": ed.slug, "tag": ed.tag, "title": ed.title, "author": ed.author,
            "date_iso": ed.date_iso, "date_text": ed.date_text, "draft": ed.draft,
            "built": {**old.get("built", {}), **built}, "inputs": {**old.get("inputs", {}), **(inputs or {})}}
    write_if_changed(project.card(ed.slug, ed.tag, ed.draft), json.dumps(card, ensure_ascii=False, indent=1,
                                                                          sort_keys=True))


def prune(project: Project, report: Report, images: set[str] | None = None) -> None:
    """Make each tree hold exactly what should be in it: the editions whose cards say they
    are there, of manuscripts that exist, the assets and the index. Editions of deleted or
    renamed articles, leftovers of older builds (and in dist-drafts/, drafts that have
    since been published) are removed and named. `images`: every image file a current
    article uses (None: leave assets/images alone, as a build of some articles must)."""
    slugs = set(slugs_of(project, None))
    for draft in (False, True):
        tree = project.tree(draft)
        if not tree.is_dir():
            continue
        for link in sorted(p for p in tree.iterdir() if p.is_symlink()):  # never followed: the link goes
            link.unlink()
            report.say(f"removed {project.rel(link)} (a link)")
        for folder in sorted(p for p in tree.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "assets"):
            keep = {project.output(folder.name, tag, fmt, draft).name for tag in LANGUAGES
                    for fmt in read_card(project, folder.name, tag, draft).get("built", {})
                    if folder.name in slugs and not (draft and _listed(project, folder.name, tag))}
            for path in sorted(folder.iterdir()):
                if path.name not in keep and (path.is_file() or path.is_symlink()):
                    path.unlink()
                    report.say(f"removed {project.rel(path)}")
            if not any(folder.iterdir()):
                folder.rmdir()
        for card in sorted((project.cache / "cards" / ("drafts" if draft else "online")).glob("*.json")):
            slug, tag = card.stem.rsplit(".", 1)
            if not any(project.output(slug, tag, fmt, draft).exists() for fmt in FORMATS):
                card.unlink()
        shown = tree / "assets" / "images"
        if images is not None and not draft and shown.is_dir() and not shown.is_symlink():
            for path in sorted(shown.iterdir()):
                if path.name not in images:
                    path.unlink()
                    report.say(f"removed {project.rel(path)}")


def _move_old_cards(project: Project) -> None:
    """Cards used to sit beside the editions in dist/: move them to .cache/ once."""
    if not project.dist.is_dir():
        return
    for old in project.dist.glob("*/*.json"):
        try:
            card = json.loads(old.read_text(encoding="utf-8"))
            new = project.card(card["slug"], card["tag"], bool(card.get("draft")))
            if not new.exists():
                atomic_write(new, old.read_bytes(), durable=False)
        except (ValueError, KeyError, TypeError, OSError):
            pass


def write_index(project: Project, uis, outlet, draft: bool = False) -> None:
    """The tree's index.html (dist/, or dist-drafts/ for `draft`): every edition in it of
    every manuscript in the project — not only those this run built — one section per
    language, Dari first, with download sizes in each language's digits."""
    from .locale import digits
    from .render import html

    envs = {tag: html.environment(project.root, uis[tag]) for tag in INDEX_ORDER}
    slugs = slugs_of(project, None)
    sections = []
    present = []
    for tag in INDEX_ORDER:
        cards = []
        for slug in slugs:
            if _listed(project, slug, tag, draft):
                cards.append(read_card(project, slug, tag, draft))
        items = []
        for card in sorted(cards, key=lambda c: (c["date_iso"], c["slug"]), reverse=True):
            slug = card["slug"]
            base = f"{slug}/{slug}.{tag}"
            sizes = {f"{fmt}_kb": digits(str(max(1, round(project.output(slug, tag, fmt, draft).stat().st_size
                                                          / 1024)))
                                         if project.output(slug, tag, fmt, draft).exists() else "–", tag)
                     for fmt in ("pdf", "epub")}
            items.append({**card, **sizes, "href": f"{base}.html", "pdf": f"{base}.pdf", "epub": f"{base}.epub"})
        if items:
            sections.append(html.index_section(envs[tag], tag, items))
            present.append((tag, AUTONYMS[tag]))
    write_if_changed(project.tree(draft) / "index.html",
                     html.index_page(envs["fa-AF"], "fa-AF", outlet, sections, present))
