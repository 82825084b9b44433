"""Orchestration: read → plan → run → publish.

    read     what the project holds now, as digests (inputs.py): manuscripts parsed and
             catalogs merged only where they changed
    plan     which editions to make, from digests alone (plan.py): nothing translated yet
    run      translate and render the planned editions (executor.py, render/), write them
    publish  make each tree exactly what should be online, write the site's pages, and
             keep what this build knew for the next (state.py)

An unchanged archive costs a `stat` per file and a few digests: no manuscript, catalog or
renderer is read, started or imported."""
from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import unchanged
from .errors import EditionsError, UsageError
from .fsutil import atomic_write, write_if_changed
from .inputs import UI, Inputs, load_manuscripts, read  # noqa: F401 - load_manuscripts: for callers
from .layout import FORMATS, Layout
from .locale import LANGUAGES, OUTLET
from .plan import Plan, plan
from .project import Project, slugs_of  # noqa: F401 - the project's paths, for callers
from .state import Files, State, edition_id, key


def __getattr__(name: str):
    """update.py's steps, for callers (`make-editions update`, tests), imported only when
    asked for: a build that finds nothing changed never imports the catalog machinery."""
    if name in ("Published", "extract", "update"):
        from . import update

        return getattr(update, name)
    raise AttributeError(name)


@dataclass(frozen=True)
class Options:
    """What to build (and how to run it)."""
    slugs: tuple | None = None     # articles (None: all)
    langs: tuple | None = None     # languages (None: all)
    formats: tuple = FORMATS
    draft: bool = False            # build incomplete translations too, into dist-drafts/
    jobs: int | None = None        # local workers (None: one per core)
    executor: str = "local"        # or "dask"
    scheduler: str | None = None   # the Dask scheduler's address

    @classmethod
    def of(cls, **kw) -> "Options":
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in kw.items()}
        if kw.get("formats") is None:
            kw.pop("formats", None)
        return cls(**kw)


@dataclass
class Report:
    """What a run did, for the summary and the exit status."""
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    built: int = 0
    unchanged: int = 0
    skipped: int = 0
    planned: int | None = None  # editions this build set out to write (None: not planned yet)
    files: object = None  # the run's state.Files: what it read and wrote, with their stamps
    # (serve tells the build's own writes from a translator's save by them)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(line, flush=True)

    def error(self, exc: EditionsError | str) -> None:
        self.errors.append(str(exc))
        print(str(exc), file=sys.stderr, flush=True)


def build(project: Project, options: Options | None = None, *, runner=None, report: Report | None = None,
          **kw) -> Report:
    """Catalogs in step, every publishable edition whose inputs changed, the site's pages.
    `report`, if given, is filled in as the build goes (what an interrupted build had done);
    `runner`, if given, renders (see executor.py; tests pass one that records)."""
    opts = options or Options.of(**kw)
    report = Report() if report is None else report
    source_date_epoch()  # (refused before anything is done, not in the middle of the run)
    if unchanged.replay(project, opts, report):  # as the last run that changed nothing saw it
        report.files = Files(project.root, {})  # (it read and wrote nothing)
        return report
    watch = unchanged.Watch(project, opts)
    state = State.read(project.state)
    runners = _Runners(project, opts, runner)
    inputs = None
    try:
        inputs = read(project, opts.slugs, state, report, changed=runners.start)
        report.files = inputs.files
        work = plan(inputs, opts.langs, opts.formats, opts.draft)
        run(inputs, work, runners, report)
        publish(inputs, work, opts, report)
    finally:
        runners.close()
        if inputs is not None:
            state.write(project.state, inputs.files)
    watch.record(inputs.files, report)  # (if this run changed nothing: the next one can say so at once)
    return report


class _Runners:
    """The runner, started only when something may need rendering (a no-op starts none)."""

    def __init__(self, project: Project, opts: Options, given=None):
        self.project, self.opts, self.given, self.made = project, opts, given, None

    def start(self):
        if self.given is None and self.made is None:
            from . import executor
            from .render.edition import CPU, RENDERERS

            # Worker processes only for formats that need them (an HTML-only build starts none).
            jobs = self.opts.jobs if any(RENDERERS[f][0] == CPU for f in self.opts.formats) else 1
            self.made = executor.make(self.opts.executor, jobs, self.opts.scheduler, str(self.project.root))
        return self.given or self.made

    def close(self) -> None:
        if self.made is not None:
            self.made.close()


def run(inputs: Inputs, work: Plan, runners: _Runners, report: Report) -> None:
    """Translate each planned edition, render it and write its files; its record goes into
    the state as soon as it is written (an interrupted build keeps what it made)."""
    for line in work.lines:
        report.say(line)
    for exc in work.errors:
        report.error(exc)
    report.skipped += work.skipped
    report.unchanged += work.unchanged
    report.planned = len(work.jobs)
    if not work.jobs:
        return
    project, state = inputs.project, inputs.state
    progress = _Progress(len(work.jobs), report)

    def done(job, result) -> None:
        ed = job.edition
        planned = keys[(ed.slug, ed.tag, ed.draft)]
        if isinstance(result, BaseException):
            report.error(EditionsError(project.rel(project.output(ed.slug, ed.tag, "html", ed.draft)), None,
                                       f"could not render: {result}"))
            return
        for fmt, data in result.items():
            write_if_changed(project.output(ed.slug, ed.tag, fmt, ed.draft), data)
        inputs.listing(ed.draft).forget(ed.slug)
        _changed(inputs, ed.draft, Layout.edition(ed.slug, ed.tag))
        eid = edition_id(ed.slug, ed.tag, ed.draft)
        record = state.editions.setdefault(eid, {})
        record["built"] = {**record.get("built", {}), **{fmt: planned.key for fmt in result}}
        state.set_entry(eid, site.stamped(_entry(ed, {**state.entries().get(eid, {}).get("sizes", {}),
                                                      **{fmt: len(data) for fmt, data in result.items()}},
                                                 leads.get(ed.slug), project.output(ed.slug, ed.tag, "html", ed.draft))))
        report.built += 1
        progress.advance(f"built {ed.slug} {ed.tag}" + (" (draft)" if ed.draft else "") + ": "
                         + ", ".join(project.rel(project.output(ed.slug, ed.tag, f, ed.draft)) for f in result))

    from . import site

    keys: dict = {}
    leads: dict = {}
    try:
        runners.start().run(_jobs(inputs, work, keys, leads, report), done)
    finally:  # also when interrupted: the terminal gets its cursor back
        progress.close()


def _jobs(inputs: Inputs, work: Plan, keys: dict, leads: dict, report: Report):
    """The planned editions as render jobs, translated one by one as the runner asks."""
    from . import figures
    from .render import assets as assets_mod
    from .render.edition import Job
    from .translate import edition

    project = inputs.project
    _conf, fonts = assets_mod.fonts(project.root)
    trees: dict = {}
    pictures: dict = {}
    refused: set = set()
    outlet = tuple(sorted(OUTLET.items(), key=lambda kv: list(LANGUAGES).index(kv[0])))
    last = None
    for p in work.jobs:  # (an article's editions come one after another)
        if p.slug != last and last is not None:
            inputs.done_with(last)
            pictures.pop((last, False), None)
            pictures.pop((last, True), None)
        last = p.slug
        if p.slug in refused:
            continue
        tree = project.tree(p.draft)
        if p.draft not in trees:
            trees[p.draft] = assets_mod.build(project.root, tree)
        ms = inputs.manuscript(p.slug)
        try:
            if (p.slug, p.draft) not in pictures:
                pictures[(p.slug, p.draft)] = figures.publish(ms, trees[p.draft], project.cache)
                if not p.draft:
                    shown = pictures[(p.slug, p.draft)]
                    inputs.state.articles[p.slug]["shown"] = sorted({f for s in shown.values() for f in s["files"]})
                    inputs.state.dirty = True
                    lead = figures.sources(ms)[:1]
                    leads[p.slug] = shown.get(lead[0][0]) if lead else None
            table = None if p.tag == ms.lang else inputs.table(p.slug, p.tag)
        except EditionsError as exc:  # nothing of this article is published with a bad image
            report.error(exc)
            refused.add(p.slug)
            continue
        ui = () if p.tag == "en" else tuple(sorted(inputs.table(UI, p.tag).items()))
        ed = edition(ms, p.tag, table, draft=p.draft, pictures=pictures[(p.slug, p.draft)])
        if not ed.image:  # no lead figure: the social card shows the masthead and the title
            ed = dataclasses.replace(ed, image=_card(inputs, ed, dict(ui), tree))
        keys[(p.slug, p.tag, p.draft)] = p
        yield Job(str(project.root), ed, ui, outlet, p.others, p.formats, tuple(fonts), str(tree), inputs.base_url)


def _card(inputs: Inputs, ed, words: dict, tree) -> str:
    """The edition's social card (cards.py) in the tree's assets/cards/, made once for its
    title, kicker and the house style (kept in .cache/cards/); its URL from the page."""
    from . import cards
    from .state import key as digest

    kicker = words.get(ed.kind.capitalize(), ed.kind.capitalize()) if ed.kind else ""
    kept = inputs.project.cache / "cards" / f"{digest(inputs.context, ed.tag, ed.title, kicker)}.png"
    try:
        data = kept.read_bytes()
    except OSError:
        data = cards.card(inputs.project.root, ed.tag, ed.title, kicker)
        atomic_write(kept, data, durable=False)
    url = f"{Layout.cards}/{cards.name(ed.slug, ed.tag)}"
    write_if_changed(Layout(tree).path(url), data)
    return Layout.href(Layout.edition(ed.slug, ed.tag), url)


def _entry(ed, sizes: dict, lead: dict | None, page) -> dict:
    """What the site's pages say about one edition. `updated` is when its page last changed
    (files are written only when their bytes change): a rebuild that changes nothing,
    even one without the state, changes no feed."""
    image = None
    if lead:
        image = {"src": lead["src"].removeprefix("../"), "width": lead["width"], "height": lead["height"],
                 "srcset": lead["srcset"].replace("../", ""), "alt": ""}
    return {"slug": ed.slug, "tag": ed.tag, "source": ed.source_lang, "kind": ed.kind, "title": ed.title, "author": ed.author,
            "date_iso": ed.date_iso, "date_text": ed.date_text, "summary": ed.summary, "draft": ed.draft,
            "updated": _modified(page), "image": image, "sizes": sizes}


def _modified(path) -> str:
    """When the file was last written, as RFC 3339 UTC; no later than SOURCE_DATE_EPOCH
    when that is set (reproducible-builds.org: two builds of one commit, on two machines
    or at two times, then write the same feeds)."""
    try:
        when = path.stat().st_mtime
    except OSError:
        when = datetime.now(timezone.utc).timestamp()
    epoch = source_date_epoch()
    if epoch is not None:
        when = min(when, epoch)
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as the spec has it (a whole number of seconds since 1970, ASCII
    digits), None when unset or empty; anything else is refused, not guessed at."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > 253402300799:  # (year 9999)
        raise UsageError(f"SOURCE_DATE_EPOCH={value[:40]!r} is not a number of seconds since 1970 "
                         "(e.g. `git log -1 --format=%ct`): set it so, or unset it")
    return int(value)


def publish(inputs: Inputs, work: Plan, opts: Options, report: Report) -> None:
    """Each tree made exactly what should be in it, then its pages and search index."""
    from . import search

    prune(inputs, report)
    for draft in (False, True):
        if draft and not opts.draft:
            continue
        # The site's pages are written when an edition was written or removed (in this run,
        # or in one interrupted before this step: the state's key was dropped then), when
        # what every page shows (words, templates, base_url) changed, or when a page is
        # gone; and then only the pages whose own key changed are rendered (site.py).
        context = _site_context(inputs)
        pages = key(context, inputs.base_url)
        tree = inputs.project.layout(draft)
        known = inputs.state.site.get(tree.root.name) == pages
        written = _site_pages(inputs, tree.root.name)
        if (not known or inputs.changed[draft] or not written
                or not all(os.path.isfile(tree.path(url)) for url in written)):
            write_site(inputs, _entries(inputs, draft), report, context, draft)
            inputs.state.site[tree.root.name] = pages
        try:  # the search index, when an edition page was written or removed
            search.index(tree, changed=inputs.changed[draft] if known else None, cache=inputs.project.cache / "search")
        except EditionsError as exc:  # the old index stays; the editions are online
            report.error(exc)
    report.say(f"editions: {report.built} built, {report.unchanged} unchanged, {report.skipped} skipped"
               + (f", {len(report.errors)} error(s)" if report.errors else ""))


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



def _changed(inputs: Inputs, draft: bool, url: str) -> None:
    """An edition's file was written or removed: the tree's pages and search index are
    made again in this run — or in the next, if this one is interrupted before (the state,
    written even then, forgets the key of the tree's pages)."""
    inputs.changed[draft].append(url)
    inputs.state.site.pop(inputs.project.tree(draft).name, None)
    inputs.state.dirty = True


def prune(inputs: Inputs, report: Report) -> None:
    """Make each tree hold exactly what should be in it: the editions the state says are
    there, of manuscripts that exist, the assets and the pages. Editions of deleted or
    renamed articles, leftovers of older builds (and in dist-drafts/, drafts that have
    since been published) are removed and named; so are images no article shows."""
    project, state = inputs.project, inputs.state
    slugs = set(inputs.every)
    for eid in list(state.editions):
        slug, tag, tree = eid.split("|")
        if slug not in slugs or not any(inputs.has(slug, tag, f, tree == "drafts") for f in FORMATS):
            state.drop(eid)
    for slug in list(state.articles):
        if slug not in slugs:
            del state.articles[slug]
            state.dirty = True
    for draft in (False, True):
        tree = project.tree(draft)
        if not tree.is_dir():
            continue
        with os.scandir(tree) as found:
            top = sorted(found, key=lambda e: e.name)
        for entry in top:
            if entry.is_symlink():  # never followed: the link goes
                os.unlink(entry.path)
                report.say(f"removed {project.rel(tree / entry.name)} (a link)")
        for entry in top:
            if (entry.is_symlink() or not entry.is_dir(follow_symlinks=False) or entry.name in Layout.folders()
                    or entry.name.startswith(".")):
                continue
            slug = entry.name
            keep = {Layout.file_name(slug, tag, fmt) for tag in LANGUAGES
                    for fmt in state.editions.get(edition_id(slug, tag, draft), {}).get("built", {})
                    if slug in slugs and not (draft and inputs.listed(slug, tag))}
            held = inputs.listing(draft).entries(slug)
            extra = sorted(name for name in held if name not in keep)
            for name in extra:
                path = tree / slug / name
                path.unlink()
                report.say(f"removed {project.rel(path)}")
                _changed(inputs, draft, f"{slug}/{name}")
            if extra or not held:
                inputs.listing(draft).forget(slug)
                if not any(os.scandir(entry.path)):
                    os.rmdir(entry.path)
        # each edition in the tree without a lead figure has a card
        _keep_only(inputs, Layout(tree).path(Layout.cards), report,
                   {f"{slug}.{tag}.png" for eid, record in state.editions.items()
                    for slug, tag, where in [eid.split("|")] if where == ("drafts" if draft else "online")
                    and record.get("card")})
        if draft:
            continue
        used = set()
        for slug in slugs:
            record = state.articles.get(slug)
            if record is None or record.get("shown") is None:
                used = None  # an article not yet published here: leave the images alone
                break
            used |= set(record["shown"])
        if used is not None:
            _keep_only(inputs, Layout(tree).path(Layout.images), report, used)


def _keep_only(inputs: Inputs, folder, report: Report, names: set[str]) -> None:
    """Remove (and name) the files of `folder` not in `names`; a linked folder is not entered."""
    if folder.is_dir() and not folder.is_symlink():
        with os.scandir(folder) as found:
            extra = sorted(e.name for e in found if e.name not in names)
        for name in extra:
            (folder / name).unlink()
            report.say(f"removed {inputs.project.rel(folder / name)}")


def write_site(inputs: Inputs, entries: list[dict], report: Report, context: str, draft: bool = False) -> None:
    """The tree's pages around the editions (site.py): the chooser, each language's front
    page, archive and feed, the sitemap — from every edition in the tree (`entries`), not
    only those this run built. The drafts' tree gets the same pages, linked from nothing,
    no sitemap. Only the pages whose key changed since the last run are rendered (their
    keys are kept in the state); a language's Jinja environment, and its catalog, only
    when one of its pages is. `context`: what every page shows besides its editions
    (`_site_context`)."""
    from . import site

    project = inputs.project
    layout = project.layout(draft)

    def environment(tag: str):
        from .messages import UI as Words
        from .render import html

        return html.environment(project.root, Words(tag, {} if tag == "en" else _ui_table(inputs, tag)))

    removed: list[str] = []
    keys: dict[str, str] = {}
    site.write(layout, entries, site.Lazy(LANGUAGES, environment), "" if draft else inputs.base_url, removed,
               context=context, previous=_site_pages(inputs, layout.root.name), keys=keys)
    inputs.state.site_pages[layout.root.name] = keys
    inputs.state.dirty = True
    for url in removed:
        report.say(f"removed {project.rel(layout.path(url))}")


def _site_pages(inputs: Inputs, tree: str) -> dict:
    """The keys of the tree's site pages when they were last written ({URL: key})."""
    known = inputs.state.site_pages.get(tree)
    return known if isinstance(known, dict) else {}


def _site_context(inputs: Inputs) -> str:
    """What every site page depends on besides its editions: the code, templates and styles
    (`inputs.context`) and the interface's words (the UI catalogs)."""
    return key(inputs.context, [inputs.po(UI, tag) for tag in LANGUAGES])


def _entries(inputs: Inputs, draft: bool) -> list[dict]:
    """Every edition in the tree, with the languages its article is in there. (An entry
    recorded before entries were stamped is stamped now, once: site.stamped.)"""
    from . import site

    entries = inputs.state.entries()
    found = []
    for slug in inputs.every:
        for tag in LANGUAGES:
            eid = edition_id(slug, tag, draft)
            if eid in entries and inputs.listed(slug, tag, draft):
                if not site.is_stamped(entries[eid]):
                    inputs.state.set_entry(eid, site.stamped(entries[eid]))
                found.append(entries[eid])
    languages: dict = {}
    for entry in found:
        languages.setdefault(entry["slug"], []).append(entry["tag"])
    return [{**entry, "languages": languages[entry["slug"]]} for entry in found]


def _ui_table(inputs: Inputs, tag: str) -> dict:
    try:
        return inputs.table(UI, tag)
    except (EditionsError, OSError):
        return {}
