"""`lakehouse serve-model`: the registered model's `champion` behind an HTTP endpoint on
127.0.0.1, as a Databricks model serving endpoint is.

- MLflow's scoring protocol: `POST /invocations` with a JSON body of `dataframe_split`
  (`{"columns": [...], "data": [[...]]}`), `dataframe_records` (`[{...}]`) or `instances`
  (records), answered `{"predictions": [...]}` (each line's probability of arriving late, as
  `gold.pred_late_delivery` holds it) with the model's name and version; `GET /ping`;
  `GET /version`.
- A lookup by key (`POST /lookup`, `{"keys": [{"order_id": 1, "line_number": 1}]}`), as
  Databricks' feature lookups: the features are read from the published feature table
  (`gold.ml_late_delivery_features` in the serving copy), so an application needs only the key.
- The alias is followed, not pinned: at most a second after `champion` moves (`lakehouse
  train`, or a person in MLflow), the next request loads the new version and answers with it;
  requests under way finish with the version they started with. No restart, no failed request.
- Bad input is a 4xx with a one-line reason, never a 500: a body that is not JSON or not one of
  the three shapes (400), a missing feature or a value of the wrong type (400), a key that is
  not in the feature table (404), more records than `--max-records` (413).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse import log as log_line
from lakehouse.config import Settings
from lakehouse.ml.training import (
    ALIAS,
    CATEGORICAL,
    FEATURES,
    FEATURES_TABLE,
    NUMERIC,
    champion_version,
    model_name,
)

if TYPE_CHECKING:
    import pandas as pd
    from starlette.applications import Starlette

KEYS = ("order_id", "line_number")
MAX_RECORDS = 10_000
# how often a request checks where the alias points (a read of MLflow's SQLite store)
ALIAS_CHECK_SECONDS = 1.0


class BadRequest(Exception):
    """A request the endpoint refuses: its HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Loaded:
    version: int
    model: Any


class Champion:
    """The version the `champion` alias points at, loaded; reloaded by the first request that
    finds the alias moved (checked at most every `ALIAS_CHECK_SECONDS`). A request scores with
    the `Loaded` it was handed, whatever happens to the alias meanwhile."""

    def __init__(self, tracking_uri: str, name: str,
                 log: Callable[[str], None] = log_line) -> None:
        self.uri, self.name, self.log = tracking_uri, name, log
        self.lock = threading.Lock()
        self.loaded: Loaded | None = None
        self.checked = -math.inf

    def current(self) -> Loaded:
        with self.lock:
            if time.monotonic() - self.checked >= ALIAS_CHECK_SECONDS or self.loaded is None:
                self.checked = time.monotonic()
                version = champion_version(self.uri, self.name)
                if version is None:
                    raise BadRequest(503, f"the model {self.name} has no `{ALIAS}` version "
                                     "yet (`lakehouse train` registers one)")
                if self.loaded is None or self.loaded.version != version:
                    self.loaded = Loaded(version, self._load(version))
                    self.log(f"serve-model: serving {self.name} version {version} "
                             f"(`{ALIAS}`)")
            return self.loaded

    def _load(self, version: int) -> Any:
        import mlflow
        import mlflow.sklearn

        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.uri)
        return mlflow.sklearn.load_model(f"models:/{self.name}/{version}")


def records_of(body: Any, max_records: int) -> list[dict[str, Any]]:
    """The records of an MLflow scoring request body (`dataframe_split`, `dataframe_records`
    or `instances`), at most `max_records`."""
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object with dataframe_split, "
                         "dataframe_records or instances")
    shapes = [k for k in ("dataframe_split", "dataframe_records", "instances") if k in body]
    if len(shapes) != 1:
        raise BadRequest(400, "the body must have exactly one of dataframe_split, "
                         f"dataframe_records, instances (it has {', '.join(body) or 'none'})")
    shape = body[shapes[0]]
    if shapes[0] == "dataframe_split":
        if (not isinstance(shape, dict) or not isinstance(shape.get("columns"), list)
                or not isinstance(shape.get("data"), list)):
            raise BadRequest(400, "dataframe_split must be {\"columns\": [...], \"data\": "
                             "[[...], ...]}")
        columns = shape["columns"]
        if any(not isinstance(row, list) or len(row) != len(columns) for row in shape["data"]):
            raise BadRequest(400, f"dataframe_split: every row of data must be a list of "
                             f"{len(columns)} values, one per column")
        records = [dict(zip(columns, row, strict=True)) for row in shape["data"]]
    else:
        if not isinstance(shape, list) or not all(isinstance(r, dict) for r in shape):
            raise BadRequest(400, f"{shapes[0]} must be a list of objects, one per record")
        records = shape
    if not records:
        raise BadRequest(400, "no records to score")
    if len(records) > max_records:
        raise BadRequest(413, f"{len(records)} records in one request; the limit is "
                         f"{max_records} (--max-records)")
    return records


def features_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The model's features of `records`, checked: every feature present, numbers numeric
    (null allowed: the model imputes it), categories text."""
    import pandas as pd

    missing = sorted({f for r in records for f in FEATURES if f not in r})
    if missing:
        raise BadRequest(400, f"missing feature(s): {', '.join(missing)}")
    for n, record in enumerate(records):
        for feature in NUMERIC:
            value = record[feature]
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                raise BadRequest(400, f"record {n}: {feature} must be a number, not "
                                 f"{json.dumps(value, default=str)}")
        for feature in CATEGORICAL:
            value = record[feature]
            if value is not None and not isinstance(value, str):
                raise BadRequest(400, f"record {n}: {feature} must be text, not "
                                 f"{json.dumps(value, default=str)}")
    frame = pd.DataFrame.from_records([{f: r[f] for f in FEATURES} for r in records],
                                      columns=list(FEATURES))
    return frame.astype({f: "float64" for f in NUMERIC})


def predict(loaded: Loaded, frame: pd.DataFrame) -> list[float]:
    """The late-delivery probabilities, as gold.pred_late_delivery computes them."""
    columns = list(getattr(loaded.model, "feature_names_in_", FEATURES))
    return [float(p) for p in loaded.model.predict_proba(frame[columns])[:, 1]]


def feature_columns(alias: str = "") -> str:
    """The features as SQL select items (of the table `alias`): numbers as doubles, as batch
    scoring reads them (DuckDB's conversion to pandas)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{c}::double" if c in NUMERIC else f"{prefix}{c}"
                     for c in FEATURES)


def lookup(settings: Settings, keys: Any, max_records: int) -> list[dict[str, Any]]:
    """The published features of the order lines `keys` ([{order_id, line_number}]), in the
    keys' order; a 404 names the keys the feature table does not hold."""
    from lakehouse.build.publish import SERVING_DB, connect_serving

    if not isinstance(keys, list) or not keys or not all(
            isinstance(k, dict) and all(isinstance(k.get(c), int)
                                        and not isinstance(k.get(c), bool) for c in KEYS)
            for k in keys):
        raise BadRequest(400, "keys must be a non-empty list of {\"order_id\": <integer>, "
                         "\"line_number\": <integer>}")
    if len(keys) > max_records:
        raise BadRequest(413, f"{len(keys)} keys in one request; the limit is {max_records} "
                         "(--max-records)")
    path = settings.serving_dir / SERVING_DB
    if not path.exists():
        raise BadRequest(503, f"nothing published at {path} yet (`lakehouse run`)")
    wanted = [(k["order_id"], k["line_number"]) for k in keys]
    con = connect_serving(path)
    try:
        con.execute("create temp table wanted (order_id bigint, line_number bigint)")
        con.executemany("insert into wanted values (?, ?)", wanted)
        rows = con.execute(
            f"select f.order_id, f.line_number, {feature_columns('f')} "
            f"from {FEATURES_TABLE} as f semi join wanted using (order_id, line_number)"
        ).fetchall()
    finally:
        con.close()
    found = {(r[0], r[1]): dict(zip(FEATURES, r[2:], strict=True)) for r in rows}
    unknown = [key for key in wanted if key not in found]
    if unknown:
        shown = ", ".join(f"({o}, {n})" for o, n in unknown[:5])
        raise BadRequest(404, f"{len(unknown)} key(s) not in {FEATURES_TABLE}: {shown}"
                         + (", ..." if len(unknown) > 5 else ""))
    return [{**found[key], **dict(zip(KEYS, key, strict=True))} for key in wanted]


def app(settings: Settings, max_records: int = MAX_RECORDS,
        log: Callable[[str], None] = log_line) -> Starlette:
    import mlflow  # (its version, for /version; the model loads on the first request)
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    name = model_name()
    champion = Champion(settings.tracking_uri, name, log)

    async def body_of(request: Request) -> Any:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise BadRequest(415, "the body must be application/json")
        try:
            return json.loads(await request.body())
        except ValueError as error:
            raise BadRequest(400, f"the body is not JSON: {error}") from None

    def answer(loaded: Loaded, predictions: list[float], **extra: Any) -> JSONResponse:
        return JSONResponse({"predictions": predictions, "model_name": name,
                             "model_version": loaded.version, **extra})

    def refusing(handler: Callable) -> Callable:
        async def wrapped(request: Request) -> Any:
            try:
                return await handler(request)
            except BadRequest as error:
                return PlainTextResponse(str(error) + "\n", status_code=error.status)
        return wrapped

    async def invocations(request: Request) -> JSONResponse:
        records = records_of(await body_of(request), max_records)
        frame = features_frame(records)
        loaded = champion.current()
        return answer(loaded, predict(loaded, frame))

    async def by_key(request: Request) -> JSONResponse:
        body = await body_of(request)
        keys = body.get("keys") if isinstance(body, dict) else None
        records = lookup(settings, keys, max_records)
        loaded = champion.current()
        return answer(loaded, predict(loaded, features_frame(records)),
                      keys=[{k: r[k] for k in KEYS} for r in records])

    async def ping(_: Request) -> PlainTextResponse:
        return PlainTextResponse("\n")

    async def version(_: Request) -> JSONResponse:
        loaded = champion.loaded
        return JSONResponse({"model_name": name, "alias": ALIAS,
                             "model_version": loaded.version if loaded else None,
                             "mlflow_version": mlflow.__version__})

    return Starlette(routes=[
        Route("/invocations", refusing(invocations), methods=["POST"]),
        Route("/lookup", refusing(by_key), methods=["POST"]),
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ])


def serve_model(settings: Settings, port: int, max_records: int = MAX_RECORDS) -> int:
    import uvicorn

    log_line(f"serve-model: {model_name()} (`{ALIAS}`) on http://127.0.0.1:{port} "
             "(/invocations, /lookup, /ping, /version; Ctrl-C to stop)")
    uvicorn.run(app(settings, max_records), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)
    return 0
