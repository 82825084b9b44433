"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet."""
from __future__ import annotations

from pathlib import Path

from .assets import fetcher


def render(html: str, base: Path, allowed: list[Path], font_config=None) -> bytes:
    """`html` (relative URLs resolve against `base`) as PDF bytes, reading only files under
    `allowed`."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(allowed),
                    media_type="print")
    return document.write_pdf(font_config=font_config)
