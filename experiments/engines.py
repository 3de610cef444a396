"""Engines: where a study's jobs run — in this process, a local process pool, or Dask.

Every engine maps a picklable function over picklable jobs and yields the results as they
finish (in any order); the function must not raise (a study's ``run_job`` turns errors into
failed results), so all engines give the same results. Engines are chosen by name
(:data:`ENGINES`); nothing here changes global state such as the multiprocessing start method.

Engines take jobs from their iterable only as workers free up (a few more than there are
workers are in flight), so whoever hands out the jobs can decide at the last moment — a study
claims each job just before it is sent. Local worker processes die with the process that
started them, however it ends (even by SIGKILL, which runs no clean-up).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ENGINES", "Dask", "Engine", "InProcess", "LocalPool", "make_engine"]


class Engine(Protocol):
    """Runs ``function`` on every item; yields results as they finish."""

    def map[T, R](self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class InProcess:
    """One job after another in this process (what ``--jobs 1`` uses)."""

    def map[T, R](self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield function(item)

    def describe(self) -> str:
        return "in this process"


PARENT_CHECK_SECONDS = 0.5
"""How often a worker checks that the process that started it is still there."""


def _die_with_parent(parent: int) -> None:
    """Start a thread that ends this worker once its parent process is gone.

    A worker whose parent was killed would otherwise run its job to the end and then wait
    for work forever: nobody is left to take its results. When the parent dies, the worker
    is handed to another process (init), so its parent id changes.
    """

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="oneplan-parent-watch", daemon=True).start()


def _bounded[T, R](
    submit: Callable[[T], Future[R]], items: Iterable[T], window: int
) -> Iterator[R]:
    """Submit ``items`` keeping at most ``window`` in flight; yield results as they finish."""
    source = iter(items)
    pending = {submit(item) for item in itertools.islice(source, window)}
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            yield future.result()
        pending |= {submit(item) for item in itertools.islice(source, len(finished))}


@dataclass(frozen=True)
class LocalPool:
    """A pool of ``workers`` processes on this machine.

    Workers are started with ``spawn`` (fresh interpreters): safe whatever threads the parent
    runs, and the same on every platform. Each watches its parent and exits when it is gone.
    """

    workers: int

    def map[T, R](self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        source = iter(items)
        first = next(source, _END)
        if first is _END:
            return
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            jobs = itertools.chain([first], source)
            # Two per worker: each has its next job queued when it finishes one.
            yield from _bounded(lambda item: pool.submit(function, item), jobs, 2 * self.workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return f"on {self.workers} local worker processes"


@dataclass(frozen=True)
class Dask:
    """Dask distributed: the cluster at ``scheduler`` (``tcp://host:8786``), or, without one, a
    local cluster of ``workers`` single-threaded processes started and closed here.

    The workers of an existing cluster need oneplan installed (the same version); results come
    back to this process, which writes them, so workers need no shared file system.
    """

    workers: int = 1
    scheduler: str | None = None

    def map[T, R](self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        from dask.distributed import Client, LocalCluster, as_completed

        source = iter(items)
        first = next(source, _END)
        if first is _END:
            return
        cluster = None
        if self.scheduler is None:
            cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(self.scheduler or cluster)
        try:
            threads = sum(client.nthreads().values()) or self.workers
            window = 2 * max(1, threads)
            jobs = itertools.chain([first], source)
            running = as_completed(
                [
                    client.submit(function, item, pure=False)
                    for item in itertools.islice(jobs, window)
                ]
            )
            for future in running:
                yield future.result()
                future.release()
                for item in itertools.islice(jobs, 1):
                    running.add(client.submit(function, item, pure=False))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def describe(self) -> str:
        if self.scheduler:
            return f"on the Dask cluster at {self.scheduler}"
        return f"on a local Dask cluster of {self.workers} workers"


_END = object()  # marks an exhausted iterator


def _local(jobs: int, scheduler: str | None) -> Engine:
    if scheduler is not None:
        raise ValueError("a scheduler address needs the dask engine")
    return InProcess() if jobs == 1 else LocalPool(jobs)


def _dask(jobs: int, scheduler: str | None) -> Engine:
    return Dask(workers=jobs, scheduler=scheduler)


ENGINES: dict[str, Callable[[int, str | None], Engine]] = {"local": _local, "dask": _dask}


def make_engine(name: str, jobs: int = 1, scheduler: str | None = None) -> Engine:
    """The engine called ``name``: ``local`` (in this process for one job at a time, else a
    process pool of ``jobs``) or ``dask`` (``scheduler``'s cluster, or a local one of ``jobs``
    workers)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    return ENGINES[name](jobs, scheduler)
