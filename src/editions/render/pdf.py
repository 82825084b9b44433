"""PDF editions: WeasyPrint lays out the HTML edition with the print stylesheet."""
from __future__ import annotations

from pathlib import Path

from ..fsutil import atomic_write
from .assets import fetcher


def write(html: str, base: Path, target: Path, allowed: list[Path]) -> None:
    """Render `html` (whose relative URLs resolve against `base`) to `target`, reading only
    files under `allowed`."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher(allowed),
                    media_type="print")
    atomic_write(target, document.write_pdf(pdf_variant=None, uncompressed_pdf=False))
