"""`make-editions status`, and manuscripts written in Dari."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import tinyhtml5

from conftest import command
from editions.build import Project, build

FIXTURES = Path(__file__).parent / "fixtures"


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`make-editions --root ROOT ARGS`, in this process (conftest.command)."""
    return command("--root", str(root), *args)


def test_status_counts_and_publishability(tiny):
    assert cli(tiny, "update").returncode == 0
    path = Project(tiny).po("tiny", "fa-AF")
    po = polib.pofile(str(path))
    po[0].msgstr = "عنوان"
    po[1].msgstr = "نویسنده"
    po[1].flags.append("fuzzy")
    po.save(str(path))
    done = cli(tiny, "status", "--json")
    assert done.returncode == 0, done.stderr
    rows = {(r["name"], r["language"]): r for r in json.loads(done.stdout)}
    fa = rows[("tiny", "fa-AF")]
    assert (fa["translated"], fa["fuzzy"], fa["untranslated"], fa["obsolete"]) == (1, 1, 4, 0)
    assert fa["percent"] == 17 and fa["publishable"] is False
    assert rows[("tiny", "en")]["note"] == "source"
    assert ("messages", "ps-AF") in rows
    table = cli(tiny, "status").stdout.splitlines()
    assert table[0].split() == ["article", "language", "translated", "fuzzy", "untranslated", "obsolete",
                                "done", "publish"]
    assert any(line.split()[:7] == ["tiny", "fa-AF", "1", "1", "4", "0", "17%"] for line in table)


def test_status_does_not_import_renderers(tiny):
    code = ("import sys; from editions.cli import main; main(['--root', sys.argv[1], 'status']);"
            "assert not {'weasyprint', 'pypandoc'} & set(sys.modules), 'heavy import'")
    run = subprocess.run([sys.executable, "-c", code, str(tiny)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_a_dari_manuscript_gets_an_english_catalog_and_edition(tiny):
    shutil.copy(FIXTURES / "dari-source.md", tiny / "manuscripts" / "dari-source.md")
    assert cli(tiny, "update", "dari-source").returncode == 0
    project = Project(tiny)
    assert project.po("dari-source", "en").exists() and project.po("dari-source", "ps-AF").exists()
    assert not project.po("dari-source", "fa-AF").exists()
    en = polib.pofile(str(project.po("dari-source", "en")))
    assert en.metadata["Language"] == "en"
    english = {
        "کابل زیر برف": "Kabul under snow",
        "مریم احمدی": "Maryam Ahmadi",
        "اختصاصی برای سنگر": "Written especially for Sangar",
        "برف سنگین روز پنجشنبه راه‌های کابل را بست و بیش از ۲۰ مکتب تعطیل شد.":
            "Heavy snow closed Kabul's roads on Thursday and shut more than 20 schools.",
        "پیامدها": "Consequences",
        "**راه‌ها:** راه سالنگ تا شام بسته ماند.": "**Roads:** the Salang road stayed closed until evening.",
        "**برق:** بخش‌هایی از شهر بی‌برق شد.": "**Power:** parts of the city lost electricity.",
    }
    for e in en:
        e.msgstr = english[e.msgid]
    en.save(str(project.po("dari-source", "en")))
    assert cli(tiny, "check", str(project.po("dari-source", "en"))).returncode == 0
    build(project, slugs=["dari-source"], formats=["html"])
    dist = tiny / "dist" / "dari-source"
    page = tinyhtml5.parse((dist / "dari-source.en.html").read_text())
    assert (page.get("lang"), page.get("dir")) == ("en", "ltr")
    text = "".join(page.itertext())
    assert "Kabul under snow" in text and "Translated from Dari" in text and "15 January 2026" in text
    source = tinyhtml5.parse((dist / "dari-source.fa-AF.html").read_text())
    assert source.get("dir") == "rtl" and "۲۵ جدی ۱۴۰۴" in "".join(source.itertext())
    assert "Translated from" not in "".join(source.itertext()) and "ترجمه از" not in "".join(source.itertext())
