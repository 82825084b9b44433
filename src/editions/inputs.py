"""The build's first step: what the project holds now, as digests, read `stat` first.

A manuscript is parsed (pandoc) only when its bytes, its images or the reading code
changed; a catalog is merged only when its template or its file changed; what a catalog
publishes (complete or not, the entries held back) is kept in the state with the digests
it was found for. So a build that finds nothing changed reads no manuscript and no
catalog, and its cost does not grow with the archive's text."""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import __version__
from .errors import EditionsError
from .layout import Layout
from .locale import LANGUAGES
from .project import Listing, Project, slugs_of
from .state import Files, State, edition_id, key

UI = "messages"  # the interface's catalogs (messages.DOMAIN, without importing polib)


@dataclass
class Inputs:
    project: Project
    state: State
    files: Files
    slugs: list[str]        # the articles this run builds
    every: list[str]        # every article of the project
    code: str               # the project's own code
    context: str            # styles, templates, fonts, tools, code: what every edition depends on
    base_url: str
    articles: dict = field(default_factory=dict)    # slug → key of its manuscript and images (readable ones)
    manuscripts: dict = field(default_factory=dict)  # slug → Manuscript, parsed or loaded this run
    published: dict = field(default_factory=dict)   # (name, tag) → update.Published, read this run
    changed: dict = field(default_factory=lambda: {False: [], True: []})  # draft → URLs written or removed
    templates: dict = field(default_factory=dict)   # name → POT made this run
    listings: dict = field(default_factory=dict)    # draft → Listing of the tree's edition files
    pos: dict = field(default_factory=dict)         # (name, tag) → the catalog's digest, this run

    def listing(self, draft: bool) -> Listing:
        """What the tree holds (kept in step by whoever writes or removes edition files)."""
        if draft not in self.listings:
            self.listings[draft] = Listing(self.project.tree(draft))
        return self.listings[draft]

    def has(self, slug: str, tag: str, fmt: str, draft: bool = False) -> bool:
        """Whether that edition file is in its tree (see listing)."""
        return self.listing(draft).entries(slug).get(Layout.file_name(slug, tag, fmt), False)

    def listed(self, slug: str, tag: str, draft: bool = False) -> bool:
        """Whether an edition is in its tree: its record and its page exist."""
        return edition_id(slug, tag, draft) in self.state.editions and self.has(slug, tag, "html", draft)

    def manuscript(self, slug: str):
        """The parsed manuscript (from the parse cache when its bytes are unchanged)."""
        if slug not in self.manuscripts:
            self.manuscripts[slug] = _parse(self.project, slug, self.code)
        return self.manuscripts[slug]

    def table(self, name: str, tag: str) -> dict:
        """What a catalog publishes: msgid → msgstr."""
        if (name, tag) not in self.published:
            from . import catalog, update

            path = self.project.po(name, tag)
            self.published[(name, tag)] = update.published(catalog.load(path, self.project.cache / "valid"),
                                                           path, name)
        return self.published[(name, tag)].table

    def done_with(self, slug: str) -> None:
        """The article's editions are all made: what was parsed or loaded for it goes (a
        whole archive's manuscripts and catalogs are never held at once in the run)."""
        self.manuscripts.pop(slug, None)
        self.templates.pop(slug, None)
        for tag in LANGUAGES:
            self.published.pop((slug, tag), None)

    def po(self, name: str, tag: str) -> str | None:
        """The catalog's digest (asked for several times per edition: kept for the run,
        until the file is written)."""
        found = self.pos.get((name, tag), False)
        if found is False:
            found = self.pos[(name, tag)] = self.files.digest(self.project.po_rel(name, tag))
        return found

    def wrote_po(self, name: str, tag: str, sha: str, now: list | None) -> None:
        """The build wrote the catalog (see Files.wrote)."""
        self.pos.pop((name, tag), None)
        self.files.wrote(self.project.po_rel(name, tag), sha, now)

    def catalog(self, name: str, tag: str) -> dict | None:
        """The summary of a catalog (see `_summary`), or None when it could not be read."""
        record = self.state.catalogs.get(f"{name}|{tag}")
        return record["summary"] if record and record.get("po") == self.po(name, tag) else None


def read(project: Project, wanted, state: State, report, changed=lambda: None) -> Inputs:
    """Digests of every input; manuscripts parsed and catalogs merged where they changed.
    `changed()` is called once, as soon as anything is found changed (the caller starts its
    renderers then, so that their warm-up overlaps this work)."""
    files = Files(project.root, state.files)
    every = slugs_of(project, None)
    slugs = slugs_of(project, list(wanted)) if wanted else every
    code = _code(files)
    inputs = Inputs(project, state, files, slugs, every, code, _context(project, files, code),
                    site_base_url(project))
    told = []

    def tell() -> None:
        if not told:
            told.append(True)
            changed()

    stale = [slug for slug in slugs if not _unchanged(inputs, slug)]
    if stale:
        tell()  # (before any thread starts: the renderers' workers are forked now)
    # A large build (an archive's first) reads CHUNK articles at a time — parsed, their
    # templates made, their catalogs merged and summed up — and lets them go before the
    # next: the run loads each again when its editions are made, so that memory does not
    # grow with the archive. A small one keeps what it read for the run.
    streaming = len(stale) > CHUNK
    memories: dict = {}  # the translation memory, loaded once for all the chunks
    for start in range(0, len(stale), CHUNK):
        part = stale[start:start + CHUNK]
        _parse_all(inputs, part)
        for slug in part:
            try:
                _article(inputs, slug, report)
            except EditionsError as exc:
                report.error(exc)
        if streaming:
            _catalogs(inputs, report, tell, memories, only=set(part))
            for slug in part:
                inputs.done_with(slug)
    _catalogs(inputs, report, tell, memories)  # the interface's, and those edited on their own
    inputs.templates.clear()  # (merged: what the run needs of them is in the catalogs)
    return inputs


CHUNK = 100


def _unchanged(inputs: Inputs, slug: str) -> bool:
    """Whether the article's manuscript, images and template are as the state knows them."""
    project, files = inputs.project, inputs.files
    record = inputs.state.articles.get(slug, {})
    art_key = _article_key(files, project.manuscript_rel(slug), record.get("images", []),
                           inputs.code)
    if record.get("key") == art_key and record.get("pot") and record.get("pot") == files.digest(
            project.pot_rel(slug)):
        inputs.articles[slug] = art_key
        return True
    return False


def _parse_all(inputs: Inputs, slugs: list[str]) -> None:
    """Parse the changed manuscripts, several at once (pandoc is a process of its own):
    an archive's cold build spends its first seconds here. Errors stay for each article."""
    from concurrent.futures import ThreadPoolExecutor

    def parse(slug: str):
        try:
            return _parse(inputs.project, slug, inputs.code)
        except EditionsError as exc:
            return exc

    with ThreadPoolExecutor(max(1, min(len(slugs), os.cpu_count() or 1))) as pool:
        for slug, ms in zip(slugs, pool.map(parse, slugs)):
            if not isinstance(ms, EditionsError):
                inputs.manuscripts[slug] = ms


def _article(inputs: Inputs, slug: str, report) -> None:
    """A changed article: parsed, its template written, its record and key anew."""
    project, files, state = inputs.project, inputs.files, inputs.state
    rel = project.manuscript_rel(slug)
    record = state.articles.get(slug, {})
    pot = project.pot_rel(slug)
    from . import figures, update

    ms = inputs.manuscript(slug)  # (parsed again here when it failed: its error is raised)
    found = sorted({project.rel((ms.path.parent / src)) for src, _ in figures.sources(ms)})
    art_key = _article_key(files, rel, found, inputs.code)
    inputs.templates[slug] = update.template(project, ms, report)
    files.forget(pot)
    state.dirty = True
    state.articles[slug] = {"key": art_key, "lang": ms.lang, "images": found, "pot": files.digest(pot),
                            "segments": len(ms.segments), "shown": record.get("shown")}
    inputs.articles[slug] = art_key


def _article_key(files: Files, rel: str, images: list[str], code: str) -> str:
    return key(files.digest(rel), [(i, files.digest(i)) for i in images], code)


def _catalogs(inputs: Inputs, report, tell, memories: dict | None = None, only: set | None = None) -> None:
    """Merge the catalogs whose template or file changed, and sum up what each publishes
    (`only`: of these articles; else the interface's too). More than 2 × CHUNK of them
    are merged 2 × CHUNK at a time, and what each publishes is let go once summed up."""
    project, state = inputs.project, inputs.state
    wanted = []  # (name, tag, source key)
    if only is None:
        templates = key(sorted((p, inputs.files.digest(p)) for p in _templates(project)), inputs.code)
        wanted += [(UI, tag, templates) for tag in LANGUAGES if tag != "en"]
    for slug in inputs.slugs:
        if slug in inputs.articles and (only is None or slug in only):
            lang = state.articles[slug]["lang"]
            wanted += [(slug, tag, inputs.articles[slug]) for tag in LANGUAGES if tag != lang]
    stale = []
    for name, tag, source in wanted:
        record = state.catalogs.get(f"{name}|{tag}", {})
        if record.get("source") != source or record.get("po") != inputs.po(name, tag) or record.get("po") is None:
            stale.append((name, tag, source))
    if not stale:
        return
    tell()
    from . import update

    pots = inputs.templates  # (a changed article's was made by _article)
    every = set(inputs.every)
    size = 2 * CHUNK
    for start in range(0, len(stale), size):
        part = stale[start:start + size]
        for name, _, _ in part:
            if name not in pots:
                if name == UI:
                    pots[name] = update.ui_template(project, report)
                    inputs.files.forget(project.pot_rel(UI))  # (its stamp as written: serve tells its own writes so)
                    inputs.files.digest(project.pot_rel(UI))
                else:
                    pots[name] = update.template(project, inputs.manuscript(name), report)
        written: dict = {}
        merged = update.merge(project, [(name, tag, pots[name]) for name, tag, _ in part], report, every,
                              memories, written)
        for name, tag, source in part:
            # A catalog written is recorded as the merge wrote it (its bytes' digest, its stamp
            # right after); one that was not keeps the digest it was found stale by. Either
            # way a translator's save after the merge read or wrote it is seen by the next run.
            if (name, tag) in written:
                inputs.wrote_po(name, tag, *written[(name, tag)])
            if (name, tag) not in merged:  # unreadable, or msgcat refused it: asked again next time
                state.catalogs.pop(f"{name}|{tag}", None)
                state.dirty = True
                continue
            pub = inputs.published[(name, tag)] = merged[(name, tag)]
            msgids = [e.msgid for e in pots[name] if not e.obsolete]
            state.dirty = True
            state.catalogs[f"{name}|{tag}"] = {"source": source, "po": inputs.po(name, tag),
                                               "summary": _summary(pub, msgids)}
        if len(stale) > size:
            for name in {name for name, _, _ in part if name != UI}:
                inputs.done_with(name)


def _summary(pub, msgids: list[str]) -> dict:
    """What the plan needs to know of a catalog without reading it: how many segments lack
    a published translation, and the findings that hold entries back."""
    gaps = sum(1 for m in set(msgids) if m not in pub.table)
    return {"gaps": gaps, "segments": len(set(msgids)), "wrong": len({p.line for p in pub.problems}),
            "problems": [[str(p.path), p.line, p.message] for p in pub.problems]}


TOOLS = ("pypandoc_binary", "weasyprint", "jinja2", "markdown_it_py", "pillow", "polib")


@lru_cache(maxsize=1)
def tool_versions() -> tuple[str, ...]:
    """The installed versions of the tools the editions are made with, from the names of
    their dist-info folders (one listing: importlib.metadata costs a no-op 40 ms)."""
    import sysconfig

    folder = Path(sysconfig.get_paths()["purelib"])
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    found = sorted(n for n in names if n.endswith(".dist-info") and n.split("-")[0].lower() in TOOLS)
    if len(found) < len(TOOLS):  # not a plain site-packages: ask the slow way
        from importlib.metadata import version

        return tuple(f"{t}-{version(t.replace('_', '-'))}" for t in TOOLS)
    return tuple(found)


def _parse(project: Project, slug: str, code: str):
    """Parse a manuscript, through a cache keyed by its bytes and its place in the project
    (not on the disk: a project moved or copied elsewhere parses nothing again): pandoc runs
    only for manuscripts that changed."""
    import dataclasses

    from .fsutil import atomic_write
    from .manuscript import MAX_BYTES, PANDOC_READER, Manuscript, read
    from .reading import read_input

    rel = project.manuscript_rel(slug)
    path = project.root / rel
    pandoc = next(t for t in tool_versions() if t.lower().startswith("pypandoc_binary-"))
    salt = f"{__version__}|{pandoc}|{PANDOC_READER}|{code}"
    digest = hashlib.sha256(f"{salt}|{rel}|".encode() + read_input(path, MAX_BYTES, "manuscript")).hexdigest()
    cached = project.cache / "manuscripts" / f"{digest}.json"
    if cached.exists():
        return dataclasses.replace(Manuscript.from_json(cached.read_text(encoding="utf-8")), path=path)
    ms = read(path)
    atomic_write(cached, ms.to_json().encode("utf-8"), durable=False)
    return ms


def _templates(project: Project) -> list[str]:
    return sorted(project.rel(p) for p in (project.root / "styles" / "templates").rglob("*.html"))


def _code(files: Files) -> str:
    """The project's own code: a release that reads, translates or draws differently
    redoes what it made."""
    package = Path(__file__).parent
    return key(sorted((p.relative_to(package).as_posix(), files.digest(str(p))) for p in package.rglob("*.py")))


def _context(project: Project, files: Files, code: str) -> str:
    """What every edition depends on besides its own text: styles, templates and fonts
    (the source files fonts.toml names), and the versions of the project and its tools."""
    from .fsutil import read_toml

    styles = sorted(project.rel(p) for p in (project.root / "styles").rglob("*") if p.is_file())
    conf = read_toml(project.root / "styles" / "fonts.toml")
    faces = sorted(str(Path(conf["source_dir"]) / f["file"]) for f in conf.get("font", []))
    tools = [__version__, *tool_versions(), sys.version]
    return key(tools, code, [(p, files.digest(p)) for p in styles], [(p, files.digest(p)) for p in faces])


def site_base_url(project: Project) -> str:
    """styles/site.toml's base_url: empty, or an http(s) URL ending in '/'."""
    import re

    from .fsutil import read_toml

    path = project.root / "styles" / "site.toml"
    if not path.exists():
        return ""
    url = read_toml(path).get("base_url", "")
    if url and not re.fullmatch(r"https?://[^\s\"'<>]+/", url):
        raise EditionsError(path, None, f"base_url {url!r} must be an http(s) URL ending in '/'")
    return url


def load_manuscripts(project: Project, slugs: list[str], report) -> list:
    """Parse each manuscript (through the parse cache); errors are reported, the rest go on."""
    code = _code(Files(project.root, {}))
    out = []
    for slug in slugs:
        try:
            out.append(_parse(project, slug, code))
        except EditionsError as exc:
            report.error(exc)
    return out
