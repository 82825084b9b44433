"""Ace by DAISY over every EPUB of both articles, in all three languages: no violation of
level serious or critical (the EPUB Accessibility checker, run on the system Chromium,
all the EPUBs in one Node process and one browser)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ALL, CHROMIUM, ROOT

ACE = ROOT / ".venv" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"
EACH = Path(__file__).parent / "ace_each.js"

pytestmark = pytest.mark.skipif(not ACE.exists(), reason="Ace is installed by `make setup`")


@pytest.fixture(scope="module")
def epubs(shared_build) -> list[Path]:
    """The EPUBs of the project's articles, as the real command built them once for the
    session (conftest.shared_build; read-only: Ace reads them and writes its reports elsewhere)."""
    found = sorted((shared_build / "dist").glob("*/*.epub"))
    assert len(found) == 3 * len(ALL)
    return found


def run_ace(epubs: list[Path], out: Path) -> subprocess.CompletedProcess:
    """Ace over `epubs` in one Node process and one browser (tests/ace_each.js): for each,
    what `ace -f -s -o OUT/<stem> EPUB` runs, without a Node and a Chromium start per EPUB."""
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM}
    return subprocess.run(["node", str(EACH), str(ACE.parents[2]), str(out), *map(str, epubs)],
                          capture_output=True, text=True, timeout=600, env=env)


def test_every_epub_passes_ace(epubs, tmp_path):
    run = None
    for _attempt in range(2):  # Ace's browser start sometimes fails on a loaded machine: once more for those left
        missing = [e for e in epubs if not (tmp_path / e.stem / "report.json").is_file()]
        if not missing:
            break
        run = run_ace(missing, tmp_path)
    problems = []
    for epub in epubs:
        out = tmp_path / epub.stem
        assert (out / "report.json").is_file(), f"Ace wrote no report for {epub.name}: {run.stderr[-2000:]}"
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        found = [(epub.name, a["earl:test"]["earl:impact"], a["earl:test"]["dct:title"])
                 for group in report["assertions"] for a in group["assertions"]]
        assert found or report["earl:result"]["earl:outcome"] == "pass", run.stderr[-2000:]
        problems += [f for f in found if f[1] in ("serious", "critical")]
    assert not problems, problems
