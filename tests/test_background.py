"""Work in a forked process: its value or its failure comes back, and it never outlives its caller."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from site_builder.background import BackgroundError, Forked


def _fails() -> None:
    raise ValueError("no feed for you")


def _dies() -> None:
    os._exit(3)


def test_the_value_comes_back() -> None:
    big = {"feed.xml": b"x" * 5_000_000, "atom.xml": b"y"}  # larger than a pipe's buffer
    assert Forked(lambda: big).result() == big


def test_a_failure_is_raised_with_its_traceback() -> None:
    with pytest.raises(BackgroundError, match="ValueError: no feed for you") as raised:
        Forked(_fails).result()
    assert "_fails" in str(raised.value)


def test_a_process_that_dies_without_a_result_is_an_error() -> None:
    with pytest.raises(BackgroundError, match="ended without a result \\(exit code 3\\)"):
        Forked(_dies).result()


def test_closing_stops_a_process_still_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def sleeps() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)

    forked = Forked(sleeps)
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.01)
    pid = int(pid_file.read_text())
    forked.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
