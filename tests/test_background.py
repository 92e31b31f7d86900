"""Work in a forked process: its value or its failure comes back, and it never outlives its caller."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.background import BackgroundError, Forked, OnDemand, Standby, yield_cores


def _gone(pid: int) -> bool:
    """Whether the process has ended and been waited for (a process not yet waited for still answers)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _fails() -> None:
    raise ValueError("no feed for you")


def _dies() -> None:
    os._exit(3)


def test_the_value_comes_back() -> None:
    big = {"feed.xml": b"x" * 5_000_000, "atom.xml": b"y"}  # larger than a pipe's buffer
    assert Forked(lambda: big).result() == big


def test_a_large_value_does_not_keep_the_process_waiting_for_the_caller_to_ask() -> None:
    # Through a pipe, the process would wait with its value until `result()` read it.
    big = b"x" * 20_000_000
    forked = Forked(lambda: big)
    deadline = time.monotonic() + 20
    while forked._process.is_alive():
        assert time.monotonic() < deadline, "the forked process waited for its value to be read"
        time.sleep(0.01)
    assert forked.result() == big


def test_without_files_in_memory_the_value_comes_back_through_a_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "memfd_create")
    big = {"feed.xml": b"x" * 5_000_000}
    assert Forked(lambda: big).result() == big


def test_a_value_that_cannot_be_pickled_is_a_failure() -> None:
    with pytest.raises(BackgroundError, match="pickle"):
        Forked(lambda: lambda: None).result()


def test_a_failure_is_raised_with_its_traceback() -> None:
    with pytest.raises(BackgroundError, match="ValueError: no feed for you") as raised:
        Forked(_fails).result()
    assert "_fails" in str(raised.value)


def test_a_process_that_dies_without_a_result_is_an_error() -> None:
    with pytest.raises(BackgroundError, match="ended without a result \\(exit code 3\\)"):
        Forked(_dies).result()


def _started(pid_file: Path) -> int:
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.01)
    return int(pid_file.read_text())


@pytest.mark.parametrize("ending", ["close", "stop"])
def test_closing_or_stopping_ends_a_process_still_running(tmp_path: Path, ending: str) -> None:
    pid_file = tmp_path / "pid"

    def sleeps() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)

    forked = Forked(sleeps)
    pid = _started(pid_file)
    started = time.monotonic()
    if ending == "stop":
        forked.stop()
        assert time.monotonic() - started < 0.5  # not the second `close` gives a process to finish
    else:
        forked.close()
    assert _gone(pid)


def test_a_standby_prepares_then_works_on_the_value_it_is_given(tmp_path: Path) -> None:
    marker = tmp_path / "prepared"
    standby: Standby[list[int], tuple[bool, int]] = Standby(lambda: marker.write_text("yes"), lambda value: (marker.exists(), sum(value)))
    standby.give([1, 2, 3] * 1_000_000)  # larger than a socket's buffer
    assert standby.result() == (True, 6_000_000)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_giving_a_standby_its_value_does_not_wait_for_it_to_finish_preparing() -> None:
    # A rebuild's few edited statements fit in the pipe: the build goes on while the process imports.
    standby: Standby[bytes, int] = Standby(lambda: time.sleep(3), len)
    started = time.monotonic()
    standby.give(b"x" * 900_000)  # far more than a pipe's default 64 KB
    assert time.monotonic() - started < 1, "giving waited for the process to prepare"
    assert standby.result() == 900_000


def test_a_standby_whose_preparing_failed_reports_that_when_given_a_value() -> None:
    standby: Standby[int, int] = Standby(_fails, lambda value: value)
    standby.give(1)
    with pytest.raises(BackgroundError, match="ValueError: no feed for you"):
        standby.result()


@pytest.mark.parametrize("kind", [Standby, OnDemand], ids=["standby", "on demand"])
def test_a_process_closed_before_it_is_given_anything_is_stopped_at_once_even_while_preparing(
    tmp_path: Path, kind: Callable[..., Standby[int, int] | OnDemand[int, int]]
) -> None:
    pid_file = tmp_path / "pid"

    def prepares_for_ever() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)

    standing = kind(prepares_for_ever, lambda value: value)
    pid = _started(pid_file)
    started = time.monotonic()
    standing.close()
    assert time.monotonic() - started < 0.5  # a process at work is given a second to finish; one preparing is not
    assert _gone(pid)


def test_a_standby_given_a_value_is_waited_for_then_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def works_for_ever(value: int) -> int:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)
        return value

    standby: Standby[int, int] = Standby(lambda: None, works_for_ever)
    standby.give(1)
    pid = _started(pid_file)
    standby.close()
    assert _gone(pid)


def _made_in_turn(record: Path, seconds: float) -> Callable[[int], tuple[int, int]]:
    """A function that records each item it is given, sleeping meanwhile, and returns
    (item, how many it had made before)."""

    def make(item: int) -> tuple[int, int]:
        time.sleep(seconds)
        with record.open("a", encoding="utf-8") as file:
            file.write(f"{item}\n")
        return item, len(record.read_text(encoding="utf-8").split()) - 1

    return make


def test_on_demand_makes_every_value_in_order_and_each_awaited_one_next(tmp_path: Path) -> None:
    record = tmp_path / "made"
    worker: OnDemand[int, tuple[int, int]] = OnDemand(lambda: None, _made_in_turn(record, 0.02))
    worker.give(list(range(20)))
    awaited = worker.value(15)
    assert awaited[0] == 15
    assert awaited[1] <= 1, "the awaited item waited for more than the one begun before it was asked for"
    values = worker.values()
    assert [item for item, _ in values] == list(range(20))
    assert sorted(place for _, place in values) == list(range(20)), "each item was made once"
    # Apart from the awaited one, in the order given.
    assert [int(line) for line in record.read_text(encoding="utf-8").split() if line != "15"] == [i for i in range(20) if i != 15]
    assert _gone(worker._process.pid), "the process outlived its last value"


def test_on_demand_works_on_while_the_caller_does_not_ask(tmp_path: Path) -> None:
    # Values go back only while the caller waits for one: a pipe never fills meanwhile.
    record = tmp_path / "made"
    make = _made_in_turn(record, 0)
    worker: OnDemand[int, tuple[int, bytes]] = OnDemand(lambda: None, lambda item: (make(item)[0], b"x" * 100_000))
    worker.give(list(range(100)))  # 10 MB of values, far more than a pipe holds
    assert worker.value(0)[0] == 0
    deadline = time.monotonic() + 20
    while len(record.read_text(encoding="utf-8").split()) < 100:
        assert time.monotonic() < deadline, "the process stopped working until its values were read"
        time.sleep(0.01)
    assert [item for item, _ in worker.values()] == list(range(100))


def test_on_demand_reports_a_failure_of_its_function_or_of_preparing() -> None:
    def fails_on_three(item: int) -> int:
        if item == 3:
            raise ValueError("no feed for you")
        return item

    worker: OnDemand[int, int] = OnDemand(lambda: None, fails_on_three)
    worker.give([1, 2, 3, 4])
    assert worker.value(1) == 2
    with pytest.raises(BackgroundError, match="ValueError: no feed for you"):
        worker.values()
    unprepared: OnDemand[int, int] = OnDemand(_fails, lambda item: item)
    unprepared.give([1])
    with pytest.raises(BackgroundError, match="ValueError: no feed for you"):
        unprepared.value(0)
    assert _gone(worker._process.pid) and _gone(unprepared._process.pid), "a failed process outlived its failure"


def _priority_after_yielding() -> int:
    yield_cores()
    return os.nice(0)


def test_a_forked_process_that_yields_the_cores_runs_at_the_lowest_priority_and_the_build_does_not() -> None:
    before = os.nice(0)
    assert Forked(_priority_after_yielding).result() == 19
    assert os.nice(0) == before
