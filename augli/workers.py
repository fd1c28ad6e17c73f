"""Running work on worker processes or threads: the pools, results in order or as they finish, and batches.

Processes decode and draw (the GIL would serialise that work); threads read crops (libsndfile and numpy
release the GIL). A pool of one job is no pool: the work runs in this process, in order, so a run
with `-np 1` or `-j 1` can be followed in a debugger.
"""

import collections
import contextlib
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed

# The cores this process may use (a container's share, not the host's); macOS lacks sched_getaffinity.
DEFAULT_JOBS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def process_pool(jobs):
    """A process pool, or None to work in this process (jobs == 1); on any exit (Ctrl-C included) nothing new starts."""
    if jobs == 1:
        yield None
        return
    # forkserver: workers never fork this process, which may hold threads (TensorFlow's pools, tqdm's monitor).
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("forkserver"))
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _submit(pool, function, *arguments):
    """function(*arguments) on the pool, or computed here at once when the pool is None; a Future either way."""
    if pool is not None:
        return pool.submit(function, *arguments)
    future = Future()
    future.set_result(function(*arguments))
    return future


def in_order(pool, function, argument_tuples, ahead):
    """function(*arguments) for each tuple, computed by the pool with up to `ahead` waiting, yielded in order."""
    waiting = collections.deque()
    for arguments in argument_tuples:
        waiting.append(_submit(pool, function, *arguments))
        while waiting and (waiting[0].done() or len(waiting) > ahead):
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def as_finished(pool, function, items):
    """function(item) for every item, all submitted at once, yielded as they finish (in order without a pool)."""
    if pool is None:
        yield from map(function, items)
        return
    yield from (future.result() for future in as_completed([pool.submit(function, item) for item in items]))


def prefetched(jobs, load, workers):
    """load(job) for each job, in order, with up to 2 x `workers` loads running ahead on `workers` threads.

    2 x workers is the original's max_queue_size (Keras 2's loading queue).
    """
    with ThreadPoolExecutor(workers) as pool:
        pending = collections.deque()
        try:
            for job in jobs:
                pending.append(pool.submit(load, job))
                if len(pending) > 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a consumer that stops early (an interrupted fit) leaves nothing queued
            for future in pending:
                future.cancel()


def batched(items, size):
    """`items` in consecutive lists of `size`, the last one shorter if need be."""
    return [items[start:start + size] for start in range(0, len(items), size)]
