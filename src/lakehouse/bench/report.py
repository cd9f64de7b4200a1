"""The pipeline benchmark's outputs: `bench.json` (every figure), `report.md` and two charts
(`runs.png`: time per run; `layers.png`: time per layer, full build and first increment)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

LAYERS = ("bronze", "silver", "gold")
# the sides that ran the project on another dbt target, and their report titles
OTHER_TARGETS = {"lake": "The lake target (DuckLake)", "spark": "The spark target (local Spark)",
                 "spark_cluster": "The spark_cluster target (a Spark cluster over Thrift)"}
GIB = 1024**3
UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _dbt_fixed_cost(result: dict[str, Any]) -> list[str]:
    """Where each dbt process of ours spends its wall time besides the nodes (its JSON log's
    events: `pipeline.PHASES`), summed over the processes of each run."""
    from lakehouse.bench.pipeline import PHASES

    phases = [*PHASES, "exit"]
    lines = [
        "",
        "## dbt's fixed cost",
        "",
        "Per run, the seconds each phase of dbt's processes took, summed over the run's "
        "processes (one per layer, and `dbt test`), from the events of dbt's JSON log file: "
        "the interpreter and dbt's imports; the adapter and its plugins; reading the partial "
        "parse and writing manifest.json; from the parse to the first node (connection, "
        "schemas, relation cache); the nodes; the artifacts written after them "
        "(run_results.json, manifest.json again); the process's exit.",
        "",
        "| run | processes | " + " | ".join(p.replace("_", " ") for p in phases) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in phases) + " |",
    ]
    for r in result["runs"]:
        measured = [s["dbt_phases"] for s in r["ours"]["steps"] if s.get("dbt_phases")]
        if not measured:
            continue
        lines.append(f"| {r['run']} ({r['kind']}) | {len(measured)} | " + " | ".join(
            f"{sum(m[p] for m in measured):.2f}" for p in phases) + " |")
    return lines

def memory_bytes(setting: str) -> int:
    """A DuckDB memory setting ('8GB' = 8 * 10^9 bytes, '8GiB' = 8 * 2^30) in bytes."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", setting)
    if not match or match.group(2).lower() not in UNITS:
        raise ValueError(f"not a memory size: {setting!r}")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, evaluated on the figures (reported, never asserted by a test)."""
    runs = result["runs"]
    full, increments = runs[0], runs[1:]
    limit = memory_bytes(result["params"]["memory_limit"])
    peak = max(max(r["ours"]["peak_rss_bytes"], r["baseline"]["peak_rss_bytes"]) for r in runs)
    out: dict[str, Any] = {
        "full_build_ours_over_baseline": full["ratio"]["total_net"],
        "full_build_ours_over_baseline_with_dbt_overhead": full["ratio"]["total_with_dbt_overhead"],
        "peak_rss_bytes": peak,
        "memory_ceiling_bytes": limit + 2 * GIB,
        "peak_within_limit_plus_2gib": peak <= limit + 2 * GIB,
    }
    if increments:
        share = [r["ours"]["net_seconds"] / full["ours"]["net_seconds"] for r in increments]
        gross = [(r["ours"]["net_seconds"] + r["ours"]["dbt_overhead_seconds"])
                 / (full["ours"]["net_seconds"] + full["ours"]["dbt_overhead_seconds"])
                 for r in increments]
        out |= {
            "increment_share_of_full_build": sum(share) / len(share),
            "increment_share_of_full_build_with_dbt_overhead": sum(gross) / len(gross),
            "increment_ours_over_baseline": sum(r["ratio"]["total_net"] for r in increments)
            / len(increments),
        }
    return out


def slowest_models(run: dict[str, Any], top: int = 8) -> list[tuple[str, float, float | None]]:
    """Ours' `top` slowest models of a run, (schema.model, seconds, the baseline's seconds for
    the same table or None)."""
    nodes: dict[str, float] = {}
    for step in run["ours"]["steps"]:
        if step["step"] in LAYERS:
            nodes |= step.get("slowest_nodes", {})
    tables = run["baseline"].get("tables", {})
    out = []
    for unique_id, seconds in sorted(nodes.items(), key=lambda kv: -kv[1])[:top]:
        name = unique_id.split(".")[-1]
        table = next((t for t in tables if t.split(".")[-1] == name), None)
        out.append((table or name, seconds, tables.get(table) if table else None))
    return out


def _engines(params: dict[str, Any]) -> list[str]:
    """The engines a bench ran (one name in reports made before several could run)."""
    engine = params.get("engine", "duckdb")
    return [engine] if isinstance(engine, str) else engine


def _gib(n: float | None) -> str:
    return "-" if not n else f"{n / GIB:.2f} GiB"


def _other_target(result: dict[str, Any], target: str, title: str) -> list[str]:
    """The section of a side that ran the project on another dbt target (`lake`, `spark`)."""
    lines = [
        "",
        f"## {title} against the DuckDB file",
        "",
        f"The same project on the `{target}` target (one dbt thread: see the README), run right "
        "after ours on the same landing zone; net seconds and dbt overhead as above ("
        + {"spark": "the overhead includes starting the JVM and its Spark session, in each of "
                    "the three dbt processes",
           "spark_cluster": f"a cluster of {result['params'].get('cluster_workers')} one-core "
                            "workers and the Thrift server, started before the runs; the "
                            "overhead includes opening Thrift sessions; peak memory is dbt's "
                            "process, not the cluster's JVMs"}.get(target, "one DuckDB process")
        + "). Its gold, compared with ours after the full build and the last run: "
        + ("**identical**." if all(
            not (t["only_ours"] or t["only_baseline"])
            for name, check in result["gold_checks"].items() if name.endswith(f": {target}")
            for t in check.values()) else "**DIFFERENT** (see gold_checks in bench.json)."),
        "",
        f"| run | DuckDB file net s | {target} net s | {target} dbt overhead s "
        f"| {target} / DuckDB file | {target} / baseline | {target} bronze s "
        f"| {target} silver s | {target} gold s | {target} tests s | {target} peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        k = r[target]
        tests = "-" if k["test_seconds"] is None else f"{k['test_seconds']:.1f}"
        lines.append(
            f"| {r['run']} ({r['kind']}) | {r['ours']['net_seconds']:.2f} "
            f"| {k['net_seconds']:.2f} | {k['dbt_overhead_seconds']:.1f} "
            f"| {k['over_ours']:.2f}x | {k['over_baseline']:.2f}x "
            + " ".join(f"| {k['layers'][x]['net_seconds']:.2f}" for x in LAYERS)
            + f" | {tests} | {_gib(k['peak_rss_bytes'])} |")
    lines += ["", f"Slowest models on `{target}`, per run (seconds):", ""]
    for r in result["runs"]:
        nodes: dict[str, float] = {}
        for layer in r[target]["layers"].values():
            nodes |= layer["slowest_nodes"]
        slowest = sorted(nodes.items(), key=lambda kv: -kv[1])[:6]
        lines.append(f"- run {r['run']}: " + ", ".join(
            f"{unique_id.split('.')[-1]} {seconds:.1f}" for unique_id, seconds in slowest))
    return lines


def _markdown(result: dict[str, Any], t: dict[str, Any]) -> str:
    p, m, g = result["params"], result["machine"], result["generation"]
    lines = [
        f"# Pipeline benchmark: SF {p['sf']:g}, {p['days']} day(s) of changes",
        "",
        f"Measured {result['measured_at']} on {m['cpu']} ({m['cores']} cores, "
        f"{m['memory_bytes'] / GIB:.0f} GiB), {m['os']}; Python {m['python']}, DuckDB "
        f"{m['duckdb']}, dbt-core {m['dbt-core']}, dbt-duckdb {m['dbt-duckdb']}; DuckDB "
        f"memory_limit {p['memory_limit']}, {p['threads']} threads.",
        "",
        f"Reproduce: `lakehouse bench --sf {p['sf']:g} --days {p['days']} --seed {p['seed']} "
        + (f"--change-scale {p['change_scale']:g} " if p.get("change_scale", 1) != 1 else "")
        + f"--memory-limit {p['memory_limit']} --threads {p['threads']}"
        + ("" if p["tests"] else " --no-tests")
        + (" --lake-target" if p.get("lake_target") else "")
        + "".join(f" --engine {e}" for e in _engines(p) if e != "duckdb")
        + (f" --workers {p['cluster_workers']}" if p.get("cluster_workers") else "") + "`",
        "",
        f"Data generation (timed apart): {g['seconds']:.1f} s, peak memory "
        f"{_gib(g['peak_rss_bytes'])}"
        + (" (data set reused; figures from when it was made)." if g["reused"] else "."),
        "",
        ("**The baseline failed** in " + result["baseline_error"] + "; its figures are "
         "`nan` from that run on and gold was not compared." if result.get("baseline_error") else
         "Gold of ours and of the baseline, compared table by table after the full build and "
         "after the last run: " + ("**identical**." if result["gold_identical"]
                                   else "**DIFFERENT** (see gold_checks in bench.json).")),
        "",
        "## Runs",
        "",
        "Run 0 is the full build from an empty warehouse (day 0's extracts); run d applies day "
        "d's files. *Ours net* is the time dbt's nodes ran; *dbt overhead* the rest of dbt's "
        "wall time (process start, parse, connection, artifacts: 3 processes a run); tests "
        "(`dbt test`) are reported apart and are in no ratio.",
        "",
        "| run | files | landing lines | ours net s | dbt overhead s | tests s | baseline s "
        "| ours net / baseline | ours peak memory | baseline peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        o, b = r["ours"], r["baseline"]
        tests = "-" if o["test_seconds"] is None else f"{o['test_seconds']:.1f}"
        lines.append(
            f"| {r['run']} ({r['kind']}) | {r['files']} | {r['landing_lines']:,} "
            f"| {o['net_seconds']:.2f} | {o['dbt_overhead_seconds']:.1f} | {tests} "
            f"| {b['seconds']:.2f} | {r['ratio']['total_net']:.2f}x "
            f"| {_gib(o['peak_rss_bytes'])} | {_gib(b['peak_rss_bytes'])} |")
    lines += [
        "",
        "## Per layer",
        "",
        "*Rows in*: landing lines of the run's new files (bronze), new bronze rows (silver), new "
        "history versions (gold); *rows out*: rows in the layer's tables after the run.",
        "",
        "| run | layer | ours net s | dbt overhead s | baseline s | ours/baseline | rows in "
        "| rows out (ours) | ours rows/s | baseline rows/s | ours peak memory |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        for layer in ("bronze", "silver", "gold"):
            o, b = r["ours"]["layers"][layer], r["baseline"]["layers"][layer]
            lines.append(
                f"| {r['run']} | {layer} | {o['net_seconds']:.2f} | {o['dbt_overhead_seconds']:.1f} "
                f"| {b['seconds']:.2f} | {r['ratio'][layer]:.2f}x | {o['rows_in']:,} "
                f"| {o['rows_out']:,} | {o['rows_per_second'] or 0:,.0f} "
                f"| {b['rows_per_second'] or 0:,.0f} | {_gib(o['peak_rss_bytes'])} |")
    lines += _dbt_fixed_cost(result)
    lines += [
        "",
        "## Slowest models",
        "",
        "Per run, ours' slowest models (dbt's execution time) beside the baseline's statements "
        "that write the same table (create, insert, delete, update, and the temporary tables "
        "computed for it; `-` where the baseline has "
        "no such table, such as the checked relations and quarantines).",
        "",
        "| run | model | ours s | baseline s | ours/baseline |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        for model, ours_s, base_s in slowest_models(r):
            ratio = f"{ours_s / base_s:.2f}x" if base_s else "-"
            base = "-" if base_s is None else f"{base_s:.2f}"
            lines.append(f"| {r['run']} | {model} | {ours_s:.2f} | {base} | {ratio} |")
    for target, title in OTHER_TARGETS.items():
        if target in result["runs"][0]:
            lines += _other_target(result, target, title)
    lines += [
        "",
        "## Targets",
        "",
        f"- Full build, ours / baseline: **{t['full_build_ours_over_baseline']:.2f}x** net "
        f"(target at most 1.3x); {t['full_build_ours_over_baseline_with_dbt_overhead']:.2f}x "
        "with dbt's fixed overhead.",
    ]
    if "increment_share_of_full_build" in t:
        lines += [
            f"- One day's increment, ours, as a share of ours' full build (mean over the "
            f"increments): **{t['increment_share_of_full_build']:.1%}** net (target at most "
            f"5% at SF 10); {t['increment_share_of_full_build_with_dbt_overhead']:.1%} with dbt's fixed "
            f"overhead. Increment, ours / baseline: {t['increment_ours_over_baseline']:.2f}x net.",
        ]
    lines += [
        f"- Peak memory of any process: {_gib(t['peak_rss_bytes'])}; ceiling (memory_limit + "
        f"2 GiB) {_gib(t['memory_ceiling_bytes'])}: "
        + ("within." if t["peak_within_limit_plus_2gib"] else "**exceeded**."),
        "",
        "![time per run](runs.png)",
        "",
        "![time per layer](layers.png)",
        "",
    ]
    return "\n".join(lines)


def _charts(result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"bronze": "#b08d57", "silver": "#a8a9ad", "gold": "#d4af37",
              "dbt overhead": "#5b8def"}
    runs = result["runs"]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(runs) + 2), 4.5))
    width = 0.38
    for i, r in enumerate(runs):
        for side, offset in (("ours", -width / 2), ("baseline", width / 2)):
            bottom = 0.0
            parts = [(layer, r[side]["layers"][layer].get("net_seconds",
                                                          r[side]["layers"][layer]["seconds"]))
                     for layer in ("bronze", "silver", "gold")]
            if side == "ours":
                parts.append(("dbt overhead", r["ours"]["dbt_overhead_seconds"]))
            for label, seconds in parts:
                ax.bar(i + offset, seconds, width, bottom=bottom, color=colors[label],
                       edgecolor="black" if side == "ours" else "white",
                       hatch="" if side == "ours" else "//",
                       label=label if i == 0 and side == "ours" else None)
                bottom += seconds
    ax.set_xticks(range(len(runs)),
                  [f"run {r['run']}\n{r['kind']}" for r in runs])
    ax.set_ylabel("seconds")
    ax.set_title(f"Time per run, SF {result['params']['sf']:g}: ours (left, solid) vs "
                 "baseline (right, hatched)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "runs.png", dpi=110)
    plt.close(fig)

    shown = runs[:2]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
    for ax, r in zip(axes[0], shown, strict=True):
        layers = ["bronze", "silver", "gold"]
        ours = [r["ours"]["layers"][x]["net_seconds"] for x in layers]
        overhead = [r["ours"]["layers"][x]["dbt_overhead_seconds"] for x in layers]
        base = [r["baseline"]["layers"][x]["seconds"] for x in layers]
        xs = range(len(layers))
        ax.bar([x - width / 2 for x in xs], ours, width, color="#2a9d8f", label="ours (net)")
        ax.bar([x - width / 2 for x in xs], overhead, width, bottom=ours, color=colors["dbt overhead"],
               label="dbt overhead")
        ax.bar([x + width / 2 for x in xs], base, width, color="#e76f51", label="baseline")
        ax.set_xticks(list(xs), layers)
        ax.set_ylabel("seconds")
        ax.set_title(f"run {r['run']} ({r['kind']})")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "layers.png", dpi=110)
    plt.close(fig)


def write_report(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result["targets"] = targets(result)
    (out / "bench.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / "report.md").write_text(_markdown(result, result["targets"]))
    _charts(result, out)
