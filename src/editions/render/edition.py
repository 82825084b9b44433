"""Rendering one edition: a Job is everything an edition is made from; each format is a
renderer with one signature, `render(job, made) -> bytes`, where `made` is the page and
EPUB body prepared once per edition (one pandoc run). `tasks(job)` gives the executor one
task per format, each saying only where it runs best — the executor knows no format.

Heavy objects — WeasyPrint, its font configuration, Jinja2 environments — are made once
per process and reused."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

from ..layout import Layout
from ..messages import UI
from ..translate import Edition
from .assets import Font

# Where a task runs best: in the calling process (cheap), in a thread (it waits on a
# subprocess: pandoc), or in a worker process (CPU-bound Python: WeasyPrint).
HERE, WAITS, CPU = "here", "waits", "cpu"


@dataclass(frozen=True)
class Job:
    root: str
    edition: Edition
    ui: tuple          # the language's UI words: ((msgid, msgstr), …)
    outlet: tuple      # ((tag, name), …)
    others: tuple      # ((tag, autonym), …) — the other published languages
    formats: tuple
    fonts: tuple[Font, ...]
    tree: str          # dist/ or dist-drafts/
    base_url: str = ""  # where dist/ is published (styles/site.toml), "" for relative links

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.tree))

    @property
    def assets(self) -> Path:
        return self.layout.path(Layout.assets)

    def digest(self, context: str) -> str:
        """Everything the edition depends on; `context` covers styles, fonts and versions."""
        data = [context, asdict(self.edition), self.ui, self.outlet, self.others, self.base_url]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class Made(NamedTuple):
    page: str        # the web page, also the PDF's source
    epub_body: str   # the EPUB's content document


class Task(NamedTuple):
    fmt: str
    where: str       # HERE, WAITS or CPU
    render: Callable[[Job, Made], bytes]
    job: Job
    made: Made

    def __call__(self) -> bytes:
        return self.render(self.job, self.made)


@lru_cache(maxsize=16)
def _environment(root: str, tag: str, ui: tuple):
    from . import html

    return html.environment(Path(root), UI(tag, dict(ui)))


def prepare(job: Job) -> Made:
    """The HTML page and the EPUB's content document (one pandoc run for the body)."""
    from . import html

    ed = job.edition
    env = _environment(job.root, ed.tag, job.ui)
    outlet = dict(job.outlet)
    body = html.pandoc_html(ed)
    here = Layout.edition(ed.slug, ed.tag)
    others = [{"tag": t, "href": Layout.href(here, Layout.edition(ed.slug, t)), "autonym": name}
              for t, name in job.others]
    return Made(html.page(env, ed, html.page_body(body, ed.tag), outlet, others,
                          Layout.href(here, Layout.assets), job.base_url),
                html.epub_body(env, ed, html.epub_images(body, job.assets), outlet))


def render_html(job: Job, made: Made) -> bytes:
    return made.page.encode("utf-8")


def render_epub(job: Job, made: Made) -> bytes:
    from . import epub

    return epub.render(Path(job.root), job.edition, made.epub_body, job.assets, list(job.fonts))


def render_pdf(job: Job, made: Made) -> bytes:
    from . import pdf

    base = job.layout.path(Layout.edition(job.edition.slug, job.edition.tag)).parent
    return pdf.render_page(made.page, str(base), str(job.assets), job.root)


RENDERERS: dict[str, tuple[str, Callable[[Job, Made], bytes]]] = {
    "html": (HERE, render_html),
    "epub": (WAITS, render_epub),
    "pdf": (CPU, render_pdf),
}


def tasks(job: Job) -> list[Task]:
    """One task per format of the job, in the job's order."""
    made = prepare(job)
    return [Task(fmt, RENDERERS[fmt][0], RENDERERS[fmt][1], job, made) for fmt in job.formats]


def render(job: Job) -> dict[str, bytes]:
    """The edition's files as bytes, by format, all in this process; the caller writes them."""
    return {task.fmt: task() for task in tasks(job)}


def warm(root: str | None = None) -> None:
    """A worker's head start: the CPU-bound renderers' imports and font setup."""
    from . import pdf

    pdf.warm(root)
