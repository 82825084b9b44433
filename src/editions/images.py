"""Images beside the manuscripts, made safe to publish.

An editor puts a photo or chart beside the manuscripts and names it in the text. `locate`
checks it while the manuscript is read, so that a wrong path or a broken file is an editor's
error with a line number (not a crash in the PDF renderer later), and so that nothing outside
the manuscripts' folder can slip into an edition. `variants` writes the sizes the editions
serve, rebuilt from pixels alone: what cameras and editing tools hide in files (GPS position,
camera serial number, names, a thumbnail of the uncropped photo) must not reach readers.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from .errors import EditionsError

MAX_BYTES = 25 * 2**20  # a print-quality photo is well under this; more is a mistake or an attack
MAX_PIXELS = 50_000_000  # the largest camera photos; bounds decoding memory (~200 MB as RGBA)
WIDTHS = (480, 960, 1600)  # web variants; the original width (capped) is always added
MAX_WIDTH = 2400  # the largest variant: enough for print at the page width

_KINDS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp", ".svg": "svg"}
_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "svg": "SVG", "gif": "GIF", "tiff": "TIFF",
          "bmp": "BMP", "pdf": "PDF", "heic": "HEIC/AVIF"}
_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "svg": "svg"}
_MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "svg": "image/svg+xml"}
_MAGIC = ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"),
          (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"BM", "bmp"), (b"%PDF", "pdf"))
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]+:", re.I)  # two letters at least: C: is a drive
_SVG, _XML = "http://www.w3.org/2000/svg", "http://www.w3.org/XML/1998/namespace"
# Elements that run code, fetch or embed other content, or animate (a still chart is published).
_ACTIVE = {"script", "handler", "foreignObject", "image", "iframe", "embed", "object",
           "set", "animate", "animateMotion", "animateTransform"}


@dataclass(frozen=True)
class Picture:
    src: str  # as written in the manuscript (NFC), e.g. "images/kabul.jpg"
    path: Path  # the resolved file, inside the manuscript's folder
    digest: str  # sha256 of the file's bytes, first 16 hex digits
    kind: str  # "jpeg" | "png" | "webp" | "svg"
    width: int  # upright (after EXIF orientation); SVG: width/height, viewBox, or 800x600
    height: int


@dataclass(frozen=True)
class Variant:
    name: str  # f"{digest}-{width}.{ext}": content-addressed, so caches never serve a stale image
    data: bytes
    width: int
    height: int
    mime: str


def locate(manuscript: Path, line: int | None, src: str, known: Path | None = None) -> Picture:
    """Validate the image `src` named at `manuscript:line` (src relative to the manuscript's folder).
    `known`: a folder of records of images already read and decoded, by file identity
    (inode, size, modification time): an unchanged file is not read and decoded again."""
    def refuse(message: str) -> EditionsError:
        return EditionsError(manuscript, line, message)

    src = unicodedata.normalize("NFC", src)
    folder = Path(manuscript).parent.resolve()
    _check_src(src, folder.name, refuse)
    kind = _KINDS.get(os.path.splitext(src)[1].lower())
    if kind is None:
        raise refuse(f"{src}: only .jpg, .jpeg, .png, .webp and .svg images can be published: "
                     "export it as JPEG (photos), PNG or SVG (charts)")
    try:
        path = _find(folder, src).resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links, an unreadable folder
        raise refuse(f"{src} cannot be followed: put the image file itself there") from None
    if not path.is_relative_to(folder):
        raise refuse(f"{src} leads outside {folder.name}/ (a symbolic link?): "
                     f"copy the image itself into {folder.name}/")
    if not os.path.lexists(path):
        where, name = os.path.split(src)
        raise refuse(f"{src} not found: put the file in {folder.name}/{where + '/' if where else ''} "
                     f"and name it {name} (capitals and spelling exactly as written)")
    record = None
    if known is not None:
        info = os.stat(path)
        identity = f"{path}|{info.st_dev}|{info.st_ino}|{info.st_size}|{info.st_mtime_ns}|{kind}"
        record = known / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.json"
        try:
            digest, width, height = json.loads(record.read_text(encoding="utf-8"))
            return Picture(src, path, digest, kind, width, height)
        except (OSError, ValueError, TypeError):
            pass
    data = _read(path, src, refuse)
    _check_kind(data, kind, src, refuse)
    if kind == "svg":
        _, width, height = _clean_svg(data, src, refuse)
    else:
        width, height = _decode(data, kind, src, refuse).size
    picture = Picture(src, path, hashlib.sha256(data).hexdigest()[:16], kind, width, height)
    if record is not None:
        from .fsutil import atomic_write

        atomic_write(record, json.dumps([picture.digest, width, height]).encode(), durable=False)
    return picture


def variants(picture: Picture) -> list[Variant]:
    """Web/print/EPUB variants, metadata stripped, ordered by width ascending (JPEG or PNG
    before WebP at each width); the same file always gives the same bytes."""
    def refuse(message: str) -> EditionsError:
        return EditionsError(picture.path, None, message)

    data = _read(picture.path, picture.src, refuse)
    if hashlib.sha256(data).hexdigest()[:16] != picture.digest:
        raise refuse(f"{picture.src} changed while the editions were built: run the build again")
    _check_kind(data, picture.kind, picture.src, refuse)
    if picture.kind == "svg":
        svg, width, height = _clean_svg(data, picture.src, refuse)
        return [Variant(f"{picture.digest}-{width}.svg", svg, width, height, _MIME["svg"])]
    return _raster_variants(picture.digest, picture.kind, _decode(data, picture.kind, picture.src, refuse))


def _check_src(src: str, folder: str, refuse) -> None:
    """Refuse paths that are not plain relative file names, also after NFKC folding: a
    full-width "．．／" must not become "../" in some later tool."""
    hint = f"write a path inside {folder}/, e.g. images/kabul.jpg"
    for form in dict.fromkeys((src, unicodedata.normalize("NFKC", src))):
        if not form.strip():
            raise refuse(f"an image needs a file name: {hint}")
        if any(unicodedata.category(c) == "Cc" for c in form):
            raise refuse(f"{src!r} contains control characters (NUL, tab, line break): {hint}")
        if _SCHEME.match(form) or form.startswith("//"):
            raise refuse(f"{src} is a web address: images are published from files beside the "
                         f"manuscripts; download it into {folder}/images/ and write images/<name>")
        if re.match(r"/|[a-z]:", form, re.I):
            raise refuse(f"{src} is an absolute path: {hint}")
        if "\\" in form:
            raise refuse(f"{src} contains a backslash: separate folders with / ({hint})")
        if ".." in form.split("/"):
            raise refuse(f"{src} climbs out of the folder with '..': {hint}")


def _find(folder: Path, src: str) -> Path:
    """The path `src` names; a missing part is matched in NFC against the names on disk, since
    macOS stores names decomposed (آ as ا + ◌ٓ) while the manuscript's text is composed."""
    path = folder
    for part in src.split("/"):
        if part not in ("", ".") and not os.path.lexists(path / part) and path.is_dir():
            same = [p.name for p in path.iterdir() if unicodedata.normalize("NFC", p.name) == part]
            part = same[0] if len(same) == 1 else part
        path = path / part
    return path


def _read(path: Path, src: str, refuse) -> bytes:
    """The file's bytes, at most MAX_BYTES (reading.read_regular: a plain file, looked at
    before it is opened, read with a limit, as st_size can lie)."""
    from .reading import Refused, read_regular

    try:
        return read_regular(path, MAX_BYTES, follow_links=True)  # locate() keeps links inside the folder
    except Refused as exc:
        if exc.kind == "too-large":
            raise refuse(f"{src} is larger than {MAX_BYTES // 2**20} MB: export it smaller "
                         f"(about {MAX_WIDTH} pixels wide is enough for print)") from None
        if exc.kind == "replaced":
            raise refuse(f"{src} was replaced while it was read: run the build again") from None
        what = {"folder": "a folder", "pipe": "a named pipe"}.get(exc.kind, "a device or socket")
        raise refuse(f"{src} is {what}, not an image file: put the image file itself there") from None
    except OSError as exc:
        raise refuse(f"{src} cannot be read ({exc.strerror}): check that the file exists and "
                     "that you may read it") from None


def _check_kind(data: bytes, kind: str, src: str, refuse) -> None:
    """Refuse a file whose bytes are not what its extension claims (renderers and browsers
    would each guess differently): the magic numbers say what it is."""
    actual = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        actual = "webp"
    elif data[4:8] == b"ftyp":
        actual = "heic"  # or AVIF: phones' own formats
    elif actual is None and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        actual = "svg"
    if actual == kind:
        return
    fix = "open it in an image editor and export it again"
    if actual in _EXT:
        fix = f"rename it to {os.path.splitext(src)[0]}.{_EXT[actual]}, or export it as {_NAMES[kind]}"
    raise refuse(f"{src} holds {_NAMES[actual]} data, not {_NAMES[kind]}: {fix}" if actual else
                 f"{src} does not hold {_NAMES[kind]} data: {fix}")


def _decode(data: bytes, kind: str, src: str, refuse):
    """The upright, fully decoded image: a file that only starts well breaks renderers later."""
    from PIL import ImageFile

    # WeasyPrint, once imported, tells Pillow to accept truncated files process-wide: a cut
    # photo must still be refused here.
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode_strict(data, kind, src, refuse)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode_strict(data: bytes, kind: str, src: str, refuse):
    from PIL import Image, ImageOps

    fix = "open it in an image editor and export it again"
    too_many = f"{src} has more than {MAX_PIXELS:,} pixels: export it smaller, e.g. {MAX_WIDTH} pixels wide"
    try:
        with Image.open(BytesIO(data), formats=[_NAMES[kind].upper()]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise refuse(too_many)
            probe.verify()
        image = Image.open(BytesIO(data), formats=[_NAMES[kind].upper()])
        # MPO is how phones store a JPEG with depth or HDR maps: frame 0 is the photo.
        if getattr(image, "n_frames", 1) > 1 and image.format != "MPO":
            raise refuse(f"{src} is animated: editions show still images; export one frame "
                         f"as {_NAMES[kind]}")
        image.load()
    except EditionsError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(too_many) from None
    except Exception as exc:  # Pillow reports damage as many different exceptions
        raise refuse(f"{src} is damaged or incomplete ({exc}): {fix}") from None
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # an unreadable EXIF block is dropped anyway; the pixels are fine
        return image


def _raster_variants(digest: str, kind: str, image) -> list[Variant]:
    """Each width in WIDTHS below the original, then the original (capped at MAX_WIDTH)."""
    from PIL import Image

    icc = image.info.get("icc_profile") or None
    alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    image, icc = _to_rgb(image, icc, "RGBA" if alpha else "RGB")
    lossless_source = kind == "png" or alpha  # JPEG cannot carry transparency
    saves = {"png": {"format": "PNG", "optimize": True}} if lossless_source else \
        {"jpg": {"format": "JPEG", "quality": 85, "optimize": True, "progressive": True}}
    saves["webp"] = {"format": "WEBP", "quality": 90 if lossless_source else 80, "method": 4}
    top = min(image.width, MAX_WIDTH)
    out = []
    for width in [w for w in WIDTHS if w < top] + [top]:
        height = max(1, round(image.height * width / image.width))
        sized = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        # A fresh image holds pixels only: no EXIF, XMP, IPTC, comments or text chunks to carry over.
        clean = Image.new(sized.mode, sized.size)
        clean.paste(sized)
        for ext, options in saves.items():
            buffer = BytesIO()
            clean.save(buffer, **options, **({"icc_profile": icc} if icc else {}))
            out.append(Variant(f"{digest}-{width}.{ext}", buffer.getvalue(), width, height, _MIME[ext]))
    return out


def _to_rgb(image, icc: bytes | None, mode: str):
    """`image` in `mode`, and the ICC profile to embed. A CMYK or grey profile cannot describe
    RGB pixels: convert through it to sRGB and embed none (untagged is sRGB to browsers)."""
    from PIL import ImageCms

    if icc and icc[16:20] != b"RGB ":
        try:
            return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(BytesIO(icc)),
                                             ImageCms.createProfile("sRGB"), outputMode=mode), None
        except Exception:  # an unusable profile: plain conversion below
            icc = None
    if image.mode.startswith("I"):  # 16-bit grey would clip to white: scale to 8 bits
        image = image.convert("I").point(lambda v: v / 257).convert("L")
    return (image if image.mode == mode else image.convert(mode)), icc


def _clean_svg(data: bytes, src: str, refuse) -> tuple[bytes, int, int]:
    """Refuse anything that runs or fetches; drop metadata, comments, foreign markup. The bytes
    and the size."""
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    fix = "export it again from the chart program as plain SVG, without scripts, links or embedded images"
    try:
        root = fromstring(data, forbid_dtd=True)  # comments and processing instructions are dropped
    except DefusedXmlException:
        raise refuse(f"{src} declares a DOCTYPE or entities (which can read other files): {fix}") from None
    except ET.ParseError as exc:
        raise refuse(f"{src} is not well-formed SVG ({exc}): {fix}") from None
    if root.tag != f"{{{_SVG}}}svg":
        raise refuse(f"{src} is not an SVG image (it starts with <{root.tag.rpartition('}')[2]}>): {fix}")
    for element in list(root.iter()):
        for child in list(element):
            namespace, _, local = child.tag.rpartition("}")
            if local in _ACTIVE:
                raise refuse(f"{src} contains <{local}>, which runs, fetches or animates: {fix}")
            if namespace != "{" + _SVG or local == "metadata":  # editor data (Inkscape, RDF)
                element.remove(child)
        for name, value in list(element.attrib.items()):
            namespace, _, local = name.rpartition("}")
            if local.lower().startswith("on"):
                raise refuse(f"{src} has an event handler ({local}=): {fix}")
            if local == "href" and not value.strip().startswith("#"):
                raise refuse(f"{src} links to {value[:60]!r}: {fix}")
            if _fetches(value, strict=local == "style"):
                raise refuse(f"{src} loads a file through CSS ({value[:60]!r}): {fix}")
            if namespace and (local == "href" or namespace != "{" + _XML or local not in ("space", "lang")):
                del element.attrib[name]  # xlink:href becomes plain href, which HTML also reads
                if local == "href":
                    element.set("href", value)
        if element.tag == f"{{{_SVG}}}style" and _fetches(element.text or "", strict=True):
            raise refuse(f"{src} has a style sheet that loads files (@import or url()): {fix}")
        element.tag = element.tag.rpartition("}")[2]  # serialised under one xmlns on the root
    root.attrib = {"xmlns": _SVG, **root.attrib}
    try:
        svg = ET.tostring(root, encoding="unicode").encode("utf-8")
    except RecursionError:
        raise refuse(f"{src} is nested too deeply to be a chart: {fix}") from None
    return (svg, *_svg_size(root))


def _fetches(text: str, strict: bool) -> bool:
    """CSS that loads something: url() other than url(#id); in style text also @import,
    image-set() and backslash escapes (which can spell url( in disguise)."""
    css = re.sub(r"/\*.*?\*/", "", text, flags=re.S).lower()
    if strict and ("\\" in css or "@import" in css or "image-set(" in css):
        return True
    return re.search(r"url\(\s*(?![\"']?\s*#)", css) is not None


def _svg_size(root) -> tuple[int, int]:
    """Width and height from px or unitless attributes, else the viewBox, else 800x600."""
    def number(text: str | None) -> float | None:
        m = re.fullmatch(r"\s*(\d*\.?\d+(?:e[+-]?\d+)?)\s*(?:px)?\s*", text or "", re.I)
        return float(m.group(1)) if m and 0 < float(m.group(1)) < 100_000 else None

    width, height = number(root.get("width")), number(root.get("height"))
    box = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
    box_w, box_h = (number(box[2]), number(box[3])) if len(box) == 4 else (None, None)
    if not (width and height) and box_w and box_h:
        width, height = ((width, width * box_h / box_w) if width else
                         (height * box_w / box_h, height) if height else (box_w, box_h))
    if not (width and height):
        width, height = 800, 600
    return max(1, round(width)), max(1, round(height))
