"""Where editions are rendered: in this process, in a local process pool (default: one
worker per core), or as Dask distributed tasks on a cluster."""
from __future__ import annotations

import contextlib
import os
import queue
from collections import deque
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from .render.edition import Job


# Worker tasks still queued when this process has nothing else left to do: from this many
# on, it warms up their renderer itself (a quarter second) and takes them, the last queued first.
STEAL_FROM = 4


class Local:
    """Local rendering. With one worker, everything runs here in order. With N workers, a
    pool of N-1 processes takes the CPU-bound tasks — started at once, so each worker's
    warm-up (the renderer's imports) overlaps our reading and planning, and terminated
    mid-import when there turns out to be nothing to render — while this process runs the
    cheap tasks itself and those that wait on a subprocess in threads. When those are done
    and worker tasks are still queued (an archive), this process takes them back too.
    The executor knows tasks by where they run (render.edition.HERE, WAITS, CPU), never
    by format."""

    def __init__(self, workers: int | None, root: str | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.window = 4 * self.workers  # editions in flight at once
        self.pool = None
        self.root = root
        if self.workers > 1:
            self._start()

    def _start(self) -> None:
        """Start the worker processes. Forked while this process has one thread (quick: they
        inherit what is imported); once threads exist (a preview server), from a fork
        server, since a fork then may copy a lock some thread holds."""
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        alone = threading.active_count() == 1
        self.pool = ProcessPoolExecutor(self.workers - 1,
                                        mp_context=multiprocessing.get_context("fork" if alone else "forkserver"),
                                        initializer=_warm, initargs=(self.root, os.getpid() if alone else None))
        # Start every worker now; these futures finish once the workers are warm.
        self.ready = [self.pool.submit(int) for _ in range(self.workers - 1)]

    def run(self, jobs: Iterable[Job], done: Callable[[Job, dict | BaseException], None]) -> None:
        """Render `jobs` (taken as they are needed: at most `window` editions are in flight,
        so memory stays flat however many there are) and hand each edition's files, by
        format, to `done` in this thread — or the exception that stopped it."""
        if self.pool is None:
            for job in jobs:
                done(job, _safely(job))
            return
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import wait as futures_wait
        from concurrent.futures.process import BrokenProcessPool

        from .render.edition import CPU, HERE, tasks

        if getattr(self.pool, "_broken", False):  # a worker died in an earlier run (a long-lived runner)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self._start()

        results: queue.Queue = queue.Queue()
        pending: dict[int, tuple[Job, dict, set]] = {}
        jobs = iter(jobs)
        waiting: list = []   # tasks for threads, until the workers are warm
        running: deque = deque()
        queued: list = []    # (i, future, task) of worker tasks
        warm = stealing = False

        def finish(i: int, fmt: str, data) -> None:
            results.put((i, fmt, data))

        def start(i: int, job: Job) -> None:
            try:
                todo = tasks(job)
            except Exception as exc:  # noqa: BLE001 - reported for this edition only
                done(job, exc)
                return
            pending[i] = (job, {}, {t.fmt for t in todo})
            for task in todo:
                if task.where == HERE:
                    finish(i, task.fmt, _caught(task))
                elif task.where == CPU:  # a worker that dies fails its future (BrokenProcessPool)
                    try:
                        future = self.pool.submit(_in_worker, task)
                    except BrokenProcessPool as exc:  # …and, once it is gone, every later submit
                        finish(i, task.fmt, exc)
                    else:  # (a task taken back from the queue is finished by this process)
                        future.add_done_callback(
                            lambda f, i=i, fmt=task.fmt: f.cancelled() or finish(i, fmt, f.exception() or f.result()))
                        queued.append((i, future, task))
                else:
                    waiting.append((i, task))

        # Interrupted (Ctrl-C), no more tasks start; the with waits for the running ones.
        with ThreadPoolExecutor(max(1, self.workers // 2)) as threads, _cancelling(threads):
            count = 0
            more = True
            while True:
                while more and len(pending) < self.window:
                    job = next(jobs, None)
                    if job is None:
                        more = False
                        break
                    start(count, job)
                    count += 1
                    _drain(results, pending, done, block=False)
                if not warm and (waiting or not more):
                    # Subprocesses wait until the workers are warm: on a small machine they
                    # would otherwise slow the workers' warm-up, which every worker task waits for.
                    futures_wait(self.ready)
                    warm = True
                if warm:
                    running.extend(threads.submit(_threaded, task, i, finish) for i, task in waiting)
                    waiting.clear()
                if not pending:
                    if not more:
                        return
                    continue
                while running and running[0].done():
                    running.popleft()
                if not running:  # nothing left here but waiting: take worker tasks back if enough wait
                    queued[:] = [q for q in queued if not q[1].done()]  # (finished ones are let go)
                    idle = [(i, f, task) for i, f, task in queued if not f.running()]
                    taken = next(((i, task) for i, f, task in reversed(idle) if f.cancel()), None) \
                        if stealing or len(idle) >= STEAL_FROM else None
                    if taken is not None:
                        stealing = True
                        finish(taken[0], taken[1].fmt, _caught(taken[1]))
                        _drain(results, pending, done, block=False)
                        continue
                _drain(results, pending, done, block=True)

    def close(self) -> None:
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        pool.shutdown(wait=True, cancel_futures=True)  # (unused, a worker ends once warm: its import is not cut)


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
        from .render.edition import warm

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


def _in_worker(task):
    return _caught(task)


def _threaded(task, i: int, finish) -> None:
    finish(i, task.fmt, _caught(task))


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

    def run(self, jobs: Iterable[Job], done) -> None:
        from distributed import as_completed

        jobs = list(jobs)
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

