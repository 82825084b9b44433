"""Rendering one edition in every requested format: the unit of work a Dask worker (or
this process, with --jobs 1) runs; the local pool's PDF workers run pdf.render_page.
Heavy objects — WeasyPrint, its font configuration, Jinja2 environments — are made once
per process and reused."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..messages import UI
from ..translate import Edition
from . import pdf
from .assets import Font


@dataclass(frozen=True)
class Job:
    root: str
    edition: Edition
    ui: tuple          # the language's UI words: ((msgid, msgstr), …)
    outlet: tuple      # ((tag, name), …)
    others: tuple      # ((tag, href, autonym), …) — the other published languages
    formats: tuple
    fonts: tuple[Font, ...]
    assets: str        # dist/assets
    base_url: str = ""  # where dist/ is published (styles/site.toml), "" for relative links

    def digest(self, context: str) -> str:
        """Everything the edition depends on; `context` covers styles, fonts and versions."""
        data = [context, asdict(self.edition), self.ui, self.outlet, self.others, self.base_url]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=16)
def _environment(root: str, tag: str, ui: tuple):
    from . import html

    return html.environment(Path(root), UI(tag, dict(ui)))


def prepare(job: Job) -> tuple[str, str]:
    """The HTML page and the EPUB's content document (one pandoc run for the body)."""
    from . import html

    ed = job.edition
    env = _environment(job.root, ed.tag, job.ui)
    outlet = dict(job.outlet)
    body = html.pandoc_html(ed)
    others = [{"tag": t, "href": href, "autonym": name} for t, href, name in job.others]
    return (html.page(env, ed, html.page_body(body, ed.tag), outlet, others, "../assets", job.base_url),
            html.epub_body(env, ed, html.epub_images(body, Path(job.assets)), outlet))


def render_epub(job: Job, epub_body: str) -> bytes:
    from . import epub

    return epub.render(Path(job.root), job.edition, epub_body, Path(job.assets), list(job.fonts))


def pdf_base(job: Job) -> str:
    return str(Path(job.assets).parent / job.edition.slug)  # dist/<slug>, or dist-drafts/<slug>


def render(job: Job) -> dict[str, bytes]:
    """The edition's files as bytes, by format; the caller writes them."""
    page, epub_body = prepare(job)
    out: dict[str, bytes] = {}
    if "html" in job.formats:
        out["html"] = page.encode("utf-8")
    if "pdf" in job.formats:
        out["pdf"] = pdf.render_page(page, pdf_base(job), job.assets, job.root)
    if "epub" in job.formats:
        out["epub"] = render_epub(job, epub_body)
    return out
