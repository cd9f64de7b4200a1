"""Shared fixtures: the data set and the warehouses several test files read, each made once per
test session by whichever worker asks first; and the guard that no process a test started
outlives the suite."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import warehouse
from warehouse import Served

from lakehouse.sources.generator import generate

# every process the tests start inherits this variable (the tests pass os.environ on), so the
# ones still running when the session ends are found by it, killed, and fail the session
SESSION_MARK = "LAKEHOUSE_TEST_SESSION"


def pytest_sessionstart(session: pytest.Session) -> None:
    os.environ[SESSION_MARK] = uuid.uuid4().hex
    # dbt's debug log file (logs/dbt.log) costs a tenth of a build's time at this size, and no
    # test reads it: a failing dbt command's own output is in the test's failure message
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")
    # one dbt thread: the suite's workers already keep both cores busy, and a second thread
    # only adds contention for Python's GIL (an increment at SF 0.01: 28-30 CPU s with one,
    # 32-34 with two, the same wall time). The session's two shared warehouses, the proofs
    # of a one-run build and the start of the serving, operator and increments tests, are
    # built with the users' default of two (`USERS_THREADS`), so parallel nodes writing the
    # ledger and the expectation tables stay proven
    os.environ.setdefault("LAKEHOUSE_THREADS", "1")


USERS_THREADS = {"LAKEHOUSE_THREADS": "2"}  # profiles.yml's default


# the longest test files first (their seconds in the suite, docs/testing.md): with a few
# workers (pytest-xdist, a file per worker, in this order: `lakehouse test` turns off xdist's
# own order, by number of tests) the suite ends when its last file does, so a long file must
# not start last
LONGEST_FIRST = ("test_spark", "test_lake", "test_silver", "test_bronze_runs",
                 "test_orchestration", "test_operator", "test_serving", "test_gold",
                 "test_increments", "test_ml", "test_capture", "test_poison", "test_bronze",
                 "test_bench", "test_databricks", "test_alert_runs", "test_governance",
                 "test_debezium")


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


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The session's directory shared by pytest-xdist's workers."""
    root = factory.getbasetemp()
    root = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "shared"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session", autouse=True)
def parse_seeds(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dbt's partial parse, shared by the session's scratch warehouses (`Warehouse.dbt`)."""
    warehouse.PARSE_SEEDS = shared_root(tmp_path_factory) / "parse-seeds"
    warehouse.PARSE_SEEDS.mkdir(exist_ok=True)


@pytest.fixture(scope="session", autouse=True)
def dbt_launcher() -> Iterator[None]:
    """The process the scratch warehouses' dbt commands are forked from (`lakehouse.launcher`,
    started by the first command), stopped with the session."""
    yield
    warehouse.LAUNCHER.stop()


def shared(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """`name`, made by `make(path)` once per session: by the first worker to ask (the others
    wait on a file lock in the session's base directory, shared by pytest-xdist's workers), and
    made again only if making it failed. Readers must not change it (copy it: `Served.copy`)."""
    root = shared_root(factory)
    path = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (path / ".made").exists():
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir()
            make(path)
            (path / ".made").touch()
    return path


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SF 0.01 with the default 7 days of changes and every defect on."""
    return shared(tmp_path_factory, "generated",
                  lambda out: generate(out, sf=0.01, days=7, seed=7, log=lambda _: None))


@pytest.fixture(scope="session")
def published_day1(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    """Days 0 and 1 delivered and built by one `lakehouse run`, gold published: the warehouse
    the serving, operator and increments tests start from (each on its own copy) and the
    orchestration test compares with."""
    def make(root: Path) -> None:
        wh = Served(root, generated, env=USERS_THREADS)
        wh.deliver(1)
        wh.run()

    return shared(tmp_path_factory, "published-day1", make)


@pytest.fixture(scope="session")
def published_all_days(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    """Every day delivered and built by one `lakehouse run`, gold published: silver's one-run
    proofs and the governance tests start from it (each on its own copy)."""
    def make(root: Path) -> None:
        wh = Served(root, generated, env=USERS_THREADS)
        wh.deliver()
        wh.run()

    return shared(tmp_path_factory, "published-all-days", make)
