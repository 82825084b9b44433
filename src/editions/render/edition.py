"""Rendering one edition in every requested format: the unit of work a worker process
(or a Dask worker) runs. Heavy objects — WeasyPrint, its font configuration, Jinja2
environments — are made once per process and reused."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..messages import UI
from ..translate import Edition
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

    def digest(self, context: str) -> str:
        """Everything the edition depends on; `context` covers styles, fonts and versions."""
        data = [context, asdict(self.edition), self.ui, self.outlet, self.others]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def warm() -> None:
    """Pay the imports once per worker, while the parent is still busy."""
    import pypandoc  # noqa: F401
    import weasyprint  # noqa: F401

    _font_config()


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=16)
def _environment(root: str, tag: str, ui: tuple):
    from . import html

    return html.environment(Path(root), UI(tag, dict(ui)))


def render(job: Job) -> dict[str, bytes]:
    """The edition's files as bytes, by format; the caller writes them."""
    from . import epub, html, pdf

    ed = job.edition
    env = _environment(job.root, ed.tag, job.ui)
    outlet = dict(job.outlet)
    body = html.pandoc_html(ed)
    others = [{"tag": t, "href": href, "autonym": name} for t, href, name in job.others]
    page = html.page(env, ed, body, outlet, others, "../assets")
    out: dict[str, bytes] = {}
    if "html" in job.formats:
        out["html"] = page.encode("utf-8")
    if "pdf" in job.formats:
        base = Path(job.root) / "dist" / ed.slug
        out["pdf"] = pdf.render(page, base, [Path(job.assets)], _font_config())
    if "epub" in job.formats:
        out["epub"] = epub.render(Path(job.root), ed, html.epub_body(env, ed, body, outlet),
                                  Path(job.assets), list(job.fonts))
    return out
