"""One SparkSession per process, in local mode: starting the JVM costs seconds, so every engine
of the process shares it (and its catalog: each engine re-registers its own store's tables)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING, Any

from territoria.core.errors import ConfigError, EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_LOCK = threading.Lock()
_SESSION: list[tuple[SparkSession, int]] = []


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:
        raise ConfigError(
            "the spark engine needs PySpark, which is not installed",
            hint="pip install 'territoria[spark]' (or: pip install -r requirements-spark.lock); Java 17 is needed too",
        ) from exc
    if shutil.which("java") is None:
        raise ConfigError(
            "the spark engine needs Java, which is not on the PATH",
            hint="install Debian's default-jre-headless (bash scripts/system-deps.sh)",
        )
    return pyspark.sql


def session(workers: int, shuffle_partitions: int | None = None) -> SparkSession:
    """The process's session, started with ``local[workers]`` on first use."""
    with _LOCK:
        if _SESSION:
            started, running = _SESSION[0]
            if running != workers:
                raise EngineError(
                    f"a Spark session with {running} worker(s) already runs in this process ({workers} asked)",
                    hint="one Spark session per process: run a different worker count in another process",
                )
            if shuffle_partitions:
                started.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
            return started
        sql = _pyspark()
        # local mode talks to itself: no lookup of the machine's public address (and no warning about it)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            sql.SparkSession.builder.master(f"local[{workers}]")
            .appName("territoria")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 4 * workers))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.catalogImplementation", "in-memory")
            # every table has its own location in a store: the default warehouse stays empty, and out of the cwd
            .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="territoria-spark-"))
            # DuckDB's to_json writes null fields; so does Spark with this
            .config("spark.sql.jsonGenerator.ignoreNullFields", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC")
        )
        spark = builder.getOrCreate()
        # a refused statement reaches the caller as an EngineError with Spark's message: not logged twice
        spark.sparkContext.setLogLevel("FATAL")
        _SESSION.append((spark, workers))
        return spark  # type: ignore[no-any-return]  # the builder is untyped in PySpark's stubs
