"""Engines: where a study's jobs run — in this process, a local process pool, or Dask.

Every engine maps a picklable function over picklable jobs and yields the results as they
finish (in any order); the function must not raise (a study's ``run_job`` turns errors into
failed results), so all engines give the same results. Engines are chosen by name
(:data:`ENGINES`); nothing here changes global state such as the multiprocessing start method.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ENGINES", "Dask", "Engine", "InProcess", "LocalPool", "make_engine"]


class Engine(Protocol):
    """Runs ``function`` on every item; yields results as they finish."""

    def map[T, R](self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class InProcess:
    """One job after another in this process (what ``--jobs 1`` uses)."""

    def map[T, R](self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        for item in items:
            yield function(item)

    def describe(self) -> str:
        return "in this process"


@dataclass(frozen=True)
class LocalPool:
    """A pool of ``workers`` processes on this machine.

    Workers are started with ``spawn`` (fresh interpreters): safe whatever threads the parent
    runs, and the same on every platform.
    """

    workers: int

    def map[T, R](self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if not items:
            return
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=context)
        try:
            pending = {pool.submit(function, item) for item in items}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
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

    def map[T, R](self, function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        from dask.distributed import Client, LocalCluster, as_completed

        if not items:
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
            futures = [client.submit(function, item, pure=False) for item in items]
            for future in as_completed(futures):
                yield future.result()
                future.release()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def describe(self) -> str:
        if self.scheduler:
            return f"on the Dask cluster at {self.scheduler}"
        return f"on a local Dask cluster of {self.workers} workers"


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
