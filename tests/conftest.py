"""Shared fixtures: generated data sets, made once per test session; and the guard that no
process a test started outlives the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from lakehouse.sources.generator import generate

# every process the tests start inherits this variable (the tests pass os.environ on), so the
# ones still running when the session ends are found by it, killed, and fail the session
SESSION_MARK = "LAKEHOUSE_TEST_SESSION"


def pytest_sessionstart(session: pytest.Session) -> None:
    os.environ[SESSION_MARK] = uuid.uuid4().hex
    # dbt's debug log file (logs/dbt.log) costs a tenth of a build's time at this size, and no
    # test reads it: a failing dbt command's own output is in the test's failure message
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")


# the longest test files first: with a worker per core (pytest-xdist, a file per worker) the
# suite ends when its last file does, so a long file must not start last
LONGEST_FIRST = ("test_spark", "test_silver", "test_lake", "test_serving", "test_orchestration",
                 "test_gold", "test_bronze_runs", "test_operator", "test_increments", "test_ml",
                 "test_poison", "test_bench", "test_capture", "test_governance")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.stem
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a file is kept


def leftover_processes() -> dict[int, str]:
    """Processes other than this one that carry this session's mark: pid -> command line."""
    mark = f"{SESSION_MARK}={os.environ.get(SESSION_MARK)}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or not ours to read
            continue
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.getoption("numprocesses", None) and not hasattr(session.config,
                                                                        "workerinput"):
        return  # pytest-xdist's controller: each worker checks the processes of its tests
    leftovers = {pid: cmd for pid, cmd in leftover_processes().items() if cmd}
    if leftovers:  # a process may be exiting: those still there after a grace period
        time.sleep(3)
        leftovers = {pid: cmd for pid, cmd in leftover_processes().items() if pid in leftovers}
    if not leftovers:
        return
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    lines = "\n".join(f"  {pid}: {cmd[:200]}" for pid, cmd in leftovers.items())
    print(f"\nprocesses started by the tests were still running (killed now):\n{lines}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SF 0.01 with the default 7 days of changes and every defect on."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, sf=0.01, days=7, seed=7, log=lambda _: None)
    return out
