"""editions.images: every fixture is drawn with Pillow in tmp_path."""
from __future__ import annotations

import os
import struct
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from editions import images
from editions.errors import EditionsError
from editions.images import Picture, locate, variants

SERIAL = "SN-PLANTED-4242"
LINE = 12


@pytest.fixture
def ms(tmp_path: Path) -> Path:
    """A manuscript in tmp_path/manuscripts, with an images/ folder beside it."""
    (tmp_path / "manuscripts" / "images").mkdir(parents=True)
    path = tmp_path / "manuscripts" / "essay.md"
    path.write_text("---\nslug: essay\n---\n\nText.\n", encoding="utf-8")
    return path


def photo(size=(1200, 800), mode="RGB") -> Image.Image:
    """A gradient with a red top-left corner, so orientation and resizing can be checked."""
    im = Image.linear_gradient("L").resize(size).convert(mode)
    im.paste(Image.new(mode, (size[0] // 6, size[1] // 6), "red"), (0, 0))
    return im


def save(ms: Path, name: str, im: Image.Image | None = None, fmt: str = "JPEG", **options) -> str:
    (im or photo()).save(ms.parent / "images" / name, fmt, **options)
    return f"images/{name}"


def refusal(ms: Path, src: str) -> str:
    with pytest.raises(EditionsError) as caught:
        locate(ms, LINE, src)
    assert caught.value.path == str(ms) and caught.value.line == LINE
    return caught.value.message


def opened(v) -> Image.Image:
    im = Image.open(BytesIO(v.data))
    im.load()
    return im


# ---- metadata, orientation, colour ---------------------------------------------------------

def exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """EXIF with Make/Model, a camera serial, a GPS position, and an IFD1 thumbnail (which
    Pillow cannot write: IFD1 is appended by hand)."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PlantedMake", "PlantedModel"
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    exif.get_ifd(0x8825).update({1: "N", 2: (34.0, 31.0, 12.0), 3: "E", 4: (69.0, 10.0, 30.0)})
    tiff = bytearray(exif.tobytes()[6:])
    order = "<" if tiff[:2] == b"II" else ">"
    entries = struct.unpack_from(order + "H", tiff, 8)[0]
    ifd1 = len(tiff)
    struct.pack_into(order + "I", tiff, 8 + 2 + 12 * entries, ifd1)  # IFD0's "next IFD"
    tiff += struct.pack(order + "HHHII", 2, 0x0201, 4, 1, ifd1 + 30)
    tiff += struct.pack(order + "HHIII", 0x0202, 4, 1, len(thumbnail), 0) + thumbnail
    return b"Exif\x00\x00" + bytes(tiff)


def app13(byline: bytes) -> bytes:
    """A Photoshop APP13 segment holding an IPTC By-line."""
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(byline)) + byline
    payload = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    return b"\xff\xed" + struct.pack(">H", 2 + len(payload)) + payload


def test_jpeg_metadata_is_stripped_from_every_variant(ms):
    thumb = BytesIO()
    photo((40, 30)).save(thumb, "JPEG", comment=b"PLANTED-THUMB")
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Planted Photographer"/>'
           b"</rdf:RDF></x:xmpmeta>")
    src = save(ms, "kabul.jpg", exif=exif_with_thumbnail(thumb.getvalue()), xmp=xmp,
               extra=app13(b"Planted Byline"), comment=b"PLANTED-COMMENT")
    with Image.open(ms.parent / src) as planted:  # the fixture really carries it all
        exif = planted.getexif()
        assert exif.get_ifd(0x8825)[2] == (34.0, 31.0, 12.0) and exif.get_ifd(0x8769)[0xA431] == SERIAL
        assert 0x0201 in exif.get_ifd(ExifTags.IFD.IFD1) and "xmp" in planted.info and "photoshop" in planted.info
    raw_source = (ms.parent / src).read_bytes()
    assert b"PLANTED-THUMB" in raw_source and b"Planted Byline" in raw_source

    picture = locate(ms, LINE, src)
    assert (picture.kind, picture.width, picture.height) == ("jpeg", 1200, 800)
    found = variants(picture)
    assert {v.mime for v in found} == {"image/jpeg", "image/webp"}
    for v in found:
        im = opened(v)
        assert not im.getexif() and not {"exif", "xmp", "photoshop", "comment"} & set(im.info)
        for marker in (b"Exif\x00\x00", b"GPS", SERIAL.encode(), b"Planted", b"PLANTED",
                       b"xmpmeta", b"ns.adobe.com/xap", b"Photoshop 3.0", b"8BIM"):
            assert marker not in v.data, (v.name, marker)


def test_orientation_6_turns_the_pixels_upright(ms):
    exif = Image.Exif()
    exif[0x0112] = 6
    im = Image.new("RGB", (300, 200), "blue")
    im.paste((255, 0, 0), (0, 0, 50, 50))
    src = save(ms, "turned.jpg", im, exif=exif.tobytes())
    picture = locate(ms, LINE, src)
    assert (picture.width, picture.height) == (200, 300)
    for v in variants(picture):
        im = opened(v).convert("RGB")
        assert (v.width, v.height) == im.size == (200, 300)
        red, other = im.getpixel((195, 5)), im.getpixel((5, 5))  # top-left went top-right
        assert red[0] > 200 and red[2] < 60 and other[0] < 60 and other[2] > 200, v.name


def test_icc_profile_is_kept(ms):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for name, fmt in (("tagged.jpg", "JPEG"), ("tagged.png", "PNG"), ("tagged.webp", "WEBP")):
        src = save(ms, name, photo((500, 300)), fmt, icc_profile=icc)
        for v in variants(locate(ms, LINE, src)):
            assert opened(v).info.get("icc_profile") == icc, v.name


def test_png_keeps_alpha_and_drops_text_chunks(ms):
    from PIL import PngImagePlugin

    im = photo((600, 400), "RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 300, 400))
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Planted Author")
    text.add_itxt("Comment", "Planted iTXt")
    found = variants(locate(ms, LINE, save(ms, "chart.png", im, "PNG", pnginfo=text)))
    assert [(v.width, v.mime) for v in found] == [
        (480, "image/png"), (480, "image/webp"), (600, "image/png"), (600, "image/webp")]
    for v in found:
        out = opened(v)
        assert out.mode == "RGBA" and out.getpixel((5, v.height // 2))[3] == 0
        assert out.getpixel((v.width - 5, v.height // 2))[3] == 255
        assert b"Planted" not in v.data and "Author" not in out.info


def test_webp_with_alpha_gets_png_not_jpeg(ms):
    im = photo((300, 200), "RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 100, 200))
    found = variants(locate(ms, LINE, save(ms, "cut-out.webp", im, "WEBP")))
    assert [v.mime for v in found] == ["image/png", "image/webp"]
    assert all(opened(v).getpixel((5, 100))[3] == 0 for v in found)


def test_cmyk_and_16_bit_grey_become_rgb(ms):
    cmyk = variants(locate(ms, LINE, save(ms, "print.jpg", Image.new("CMYK", (100, 60), (0, 255, 255, 0)))))
    assert all(opened(v).mode == "RGB" and opened(v).convert("RGB").getpixel((50, 30))[0] > 200 for v in cmyk)
    grey = variants(locate(ms, LINE, save(ms, "scan.png", Image.new("I;16", (100, 50), 30000), "PNG")))
    assert all(abs(opened(v).convert("RGB").getpixel((50, 25))[0] - 117) <= 2 for v in grey)


def test_phone_photo_with_extra_frames_uses_the_photo(ms):
    """Phones store depth/HDR maps as MPO frames after the photo: that is not animation."""
    src = save(ms, "phone.jpg", Image.new("RGB", (200, 100), "red"), "MPO",
               save_all=True, append_images=[Image.new("RGB", (200, 100), "blue")])
    found = variants(locate(ms, LINE, src))
    assert opened(found[0]).convert("RGB").getpixel((100, 50))[0] > 200


def test_decomposed_file_name_is_found_by_its_composed_name(ms):
    name = "آب.jpg"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    save(ms, decomposed)
    assert locate(ms, LINE, f"images/{name}").path.name == decomposed


# ---- sizes and determinism ---------------------------------------------------------------

@pytest.mark.parametrize("size,widths", [((3000, 60), [480, 960, 1600, 2400]),
                                         ((1200, 800), [480, 960, 1200]), ((300, 40), [300])])
def test_widths_never_exceed_the_original(ms, size, widths):
    picture = locate(ms, LINE, save(ms, "wide.jpg", photo(size)))
    found = variants(picture)
    assert [v.width for v in found] == [w for w in widths for _ in "jw"]
    for v in found:
        ext = "jpg" if v.mime == "image/jpeg" else "webp"
        assert v.name == f"{picture.digest}-{v.width}.{ext}" and opened(v).size == (v.width, v.height)
        assert v.height == max(1, round(size[1] * v.width / size[0]))


def test_variants_are_deterministic(ms):
    first = variants(locate(ms, LINE, save(ms, "again.jpg")))
    assert first == variants(locate(ms, LINE, "images/again.jpg"))
    png = locate(ms, LINE, save(ms, "again.png", photo((500, 300), "RGBA"), "PNG"))
    assert variants(png) == variants(png)


def test_a_file_changed_after_locate_is_refused(ms):
    picture = locate(ms, LINE, save(ms, "moving.jpg"))
    save(ms, "moving.jpg", photo((640, 480)))
    with pytest.raises(EditionsError, match="run the build again"):
        variants(picture)


# ---- refusals ----------------------------------------------------------------------------

@pytest.mark.parametrize("src,expected", [
    ("https://example.org/kabul.jpg", "download it into manuscripts/images/"),
    ("//cdn.example.org/kabul.jpg", "download it"),
    ("data:image/png;base64,iVBORw0KGgo=", "download it"),
    ("ｈｔｔｐｓ：／／example.org/kabul.jpg", "download it"),
    ("/etc/kabul.jpg", "write a path inside manuscripts/"),
    ("C:/photos/kabul.jpg", "write a path inside manuscripts/"),
    ("../kabul.jpg", "write a path inside manuscripts/"),
    ("images/../../kabul.jpg", "'..'"),
    ("．．/kabul.jpg", "'..'"),
    ("images\\kabul.jpg", "separate folders with /"),
    ("images/kabul\x00.jpg", "control characters"),
    ("", "needs a file name"),
    ("images/kabul.gif", "export it as JPEG"),
    ("images/kabul.heic", "export it as JPEG"),
    ("images/missing.jpg", "not found: put the file in manuscripts/images/ and name it missing.jpg"),
])
def test_bad_paths_are_refused_with_a_way_forward(ms, src, expected):
    assert expected in refusal(ms, src)


def test_symbolic_links_out_of_the_folder_are_refused(ms, tmp_path):
    photo().save(tmp_path / "outside.jpg")
    (ms.parent / "images" / "link.jpg").symlink_to(tmp_path / "outside.jpg")
    (ms.parent / "elsewhere").symlink_to(tmp_path)
    assert "copy the image itself into manuscripts/" in refusal(ms, "images/link.jpg")
    assert "leads outside" in refusal(ms, "elsewhere/outside.jpg")
    save(ms, "real.jpg")
    (ms.parent / "images" / "alias.jpg").symlink_to("real.jpg")  # inside to inside is fine
    assert locate(ms, LINE, "images/alias.jpg").path == (ms.parent / "images" / "real.jpg").resolve()


def test_files_that_are_not_images_are_refused(ms):
    import weasyprint  # noqa: F401 - it makes Pillow accept truncated files process-wide
    images_dir = ms.parent / "images"
    (images_dir / "folder.jpg").mkdir()
    os.mkfifo(images_dir / "pipe.jpg")  # opening it to read would wait forever
    (images_dir / "notes.jpg").write_text("not a picture", encoding="utf-8")
    good = BytesIO()
    photo().save(good, "JPEG")
    (images_dir / "cut.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    save(ms, "chart.jpg", fmt="PNG")
    (images_dir / "chart.svg").write_bytes(good.getvalue())
    assert "is a folder, not an image file: put the image file itself there" in refusal(ms, "images/folder.jpg")
    assert "is a named pipe" in refusal(ms, "images/pipe.jpg")
    assert "does not hold JPEG data: open it in an image editor and export it again" in refusal(ms, "images/notes.jpg")
    assert "damaged or incomplete" in refusal(ms, "images/cut.jpg")
    assert "holds PNG data, not JPEG: rename it to images/chart.png" in refusal(ms, "images/chart.jpg")
    assert "holds JPEG data, not SVG: rename it to images/chart.jpg" in refusal(ms, "images/chart.svg")


def test_limits_are_refused(ms, monkeypatch):
    src = save(ms, "big.jpg")
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    assert "more than 1,000 pixels: export it smaller" in refusal(ms, src)
    monkeypatch.undo()
    monkeypatch.setattr(images, "MAX_BYTES", 2**20)
    (ms.parent / "images" / "huge.jpg").write_bytes(b"\xff\xd8\xff" + bytes(2**20))
    assert "larger than 1 MB: export it smaller" in refusal(ms, "images/huge.jpg")


def test_a_decompression_bomb_is_a_clean_refusal(ms):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)  # 400 million pixels claimed
    (ms.parent / "images" / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    assert "pixels: export it smaller" in refusal(ms, "images/bomb.png")


def test_animations_are_refused(ms):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    anim = {"save_all": True, "append_images": frames[1:], "duration": 100}
    save(ms, "spin.webp", frames[0], "WEBP", **anim)
    save(ms, "spin.png", frames[0], "PNG", **anim)
    save(ms, "gif.webp", frames[0], "GIF", **anim)
    assert "is animated: editions show still images; export one frame as WebP" in refusal(ms, "images/spin.webp")
    assert "is animated" in refusal(ms, "images/spin.png")
    assert "holds GIF data, not WebP" in refusal(ms, "images/gif.webp")


# ---- SVG ---------------------------------------------------------------------------------

def svg(body: str, attrs: str = 'width="640px" height="480" viewBox="0 0 640 480"', prolog: str = "") -> str:
    return (f'{prolog}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f"{attrs}>{body}</svg>")


CHART = svg("""
  <!-- made by PlantedChartTool -->
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Planted Author</dc:creator></rdf:RDF></metadata>
  <sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" id="nv"/>
  <?chart-tool build="42"?>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#c00"/></linearGradient></defs>
  <style>/* bars */ rect { fill: url(#g); stroke: #333 }</style>
  <rect x="10" y="10" width="100" height="300" fill="url(#g)" data-value="12"/>
  <path d="M0 0 L100 100" style="stroke: url('#g')"/>
  <use xlink:href="#g"/>
  <text x="5" y="20" xml:space="preserve">کابل ۱۴۰۳</text>
""", prolog='<?xml version="1.0" encoding="UTF-8"?>\n')


def test_a_clean_chart_keeps_its_shapes_and_loses_its_metadata(ms):
    (ms.parent / "images" / "chart.svg").write_text(CHART, encoding="utf-8")
    picture = locate(ms, LINE, "images/chart.svg")
    assert (picture.kind, picture.width, picture.height) == ("svg", 640, 480)
    [v] = variants(picture)
    assert (v.name, v.mime, v.width, v.height) == (f"{picture.digest}-640.svg", "image/svg+xml", 640, 480)
    root = ET.fromstring(v.data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("viewBox") == "0 0 640 480"
    assert root.find(f"{ns}rect").get("fill") == "url(#g)" and root.find(f"{ns}path") is not None
    assert root.find(f"{ns}use").get("href") == "#g" and root.find(f"{ns}text").text == "کابل ۱۴۰۳"
    for gone in (b"metadata", b"Planted", b"chart-tool", b"sodipodi", b"<!--", b"<?"):
        assert gone not in v.data
    assert variants(picture) == [v]


@pytest.mark.parametrize("attrs,size", [
    ('viewBox="0 0 300 150"', (300, 150)), ('width="50%" viewBox="0,0,300,150"', (300, 150)),
    ('width="600" viewBox="0 0 300 150"', (600, 300)), ('width="12cm"', (800, 600)), ("", (800, 600))])
def test_svg_size_comes_from_attributes_or_viewbox(ms, attrs, size):
    (ms.parent / "images" / "s.svg").write_text(svg("<rect width='1' height='1'/>", attrs), encoding="utf-8")
    picture = locate(ms, LINE, "images/s.svg")
    assert (picture.width, picture.height) == size


@pytest.mark.parametrize("document,expected", [
    (svg("<script>alert(1)</script>"), "contains <script>"),
    (svg("<rect/>", 'onload="alert(1)"'), "event handler (onload=)"),
    (svg('<a href="https://evil.example/"><rect/></a>'), "links to"),
    (svg('<use xlink:href="other.svg#shape"/>'), "links to"),
    (svg('<use href="data:image/svg+xml;base64,PHN2Zz4="/>'), "links to"),
    (svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'), "<foreignObject>"),
    (svg('<image href="#local"/>'), "<image>"),
    (svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'), "contains <script>"),
    (svg('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a>'), "<set>"),
    (svg('<style>@import "https://evil.example/x.css";</style>'), "style sheet that loads files"),
    (svg("<style>rect { fill: url(https://evil.example/p.svg#p) }</style>"), "style sheet"),
    (svg("<style>rect { fill: \\75rl(https://evil.example/) }</style>"), "style sheet"),
    (svg('<rect fill="url(http://evil.example/p)"/>'), "loads a file through CSS"),
    (svg('<rect style="background: url(&quot;//evil.example/x&quot;)"/>'), "loads a file through CSS"),
    (svg("<text>&x;</text>", prolog='<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'), "DOCTYPE"),
    (svg("", prolog='<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'),
     "DOCTYPE"),
    ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "not an SVG image"),
    (svg("<rect>"), "not well-formed"),
])
def test_unsafe_svg_is_refused(ms, document, expected):
    (ms.parent / "images" / "bad.svg").write_text(document, encoding="utf-8")
    message = refusal(ms, "images/bad.svg")
    assert expected in message and "export it again from the chart program as plain SVG" in message


def test_picture_and_variant_are_frozen(ms):
    picture = locate(ms, LINE, save(ms, "f.jpg", photo((100, 80))))
    assert isinstance(picture, Picture) and len(picture.digest) == 16
    with pytest.raises(AttributeError):
        picture.width = 1  # type: ignore[misc]
