"""Ace by DAISY over every EPUB of both articles, in all three languages: no violation of
level serious or critical (the EPUB Accessibility checker, run on the system Chromium)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ALL, CHROMIUM, ROOT, copy_project

ACE = ROOT / ".venv" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"

pytestmark = pytest.mark.skipif(not ACE.exists(), reason="Ace is installed by `make setup`")


@pytest.fixture(scope="module")
def epubs(tmp_path_factory) -> list[Path]:
    root = copy_project(tmp_path_factory.mktemp("ace"), slugs=ALL)
    done = subprocess.run([sys.executable, "-m", "editions.cli", "--root", str(root), "build", "--format", "epub"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = sorted((root / "dist").glob("*/*.epub"))
    assert len(found) == 3 * len(ALL)
    return found


def test_every_epub_passes_ace(epubs, tmp_path):
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM}
    problems = []
    for epub in epubs:
        out = tmp_path / epub.stem
        for _attempt in range(2):  # Ace's browser start sometimes fails on a loaded machine: once more
            run = subprocess.run([str(ACE), "-f", "-s", "-o", str(out), str(epub)], capture_output=True, text=True,
                                 timeout=300, env=env)
            if (out / "report.json").is_file():
                break
        assert (out / "report.json").is_file(), f"Ace wrote no report for {epub.name}: {run.stderr[-2000:]}"
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        found = [(epub.name, a["earl:test"]["earl:impact"], a["earl:test"]["dct:title"])
                 for group in report["assertions"] for a in group["assertions"]]
        assert found or report["earl:result"]["earl:outcome"] == "pass", run.stderr[-2000:]
        problems += [f for f in found if f[1] in ("serious", "critical")]
    assert not problems, problems
