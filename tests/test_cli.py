"""The command line a newcomer types: --root anywhere, the project found from any folder in
it, manuscript paths as slugs, language names as the catalogs spell them, helpful --help."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import command as in_process
from conftest import write_manuscript

SRC = Path(__file__).resolve().parent.parent / "src"


def shell(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m editions.cli ARGS` run from `cwd` (which need not be the project): the
    command as a shell runs it, its exit status as the shell sees it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "editions.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """What `make-editions ARGS` typed in `cwd` runs (editions.cli.main), in this process
    (conftest.command): for what the arguments mean. What needs a process of its own (the
    exit status a shell sees) uses `shell`."""
    return in_process(*args, cwd=cwd)


def articles(status: subprocess.CompletedProcess) -> set[str]:
    """The articles a `status` table lists (the UI domain aside)."""
    return {line.split()[0] for line in status.stdout.splitlines()[1:]} - {"messages"}


@pytest.fixture
def two(tiny: Path) -> Path:
    """The tiny project with a second article, so that choosing one is visible."""
    write_manuscript(tiny, "other", "Another short paragraph.")
    return tiny


def test_root_is_accepted_after_the_command(two, tmp_path):
    done = cli("build", "--root", str(two), "tiny", "--lang", "en", "--format", "html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (two / "dist" / "tiny" / "tiny.en.html").exists()
    assert not (two / "dist" / "other").exists()
    assert articles(cli("status", "--root", str(two), cwd=tmp_path)) == {"tiny", "other"}
    # before the command, as always; after it wins when both are given
    assert cli("--root", str(tmp_path), "status", "--root", str(two), cwd=tmp_path).returncode == 0


def test_the_project_is_found_from_any_folder_inside_it(two):
    deep = two / "styles" / "templates"
    done = cli("status", cwd=deep)
    assert done.returncode == 0, done.stderr
    assert articles(done) == {"tiny", "other"}
    done = cli("update", cwd=two / "manuscripts")  # writes into the project, not beside the folder
    assert done.returncode == 0, done.stderr
    assert (two / "translations" / "other.pot").exists()
    assert not (two / "manuscripts" / "translations").exists()


def test_the_nearest_project_wins(two):
    inner = two / "styles" / "nested"
    write_manuscript(inner, "inner", "An article of another project.")
    assert articles(cli("status", cwd=inner / "manuscripts")) == {"inner"}


def test_outside_any_project_is_a_usage_error_that_says_so(tmp_path):
    here = tmp_path / "not-a-project" / "sub"
    here.mkdir(parents=True)
    done = cli("status", cwd=here)
    assert done.returncode == 2
    assert "no manuscripts/ folder in" in done.stderr and "any folder above it" in done.stderr
    assert "--root" in done.stderr
    assert "Traceback" not in done.stderr


def test_manuscript_paths_are_taken_as_slugs(two, tmp_path):
    for given in ("manuscripts/tiny.md", "./manuscripts/tiny.md", str(two / "manuscripts" / "tiny.md"), "tiny.md"):
        done = cli("status", given, cwd=two)
        assert done.returncode == 0, (given, done.stderr)
        assert articles(done) == {"tiny"}, given
    # from inside manuscripts/ (a shell's tab completion), and relative to --root from elsewhere
    assert articles(cli("status", "tiny.md", cwd=two / "manuscripts")) == {"tiny"}
    assert articles(cli("--root", str(two), "status", "manuscripts/other.md", cwd=tmp_path)) == {"other"}
    done = cli("build", "manuscripts/tiny.md", "--lang", "en", "--format", "html", cwd=two)
    assert done.returncode == 0, done.stderr
    assert (two / "dist" / "tiny" / "tiny.en.html").exists() and not (two / "dist" / "other").exists()


def test_a_path_that_is_not_a_manuscript_is_a_usage_error(two):
    for given in ("styles/tiny.md", "translations/tiny.po", "../tiny/manuscripts", "no-such-article"):
        done = cli("status", given, cwd=two)
        assert done.returncode == 2, given
        assert given in done.stderr and "Traceback" not in done.stderr
        if "/" in given:  # says what it takes
            assert "give a SLUG or manuscripts/SLUG.md" in done.stderr, given


@pytest.mark.parametrize("spelled", ["fa_AF", "FA-af", "fa-af"])
def test_languages_are_accepted_as_the_catalog_folders_spell_them(two, spelled):
    done = cli("build", "tiny", "--lang", spelled, "--format", "html", cwd=two)
    assert done.returncode == 0, done.stderr
    assert "fa-AF" in done.stdout + done.stderr  # its (incomplete) catalog was considered
    assert not (two / "dist" / "tiny" / "tiny.en.html").exists()  # and only that language


def test_an_unknown_language_is_a_usage_error_naming_the_choices(two):
    done = cli("build", "--lang", "pt", cwd=two)
    assert done.returncode == 2
    assert "'pt'" in done.stderr and "fa-AF" in done.stderr and "fa_AF" in done.stderr


@pytest.mark.parametrize("command, says", [
    ("build", ["build the editions", "SLUG is an article", "manuscripts/SLUG.md", "default: all three",
               "default: one per core", "fa_AF"]),
    ("extract", ["POT templates", "SLUG is an article", "Default: every article"]),
    ("update", ["merge into every language", "SLUG is an article", "Default: every article"]),
    ("status", ["per article and language", "SLUG is an article", "default: a table"]),
    ("serve", ["preview dist/", "default: 8000"]),
    ("check", ["quality checks", "PATH is a manuscript", "Default: every manuscript and catalog"]),
])
def test_every_command_explains_itself(tmp_path, command, says):
    done = cli(command, "--help", cwd=tmp_path)  # help needs no project
    assert done.returncode == 0
    text = " ".join(done.stdout.split()).lower()  # argparse wraps lines
    for words in [*says, "--root DIR", "nearest folder above it", "Exit status: 0 success, 1"]:
        assert words.lower() in text, words


def test_exit_statuses_from_inside_the_project(two):
    """0 success, 1 a content problem, 2 a usage error: also when the root was found, not
    given — as the shell sees them (the command in a process of its own)."""
    (two / "manuscripts" / "bad.md").write_text("---\nslug: bad\ntitle: x\nauthor: y\ndate: 2026-13-45\n---\n\nText.\n")
    styles = two / "styles"
    done = shell("check", "../manuscripts/bad.md", cwd=styles)
    assert done.returncode == 1 and "bad.md:5: error" in done.stdout
    assert shell("check", "../manuscripts/tiny.md", cwd=styles).returncode == 0
    done = shell("build", "manuscripts/bad.md", "--lang", "en", "--format", "html", cwd=two)
    assert done.returncode == 1 and "bad.md:5: error" in done.stderr
    assert shell("build", "--jobs", "many", cwd=styles).returncode == 2
