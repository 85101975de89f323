"""Run independent chunks of work here, on local worker processes, or on a dask.distributed cluster.

One job object (everything the chunks share, built once) and a list of tasks (the
arguments of each chunk) go in; the chunks' results come out in task order, wherever they
ran. Where they run:

- **this process**, when there is one worker or a run is too small to pay for starting
  processes;
- **local processes** (dask's multiprocessing scheduler, one process per core by default,
  forked when that is safe), each given the job once when it starts, then one chunk's
  arguments at a time as it frees up;
- **a dask.distributed cluster**, when a scheduler address is given (``scheduler=``, the
  ``--scheduler`` option, :func:`use_scheduler` or the ``BORDERKIT_SCHEDULER`` environment
  variable): the job is scattered to every worker once, then each chunk ships only its
  arguments. Workers need the same borderkit installed (see docs/cluster.md).

A chunk must be a pure function of the job and its arguments (its random generator comes
with its arguments), so the results never depend on where or on how many workers it ran.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from borderkit.errors import BorderkitError, UsageError

__all__ = ["SCHEDULER_ENV", "use_scheduler", "scheduler_address", "local_workers", "run_chunks"]

#: Environment variable naming the dask.distributed scheduler to run on (e.g. tcp://10.0.0.5:8786).
SCHEDULER_ENV = "BORDERKIT_SCHEDULER"

#: Seconds to wait for a scheduler to answer before giving up with a message.
CONNECT_TIMEOUT_S = 20

_SCHEDULER: contextvars.ContextVar[str | None] = contextvars.ContextVar("borderkit_scheduler", default=None)


@contextlib.contextmanager
def use_scheduler(address: str | None) -> Iterator[None]:
    """Run the chunked work inside the ``with`` block on the dask.distributed scheduler at ``address``.

    ``None`` leaves the choice as it was (``BORDERKIT_SCHEDULER``, else this machine). The CLI's
    ``--scheduler`` uses this, so library functions need no extra argument to reach a cluster.
    """
    token = _SCHEDULER.set(check_address(address) if address else _SCHEDULER.get())
    try:
        yield
    finally:
        _SCHEDULER.reset(token)


def check_address(address: str) -> str:
    """Return a scheduler address if it has the form ``protocol://host:port``, else refuse it."""
    text = str(address).strip()
    protocol, sep, rest = text.partition("://")
    if not sep or not protocol.isalpha() or not rest:
        raise UsageError(
            f"scheduler address {address!r} is not of the form protocol://host:port. "
            "Give the address the dask scheduler prints, e.g. tcp://10.0.0.5:8786."
        )
    return text


def scheduler_address() -> str | None:
    """Return the dask.distributed scheduler to use: :func:`use_scheduler`'s, else ``BORDERKIT_SCHEDULER``'s."""
    address = _SCHEDULER.get() or os.environ.get(SCHEDULER_ENV, "").strip()
    return check_address(address) if address else None


def local_workers() -> int:
    """Return the number of cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def run_chunks(
    fn: Callable[..., Any],
    job: Any,
    tasks: Sequence[tuple],
    *,
    progress: Callable[[int], None] | None = None,
    sizes: Sequence[int] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    small: bool = False,
    consume: Callable[[Any], Any] | None = None,
) -> list:
    """Return ``[consume(fn(job, *task)) for task in tasks]``, computed here, on local processes or on a cluster.

    Parameters
    ----------
    fn
        A module-level function ``fn(job, *task, progress=None)``: workers import it by name.
    job, tasks
        What every chunk shares (sent once per worker on a cluster), and each chunk's arguments.
    progress, sizes
        ``progress(n)`` is called as work finishes: by ``fn`` itself when it runs here, else
        with ``sizes[i]`` when chunk ``i`` comes back.
    workers
        Local processes to use (1: this process). Default: one per core, or 1 when ``small``.
    scheduler
        A dask.distributed scheduler address; default :func:`scheduler_address`. With one,
        ``workers`` is ignored: the cluster decides.
    small
        The run is too small to pay for starting processes (the caller's measured break-even).
    consume
        Applied to each result as it arrives, in this process (e.g. to add a large part of
        it into a running total and keep only the rest): results never pile up whole.
    """
    keep = consume or (lambda result: result)
    sizes = list(sizes) if sizes is not None else [1] * len(tasks)
    address = check_address(scheduler) if scheduler else scheduler_address()
    if address:
        return _on_cluster(fn, job, tasks, address, progress, sizes, keep)
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers!r}. Use 1 to run in this process.")
    n = min(workers if workers is not None else (1 if small else local_workers()), len(tasks))
    if n <= 1:
        return [keep(fn(job, *task, progress=progress)) for task in tasks]
    return _on_processes(fn, job, tasks, n, progress, sizes, keep)


def _on_processes(fn, job, tasks, n: int, progress, sizes, keep) -> list:
    """Run the chunks on ``n`` local processes with dask's multiprocessing scheduler.

    The job goes to each worker once, when its process starts (inherited by a forked
    worker, pickled once for a spawned one), so a chunk ships only its own arguments; and
    chunks are handed out one at a time as workers free up. dask's default batches six
    ready tasks per worker at once, which at 8 chunks on 2 workers gave one worker 6 of
    them (a 1.33x ceiling on 2 cores).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import dask.multiprocessing
    from dask.callbacks import Callback

    keys = [("borderkit-chunk", i) for i in range(len(tasks))]
    graph: dict = {key: (_with_worker_job, fn, *task) for key, task in zip(keys, tasks, strict=True)}
    index = {key: i for i, key in enumerate(keys)}
    kept: dict[int, Any] = {}

    def done(key, result, dsk, state, worker_id):
        if key in index:
            kept[index[key]] = keep(result)
            state["cache"][key] = None  # the scheduler's copy is no longer needed
            if progress:
                progress(sizes[index[key]])

    context = multiprocessing.get_context(_start_method())
    pool = ProcessPoolExecutor(n, mp_context=context, initializer=_hold_worker_job, initargs=(job,))
    with pool, Callback(posttask=done):
        dask.multiprocessing.get(graph, keys, pool=pool, chunksize=1)
    return [kept[i] for i in range(len(tasks))]


#: The job of the run a local worker process serves (set once, when the process starts).
_WORKER_JOB: Any = None


def _hold_worker_job(job: Any) -> None:
    """Keep the run's job in this worker process (the pool's initializer)."""
    global _WORKER_JOB
    _WORKER_JOB = job


def _with_worker_job(fn: Callable[..., Any], *task: Any) -> Any:
    """Run one chunk in a local worker process on the job it was started with."""
    return fn(_WORKER_JOB, *task)


def _start_method() -> str:
    """Return how to start local workers: fork a single-threaded process on Linux, else spawn.

    A forked worker starts with borderkit already imported (milliseconds); a spawned one
    imports it again (1-2 s each, longer on a busy machine), which is what decides how
    small a run may be and still gain from a second process. Forking a process that runs
    other threads (a notebook kernel, a dask client) is unsafe: those spawn.
    """
    import sys
    import threading

    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def _on_cluster(fn, job, tasks, address: str, progress, sizes, keep) -> list:
    """Run the chunks on the dask.distributed cluster at ``address``: the job scattered once to each worker."""
    import uuid

    from distributed import Client, as_completed

    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except OSError as exc:  # refused, unreachable, timed out
        raise BorderkitError(
            f"could not reach the dask scheduler at {address!r}: {exc}. Check that the scheduler is "
            f"running and the address is right, or unset {SCHEDULER_ENV} / drop --scheduler to run on "
            "this machine."
        ) from None
    with client:
        shared = client.scatter(job, broadcast=True, hash=False)
        run = uuid.uuid4().hex
        futures = [
            client.submit(fn, shared, *task, key=f"borderkit-chunk-{run}-{i}", pure=False)
            for i, task in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        kept: dict[int, Any] = {}
        for future in as_completed(futures, loop=client.loop):
            i = index[future.key]
            kept[i] = keep(future.result())  # raises a worker's exception here
            future.release()
            if progress:
                progress(sizes[i])
        return [kept[i] for i in range(len(tasks))]
