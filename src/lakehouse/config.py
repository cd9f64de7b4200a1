"""Paths and environment variables shared by every subcommand.

Relative paths in the environment are taken from the project directory, so the CLI, plain
`dbt` run from the project directory, and tests agree on where things are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lakehouse.errors import ConfigError
from lakehouse.warehouse import LAKE_SUFFIX, SPARK_TARGETS, is_lake, target

PROJECT_DIR = Path(__file__).resolve().parents[2]

# the path variables a subcommand may require to name something that exists
DB, LANDING, GENERATED = "LAKEHOUSE_DB", "LAKEHOUSE_LANDING", "LAKEHOUSE_GENERATED"
DEFAULTS = {
    "LAKEHOUSE_DB": "data/lakehouse.duckdb",
    "LAKEHOUSE_LANDING": "data/landing",
    "LAKEHOUSE_GENERATED": "data/generated",
    "LAKEHOUSE_EXTERNAL_DB": "data/generated/external/crm.sqlite",
    "LAKEHOUSE_SERVING": "data/serving",
    "LAKEHOUSE_CAPTURE_STATE": "data/capture",
}


def target_path() -> Path:
    """dbt's target directory (artifacts: manifest.json, run_results.json, column_lineage.json),
    as dbt resolves it: DBT_TARGET_PATH, else the project's target/."""
    return Path(os.environ.get("DBT_TARGET_PATH") or PROJECT_DIR / "target")


# the warehouse on the `lake` target (LAKEHOUSE_TARGET=lake): a DuckLake catalog
LAKE_DEFAULT_DB = "data/lakehouse.ducklake"
# the warehouse directory on the `spark` target (a local session)
SPARK_DEFAULT_DB = "data/lakehouse.spark"
# `lakehouse cluster`'s directory: the spark_cluster target's warehouse (LAKEHOUSE_DB for it)
CLUSTER_DIR = "data/lakehouse.spark-cluster"
# each target's warehouse when LAKEHOUSE_DB is unset
DEFAULT_DBS = {"lake": LAKE_DEFAULT_DB, "spark": SPARK_DEFAULT_DB, "spark_cluster": CLUSTER_DIR}


def default_tracking_uri(db: Path) -> str:
    """MLflow's default store for the warehouse `db`: a SQLite file beside it."""
    return f"sqlite:///{db.parent.resolve() / 'mlflow' / 'mlflow.db'}"


def env_path(name: str) -> Path:
    default = DEFAULTS[name]
    if name == "LAKEHOUSE_DB":
        default = DEFAULT_DBS.get(os.environ.get("LAKEHOUSE_TARGET") or "dev", default)
    path = Path(os.environ.get(name) or default)
    return path if path.is_absolute() else PROJECT_DIR / path


@dataclass(frozen=True)
class Settings:
    db: Path
    landing: Path
    generated: Path
    external_db: Path | None = None
    serving: Path | None = None
    mlflow: str | None = None
    """The MLflow tracking and registry URI (MLFLOW_TRACKING_URI); unset, `tracking_uri`."""

    @property
    def serving_dir(self) -> Path:
        """Where gold is published (the serving copy): LAKEHOUSE_SERVING, else `serving/`
        beside the warehouse."""
        return self.serving or self.db.parent / "serving"

    @property
    def tracking_uri(self) -> str:
        """MLflow's store: MLFLOW_TRACKING_URI, else a SQLite file beside the warehouse
        (`<warehouse's directory>/mlflow/mlflow.db`, artifacts in `mlflow/artifacts`), so the
        models trained on a warehouse live with it."""
        return self.mlflow or default_tracking_uri(self.db)

    @classmethod
    def from_env(cls, require: tuple[str, ...] = ()) -> Settings:
        """The settings from the environment. A variable in `require` that is set must name an
        existing directory (LAKEHOUSE_DB: an existing directory for the file): a wrong path is
        a configuration error, never created. Unset, the default under data/ is used (and
        created where it is written)."""
        for name in require:
            if not os.environ.get(name):
                continue
            path = env_path(name)
            directory = path.parent if name == "LAKEHOUSE_DB" else path
            if not directory.is_dir():
                what = "the directory for the warehouse file" if name == "LAKEHOUSE_DB" else "it"
                raise ConfigError(f"{name}={os.environ[name]}: {directory} does not exist "
                                  f"(create {what}, or unset {name} for the default "
                                  f"{DEFAULTS[name]})")
        db = env_path("LAKEHOUSE_DB")
        if target() in SPARK_TARGETS:
            if db.is_file() or is_lake(db):
                raise ConfigError(f"LAKEHOUSE_DB={db}: the `{target()}` target "
                                  "(LAKEHOUSE_TARGET) needs a directory (Spark's warehouse), "
                                  "not a DuckDB file or DuckLake catalog")
        elif db.is_dir():
            raise ConfigError(f"LAKEHOUSE_DB={db}: a directory is a Spark warehouse "
                              "(LAKEHOUSE_TARGET=spark or spark_cluster); the "
                              f"`{target()}` target needs a file")
        elif (target() == "lake") != is_lake(db):
            raise ConfigError(
                f"LAKEHOUSE_DB={db}: the `{target()}` target (LAKEHOUSE_TARGET) needs "
                + (f"a DuckLake catalog named *{LAKE_SUFFIX}" if target() == "lake"
                   else f"a DuckDB file (a *{LAKE_SUFFIX} catalog is for LAKEHOUSE_TARGET=lake)"))
        return cls(
            # a DuckLake records its data path as first attached: always its real path
            db=db.resolve() if is_lake(db) else db,
            landing=env_path("LAKEHOUSE_LANDING"),
            generated=env_path("LAKEHOUSE_GENERATED"),
            external_db=env_path("LAKEHOUSE_EXTERNAL_DB"),
            serving=env_path("LAKEHOUSE_SERVING"),
            mlflow=os.environ.get("MLFLOW_TRACKING_URI") or None,
        )

    def export(self) -> None:
        """Put the absolute paths into the environment that dbt reads."""
        os.environ["LAKEHOUSE_DB"] = str(self.db)
        os.environ["LAKEHOUSE_LANDING"] = str(self.landing)
        os.environ["LAKEHOUSE_GENERATED"] = str(self.generated)
        os.environ["LAKEHOUSE_EXTERNAL_DB"] = str(
            self.external_db or self.generated / "external" / "crm.sqlite")
        os.environ["MLFLOW_TRACKING_URI"] = self.tracking_uri  # gold.pred_* models read it
        # a Spark warehouse is a directory: made here, so that it reads as one before a build
        (self.db if target() in SPARK_TARGETS else self.db.parent).mkdir(parents=True,
                                                                         exist_ok=True)
        self.landing.mkdir(parents=True, exist_ok=True)
