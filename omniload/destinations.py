"""Destination URI → dlt destination. omniload has no loaders of its own: every write goes through dlt.

One table (`SCHEMES`) maps each URI scheme to a builder that turns the URI into a dlt destination factory and
its credentials, plus the driver modules that destination needs. `resolve()` checks everything it can before
a single source page is read: the driver first (an optional extra, named with the command that installs it
into this omniload: the README's promise for every destination), the URI's shape (database, port, required
parameters), and, through `Destination.check_strategy`, whether dlt can apply a table's strategy on that
destination at all (a merge into plain files cannot work: `Destination.default_strategy` loads such tables whole
unless the user asked for merge).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import importlib
import importlib.metadata
import json
import os
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit, urlunsplit

from omniload.errors import UsageError
from omniload.source import Strategy

#: omniload's strategies → the dlt merge strategy each one needs (append and replace need none).
MERGE_STRATEGIES = {
    Strategy.MERGE: "delete-insert", Strategy.DELETE_INSERT: "delete-insert", Strategy.SCD2: "scd2"
}

#: Query keys whose values are secrets, matched as substrings of the lower-cased key.
_SECRET_KEYS = ("password", "pwd", "secret", "token", "key", "passphrase", "base64", "sas")


@dataclass(frozen=True)
class Destination:
    """A dlt destination plus what the run needs to know about it up front (never a password)."""

    dlt_destination: Any
    display: str
    default_dataset: str
    atomic_replace: bool  # a failed replace leaves the old rows: dlt swaps a staging copy in one transaction
    loader_file_format: str | None = None  # None: dlt picks (Arrow pages go as Parquet where the destination can)
    staging: Any = None  # a dlt filesystem destination the warehouse loads from (Athena)
    table_format: str | None = None  # "iceberg" on Athena: which strategies dlt allows depends on it
    file: Path | None = None  # a database in a local file (DuckDB): absent until the first load creates it

    @property
    def kind(self) -> str:
        return self.display.split(" ", 1)[0]

    def merge_strategies(self) -> list[str]:
        """dlt's merge strategies for a table on this destination (its capabilities, per table format)."""
        caps = self.dlt_destination.capabilities()
        strategies = list(caps.supported_merge_strategies or [])
        if caps.merge_strategies_selector:
            strategies = list(caps.merge_strategies_selector(strategies, table_schema=self._table_schema()))
        return strategies

    @property
    def removes_rows(self) -> bool:
        """Whether a run may read part of a table here (README "Nightly runs"): the destination merges with
        delete-insert and answers SQL, through which omniload/run/removals.py deletes the rows that are gone."""
        return "delete-insert" in self.merge_strategies()

    def replace_strategies(self) -> list[str]:
        caps = self.dlt_destination.capabilities()
        strategies = list(caps.supported_replace_strategies or [])
        if caps.replace_strategies_selector:
            strategies = list(caps.replace_strategies_selector(strategies, table_schema=self._table_schema()))
        return strategies

    def default_strategy(self, strategy: Strategy) -> Strategy:
        """The strategy a table loads with when the user named none: the contract's, except that a merge where dlt
        cannot merge (plain files) becomes replace, a full snapshot each run (append would duplicate every row
        read again). replace keeps no cursor (`state.CURSOR_STRATEGIES`), so each run reads the whole table."""
        if strategy in MERGE_STRATEGIES and MERGE_STRATEGIES[strategy] not in self.merge_strategies():
            return Strategy.REPLACE
        return strategy

    def check_strategy(self, strategy: Strategy) -> None:
        """Raise a one-line UsageError when dlt cannot load a table with `strategy` here; call before reading."""
        if strategy == Strategy.APPEND:
            return
        if strategy == Strategy.REPLACE:
            if not self.replace_strategies():
                raise UsageError(f"destination {self.kind} cannot replace a table")
            return
        supported = self.merge_strategies()
        if MERGE_STRATEGIES[strategy] not in supported:
            can = ", ".join(supported) if supported else "only append and replace"
            hint = "; use --incremental-strategy replace or append, or load into a database"
            dlt_name = self.dlt_destination.destination_type.rsplit(".", 1)[-1]
            raise UsageError(
                f"destination {self.kind} cannot load a table with strategy {strategy.value!r}: "
                f"dlt's {dlt_name} destination supports {can}{hint}"
            )

    def _table_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"name": "omniload"}
        if self.table_format:
            schema["table_format"] = self.table_format
        return schema


@dataclass(frozen=True)
class Scheme:
    """How one URI scheme becomes a destination, and what it needs installed."""

    build: Callable[[SplitResult, dict[str, str]], Destination]
    example: str
    drivers: tuple[str, ...] = ()  # modules imported to check the install, before anything is read
    package: str = ""  # the pip package named in the error when a driver is missing
    extra: str | None = None  # the optional dependency group that brings the driver (`install_extra_command`)


def resolve(uri: str, *, check_drivers: bool = True) -> Destination:
    """The destination a URI names, with its credentials, or one UsageError line saying what is wrong."""
    parts = urlsplit(uri.strip())
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        named = f"{parts.scheme}://" if parts.scheme else repr(redact(uri))
        raise UsageError(f"unknown destination scheme {named}; supported: {', '.join(supported_schemes())}")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise UsageError(f"bad port in {redact(uri)}: use a number from 1 to 65535") from None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if check_drivers:  # first: without its driver, a dlt factory can fail in its own way (SQLAlchemy's with an
        _check_drivers(parts.scheme, scheme)  # AttributeError on the credentials it could not parse)
    try:
        return scheme.build(parts, query)
    except ImportError:  # dlt's MissingDependencyException is one too
        _missing_driver(parts.scheme, scheme)


def supported_schemes() -> list[str]:
    return [f"{name}:" if name == "md" else f"{name}://" for name in SCHEMES]


def redact(uri: str) -> str:
    """The URI with its password and every secret-looking query value masked, for printing."""
    parts = urlsplit(uri)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if colon and password:
            netloc = f"{user}:***@{hostport}"
        elif any(s in user.lower() for s in ("token", "key")):
            netloc = f"***@{hostport}"
    query = "&".join(
        f"{k}=***" if sep and any(s in k.lower() for s in _SECRET_KEYS) else f"{k}{sep}{v}"
        for k, sep, v in (item.partition("=") for item in parts.query.split("&") if item)
    )
    slashes = "//" if uri.partition(":")[2].startswith("//") else ""  # urlunsplit would drop `///` before a path
    return (
        f"{parts.scheme}:{slashes}{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def _check_drivers(name: str, scheme: Scheme) -> None:
    for module in scheme.drivers:
        try:
            importlib.import_module(module)
        except ImportError:
            _missing_driver(name, scheme)


def _missing_driver(name: str, scheme: Scheme) -> NoReturn:
    """A missing extra is one line with the command to run, found before anything is read."""
    install = install_extra_command(scheme.extra) if scheme.extra else f"pip install {scheme.package}"
    raise UsageError(f"destination {name}:// needs the {scheme.package} driver: {install}") from None


def install_extra_command(extra: str) -> str:
    """The command that adds `extra` to the omniload running now (README "Destinations"). The name omniload on
    PyPI belongs to another project, so `pip install 'omniload[extra]'` would install that one: the command
    names this omniload's checkout (an editable install, or the source tree on PYTHONPATH), else the wheel, folder
    or URL pip recorded when installing it (its `direct_url.json`), else says to use wherever it came from."""
    package = Path(__file__).resolve().parent
    if _is_checkout(package.parent):
        return f"pip install -e {shlex.quote(f'{package.parent}[{extra}]')}"
    origin = _installed_from(package)
    if origin:
        return f"pip install {shlex.quote(f'omniload[{extra}] @ {origin}')}"
    return (
        f"install omniload's {extra} extra from where this omniload came (pip install "
        f"'omniload[{extra}] @ <its wheel, checkout or URL>'; the omniload on PyPI is another project)"
    )


def _is_checkout(folder: Path) -> bool:
    """Whether `folder` is omniload's source tree: its pyproject.toml names this project."""
    try:
        project = tomllib.loads((folder / "pyproject.toml").read_text()).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return bool(project.get("name") == "omniload")


def _installed_from(package: Path) -> str | None:
    """The URL pip installed this omniload from (PEP 610's direct_url.json), if the installed distribution named
    omniload is the one running (not PyPI's namesake) and pip recorded one (an index install records none)."""
    try:
        distribution = importlib.metadata.distribution("omniload")
    except importlib.metadata.PackageNotFoundError:
        return None
    if Path(str(distribution.locate_file("omniload"))).resolve() != package:
        return None
    try:
        origin = json.loads(distribution.read_text("direct_url.json") or "{}")
    except ValueError:
        return None
    url, vcs = origin.get("url"), origin.get("vcs_info")
    if url and vcs:
        return f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    return str(url) if url else None


def _destination(
    dlt_destination: Any,
    display: str,
    default_dataset: str,
    loader_file_format: str | None = None,
    staging: Any = None,
    table_format: str | None = None,
) -> Destination:
    """atomic_replace only where dlt replaces from a staging copy inside a transaction: dlt leaves
    `supports_transactions` unset (None) on most SQL destinations and then runs the copy's DELETE and INSERT
    without one, so only destinations built with `IN_TRANSACTIONS` (or dlt's own True) qualify (issue 14)."""
    destination = Destination(
        dlt_destination, display, default_dataset, False, loader_file_format, staging, table_format
    )
    caps = dlt_destination.capabilities()
    atomic = "insert-from-staging" in destination.replace_strategies() and caps.supports_transactions is True
    return Destination(
        dlt_destination, display, default_dataset, atomic, loader_file_format, staging, table_format
    )


#: dlt capabilities for SQL engines whose dlt client opens real transactions: the staging copy of a replace
#: (DELETE, then INSERT … SELECT from staging) and each merge then commit or roll back as one, and each statement
#: is sent on its own, so `omniload/testing/faults.py` can stop a test run between any two of them.
IN_TRANSACTIONS: dict[str, Any] = {"supports_transactions": True, "supports_multiple_statements": False}


# --- helpers shared by the builders -------------------------------------------------------------------------


def _database(parts: SplitResult, example: str) -> str:
    database = unquote(parts.path.strip("/"))
    if not database:
        raise UsageError(f"{parts.scheme}:// needs a database: {example}")
    return database


def _need(query: dict[str, str], key: str, scheme: str, example: str) -> str:
    value = query.get(key, "")
    if not value:
        raise UsageError(f"{scheme}:// needs ?{key}=...: {example}")
    return value


def _local_file(parts: SplitResult, example: str) -> Path:
    """`x:///relative.db` → ./relative.db, `x:////abs/path.db` → /abs/path.db (SQLAlchemy's convention)."""
    path = unquote(parts.netloc + parts.path)
    if path.startswith("/"):
        path = path[1:]
    if not path:
        raise UsageError(f"{parts.scheme}:// needs a file: {example}")
    file = Path(path).expanduser().resolve()
    if not file.parent.is_dir():
        raise UsageError(f"cannot write {file}: folder {file.parent} does not exist")
    return file


def _with_scheme(parts: SplitResult, scheme: str) -> str:
    return urlunsplit((scheme,) + tuple(parts)[1:])


def _no_password_is_empty(parts: SplitResult) -> SplitResult:
    """`user@host` → `user:@host`: dlt insists on a password, servers with trust or peer auth need none."""
    if parts.username is not None and parts.password is None:
        return parts._replace(netloc=parts.netloc.replace("@", ":@", 1))
    return parts


def _gcp_credentials(query: dict[str, str], scheme: str) -> dict[str, Any] | None:
    """A service-account key from ?credentials_path=key.json or ?credentials_base64=..., read now."""
    if path := query.get("credentials_path"):
        try:
            text = Path(path).expanduser().read_text()
        except OSError as error:
            raise UsageError(f"{scheme}:// cannot read credentials_path {path}: {error.strerror}") from None
    elif encoded := query.get("credentials_base64"):
        try:
            text = base64.b64decode(encoded).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise UsageError(f"{scheme}:// credentials_base64 is not base64 text") from None
    else:
        return None
    try:
        key = json.loads(text)
    except ValueError:
        key = None
    if not isinstance(key, dict):
        raise UsageError(f"{scheme}:// credentials are not a service-account key (JSON object)")
    return key


def _aws_credentials(query: dict[str, str]) -> Any:
    """AWS keys from the query; without them dlt uses the default chain (environment, ~/.aws, profile=)."""
    from dlt.common.configuration.specs import AwsCredentials

    return AwsCredentials(
        aws_access_key_id=query.get("access_key_id") or None,  # type: ignore[arg-type]
        aws_secret_access_key=query.get("secret_access_key") or None,  # type: ignore[arg-type]
        aws_session_token=query.get("session_token") or None,
        profile_name=query.get("profile") or None,
        region_name=query.get("region_name") or None,
        endpoint_url=query.get("endpoint_url") or None,
    )


# --- one builder per destination ----------------------------------------------------------------------------


#: DuckDB takes up to 80% of RAM by default, and a merge of a large table then costs gigabytes. Capped, it spills
#: to disk instead, so a load's memory stays bounded whatever the table's size; one thread halves what the
#: Parquet scan holds at once (at 64 MB, two threads run out of memory copying 1000-delivery row groups).
#: Rows of tens of KB each need more: `?memory_limit=1GB` on the URI raises it. The limit is the database's, shared
#: by every connection, so dlt loads one job at a time (`DUCKDB_LOADING`): its default of up to 20 parallel jobs
#: ran out of 64 MB copying the four delivery tables of 1,000,000 deliveries at once (README "Benchmarks").
DUCKDB_SETTINGS: dict[str, Any] = {"memory_limit": "64MB", "threads": 1, "preserve_insertion_order": False}
DUCKDB_LOADING: dict[str, Any] = {"loader_parallelism_strategy": "sequential"}
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _duckdb(parts: SplitResult, query: dict[str, str]) -> Destination:
    import dlt
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    file = _local_file(parts, SCHEMES["duckdb"].example)
    settings = dict(DUCKDB_SETTINGS)
    if limit := query.get("memory_limit"):
        if not _MEMORY_LIMIT.fullmatch(limit.strip()):
            raise UsageError(f"duckdb memory_limit {limit!r} is not a size: use e.g. memory_limit=512MB or 2GB")
        settings |= {"memory_limit": limit.strip(), "threads": os.cpu_count() or 1}
    credentials = DuckDbCredentials(str(file), global_config=settings)
    factory = dlt.destinations.duckdb(credentials, **IN_TRANSACTIONS, **DUCKDB_LOADING)
    return dataclasses.replace(_destination(factory, f"duckdb {file}", "main"), file=file)


def _motherduck(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`md:db?token=T` or `motherduck://db?token=T`; without a token dlt reads MOTHERDUCK_TOKEN."""
    import dlt

    database = unquote((parts.netloc + parts.path).strip("/"))
    if not database:
        raise UsageError(f"motherduck needs a database: {SCHEMES['md'].example}")
    credentials: dict[str, Any] = {"database": database}
    if token := query.get("token") or query.get("motherduck_token"):
        credentials["password"] = token
    factory = dlt.destinations.motherduck(credentials=credentials, **IN_TRANSACTIONS)
    return _destination(factory, f"motherduck md:{database}", "main")


def _postgres(parts: SplitResult, query: dict[str, str]) -> Destination:
    import dlt

    _database(parts, SCHEMES["postgres"].example)
    credentials = _with_scheme(_no_password_is_empty(parts), "postgresql")
    display = f"postgres {redact(_with_scheme(parts, 'postgresql'))}"
    return _destination(dlt.destinations.postgres(credentials=credentials, **IN_TRANSACTIONS), display, "public")


def _redshift(parts: SplitResult, query: dict[str, str]) -> Destination:
    """Redshift speaks the Postgres protocol; without a staging bucket dlt loads it with INSERT statements."""
    import dlt

    _database(parts, SCHEMES["redshift"].example)
    credentials = _with_scheme(_no_password_is_empty(parts), "postgresql")
    return _destination(
        dlt.destinations.redshift(credentials=credentials, **IN_TRANSACTIONS),
        f"redshift {redact(_with_scheme(parts, 'redshift'))}",
        "public",
        loader_file_format="insert_values",
    )


def _bigquery(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`bigquery://project?credentials_path=key.json&location=EU`: the project defaults to the key's."""
    import dlt

    example = SCHEMES["bigquery"].example
    key = _gcp_credentials(query, "bigquery")
    if key is None:
        raise UsageError(f"bigquery:// needs ?credentials_path=key.json or ?credentials_base64=...: {example}")
    project = parts.hostname or key.get("project_id")
    if not project:
        raise UsageError(f"bigquery:// needs a project: {example}")
    factory = dlt.destinations.bigquery(
        credentials=key,  # type: ignore[arg-type]  # dlt takes a service-account key as a dict
        project_id=project, location=query.get("location") or "US"
    )
    return _destination(factory, f"bigquery {project}", "omniload")


def _snowflake(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`snowflake://user:pass@account/database[/schema]?warehouse=W&role=R`, dlt's own URI form."""
    import dlt

    path = _database(parts, SCHEMES["snowflake"].example)
    database, _, schema = path.partition("/")
    if not parts.hostname:
        raise UsageError(f"snowflake:// needs an account: {SCHEMES['snowflake'].example}")
    credentials = urlunsplit(("snowflake", parts.netloc, f"/{database}", parts.query, ""))
    return _destination(
        dlt.destinations.snowflake(credentials=credentials, **IN_TRANSACTIONS),
        f"snowflake {redact(credentials)}",
        schema or "public",
    )


def _clickhouse(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`clickhouse://user:pass@host:9440/db?secure=1`; dlt names tables `<dataset>___<table>` in that database."""
    import dlt
    from dlt.destinations.impl.clickhouse.configuration import ClickHouseCredentials

    if not parts.hostname:
        raise UsageError(f"clickhouse:// needs a host: {SCHEMES['clickhouse'].example}")
    secure = query.get("secure", "1")
    if secure not in ("0", "1"):
        raise UsageError("clickhouse:// secure must be 1 (TLS) or 0")
    try:
        http_port = int(query.get("http_port") or (8443 if secure == "1" else 8123))
    except ValueError:
        raise UsageError("clickhouse:// http_port must be a number") from None
    credentials = ClickHouseCredentials(
        {
            "host": parts.hostname,
            "port": parts.port or (9440 if secure == "1" else 9000),
            "http_port": http_port,
            "username": unquote(parts.username or "default"),
            "password": unquote(parts.password or ""),
            "database": unquote(parts.path.strip("/")) or "default",
            "secure": int(secure),
        }
    )
    return _destination(
        dlt.destinations.clickhouse(credentials=credentials), f"clickhouse {redact(parts.geturl())}", "omniload"
    )


def _mssql(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`mssql://user:pass@host:1433/db?driver=ODBC+Driver+18+for+SQL+Server`, dlt's own URI form."""
    import dlt

    _database(parts, SCHEMES["mssql"].example)
    credentials = _with_scheme(parts, "mssql")
    factory = dlt.destinations.mssql(credentials=credentials, **IN_TRANSACTIONS)
    return _destination(factory, f"mssql {redact(credentials)}", "dbo")


def _databricks(parts: SplitResult, query: dict[str, str]) -> Destination:
    """`databricks://token:<access token>@<host>?http_path=/sql/...&catalog=main&schema=default`."""
    import dlt

    example = SCHEMES["databricks"].example
    if not parts.hostname:
        raise UsageError(f"databricks:// needs the workspace host: {example}")
    credentials = {
        "server_hostname": parts.hostname,
        "http_path": _need(query, "http_path", "databricks", example),
        "catalog": _need(query, "catalog", "databricks", example),
        "access_token": unquote(parts.password or "") or None,
    }
    return _destination(
        dlt.destinations.databricks(credentials=credentials),
        f"databricks {parts.hostname}/{credentials['catalog']}",
        query.get("schema") or "default",
    )


def _athena(parts: SplitResult, query: dict[str, str]) -> Destination:
    """Athena loads Parquet files staged in an S3 bucket into Iceberg tables (so merge works)."""
    import dlt

    example = SCHEMES["athena"].example
    bucket = _need(query, "bucket", "athena", example)
    bucket = (bucket if bucket.startswith("s3://") else f"s3://{bucket}").rstrip("/")
    _need(query, "region_name", "athena", example)
    if bool(query.get("access_key_id")) != bool(query.get("secret_access_key")):
        raise UsageError(f"athena:// needs both access_key_id and secret_access_key, or neither: {example}")
    credentials = _aws_credentials(query)
    factory = dlt.destinations.athena(
        query_result_bucket=f"{bucket}/athena_query_results",
        credentials=credentials,
        athena_work_group=query.get("workgroup") or None,  # type: ignore[arg-type]
        force_iceberg=True,
    )
    staging = dlt.destinations.filesystem(bucket_url=bucket, credentials=credentials)
    return _destination(
        factory, f"athena {bucket}", "default", "parquet", staging=staging, table_format="iceberg"
    )


def _sqlite(parts: SplitResult, query: dict[str, str]) -> Destination:
    """dlt's SQLAlchemy destination; a schema other than `main` becomes an attached file `<db>__<schema>.db`."""
    import dlt

    file = _local_file(parts, SCHEMES["sqlite"].example)
    return _destination(dlt.destinations.sqlalchemy(credentials=f"sqlite:///{file}"), f"sqlite {file}", "main")


def _mysql(parts: SplitResult, query: dict[str, str]) -> Destination:
    """dlt's SQLAlchemy destination through PyMySQL; in MySQL a schema is a database, so datasets are databases."""
    import dlt

    database = _database(parts, SCHEMES["mysql"].example)
    credentials = _with_scheme(parts, "mysql+pymysql")
    return _destination(
        dlt.destinations.sqlalchemy(credentials=credentials), f"mysql {redact(credentials)}", database
    )


_FILE_FORMATS = ("parquet", "jsonl", "csv")


def _files(parts: SplitResult, query: dict[str, str]) -> Destination:
    """dlt's filesystem destination: `<dir>/<dataset>/<table>/<load id>.<file id>.<format>` (jsonl, csv gzipped).

    Plain files have no transactions and no keys: replace deletes the table's old files before writing, and
    merge is refused by `check_strategy`.
    """
    import dlt

    scheme = parts.scheme.lower()
    example = SCHEMES[scheme].example
    file_format = query.get("format", "parquet").lower()
    if file_format not in _FILE_FORMATS:
        raise UsageError(f"{scheme}:// format must be one of {', '.join(_FILE_FORMATS)}, not {file_format!r}")
    credentials: Any = None
    if scheme == "file":
        folder = unquote(parts.netloc + parts.path)
        if not folder:
            raise UsageError(f"file:// needs a folder: {example}")
        location = Path(folder).expanduser().resolve()
        if location.exists() and not location.is_dir():
            raise UsageError(f"cannot write files into {location}: it is a file, not a folder")
        bucket_url = location.as_uri()
    else:
        if not parts.netloc:
            raise UsageError(f"{scheme}:// needs a bucket: {example}")
        protocol = "gs" if scheme == "gcs" else scheme
        bucket_url = urlunsplit((protocol, parts.netloc, parts.path.rstrip("/"), "", ""))
        if scheme == "s3":
            if bool(query.get("access_key_id")) != bool(query.get("secret_access_key")):
                raise UsageError(f"s3:// needs both access_key_id and secret_access_key, or neither: {example}")
            credentials = _aws_credentials(query)
        elif scheme in ("gs", "gcs"):
            credentials = _gcp_credentials(query, scheme)
        else:
            credentials = {  # dlt's AzureCredentials, as a dict: building one needs adlfs already
                "azure_storage_account_name": _need(query, "account_name", scheme, example),
                "azure_storage_account_key": query.get("account_key") or None,
                "azure_storage_sas_token": query.get("sas_token") or None,
            }
    factory = dlt.destinations.filesystem(bucket_url=bucket_url, credentials=credentials)
    return _destination(factory, f"files {bucket_url} ({file_format})", "omniload", loader_file_format=file_format)


_SQLALCHEMY = ("sqlalchemy", "alembic")

SCHEMES: dict[str, Scheme] = {
    "duckdb": Scheme(build=_duckdb, example="duckdb:///relative/path.duckdb or duckdb:////absolute/path.duckdb",
                     drivers=("duckdb",), package="duckdb"),
    "md": Scheme(build=_motherduck, example="md:my_db?token=MOTHERDUCK_TOKEN",
                 drivers=("duckdb",), package="duckdb", extra="motherduck"),
    "motherduck": Scheme(build=_motherduck, example="motherduck://my_db?token=MOTHERDUCK_TOKEN",
                         drivers=("duckdb",), package="duckdb", extra="motherduck"),
    "postgres": Scheme(build=_postgres, example="postgresql://user:password@host:5432/database",
                       drivers=("psycopg2",), package="psycopg2-binary", extra="postgres"),
    "postgresql": Scheme(build=_postgres, example="postgresql://user:password@host:5432/database",
                         drivers=("psycopg2",), package="psycopg2-binary", extra="postgres"),
    "bigquery": Scheme(build=_bigquery, example="bigquery://project?credentials_path=/path/key.json&location=EU",
                       drivers=("google.cloud.bigquery",), package="google-cloud-bigquery", extra="bigquery"),
    "snowflake": Scheme(build=_snowflake, example="snowflake://user:password@account/database?warehouse=W&role=R",
                        drivers=("snowflake.connector",), package="snowflake-connector-python", extra="snowflake"),
    "redshift": Scheme(
        build=_redshift,
        example="redshift://user:password@cluster.region.redshift.amazonaws.com:5439/database",
        drivers=("psycopg2",), package="psycopg2-binary", extra="redshift",
    ),
    "clickhouse": Scheme(
        build=_clickhouse,
        example="clickhouse://user:password@host:9440/database?secure=1",
        drivers=("clickhouse_driver", "clickhouse_connect"), package="clickhouse-driver", extra="clickhouse",
    ),
    "mssql": Scheme(
        build=_mssql,
        example="mssql://user:password@host:1433/database?driver=ODBC+Driver+18+for+SQL+Server",
        drivers=("pyodbc",), package="pyodbc", extra="mssql",
    ),
    "databricks": Scheme(
        build=_databricks,
        example="databricks://token:ACCESS_TOKEN@host?http_path=/sql/1.0/warehouses/ID&catalog=main",
        drivers=("databricks.sql",), package="databricks-sql-connector", extra="databricks",
    ),
    "athena": Scheme(
        build=_athena,
        example="athena://?bucket=s3://bucket/path&access_key_id=K&secret_access_key=S&region_name=eu-west-1",
        drivers=("pyathena", "s3fs"), package="pyathena", extra="athena",
    ),
    "mysql": Scheme(build=_mysql, example="mysql://user:password@host:3306/database",
                    drivers=(*_SQLALCHEMY, "pymysql"), package="pymysql", extra="mysql"),
    "mariadb": Scheme(build=_mysql, example="mariadb://user:password@host:3306/database",
                      drivers=(*_SQLALCHEMY, "pymysql"), package="pymysql", extra="mysql"),
    "sqlite": Scheme(build=_sqlite, example="sqlite:///relative/path.db or sqlite:////absolute/path.db",
                     drivers=_SQLALCHEMY, package="sqlalchemy", extra="sqlite"),
    "file": Scheme(build=_files, example="file:///absolute/folder?format=parquet (or jsonl, csv)",
                   drivers=("pyarrow",), package="pyarrow"),
    "s3": Scheme(
        build=_files,
        example="s3://bucket/prefix?access_key_id=K&secret_access_key=S&endpoint_url=https://...",
        drivers=("s3fs", "botocore"), package="s3fs", extra="s3",
    ),
    "gs": Scheme(build=_files, example="gs://bucket/prefix?credentials_path=/path/key.json",
                 drivers=("gcsfs",), package="gcsfs", extra="gcs"),
    "gcs": Scheme(build=_files, example="gcs://bucket/prefix?credentials_path=/path/key.json",
                  drivers=("gcsfs",), package="gcsfs", extra="gcs"),
    "az": Scheme(build=_files, example="az://container/prefix?account_name=A&account_key=K",
                 drivers=("adlfs",), package="adlfs", extra="azure"),
}
