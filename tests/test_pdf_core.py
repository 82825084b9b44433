"""The PDF renderer's core: the WeasyPrint speed-ups (render/speedups.py) change no byte of
a PDF and give way to the plain path whenever they do not apply, and a long-lived process
embeds a house face that was replaced since its last PDF."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTO = "/usr/share/fonts/truetype/noto"
OTHER_SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")

PAGES = {
    "en": """<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Water</title>
      <link rel="stylesheet" href="../assets/sangar.css">
      <link rel="stylesheet" href="../assets/print.css" media="print"></head>
      <body><main><h1>Kabul is drilling itself dry</h1><div class="article-body">
      <p>The city’s wells reach <strong>120 metres</strong>, twice the depth of 2010; an
      <em>office</em> in Kabul “fills” 3–4 tankers a day. See <a href="https://example.org/">the
      report</a> (ﬁgures, 2024).</p><h2>What is left</h2><ol><li>Rain: 312 mm a year</li>
      <li>Snow in the Hindu Kush</li></ol><p lang="fa-AF" dir="rtl">کابل تشنه است</p>
      </div></main></body></html>""",
    "fa-AF": """<!DOCTYPE html><html lang="fa-AF" dir="rtl"><head><meta charset="utf-8"><title>آب</title>
      <link rel="stylesheet" href="../assets/sangar.css">
      <link rel="stylesheet" href="../assets/print.css" media="print"></head>
      <body><main><h1>کابل خودش را خشک می‌کند</h1><div class="article-body">
      <p>چاه‌های شهر به <strong>۱۲۰ متر</strong> می‌رسند، دو برابر عمق سال ۲۰۱۰؛ یک
      <em>اداره</em> در کابل روزانه ۳ تا ۴ تانکر «پر» می‌کند.</p><h2>آنچه مانده است</h2>
      <ol><li>باران: ۳۱۲ میلی‌متر در سال</li><li>برف در هندوکش</li></ol>
      <p lang="en" dir="ltr">The <em>Kabul</em> River</p></div></main></body></html>""",
}

# One process: import the renderer, lay out PAGES, say which speed-ups were in effect.
RENDER = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from editions.render import pdf, speedups
root, out = Path(sys.argv[1]), Path(sys.argv[2])
pdf.weasyprint()
imported = time.perf_counter()
seconds = {}
for tag, page in json.loads(sys.argv[3]).items():
    begin = time.perf_counter()
    data = pdf.render_page(page, str(root / "dist" / "page"), str(root / "dist" / "assets"), str(root))
    seconds[tag] = time.perf_counter() - begin
    (out / f"{tag}.pdf").write_bytes(data)
print(json.dumps({"applied": sorted(speedups.applied), "import": imported - start, "render": seconds}))
"""


@pytest.fixture(scope="module")
def styled(tmp_path_factory) -> Path:
    """A project with the real styles and its assets built (no articles needed)."""
    from editions.render import assets

    root = tmp_path_factory.mktemp("pdfcore")
    shutil.copytree(ROOT / "styles", root / "styles")
    assets.build(root, root / "dist")
    (root / "dist" / "page").mkdir()
    return root


def run(code: str, *args: str, speedups: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EDITIONS_SPEEDUPS"}
    if not speedups:
        env["EDITIONS_SPEEDUPS"] = "0"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_speedups_change_no_byte_of_the_pdfs(styled, tmp_path):
    """An English and a Dari page (the house stylesheets; several faces, so several font
    subsets) come out the same bytes with the speed-ups as on the plain path."""
    made = {}
    for way in ("quick", "plain"):
        out = tmp_path / way
        out.mkdir()
        done = run(RENDER, str(styled), str(out), json.dumps(PAGES), speedups=way == "quick")
        made[way] = json.loads(done.stdout.splitlines()[-1])
    assert made["quick"]["applied"] == ["arrays", "import"]  # both really ran…
    assert made["plain"]["applied"] == []  # …and neither on the plain path
    for tag in PAGES:
        quick, plain = (tmp_path / way / f"{tag}.pdf" for way in ("quick", "plain"))
        assert quick.read_bytes() == plain.read_bytes(), tag
        listing = subprocess.run(["pdffonts", str(quick)], capture_output=True, text=True, check=True, timeout=300).stdout
        assert len(listing.splitlines()) - 2 >= 3, listing  # bold, emphasis, the other script
        assert ("Sangar-Naskh" in listing) == (tag == "fa-AF")


@pytest.mark.parametrize("version", ["WEASYPRINT", "CFFI"])
def test_speedups_apply_only_to_the_measured_versions(version):
    code = (
        "import ctypes.util, sys\n"
        "usual, stdout = ctypes.util.find_library, sys.stdout\n"
        "from editions.render import speedups\n"
        f"speedups.{version} = '0.0'\n"
        "module = speedups.load()\n"
        "from weasyprint.text.ffi import ffi\n"
        "assert speedups.applied == set(), speedups.applied\n"
        "assert ctypes.util.find_library is usual and sys.stdout is stdout\n"
        "assert 'new' not in vars(ffi), 'ffi.new replaced'\n"
        "assert module.HTML(string='<p>x</p>').write_pdf().startswith(b'%PDF')\n")
    run(code)


@pytest.mark.parametrize("failing, kept", [("import", "arrays"), ("harfbuzz-subset", "arrays"),
                                           ("libpango-1.0", "arrays"), ("arrays", "import")])
def test_a_failing_speedup_gives_the_plain_path(failing, kept):
    """Whatever goes wrong inside one speed-up (an import that fails half-way through
    WeasyPrint; HarfBuzz's subsetter, optional to WeasyPrint, or Pango, which it needs, not
    found under its soname; a cffi that will not make the open-sized array), its state is
    put back, the plain way is taken (which finds the library), and the other speed-up
    still applies."""
    breaks = {
        # WeasyPrint's CSS module fails the first time it is imported (the quick import).
        "import": ("import importlib.abc\n"
                   "class Once(importlib.abc.MetaPathFinder):\n"
                   "    done = False\n"
                   "    def find_spec(self, name, path=None, target=None):\n"
                   "        if name == 'weasyprint.css' and not Once.done:\n"
                   "            Once.done = True\n"
                   "            raise RuntimeError('half-way')\n"
                   "sys.meta_path.insert(0, Once())\n"),
        "arrays": ("import cffi\n"
                   "usual_new = cffi.FFI.new\n"
                   "def new(self, cdecl, init=None):\n"
                   "    if cdecl == 'hb_codepoint_t[]':\n"
                   "        raise TypeError('no open arrays')\n"
                   "    return usual_new(self, cdecl, init)\n"
                   "cffi.FFI.new = new\n"),
    }
    # A library that loads only by the name find_library finds (as on a system with other sonames).
    library = ("import cffi\n"
               "usual_dlopen = cffi.FFI.dlopen\n"
               "def dlopen(self, name, flags=0):\n"
               f"    if {failing!r} in str(name) and ctypes.util.find_library is not usual:\n"
               "        raise OSError('not here')\n"
               "    return usual_dlopen(self, name, flags)\n"
               "cffi.FFI.dlopen = dlopen\n")
    code = (
        "import ctypes.util, sys\n"
        "usual, stdout = ctypes.util.find_library, sys.stdout\n"
        + breaks.get(failing, library) +
        "from pathlib import Path\n"
        "from editions.render import pdf, speedups\n"
        "module = pdf.weasyprint()\n"
        "from weasyprint.text import ffi as libraries\n"
        f"assert speedups.applied == {{{kept!r}}}, speedups.applied\n"
        "assert ctypes.util.find_library is usual and sys.stdout is stdout\n"
        "assert libraries.harfbuzz_subset is not None, 'imported without the subsetter'\n"
        f"assert ('new' in vars(libraries.ffi)) == {kept == 'arrays'}\n"
        "page = '<p>Kabul</p><p lang=\"fa\">کابل</p>'\n"
        "assert pdf.render(page, Path('/'), [], None).startswith(b'%PDF')\n")
    done = run(code)
    assert "WeasyPrint could not import" not in done.stdout  # the quick import's banner is not shown


def _embedded_families(path: Path) -> dict[str, str]:
    """Each embedded font's PDF name → the family in its own name table. (pdffonts cannot
    tell two faces apart here: WeasyPrint names a font after the @font-face family.)"""
    import pikepdf
    from fontTools.ttLib import TTFont

    out = {}
    with pikepdf.open(path) as doc:
        for page in doc.pages:
            for font in page.Resources.Font.values():
                program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
                out[str(font.BaseFont).split("+", 1)[-1]] = TTFont(io.BytesIO(program))["name"].getDebugName(1)
    return out


@pytest.mark.skipif(not OTHER_SERIF.is_file(), reason="DejaVu Serif (fonts-dejavu-core) not installed")
def test_a_replaced_house_face_is_used_by_the_same_process(tmp_path, monkeypatch):
    """serve and Dask workers live on: when a house face's file is replaced (fonts.toml
    unchanged), the next PDF of the same process embeds the new face, not the one its
    font configuration loaded for the previous PDF."""
    from editions.render import assets, pdf

    # The web cuts of these faces (other files, so other keys) in a cache of their own: in
    # the machine's, they would replace the installed faces' cuts every other build reuses.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "p"
    shutil.copytree(ROOT / "styles", root / "styles")
    faces = root / "faces"  # the house faces' source_dir: a copy of the installed ones
    faces.mkdir()
    for font in assets.fonts(root)[1]:
        shutil.copy(Path(NOTO) / font.file, faces / font.file)
    toml = root / "styles" / "fonts.toml"
    text = toml.read_text(encoding="utf-8").replace(f'source_dir = "{NOTO}"', f'source_dir = "{faces}"')
    text = re.sub(r'"(Noto[^"/]*\*\.ttf)"', rf'"{NOTO}/\1"', text)  # the fallbacks stay where they are
    # The faces' web files (WOFF2, the screens' cuts) are no PDF's: made the quick way
    # (fonts.toml's `rare` Brotli quality) for every range.
    text, rare = re.subn(r'(?m)^rare = \[.*\]$', 'rare = ["arabic", "arabic-ext", "latin-punct", "latin", "latin-ext"]', text)
    assert rare == 1
    toml.write_text(text, encoding="utf-8")
    page = ('<!DOCTYPE html><html lang="en"><head><title>t</title><link rel="stylesheet" '
            'href="../assets/fonts.css"></head><body><p style="font-family: \'Sangar Serif\'">'
            'Kabul is drilling itself dry</p></body></html>')
    base = root / "dist" / "page"
    base.mkdir(parents=True)

    def render(name: str) -> dict[str, str]:
        shipped = assets.build(root, root / "dist")
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf.render_page(page, str(base), str(shipped), str(root)))
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=300).stdout
        assert "Sangar-Serif" in listing, listing
        return _embedded_families(path)

    assert render("before") == {"Sangar-Serif": "Noto Serif"}
    same = pdf.font_config(str(root), str(root / "dist" / "assets"))
    assert pdf.font_config(str(root), str(root / "dist" / "assets")) is same  # nothing changed: kept
    shutil.copy(OTHER_SERIF, faces / "NotoSerif-Regular.ttf")  # another face under the same name
    assert render("after") == {"Sangar-Serif": "DejaVu Serif"}
    assert pdf.font_config(str(root), str(root / "dist" / "assets")) is not same


def test_a_build_leaves_no_font_copies_in_the_temporary_folder(tiny, tmp_path):
    """WeasyPrint copies the faces a font configuration loads into a temporary folder it
    removes only when the configuration is collected; PDF workers keep theirs to the end.
    A build that made PDFs (in a worker and in the main process) leaves none behind."""
    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(tiny), "build", "--format", "pdf"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr
    assert list((tiny / "dist").rglob("*.pdf"))
    assert [p.name for p in temp.iterdir() if p.name.startswith("weasyprint-")] == []


def test_a_forked_worker_leaves_its_parents_font_copies_alone(tmp_path):
    """The clean-up at exit removes only what this process made: a worker forked from a
    process that holds a configuration must not empty the parent's folder when it ends."""
    import multiprocessing

    from editions.render import pdf

    config = pdf._new_config(None)
    folder = tmp_path / "weasyprint-parent"
    folder.mkdir()
    config._folder = folder  # (as WeasyPrint sets it when the configuration loads a face)
    pdf._CONFIGS["test"] = (None, config)
    try:
        child = multiprocessing.get_context("fork").Process(target=pdf._forget_configs)
        child.start()
        child.join(60)
        assert child.exitcode == 0 and folder.is_dir()
        pdf._forget_configs()
        assert not folder.exists()
    finally:
        pdf._CONFIGS.pop("test", None)


def test_the_same_page_built_in_another_folder_gives_the_same_pdf_bytes(styled, tmp_path):
    """WeasyPrint names each image in the PDF after its URL: given the project's folder, a
    clone elsewhere (CI, a cluster's worker) would write other bytes for every edition with
    a picture."""
    from PIL import Image

    from editions.render import pdf

    page = PAGES["en"].replace("<h2>", '<figure><img src="../assets/images/well.jpg" alt="A well"></figure><h2>')
    made = []
    for name in ("one", "another-longer-name"):
        root = shutil.copytree(styled, tmp_path / name / "project")
        (root / "dist" / "assets" / "images").mkdir(exist_ok=True)
        Image.new("RGB", (40, 30), (90, 120, 150)).save(root / "dist" / "assets" / "images" / "well.jpg", quality=90)
        made.append(pdf.render_page(page, str(root / "dist" / "page"), str(root / "dist" / "assets"), str(root)))
    assert b"/DCTDecode" in made[0]  # the picture is in it
    assert made[0] == made[1]
