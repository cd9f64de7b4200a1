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
- A/B: with `--challenger-share F`, each request goes to the `challenger` version with
  probability F while there is one (the rest, and every request when there is none, to the
  champion); the answer and the log name the `variant`.
- Every request is logged before it is answered (`inference_log`): one JSON line per record
  scored (its key when it has one, its features, the prediction, the version, the variant,
  the latency) or one per refused request (its status and reason), in the landing zone, for
  bronze to ingest and `gold.ml_inference_log` to monitor with batch scoring's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse import log as log_line
from lakehouse.config import Settings
from lakehouse.errors import UserError
from lakehouse.ml.inference_log import ROTATE_SECONDS, InferenceLog, close_orphans
from lakehouse.ml.training import (
    ALIAS,
    CATEGORICAL,
    CHALLENGER,
    FEATURES,
    FEATURES_TABLE,
    NUMERIC,
    alias_version,
    load_version,
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
    name: str
    version: int
    model: Any
    variant: str = ALIAS


class Following:
    """The version an alias (`champion`, `challenger`) points at, loaded; reloaded by the first
    request that finds the alias moved (checked at most every `ALIAS_CHECK_SECONDS`). A request
    scores with the `Loaded` it was handed, whatever happens to the alias meanwhile."""

    def __init__(self, tracking_uri: str, name: str, alias: str = ALIAS,
                 log: Callable[[str], None] = log_line) -> None:
        self.uri, self.name, self.alias, self.log = tracking_uri, name, alias, log
        self.lock = threading.Lock()
        self.loaded: Loaded | None = None
        self.checked = -math.inf

    def current(self, required: bool = True) -> Loaded | None:
        """The loaded version; without one, a 503 (or None when not `required`)."""
        with self.lock:
            if time.monotonic() - self.checked >= ALIAS_CHECK_SECONDS:
                self.checked = time.monotonic()
                version = alias_version(self.uri, self.alias, self.name)
                if version is None:
                    self.loaded = None
                elif self.loaded is None or self.loaded.version != version:
                    self.loaded = Loaded(self.name, version,
                                         load_version(self.uri, self.name, version), self.alias)
                    self.log(f"serve-model: serving {self.name} version {version} "
                             f"(`{self.alias}`)")
            if self.loaded is None and required:
                raise BadRequest(503, f"the model {self.name} has no `{self.alias}` version "
                                 "yet (`lakehouse train` registers one)")
            return self.loaded


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


def logged_records(request_id: str, requested_at: str, route: str, loaded: Loaded,
                   records: list[dict[str, Any]], predictions: list[float],
                   latency_ms: float) -> list[dict[str, Any]]:
    """The inference log's lines for a request answered: one per record scored."""
    return [{"request_id": request_id, "record_index": n, "requested_at": requested_at,
             "source": "endpoint", "route": route, "status": 200, "error": None,
             "model_name": loaded.name, "model_version": loaded.version,
             "variant": loaded.variant,
             **{key: value if isinstance(value, int) and not isinstance(value, bool) else None
                for key in KEYS for value in [record.get(key)]},
             "features": {f: record[f] for f in FEATURES}, "prediction": prediction,
             "latency_ms": latency_ms}
            for n, (record, prediction) in enumerate(zip(records, predictions, strict=True))]


def refused_record(request_id: str, requested_at: str, route: str, name: str,
                   error: BadRequest, latency_ms: float) -> dict[str, Any]:
    """The inference log's line for a refused request: its status and reason."""
    return {"request_id": request_id, "record_index": None, "requested_at": requested_at,
            "source": "endpoint", "route": route, "status": error.status, "error": str(error),
            "model_name": name, "model_version": None, "variant": None, "order_id": None,
            "line_number": None, "features": None, "prediction": None,
            "latency_ms": latency_ms}


def _no_constants(text: str) -> float:
    raise BadRequest(400, f"the body is not JSON: {text} is not a JSON number")


def app(settings: Settings, max_records: int = MAX_RECORDS,
        log: Callable[[str], None] = log_line,
        inference_log: InferenceLog | None = None,
        challenger_share: float = 0.0) -> Starlette:
    import mlflow  # (its version, for /version; the model loads on the first request)
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    name = model_name()
    champion = Following(settings.tracking_uri, name, ALIAS, log)
    challenger = Following(settings.tracking_uri, name, CHALLENGER, log)
    journal = inference_log or InferenceLog(settings.landing)

    def variant() -> Loaded:
        """The version a request is scored by: the challenger for `challenger_share` of the
        requests (drawn per request) while there is one, else the champion."""
        if challenger_share > 0 and random.random() < challenger_share:
            loaded = challenger.current(required=False)
            if loaded is not None:
                return loaded
        return champion.current()  # type: ignore[return-value]

    async def body_of(request: Request) -> Any:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise BadRequest(415, "the body must be application/json")
        try:
            return json.loads(await request.body(), parse_constant=_no_constants)
        except ValueError as error:
            raise BadRequest(400, f"the body is not JSON: {error}") from None

    def scoring(route: str,
                records_for: Callable[[Request], Any]) -> Callable[[Request], Any]:
        """A route that scores the records `records_for` reads from a request, logs them (or
        the refusal) and then answers."""
        async def handler(request: Request) -> Any:
            started = time.perf_counter()
            request_id = str(uuid.uuid4())
            requested_at = dt.datetime.now(dt.UTC).isoformat()
            try:
                records = await records_for(request)
                frame = features_frame(records)
                loaded = variant()
                predictions = predict(loaded, frame)
            except BadRequest as error:
                journal.write([refused_record(request_id, requested_at, route, name, error,
                                              (time.perf_counter() - started) * 1000)])
                return PlainTextResponse(str(error) + "\n", status_code=error.status)
            journal.write(logged_records(request_id, requested_at, route, loaded, records,
                                         predictions, (time.perf_counter() - started) * 1000))
            answer = {"predictions": predictions, "model_name": name,
                      "model_version": loaded.version, "variant": loaded.variant,
                      "request_id": request_id}
            if route == "/lookup":
                answer["keys"] = [{k: r[k] for k in KEYS} for r in records]
            return JSONResponse(answer)
        return handler

    async def invocation_records(request: Request) -> list[dict[str, Any]]:
        return records_of(await body_of(request), max_records)

    async def lookup_records(request: Request) -> list[dict[str, Any]]:
        body = await body_of(request)
        return lookup(settings, body.get("keys") if isinstance(body, dict) else None,
                      max_records)

    async def ping(_: Request) -> PlainTextResponse:
        return PlainTextResponse("\n")

    async def version(_: Request) -> JSONResponse:
        return JSONResponse({"model_name": name, "alias": ALIAS,
                             "model_version": champion.loaded.version if champion.loaded
                             else None,
                             "challenger_version": challenger.loaded.version
                             if challenger.loaded else None,
                             "challenger_share": challenger_share,
                             "mlflow_version": mlflow.__version__})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for path in close_orphans(settings.landing):
            log(f"serve-model: closed {path}, left open by an endpoint that stopped")

        async def rotate() -> None:
            while True:
                await asyncio.sleep(1)
                journal.tick()

        task = asyncio.create_task(rotate())
        try:
            yield
        finally:
            task.cancel()
            journal.close()

    return Starlette(routes=[
        Route("/invocations", scoring("/invocations", invocation_records), methods=["POST"]),
        Route("/lookup", scoring("/lookup", lookup_records), methods=["POST"]),
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ], lifespan=lifespan)


def serve_model(settings: Settings, port: int, max_records: int = MAX_RECORDS,
                rotate_seconds: float = ROTATE_SECONDS, challenger_share: float = 0.0) -> int:
    import uvicorn

    log_line(f"serve-model: {model_name()} (`{ALIAS}`) on http://127.0.0.1:{port} "
             "(/invocations, /lookup, /ping, /version; Ctrl-C to stop); requests logged to "
             f"{settings.landing / 'inference'}")
    journal = InferenceLog(settings.landing, rotate_seconds=rotate_seconds)
    if not 0 <= challenger_share <= 1:
        raise UserError(f"--challenger-share {challenger_share}: a share between 0 and 1")
    if challenger_share:
        log_line(f"serve-model: {challenger_share:.0%} of requests to the `{CHALLENGER}` "
                 "version while there is one")
    uvicorn.run(app(settings, max_records, inference_log=journal,
                    challenger_share=challenger_share), host="127.0.0.1",
                port=port, log_level="warning", access_log=False)
    return 0
