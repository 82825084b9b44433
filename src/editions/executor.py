"""Where editions are rendered: in this process, in a local process pool (default: one
worker per core), or as Dask distributed tasks on a cluster."""
from __future__ import annotations

import contextlib
import os
import queue
from collections import deque
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .render.edition import Job


# PDFs still waiting for a worker when this process has nothing else left to do: from this
# many on, it imports WeasyPrint itself (0.25 s) and takes them, the last queued first.
STEAL_FROM = 4


class Local:
    """Local rendering. With one worker, everything runs here in order. With N workers, a
    pool of N-1 processes renders PDFs — started at once, so each WeasyPrint import
    overlaps our parsing and catalog work, and terminated mid-import when there turns out
    to be nothing to render — while this process writes the HTML pages and runs pandoc for
    the EPUBs in threads (pandoc is a process of its own, so those threads mostly wait).
    When those are done and PDFs are still queued (an archive), this process renders PDFs
    too, taking them back from the queue."""

    def __init__(self, workers: int | None, root: str | None = None):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool = None
        self.children: list = []
        self.used = False
        if self.workers > 1:
            before = set(multiprocessing.active_children())
            self.pool = ProcessPoolExecutor(self.workers - 1, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_warm, initargs=(root, os.getpid()))
            # Start every worker now; these futures finish once the workers have imported WeasyPrint.
            self.ready = [self.pool.submit(int) for _ in range(self.workers - 1)]
            self.children = [p for p in multiprocessing.active_children() if p not in before]

    def run(self, jobs: list[Job], done: Callable[[Job, dict | BaseException], None]) -> None:
        if not jobs:
            return
        self.used = True
        if self.pool is None:
            for job in jobs:
                done(job, _safely(job))
            return
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import wait as futures_wait
        from concurrent.futures.process import BrokenProcessPool

        from .render.edition import pdf_base, prepare
        from .render.pdf import render_page

        results: queue.Queue = queue.Queue()
        pending: dict[int, tuple[Job, dict, set]] = {}

        def finish(i: int, fmt: str, data) -> None:
            results.put((i, fmt, data))

        epubs: list = []
        pdfs: list = []  # (i, future, render_page's arguments)
        # Interrupted (Ctrl-C), no more EPUBs start; the with waits for the running ones.
        with ThreadPoolExecutor(max(1, self.workers // 2)) as threads, _cancelling(threads):
            for i, job in enumerate(jobs):
                try:
                    page, epub_body = prepare(job)
                except Exception as exc:  # noqa: BLE001 - reported for this edition only
                    done(job, exc)
                    continue
                pending[i] = (job, {}, set(job.formats))
                if "html" in job.formats:
                    finish(i, "html", page.encode("utf-8"))
                if "pdf" in job.formats:  # a worker that dies fails its future (BrokenProcessPool)
                    args = (page, pdf_base(job), job.assets, job.root)
                    try:
                        future = self.pool.submit(render_page, *args)
                    except BrokenProcessPool as exc:  # …and, once it is gone, every later submit
                        finish(i, "pdf", exc)
                    else:  # (a PDF taken back from the queue is finished by this process)
                        future.add_done_callback(
                            lambda f, i=i: f.cancelled() or finish(i, "pdf", f.exception() or f.result()))
                        pdfs.append((i, future, args))
                if "epub" in job.formats:
                    epubs.append((job, epub_body, i))
                _drain(results, pending, done, block=False)
            # pandoc for the EPUBs waits until the PDF workers are warm: on a small machine it
            # would otherwise slow their WeasyPrint import, which every PDF waits for.
            futures_wait(self.ready)
            running = deque(threads.submit(_epub, job, epub_body, i, finish) for job, epub_body, i in epubs)
            stealing = False
            while pending:
                while running and running[0].done():
                    running.popleft()
                if not running:  # nothing left here but waiting: take PDFs back if enough wait
                    pdfs = [p for p in pdfs if not p[1].done()]  # (finished pages are let go)
                    queued = [(i, f, args) for i, f, args in pdfs if not f.running()]
                    taken = next(((i, args) for i, f, args in reversed(queued) if f.cancel()), None) \
                        if stealing or len(queued) >= STEAL_FROM else None
                    if taken is not None:
                        stealing = True
                        finish(taken[0], "pdf", _caught(render_page, *taken[1]))
                        _drain(results, pending, done, block=False)
                        continue
                _drain(results, pending, done, block=True)

    def close(self) -> None:
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        if not self.used:  # nothing to render: stop the workers mid-import, do not wait for them
            for child in self.children:
                child.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _cancelling(threads):
    """On the way out by an exception (Ctrl-C's KeyboardInterrupt), cancel what has not started."""
    try:
        yield
    except BaseException:
        threads.shutdown(wait=False, cancel_futures=True)
        raise


def _warm(root: str | None, parent: int | None = None) -> None:
    """A worker's start: Ctrl-C is the main process's to handle (it reaches the whole
    process group; the main process stops the pool), then a head start only: whatever
    fails here fails again, with its message, in the edition that needs it (an exception
    in an initializer would break the whole pool)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent or os.getppid())
    try:
        from .render.pdf import warm

        warm(root)
    except Exception:  # noqa: BLE001
        pass


def _die_with(parent: int) -> None:
    """Ask Linux to end this worker when the process that started it dies (kill -9 of a
    build or of serve leaves no ~70 MB worker behind, holding the caller's pipe)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still ends it
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _caught(render, *args):
    """`render(*args)`, or the exception that stopped it: reported for that edition only,
    the others still build."""
    try:
        return render(*args)
    except Exception as exc:  # noqa: BLE001
        return exc


def _epub(job: "Job", epub_body: str, i: int, finish) -> None:
    from .render.edition import render_epub

    finish(i, "epub", _caught(render_epub, job, epub_body))


def _drain(results: queue.Queue, pending: dict, done, block: bool) -> None:
    """Hand each edition on as soon as all its formats are in (memory stays flat)."""
    while True:
        try:
            i, fmt, data = results.get(block=block)
        except queue.Empty:
            return
        block = False
        job, outputs, remaining = pending[i]
        outputs[fmt] = data
        remaining.discard(fmt)
        if not remaining:
            del pending[i]
            failure = next((d for d in outputs.values() if isinstance(d, BaseException)), None)
            done(job, failure if failure is not None else outputs)


class Dask:
    """Edition builds as Dask tasks; results (the files' bytes) come back here and are
    written into dist/. Workers need the project at the same path (a shared checkout)."""

    def __init__(self, scheduler: str | None, client=None):
        from distributed import Client

        self.client = client or Client(scheduler)
        self.own = client is None

    def run(self, jobs: list[Job], done) -> None:
        from distributed import as_completed

        futures = self.client.map(_safely, jobs, pure=False)
        by_key = dict(zip((f.key for f in futures), jobs))
        for future in as_completed(futures):
            done(by_key[future.key], future.result())

    def close(self) -> None:
        if self.own:
            self.client.close()


def _safely(job: "Job") -> "dict | BaseException":
    from .render.edition import render

    return _caught(render, job)


def make(kind: str, jobs: int | None, scheduler: str | None, root: str | None = None):
    if kind == "dask":
        return Dask(scheduler)
    return Local(jobs, root)

