"""dbt commands forked from a process that imported dbt once (a zygote, as Android starts its
apps): each command is still a process of its own, with its own environment, directory and
output, that runs dbt's command line as the `dbt` executable does and exits, releasing the
warehouse; only dbt's imports, 1.5-3 CPU seconds of every command here, are not paid again.
`lakehouse stream` builds each micro-batch this way (a trigger's build is a few seconds, so
the imports were a third of it), and so do the tests' scratch warehouses (tests/warehouse.py).

Run as a module (`python -m lakehouse.launcher`), it is the zygote: it reads one request per
line on stdin (JSON: the arguments, environment, working directory and output file of a dbt
command), forks, waits for the command and answers one line (JSON: exit code, CPU seconds,
peak memory); it ends with its input, so it never outlives the process that started it.
`Launcher` is the other side: `Launcher().measure` is `lakehouse.dbt.measure` for
`Dbt(launch=...)`.

`Launcher(in_process=True)` (`python -m lakehouse.launcher --in-process`) runs the commands in
the zygote itself, one after the other, for the `spark` target's session: dbt-spark starts
Spark's JVM inside the process that runs dbt, and a JVM spends most of a short build's CPU
compiling Spark's own code (its JIT); kept between commands, the second build finds that
code compiled (measured: two builds of the Spark proofs 525 -> 435 CPU seconds). Spark's
session is stopped after each command, so the next starts with a new session and catalog
(no table listing cached from the last); the JVM's own log lines go to the first command's
output."""

from __future__ import annotations

import atexit
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the zygote imports no lakehouse module: they import DuckDB)
    from lakehouse.dbt import Measured

# dbt's command line and tasks (pure Python: DuckDB, whose import starts a thread, is left to
# each command, as a fork copies only the thread that forks)
PRELOAD = ("dbt.cli.main", "dbt.task.build", "dbt.task.run", "dbt.task.compile",
           "dbt.task.show", "dbt.task.docs.generate")


def _child(request: dict[str, Any]) -> int:
    """In the forked process (or the zygote itself: `_in_process`): the dbt command, as `dbt`
    runs it; its exit status."""
    from dbt.cli.main import cli

    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops dbt, as ever
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    sys.argv = ["dbt", *request["args"]]
    try:
        cli.main(args=request["args"], prog_name="dbt", standalone_mode=True)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except BaseException:  # as the interpreter would report it
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _in_process(request: dict[str, Any]) -> int:
    """In the zygote itself: the command, its output redirected and given back, then Spark's
    session stopped (the JVM stays, with the code it compiled)."""
    saved = os.dup(1), os.dup(2)
    try:
        return _child(request)
    finally:
        if "pyspark" in sys.modules:
            from pyspark import SparkContext

            if SparkContext._active_spark_context is not None:
                SparkContext._active_spark_context.stop()
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # (as between forked commands)
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def serve(in_process: bool = False) -> None:
    # Ctrl-C in the terminal reaches the whole process group: the command under way stops
    # (its caller sees it fail), the zygote ends with its input, as its caller ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for module in PRELOAD:
        __import__(module)
    for line in sys.stdin:
        request = json.loads(line)
        if in_process:
            before = resource.getrusage(resource.RUSAGE_SELF)
            code = _in_process(request)
            after = resource.getrusage(resource.RUSAGE_SELF)
            print(json.dumps({"returncode": code,
                              "cpu_seconds": after.ru_utime + after.ru_stime
                              - before.ru_utime - before.ru_stime,
                              "peak_rss_bytes": after.ru_maxrss * 1024}), flush=True)
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
                atexit._run_exitfuncs()  # dbt-duckdb closes the warehouse at exit
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                          "cpu_seconds": usage.ru_utime + usage.ru_stime,
                          "peak_rss_bytes": usage.ru_maxrss * 1024}), flush=True)


class Launcher:
    """The caller's side: one zygote, started by the first command, stopped by `stop` (or when
    the caller ends: its input closes); `measure` is `lakehouse.dbt.measure` for
    `Dbt(launch=...)`."""

    def __init__(self, in_process: bool = False) -> None:
        self.zygote: subprocess.Popen[str] | None = None
        self.in_process = in_process

    def measure(self, command: list[str], env: Mapping[str, str] | None, cwd: Path,
                capture: bool) -> Measured:
        from lakehouse.dbt import DBT, Measured, measure

        if command[0] != str(DBT):  # another dbt (the databricks target's): as a child
            return measure(command, env, cwd, capture)
        if self.zygote is None or self.zygote.poll() is not None:
            # (as a module: run as a file, its folder would shadow dbt with lakehouse/dbt.py)
            self.zygote = subprocess.Popen([sys.executable, "-m", __name__,
                                            *(["--in-process"] if self.in_process else [])],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           text=True)
        assert self.zygote.stdin is not None and self.zygote.stdout is not None
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile("r", suffix=".log") as output:
            self.zygote.stdin.write(json.dumps({
                "args": command[1:], "env": dict(os.environ if env is None else env),
                "cwd": str(cwd), "output": output.name}) + "\n")
            self.zygote.stdin.flush()
            answer = json.loads(self.zygote.stdout.readline())
            text = output.read()
        if not capture:
            print(text, end="")
        return Measured(answer["returncode"], time.perf_counter() - started,
                        answer["peak_rss_bytes"], text if capture else None,
                        answer["cpu_seconds"])

    def stop(self) -> None:
        if self.zygote is not None:
            assert self.zygote.stdin is not None
            self.zygote.stdin.close()  # the zygote ends with its input
            self.zygote.wait(30)
            self.zygote = None


if __name__ == "__main__":
    serve(in_process="--in-process" in sys.argv[1:])
