"""Where editions are rendered: in this process, in a local process pool (default: one
worker per core), or as Dask distributed tasks on a cluster."""
from __future__ import annotations

import os
from typing import Callable, Iterable

from .render.edition import Job, render, warm


class Local:
    """A process pool started at once, so that each worker's WeasyPrint import overlaps the
    parent's parsing and catalog work; if there turns out to be nothing to render, the
    workers are terminated mid-import and a no-op run stays instant. With one worker (or
    one job) editions render in this process."""

    def __init__(self, workers: int | None):
        import multiprocessing

        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool = multiprocessing.Pool(self.workers, initializer=warm) if self.workers > 1 else None
        self.used = False

    def run(self, jobs: list[Job], done: Callable[[Job, dict | BaseException], None]) -> None:
        if not jobs:
            return
        self.used = True
        if self.pool is None or len(jobs) == 1:
            for job in jobs:
                done(job, _safely(job))
            return
        for i, result in self.pool.imap_unordered(_numbered, list(enumerate(jobs))):
            done(jobs[i], result)

    def close(self) -> None:
        if self.pool is None:
            return
        if self.used:
            self.pool.close()
        else:
            self.pool.terminate()
        self.pool.join()


def _numbered(item: tuple[int, Job]) -> tuple[int, dict | BaseException]:
    return item[0], _safely(item[1])


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


def _safely(job: Job) -> dict | BaseException:
    try:
        return render(job)
    except Exception as exc:  # reported per edition; the others still build
        return exc


def make(kind: str, jobs: int | None, scheduler: str | None):
    if kind == "dask":
        return Dask(scheduler)
    return Local(jobs)


__all__: Iterable[str] = ["Local", "Dask", "make"]
