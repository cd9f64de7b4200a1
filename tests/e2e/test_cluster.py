"""`lakehouse cluster start|status|stop`: a Spark standalone cluster on 127.0.0.1 (a master, a
worker, the Thrift server), every process in one group that `stop` ends entirely, and a start
interrupted (SIGINT, as Ctrl-C sends) leaves nothing running. The builds on a cluster are
test_spark.py's, on the cluster mode."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from browser import free_port
from warehouse import LAKEHOUSE

from lakehouse.config import PROJECT_DIR


def cluster(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(LAKEHOUSE), "cluster", *args], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=300)
    assert not check or result.returncode == 0, result.stderr[-3000:]
    return result


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def listening(pid_group: int) -> set[str]:
    """The local addresses the group's processes listen on (from /proc/net/tcp*)."""
    inodes = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pid_group:
                continue
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                found.add(fields[1].split(":")[0])
    return found


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}


def test_a_cluster_starts_reports_and_stops_entirely(tmp_path: Path) -> None:
    ports = {"--master-port": free_port(), "--thrift-port": free_port(),
             "--ui-port": free_port()}
    options = ["--dir", str(tmp_path / "cluster"), "--workers", "1",
               *(str(x) for pair in ports.items() for x in pair)]
    cluster("start", *options)
    state = json.loads(cluster("status", "--dir", str(tmp_path / "cluster")).stdout)
    group = json.loads((tmp_path / "cluster" / "cluster.json").read_text())["group"]
    try:
        assert state["running"] and set(state["processes"]) == {"master", "worker-1", "thrift"}
        with urllib.request.urlopen(state["master_ui"], timeout=10) as page:
            assert b"ALIVE" in page.read()
        with socket.create_connection(("127.0.0.1", ports["--thrift-port"]), timeout=5):
            pass
        addresses = listening(group)
        assert addresses and addresses <= LOOPBACK, addresses
        # a second start from the same directory is refused, the first left as it was
        again = cluster("start", *options, check=False)
        assert again.returncode != 0 and "already runs" in again.stderr
    finally:
        cluster("stop", "--dir", str(tmp_path / "cluster"))
    assert not group_alive(group)
    assert json.loads(cluster("status", "--dir", str(tmp_path / "cluster")).stdout) == {
        "directory": str(tmp_path / "cluster"), "running": False}


def test_an_interrupted_start_leaves_nothing_running(tmp_path: Path) -> None:
    start = subprocess.Popen(
        [str(LAKEHOUSE), "cluster", "start", "--dir", str(tmp_path / "cluster"), "--workers",
         "1", "--master-port", str(free_port()), "--thrift-port", str(free_port()),
         "--ui-port", str(free_port())], cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    logs = tmp_path / "cluster" / "logs"
    deadline = time.monotonic() + 120
    while not (logs / "worker-1.log").exists():  # the master is up, a worker starting
        assert start.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    start.send_signal(signal.SIGINT)
    assert start.wait(60) != 0
    assert running_from(tmp_path) == []


def running_from(directory: Path) -> list[str]:
    """The command lines of the processes that name `directory` in their command line or
    environment (every process of a cluster does: its logs directory is SPARK_LOG_DIR)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command, environment = ((proc / name).read_bytes().replace(b"\0", b" ").decode(
                errors="replace") for name in ("cmdline", "environ"))
        except OSError:  # gone, or not ours to read
            continue
        if str(directory) in command or str(directory) in environment:
            found.append(command[:200])
    return found
