"""augli.workers: every result, in order or as it finishes, whether processes, threads or no pool do the work."""

import os

import pytest

from augli.workers import as_finished, batched, in_order, prefetched, process_pool


def square(number):
    return number * number


def worker_id(_):
    return os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_in_order_and_as_finished_give_every_result(jobs):
    with process_pool(jobs) as pool:
        assert list(in_order(pool, square, ((number,) for number in range(20)), ahead=3)) == [n * n for n in range(20)]
        assert sorted(as_finished(pool, square, range(20))) == [n * n for n in range(20)]


def test_one_job_works_in_this_process_and_more_in_others():
    with process_pool(1) as pool:
        assert pool is None and set(as_finished(pool, worker_id, range(4))) == {os.getpid()}
    with process_pool(2) as pool:
        assert os.getpid() not in set(as_finished(pool, worker_id, range(4)))


def test_an_error_in_a_worker_reaches_the_caller():
    with process_pool(2) as pool, pytest.raises(ZeroDivisionError):
        list(in_order(pool, divmod, [(1, 1), (1, 0)], ahead=2))


def test_prefetched_keeps_order_and_cancels_what_an_early_stop_leaves():
    assert list(prefetched(range(50), square, workers=3)) == [n * n for n in range(50)]
    started = []
    loads = prefetched(range(100), started.append, workers=2)
    next(loads)
    loads.close()
    assert len(started) <= 2 * 2 + 1 + 2  # the ones running ahead, none of the other 90-odd


def test_batched_keeps_a_short_last_batch():
    assert batched(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batched([], 3) == []
