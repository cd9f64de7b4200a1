"""Column-level lineage (Unity Catalog's column lineage) from the compiled SQL, and the
governance that follows it.

Every column of every model and snapshot is traced to the columns it is computed from with
sqlglot's lineage over the model's compiled SQL (from `manifest.json`), with the warehouse's own
catalog as the schema (what `catalog.json` holds). Bronze feed models read landing files
through their materialization, not SQL that names the fields, so their columns map to the
landing feed's fields by the feed contract (the field of the same name; the raw payload columns
hold every field). A model sqlglot cannot trace falls back to the same-named columns of its
parents, and says so (`method`).

Tracing is the costly part, and a model's trace depends on nothing but its compiled SQL, its
parents' declared columns and the warehouse's catalog: each traced table records a digest of
those (`digest`), and the next build takes the previous artifact's trace of every table whose
digest is unchanged (an incremental model compiles the same from its second run on).

Governance: a gold column any of whose upstream columns (transitively) is tagged
`meta: {pii: true}` must be tagged itself (`pii: true` with a `pii_policy`, and is then masked
in the serving copy) or declared `pii: false` with a `pii_reason`; a column that is neither is
a governance error, and the run publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage

from lakehouse.warehouse import connect

RAW_COLUMNS = ("_raw", "_before", "_after", "_rescued_data")
ARTIFACT = "column_lineage.json"


def _meta(column: dict[str, Any]) -> dict[str, Any]:
    return {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}


@dataclass
class Lineage:
    upstream: dict[str, list[str]] = field(default_factory=dict)  # column -> its inputs
    method: dict[str, str] = field(default_factory=dict)  # table -> how it was traced
    location: dict[str, str] = field(default_factory=dict)  # landing table -> file glob
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> its YAML meta
    digest: dict[str, str] = field(default_factory=dict)  # traced table -> its inputs' digest

    def pii_sources(self, column: str) -> list[str]:
        """The upstream columns (transitively, itself excluded) tagged `pii: true`."""
        seen, stack, found = {column}, list(self.upstream.get(column, [])), []
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if self.meta.get(current, {}).get("pii") is True:
                found.append(current)
            stack.extend(self.upstream.get(current, []))
        return sorted(found)

    def to_json(self) -> dict[str, Any]:
        return {"columns": {c: {"upstream": u, "meta": self.meta.get(c, {})}
                            for c, u in sorted(self.upstream.items())},
                "tables": {t: {"method": m,
                               **({"location": self.location[t]} if t in self.location else {}),
                               **({"digest": self.digest[t]} if t in self.digest else {})}
                           for t, m in sorted(self.method.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lineage:
        return cls(upstream={c: v["upstream"] for c, v in data["columns"].items()},
                   method={t: v["method"] for t, v in data["tables"].items()},
                   location={t: v["location"] for t, v in data["tables"].items()
                             if "location" in v},
                   digest={t: v["digest"] for t, v in data["tables"].items() if "digest" in v},
                   meta={c: v["meta"] for c, v in data["columns"].items() if v["meta"]})


def warehouse_schema(db: Path, database: str) -> dict[str, Any]:
    """The warehouse's tables and column types, as sqlglot's schema (catalog.schema.table)."""
    con = connect(db, read_only=True)
    try:
        rows = con.execute("select schema_name, table_name, column_name, data_type "
                           "from duckdb_columns() where database_name = current_database() "
                           "and not internal").fetchall()
    finally:
        con.close()
    schema: dict[str, Any] = {}
    for schema_name, table, column, data_type in rows:
        schema.setdefault(database, {}).setdefault(schema_name, {}).setdefault(table, {})[
            column] = data_type
    return schema


def _table_key(node: dict[str, Any]) -> str:
    if node["resource_type"] == "source":
        return f"{node['source_name']}.{node['name']}"
    return f"{node['schema']}.{node.get('alias') or node['name']}"


def build(manifest: dict[str, Any], schema: dict[str, Any],
          previous: Lineage | None = None, dialect: str = "duckdb") -> Lineage:
    """The column lineage of the manifest's models over the warehouse's catalog (`schema`),
    their compiled SQL read in sqlglot's `dialect`; the trace of a table whose inputs
    `previous` traced already (the same digest) is taken from it."""
    result = Lineage()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    relations: dict[tuple[str, ...], str] = {}
    for node in nodes.values():
        if node["resource_type"] in ("model", "snapshot", "seed", "source"):
            key = _table_key(node)
            identifier = (node.get("identifier") or node.get("alias") or node["name"]).lower()
            relations[(node["schema"].lower(), identifier)] = key
            relations[(str(node.get("database") or "").lower(), node["schema"].lower(),
                       identifier)] = key
            for name, column in node.get("columns", {}).items():
                if _meta(column):
                    result.meta[f"{key}.{name}"] = _meta(column)
        if node["resource_type"] == "source" and node["source_name"] == "landing":
            key = _table_key(node)
            result.method[key] = "landing files"
            result.location[key] = node["meta"].get("path", "")
            for name in node.get("columns", {}):
                result.upstream.setdefault(f"{key}.{name}", [])
    # what every trace reads besides its own model: the catalog and the manifest's relations
    catalog = hashlib.sha256(json.dumps([schema, sorted(relations.items())],
                                        sort_keys=True).encode()).hexdigest()
    for node in nodes.values():
        if node["resource_type"] not in ("model", "snapshot"):
            continue
        key = _table_key(node)
        columns = schema.get(node["database"], {}).get(node["schema"], {}).get(
            node.get("alias") or node["name"], {})
        parents = [nodes[p] for p in node["depends_on"]["nodes"] if p in nodes]
        feeds = [p for p in parents if p["resource_type"] == "source"
                 and p["source_name"] == "landing"]
        if feeds:  # a bronze feed: the landing fields by the contract
            feed = _table_key(feeds[0])
            fields = list(feeds[0].get("columns", {}))
            for column in columns:
                if column in RAW_COLUMNS:
                    inputs = [f"{feed}.{f}" for f in fields]
                elif column.startswith("_"):
                    inputs = []
                else:
                    inputs = [f"{feed}.{column}"]
                result.upstream[f"{key}.{column}"] = inputs
            result.method[key] = "feed contract"
            continue
        if node.get("language") == "python":  # a dbt Python model: its code is no SQL
            for column in columns:
                result.upstream[f"{key}.{column}"] = _by_name(column, node, parents, schema)
            result.method[key] = "by name (Python model)"
            continue
        digest = hashlib.sha256(json.dumps(
            [node.get("compiled_code") or "", list(columns), catalog,
             [(_table_key(p), sorted(p.get("columns", {}))) for p in parents]]).encode()
        ).hexdigest()[:16]
        result.digest[key] = digest
        if previous is not None and previous.digest.get(key) == digest:
            result.method[key] = previous.method[key]
            for column in columns:
                result.upstream[f"{key}.{column}"] = previous.upstream[f"{key}.{column}"]
            continue
        try:
            # (trim_selects: sqlglot would copy each scope's select once per column, for node
            # labels this trace does not read: five sixths of its time)
            traced = sqlglot_lineage(None, node.get("compiled_code") or "", schema=schema,
                                     dialect=dialect, trim_selects=False)
            for column in columns:
                inputs = []
                for leaf in (traced[column].walk() if column in traced else []):
                    if leaf.downstream or not isinstance(leaf.source, exp.Table):
                        continue
                    table = relations.get((leaf.source.catalog.lower(), leaf.source.db.lower(),
                                           leaf.source.name.lower())) or relations.get(
                        (leaf.source.db.lower(), leaf.source.name.lower()))
                    if table:
                        inputs.append(f"{table}.{leaf.name.split('.')[-1]}")
                # through a struct (struct_pack/unnest) sqlglot loses the column: by name
                result.upstream[f"{key}.{column}"] = sorted(set(inputs)) or _by_name(
                    column, node, parents, schema)
            result.method[key] = "sqlglot"
        except sqlglot.errors.SqlglotError:
            for column in columns:
                result.upstream[f"{key}.{column}"] = _by_name(column, node, parents, schema)
            result.method[key] = "by name (sqlglot could not parse)"
    return result


def _by_name(column: str, node: dict[str, Any], parents: list[dict[str, Any]],
             schema: dict[str, Any]) -> list[str]:
    """The parents' columns of the same name (or renamed to it by DuckDB's `* rename (a as
    b)`); failing those, the parents' rows (`<table>.*`: a count, a constant)."""
    names = {column} | {old for old, new in re.findall(
        r"(\w+) as (\w+)", " ".join(re.findall(r"rename \(([^)]*)\)",
                                                 node.get("compiled_code") or "")))
        if new == column}
    found = sorted(
        f"{_table_key(p)}.{name}" for p in parents for name in names
        if name in p.get("columns", {}) or name in schema.get(p.get("database") or "", {}).get(
            p["schema"], {}).get(p.get("alias") or p.get("identifier") or p["name"], {}))
    return found or sorted(f"{_table_key(p)}.*" for p in parents)


def governance_violations(result: Lineage, schemas: Iterable[str] = ("gold",)) -> list[str]:
    """One line per gold column derived from PII that is neither tagged nor declared not PII."""
    problems = []
    for column in sorted(result.upstream):
        if column.split(".")[0] not in schemas:
            continue
        meta = result.meta.get(column, {})
        sources = result.pii_sources(column)
        if meta.get("pii") is True or not sources:
            continue
        if meta.get("pii") is False and meta.get("pii_reason"):
            continue
        problems.append(
            f"{column} derives from personal data ({', '.join(sources[:3])}) but is not tagged: "
            "add meta {pii: true, pii_policy: hash|redact}, or {pii: false, pii_reason: '...'}")
    return problems


def masked_columns(result: Lineage, schemas: Iterable[str] = ("gold",)) -> dict[str, str]:
    """Column -> masking policy: tagged PII, and PII-derived columns not declared not PII."""
    masks = {}
    for column in result.upstream:
        if column.split(".")[0] not in schemas:
            continue
        meta = result.meta.get(column, {})
        if meta.get("pii") is True:
            masks[column] = meta.get("pii_policy", "hash")
        elif meta.get("pii") is not False and result.pii_sources(column):
            masks[column] = "hash"
    return masks


def write(result: Lineage, target: Path) -> Path:
    path = target / ARTIFACT
    path.write_text(json.dumps(result.to_json(), indent=1) + "\n")
    return path


def read(target: Path) -> Lineage:
    """The column lineage a run wrote to dbt's target directory."""
    return Lineage.from_json(json.loads((target / ARTIFACT).read_text()))


def tree(result: Lineage, column: str) -> list[str]:
    """The column and its inputs down to the landing fields, one line each, indented."""
    lines: list[str] = []

    def label(name: str) -> str:
        meta, table = result.meta.get(name, {}), name.rsplit(".", 1)[0]
        notes = []
        if meta.get("pii") is True:
            notes.append(f"pii: {meta['pii_policy']}" if "pii_policy" in meta else "pii")
        elif meta.get("pii") is False:
            notes.append(f"not pii: {meta.get('pii_reason', '')}")
        if table in result.location:
            notes.append(f"landing files {result.location[table]}")
        return name + (f"  [{'; '.join(notes)}]" if notes else "")

    def walk(name: str, prefix: str, seen: frozenset[str]) -> None:
        inputs = result.upstream.get(name, [])
        for i, child in enumerate(inputs):
            last = i == len(inputs) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{label(child)}")
            if child not in seen:
                walk(child, prefix + ("   " if last else "│  "), seen | {child})

    lines.append(label(column))
    walk(column, "", frozenset({column}))
    return lines
