"""A Spark standalone cluster on this machine for the `spark_cluster` target (`lakehouse cluster
start|stop|status`): a master, `workers` workers (each with its cores and memory, executors in
processes of their own), and the Thrift JDBC/ODBC server (HiveThriftServer2) that dbt-spark's
`method: thrift` connects to, all from the pyspark wheel's own classes (it ships no start-*.sh
scripts), all bound to 127.0.0.1.

Every process is in one process group, the master's: `stop` ends the group (SIGTERM, then
SIGKILL for what is left), and so does Ctrl-C or any error while `start` waits for the Thrift
port. `start` returns once the Thrift server answers and leaves the cluster running; its state
(process group, pids, ports) is `cluster.json` in the cluster's directory, with its logs
(`logs/`), the workers' directories (`work/`), and the warehouse the Thrift server writes:
`warehouse/<schema>.db/<table>/` Parquet files and a Derby metastore, the spark target's layout,
so that what reads a Spark warehouse (`warehouse.attach`, the tests, the bench) reads this one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from lakehouse import log as log_line
from lakehouse.errors import UserError

SPARK_HOME = Path(__import__("pyspark").__file__).parent
HOST = "127.0.0.1"
STATE = "cluster.json"
# the SQL settings of the Thrift server's sessions: the spark target's (profiles.yml)
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.mergeSchema": "true",
}


@dataclass
class Cluster:
    """What `start` started: the process group, each process's pid and the ports."""

    directory: str
    group: int
    pids: dict[str, int]
    master_port: int
    master_ui_port: int
    worker_ui_ports: list[int]
    thrift_port: int
    app_ui_port: int
    workers: int
    cores: int
    memory: str
    started_at: float

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    def running(self) -> dict[str, bool]:
        """Each process: whether it still runs."""
        return {name: _alive(pid) for name, pid in self.pids.items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not reaped) does not run
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _environment(directory: Path) -> dict[str, str]:
    # no REST submission server on the master (a fixed port, 6066, that a second cluster
    # would collide on; dbt submits nothing): applications come through the Thrift server
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": HOST,
            "SPARK_LOG_DIR": str(directory / "logs"), "SPARK_WORKER_DIR": str(directory / "work"),
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}


def load(directory: Path) -> Cluster | None:
    """The cluster started with `directory`, None when none was (or its state is gone)."""
    path = directory / STATE
    if not path.exists():
        return None
    return Cluster(**json.loads(path.read_text()))


def start(directory: Path, workers: int = 2, cores: int = 1, memory: str = "1g",
          master_port: int = 7077, thrift_port: int = 10000, ui_port: int = 8080,
          seconds: float = 180, log: Callable[[str], None] = log_line) -> Cluster:
    """Start the cluster (master, workers, Thrift server) and wait until the Thrift server
    answers; on any failure or signal while waiting, stop what was started."""
    directory = directory.resolve()
    running = load(directory)
    if running is not None and any(running.running().values()):
        raise UserError(f"a cluster already runs from {directory} (process group "
                        f"{running.group}): `lakehouse cluster stop` first")
    for port in (master_port, thrift_port, *range(ui_port, ui_port + workers + 2)):
        if _port_open(port):
            raise UserError(f"port {port} on {HOST} is in use: another cluster or server runs "
                            "(`lakehouse cluster status`, or choose other ports)")
    for sub in ("logs", "work", "warehouse"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    env = _environment(directory)
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    pids: dict[str, int] = {}
    group = 0

    def launch(name: str, command: list[str]) -> None:
        nonlocal group
        with (directory / "logs" / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                command, env=env, cwd=directory, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # the master leads a new process group, the others join it (a group must be
                # in this process's session: a new session could not be joined)
                process_group=group)
        group = group or process.pid
        pids[name] = process.pid

    def stop_on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, stop_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        launch("master", [spark_class, "org.apache.spark.deploy.master.Master",
                          "--host", HOST, "--port", str(master_port),
                          "--webui-port", str(ui_port)])
        _wait(lambda: _port_open(master_port), seconds, "the master", pids, directory)
        worker_ui_ports = [ui_port + 1 + i for i in range(workers)]
        for i, port in enumerate(worker_ui_ports, start=1):
            launch(f"worker-{i}", [spark_class, "org.apache.spark.deploy.worker.Worker",
                                   f"spark://{HOST}:{master_port}", "--host", HOST,
                                   "--cores", str(cores), "--memory", memory,
                                   "--webui-port", str(port),
                                   "--work-dir", str(directory / "work" / f"worker-{i}")])
        app_ui_port = ui_port + 1 + workers
        warehouse = directory / "warehouse"
        settings = {
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.hadoop.javax.jdo.option.ConnectionURL":
                f"jdbc:derby:;databaseName={directory / 'metastore_db'};create=true",
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={directory}",
            "spark.driver.host": HOST,
            "spark.driver.bindAddress": HOST,
            "spark.ui.port": str(app_ui_port),
            "spark.executor.memory": memory,
            "spark.executor.cores": str(cores),
            "spark.app.name": "lakehouse-thrift",
            **SQL_SETTINGS,
        }
        launch("thrift", [
            str(SPARK_HOME / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--master", f"spark://{HOST}:{master_port}",
            *(arg for key, value in settings.items() for arg in ("--conf", f"{key}={value}")),
            "--hiveconf", f"hive.server2.thrift.port={thrift_port}",
            "--hiveconf", f"hive.server2.thrift.bind.host={HOST}",
            "spark-internal"])
        _wait(lambda: _port_open(thrift_port), seconds, "the Thrift server", pids, directory)
    except BaseException:
        _stop_group(group)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    cluster = Cluster(str(directory), group, pids, master_port, ui_port, worker_ui_ports,
                      thrift_port, app_ui_port, workers, cores, memory, time.time())
    (directory / STATE).write_text(json.dumps(asdict(cluster), indent=1) + "\n")
    log(f"cluster: up in {directory} ({workers} worker(s) x {cores} core(s), {memory}): "
        f"thrift {HOST}:{thrift_port}, master UI http://{HOST}:{ui_port}, "
        f"application UI http://{HOST}:{app_ui_port}")
    return cluster


def _wait(ready: Callable[[], bool], seconds: float, what: str, pids: dict[str, int],
          directory: Path) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        dead = [name for name, pid in pids.items() if not _alive(pid)]
        if dead:
            raise UserError(f"cluster: {', '.join(dead)} exited while starting: see "
                            f"{directory / 'logs'}")
        if time.monotonic() > deadline:
            raise UserError(f"cluster: {what} did not answer within {seconds:.0f}s: see "
                            f"{directory / 'logs'}")
        time.sleep(0.5)


def _stop_group(group: int, grace: float = 20) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds; returns
    when no process of the group is left."""
    if not group:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    for sig, seconds in ((signal.SIGKILL, grace), (None, 5.0)):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, sig)


def stop(directory: Path, log: Callable[[str], None] = log_line) -> bool:
    """Stop the cluster started with `directory`; False when none was."""
    cluster = load(directory.resolve())
    if cluster is None:
        return False
    _stop_group(cluster.group)
    (directory.resolve() / STATE).unlink(missing_ok=True)
    log(f"cluster: stopped (process group {cluster.group})")
    return True


def status(directory: Path) -> dict[str, object]:
    """What runs and where: each process and whether it runs, the URLs."""
    cluster = load(directory.resolve())
    if cluster is None:
        return {"directory": str(directory.resolve()), "running": False}
    running = cluster.running()
    return {
        "directory": cluster.directory, "running": all(running.values()),
        "processes": {name: {"pid": cluster.pids[name], "running": alive}
                      for name, alive in running.items()},
        "master": cluster.master_url, "thrift": f"{HOST}:{cluster.thrift_port}",
        "master_ui": f"http://{HOST}:{cluster.master_ui_port}",
        "worker_uis": [f"http://{HOST}:{port}" for port in cluster.worker_ui_ports],
        "application_ui": f"http://{HOST}:{cluster.app_ui_port}",
        "workers": cluster.workers, "cores": cluster.cores, "memory": cluster.memory,
        "warehouse": str(Path(cluster.directory) / "warehouse"),
    }
