"""A manuscript's figures → safe image files in dist/assets/images/ and what a page
needs to show them (src, size, srcset).

Every image is validated and re-encoded without its metadata (images.py) before
anything is published; an article with a bad image is refused as a whole. Variants are
content-addressed (`<digest>-<width>.<ext>`), so they are made once: small records in
.cache/images/ let later builds skip the reading, decoding and encoding of an image whose
file has not changed.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import images
from .errors import EditionsError, Problems
from .fsutil import atomic_write, write_if_changed
from .manuscript import Manuscript

ENCODING = 1  # bump when images.variants encodes differently: made variants are made again
WEB_FORMATS = ("webp",)  # offered in srcset; the largest JPEG/PNG is the src (print, old browsers)


def sources(ms: Manuscript) -> list[tuple[str, int]]:
    """Every image the manuscript names (each language's own too), with its line."""
    found: list[tuple[str, int]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("t") == "SangarFigure":
                c = node["c"]
                for src in (c["src"], *c["srcs"].values()):
                    if (src, c["line"]) not in found:
                        found.append((src, c["line"]))
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(ms.skeleton))
    walk = None  # (it calls itself: see translate._calls)
    return found


def publish(ms: Manuscript, assets: Path, cache: Path) -> dict[str, dict]:
    """Write the variants of every image of `ms` under `assets`/images and return, by src,
    {"src", "width", "height", "srcset", "files"} with URLs relative to an edition's page.
    Raises Problems naming each bad image."""
    shown: dict[str, dict] = {}
    problems: list[EditionsError] = []
    for src, line in sources(ms):
        try:
            picture = images.locate(ms.path, line, src, cache / "images" / "read")
            shown[src] = _shown(picture, assets / "images", cache / "images")
        except EditionsError as exc:
            problems.append(exc)
    if problems:
        raise Problems(problems)
    return shown


def _shown(picture: images.Picture, folder: Path, cache: Path) -> dict:
    record = cache / f"{picture.digest}-{ENCODING}.json"
    try:
        made = json.loads(record.read_text(encoding="utf-8"))
        if not all((folder / v["name"]).is_file() for v in made):
            raise FileNotFoundError
    except (OSError, ValueError, KeyError, TypeError):
        made = []
        for v in images.variants(picture):
            write_if_changed(folder / v.name, v.data)
            made.append({"name": v.name, "width": v.width, "height": v.height, "mime": v.mime})
        atomic_write(record, json.dumps(made).encode(), durable=False)
    modern = [v for v in made if v["name"].endswith(tuple(f".{f}" for f in WEB_FORMATS))]
    largest = max([v for v in made if v not in modern] or made, key=lambda v: v["width"])
    return {"src": f"../assets/images/{largest['name']}", "width": largest["width"],
            "height": largest["height"],
            "srcset": ", ".join(f"../assets/images/{v['name']} {v['width']}w" for v in modern),
            "files": sorted(v["name"] for v in made)}
