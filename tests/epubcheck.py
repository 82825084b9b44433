"""epubcheck for the tests, cheaply: its own command line (`EpubChecker.run`, all that
`java -jar epubcheck.jar FILE` runs) once per file, for every file in one JVM, started
light (C1 only, the serial collector). A JVM start and epubcheck's warm-up cost ~3 CPU-s
with these settings and ~7 with the defaults on two cores; the check of one more EPUB in a
warm JVM costs a fraction of a second."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

JAR = Path("/usr/share/java/epubcheck.jar")
JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss1024k")  # -Xss: Debian's own wrapper setting
MARK = "\u0001epubcheck"  # starts the lines that separate one file's output from the next's

# Run as a single source file (java File.java): compiled in memory, nothing left behind.
SOURCE = """
import com.adobe.epubcheck.tool.EpubChecker;

public class EpubcheckEach {
    public static void main(String[] args) {
        for (String path : args) {
            System.out.println("%(mark)s begin");
            System.err.println("%(mark)s begin");
            int status = new EpubChecker().run(new String[] {path});
            System.out.flush();
            System.err.flush();
            System.out.println("%(mark)s status " + status);
            System.err.println("%(mark)s end");
        }
    }
}
""" % {"mark": MARK}


class Result(NamedTuple):
    status: int   # epubcheck's exit status for this file: 0 when it found no error
    stdout: str
    stderr: str


def check(paths: list[Path], timeout: int = 600) -> dict[Path, Result]:
    """epubcheck's verdict on each of `paths`, as its command line gives it."""
    paths = [Path(p) for p in paths]
    if not paths:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "EpubcheckEach.java"
        source.write_text(SOURCE, encoding="utf-8")
        done = subprocess.run(["java", *JVM, "-cp", str(JAR), str(source), *map(str, paths)],
                              capture_output=True, text=True, timeout=timeout)
    outs = done.stdout.split(f"{MARK} begin\n")[1:]
    errs = done.stderr.split(f"{MARK} begin\n")[1:]
    if done.returncode != 0 or len(outs) != len(paths) or len(errs) != len(paths):
        raise RuntimeError(f"epubcheck did not run through (status {done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    results = {}
    for path, out, err in zip(paths, outs, errs):
        body, _, status = out.rpartition(f"{MARK} status ")
        results[path] = Result(int(status.split()[0]), body, err.removesuffix(f"{MARK} end\n"))
    return results
