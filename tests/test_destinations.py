"""Destination URIs → dlt destinations and credentials, without any network: every scheme, bad URIs, missing
drivers, strategies each destination can do, and secrets never printed."""

from __future__ import annotations

import base64
import importlib
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from omniload import destinations
from omniload.destinations import SCHEMES, Destination, redact, resolve
from omniload.errors import UsageError
from omniload.source import Strategy

ROOT = Path(__file__).resolve().parents[1]
KEY = {
    "type": "service_account",
    "project_id": "key-project",
    "private_key_id": "abc",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "client_email": "loader@key-project.iam.gserviceaccount.com",
    "client_id": "1",
    "token_uri": "https://oauth2.googleapis.com/token",
}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(KEY))
    return path


def build(uri: str) -> tuple[Destination, Any]:
    """The destination (drivers not checked: most warehouses' drivers are not installed here) and its dlt
    configuration resolved as dlt will resolve it, minus the dataset a pipeline adds."""
    destination = resolve(uri, check_drivers=False)
    return destination, destination.dlt_destination.configuration(None, accept_partial=True)


def kind(destination: Destination) -> str:
    return type(destination.dlt_destination).__name__


# --- every URI form becomes the right dlt destination and credentials ------------------------------------------


def test_duckdb_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    destination, config = build("duckdb:///local.duckdb")
    assert kind(destination) == "duckdb" and destination.default_dataset == "main"
    assert config.credentials.database == str(tmp_path / "local.duckdb")
    destination, config = build(f"duckdb:///{tmp_path}/abs.duckdb")
    assert config.credentials.database == str(tmp_path / "abs.duckdb")


@pytest.mark.parametrize("uri", ["md:analytics?token=MDTOKEN", "motherduck://analytics?token=MDTOKEN"])
def test_motherduck(uri: str) -> None:
    destination, config = build(uri)
    assert kind(destination) == "motherduck" and destination.default_dataset == "main"
    assert (config.credentials.database, config.credentials.password) == ("analytics", "MDTOKEN")
    assert "MDTOKEN" not in destination.display


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres(scheme: str) -> None:
    destination, config = build(f"{scheme}://loader:s3cret@db.example.com:5433/warehouse?sslmode=require")
    assert kind(destination) == "postgres" and destination.default_dataset == "public"
    c = config.credentials
    assert (c.username, c.password, c.host, c.port, c.database) == (
        "loader", "s3cret", "db.example.com", 5433, "warehouse"
    )
    assert c.query["sslmode"] == "require"
    assert "s3cret" not in destination.display


def test_postgres_without_password_uses_an_empty_one() -> None:
    """Servers with trust or peer authentication need no password; dlt would otherwise ask for one."""
    _, config = build("postgresql://postgres@127.0.0.1:5432/test")
    assert (config.credentials.username, config.credentials.password) == ("postgres", "")


def test_bigquery_from_key_file(key_file: Path) -> None:
    destination, config = build(f"bigquery://my-project?credentials_path={key_file}&location=EU")
    assert kind(destination) == "bigquery"
    assert (config.project_id, config.location) == ("my-project", "EU")
    assert config.credentials.client_email == KEY["client_email"]


def test_bigquery_from_base64_key_takes_the_keys_project() -> None:
    encoded = base64.b64encode(json.dumps(KEY).encode()).decode()
    destination, config = build(f"bigquery://?credentials_base64={encoded}")
    assert (config.project_id, config.location) == ("key-project", "US")
    assert encoded not in destination.display


def test_snowflake() -> None:
    destination, config = build("snowflake://loader:pw@myorg-acct/ANALYTICS?warehouse=LOAD_WH&role=LOADER")
    assert kind(destination) == "snowflake" and destination.default_dataset == "public"
    c = config.credentials
    assert (c.username, c.password, c.host, c.database, c.warehouse, c.role) == (
        "loader", "pw", "myorg-acct", "ANALYTICS", "LOAD_WH", "LOADER"
    )


def test_snowflake_schema_in_path_is_the_default_dataset() -> None:
    destination, config = build("snowflake://u:p@acct/DB/RAW?warehouse=W")
    assert config.credentials.database == "DB" and destination.default_dataset == "RAW"


def test_redshift_loads_with_insert_statements() -> None:
    destination, config = build("redshift://loader:pw@cluster.eu-west-1.redshift.amazonaws.com:5439/dev")
    assert kind(destination) == "redshift" and destination.loader_file_format == "insert_values"
    c = config.credentials
    assert (c.host, c.port, c.database, c.username, c.password) == (
        "cluster.eu-west-1.redshift.amazonaws.com", 5439, "dev", "loader", "pw"
    )


def test_clickhouse_secure_and_plain() -> None:
    destination, config = build("clickhouse://loader:pw@ch.example.com:9440/analytics?secure=1")
    assert kind(destination) == "clickhouse"
    c = config.credentials
    assert (c.host, c.port, c.http_port, c.secure, c.database, c.username, c.password) == (
        "ch.example.com", 9440, 8443, 1, "analytics", "loader", "pw"
    )
    _, config = build("clickhouse://loader:pw@localhost?secure=0&http_port=18123")
    c = config.credentials
    assert (c.port, c.http_port, c.secure, c.database) == (9000, 18123, 0, "default")


def test_mssql() -> None:
    destination, config = build("mssql://sa:pw@sql.example.com:1433/Sales?driver=ODBC+Driver+18+for+SQL+Server")
    assert kind(destination) == "mssql" and destination.default_dataset == "dbo"
    c = config.credentials
    assert (c.host, c.port, c.database, c.username, c.password, c.driver) == (
        "sql.example.com", 1433, "sales", "sa", "pw", "ODBC Driver 18 for SQL Server"
    )


def test_databricks() -> None:
    uri = "databricks://token:dapiSECRET@adb-1.azuredatabricks.net?http_path=/sql/1.0/warehouses/x&catalog=main&schema=raw"
    destination, config = build(uri)
    assert kind(destination) == "databricks" and destination.default_dataset == "raw"
    c = config.credentials
    assert (c.server_hostname, c.http_path, c.catalog, c.access_token) == (
        "adb-1.azuredatabricks.net", "/sql/1.0/warehouses/x", "main", "dapiSECRET"
    )
    assert "dapiSECRET" not in destination.display


def test_athena_stages_parquet_in_the_bucket_and_uses_iceberg() -> None:
    uri = "athena://?bucket=my-bucket/loads&access_key_id=AKIA1&secret_access_key=SECRET&region_name=eu-west-1&workgroup=wg"
    destination, config = build(uri)
    assert kind(destination) == "athena"
    c = config.credentials
    assert (c.aws_access_key_id, c.aws_secret_access_key, c.region_name) == ("AKIA1", "SECRET", "eu-west-1")
    assert config.query_result_bucket.startswith("s3://my-bucket/loads/")
    assert (config.athena_work_group, config.force_iceberg) == ("wg", True)
    assert type(destination.staging).__name__ == "filesystem"
    assert destination.staging.config_params["bucket_url"] == "s3://my-bucket/loads"
    assert (destination.loader_file_format, destination.table_format) == ("parquet", "iceberg")


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_mysql_through_sqlalchemy(scheme: str) -> None:
    destination, config = build(f"{scheme}://root:pw@127.0.0.1:3306/shop")
    assert kind(destination) == "sqlalchemy" and destination.default_dataset == "shop"
    c = config.credentials
    assert (c.drivername, c.host, c.port, c.database, c.username, c.password) == (
        "mysql+pymysql", "127.0.0.1", 3306, "shop", "root", "pw"
    )


def test_sqlite_through_sqlalchemy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    destination, config = build("sqlite:///local.db")
    assert kind(destination) == "sqlalchemy" and destination.default_dataset == "main"
    assert (config.credentials.drivername, config.credentials.database) == ("sqlite", str(tmp_path / "local.db"))
    _, config = build(f"sqlite:///{tmp_path}/abs.db")
    assert config.credentials.database == str(tmp_path / "abs.db")


@pytest.mark.parametrize("file_format", [None, "parquet", "jsonl", "csv"])
def test_local_files(tmp_path: Path, file_format: str | None) -> None:
    query = f"?format={file_format}" if file_format else ""
    destination, config = build(f"file://{tmp_path}/out{query}")
    assert kind(destination) == "filesystem"
    assert config.bucket_url == f"file://{tmp_path}/out"
    assert destination.loader_file_format == (file_format or "parquet")


def test_s3_files() -> None:
    destination, config = build(
        "s3://bucket/prefix?access_key_id=AKIA1&secret_access_key=SECRET&endpoint_url=http://minio:9000&format=csv"
    )
    assert kind(destination) == "filesystem" and destination.loader_file_format == "csv"
    c = config.credentials
    assert config.bucket_url == "s3://bucket/prefix"
    assert (c.aws_access_key_id, c.aws_secret_access_key, c.endpoint_url) == ("AKIA1", "SECRET", "http://minio:9000")


@pytest.mark.parametrize("scheme", ["gs", "gcs"])
def test_gcs_files(key_file: Path, scheme: str) -> None:
    destination, config = build(f"{scheme}://bucket/prefix?credentials_path={key_file}")
    assert config.bucket_url == "gs://bucket/prefix"
    assert config.credentials.client_email == KEY["client_email"]


def test_azure_files() -> None:
    """adlfs is not installed here, so check what dlt is handed rather than what it resolves."""
    destination = resolve("az://container/prefix?account_name=acct&account_key=KEY", check_drivers=False)
    assert kind(destination) == "filesystem"
    params = destination.dlt_destination.config_params
    assert params["bucket_url"] == "az://container/prefix"
    assert params["credentials"]["azure_storage_account_name"] == "acct"
    assert params["credentials"]["azure_storage_account_key"] == "KEY"


def test_every_scheme_has_a_builder_and_an_example_that_resolves(
    key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "relative").mkdir()
    monkeypatch.chdir(tmp_path)
    for name, scheme in SCHEMES.items():
        example = scheme.example.split(" or ")[0].split(" (")[0]
        example = example.replace("/path/key.json", str(key_file)).replace("/absolute/folder", str(tmp_path))
        assert example.startswith(name), name
        assert isinstance(resolve(example, check_drivers=False), Destination), name


# --- bad URIs: one clear line, before anything is read ----------------------------------------------------------


def one_line_error(uri: str) -> str:
    with pytest.raises(UsageError) as caught:
        resolve(uri, check_drivers=False)
    message = str(caught.value)
    assert "\n" not in message and message
    return message


def test_unknown_scheme_lists_the_supported_ones() -> None:
    message = one_line_error("oracle://user:pw@host/db")
    assert message.startswith("unknown destination scheme oracle://")
    for name in ("duckdb://", "md:", "postgresql://", "bigquery://", "snowflake://", "redshift://", "clickhouse://",
                 "mssql://", "databricks://", "athena://", "mysql://", "sqlite://", "file://", "s3://", "gs://", "az://"):
        assert name in message
    assert "pw" not in message


def test_no_scheme_at_all() -> None:
    assert "supported:" in one_line_error("customerio.duckdb")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://u:p@host:5432", "needs a database"),
        ("postgres://u:p@host:5432/", "needs a database"),
        ("redshift://u:p@host:5439", "needs a database"),
        ("mysql://root@127.0.0.1:3306", "needs a database"),
        ("mssql://u:p@host:1433?driver=x", "needs a database"),
        ("snowflake://u:p@acct", "needs a database"),
        ("postgresql://u:p@host:54x2/db", "bad port"),
        ("mysql://root@127.0.0.1:99999/test", "bad port"),
        ("clickhouse://u:p@host:port/db", "bad port"),
        ("duckdb://", "needs a file"),
        ("sqlite://", "needs a file"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
        ("md:", "needs a database"),
        ("file://", "needs a folder"),
        ("file:///tmp/x?format=xlsx", "format must be one of parquet, jsonl, csv"),
        ("s3://", "needs a bucket"),
        ("s3://b/p?access_key_id=AKIA1", "both access_key_id and secret_access_key"),
        ("az://container/p?account_key=K", "needs ?account_name="),
        ("bigquery://project", "needs ?credentials_path="),
        ("bigquery://project?credentials_path=/no/such/key.json", "cannot read credentials_path"),
        ("bigquery://project?credentials_base64=bm90IGpzb24=", "not a service-account key"),
        ("clickhouse://u:p@host:9440/db?secure=2", "secure must be 1"),
        ("clickhouse://u:p@/db", "needs a host"),
        ("databricks://token:T@host?catalog=main", "needs ?http_path="),
        ("databricks://token:T@host?http_path=/sql", "needs ?catalog="),
        ("athena://?region_name=eu-west-1", "needs ?bucket="),
        ("athena://?bucket=b", "needs ?region_name="),
    ],
)
def test_bad_uri_is_one_clear_line(uri: str, expected: str) -> None:
    message = one_line_error(uri)
    assert expected in message
    for secret in ("AKIA1", ":p@", "token:T"):
        assert secret not in message


# --- drivers are optional extras: a missing one is one line with the command to run -------------------------


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> None:
    real_import = importlib.import_module

    def without_bigquery(name: str, package: str | None = None) -> Any:
        if name.startswith("google"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, package)

    monkeypatch.setattr(destinations.importlib, "import_module", without_bigquery)
    with pytest.raises(UsageError) as caught:
        resolve(f"bigquery://p?credentials_path={key_file}")
    assert str(caught.value) == (  # this checkout's extra: `omniload` on PyPI is another project
        f"destination bigquery:// needs the google-cloud-bigquery driver: pip install -e '{ROOT}[bigquery]'"
    )


def test_missing_driver_raised_by_dlt_while_building(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlt.common.exceptions import MissingDependencyException

    def build_fails(*args: Any) -> Destination:
        raise MissingDependencyException("AzureCredentials", ["adlfs"])

    monkeypatch.setitem(SCHEMES, "az", destinations.Scheme(build_fails, "az://c/p", ("adlfs",), "adlfs", "azure"))
    with pytest.raises(UsageError) as caught:
        resolve("az://c/p?account_name=a")
    assert str(caught.value) == f"destination az:// needs the adlfs driver: pip install -e '{ROOT}[azure]'"


@pytest.mark.parametrize(
    "uri",
    ["duckdb:///x.duckdb", "postgresql://u@h/db", "mysql://u@h/db", "sqlite:///x.db", "file:///tmp/x"],
)
def test_installed_drivers_pass(uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert isinstance(resolve(uri), Destination)


def test_every_extra_named_in_errors_exists_in_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name, scheme in SCHEMES.items():
        if scheme.extra:
            assert scheme.extra in extras, name
            assert any(req.startswith("dlt[") for req in extras[scheme.extra]), name


# --- strategies: what dlt can do on each destination, checked up front ------------------------------------------


def destination_for(name: str, tmp_path: Path, key_file: Path) -> Destination:
    uris = {
        "duckdb": f"duckdb:///{tmp_path}/x.duckdb",
        "postgres": "postgresql://u@h/db",
        "mysql": "mysql://u@h/db",
        "sqlite": f"sqlite:///{tmp_path}/x.db",
        "bigquery": f"bigquery://p?credentials_path={key_file}",
        "snowflake": "snowflake://u:p@a/db",
        "redshift": "redshift://u:p@h/db",
        "clickhouse": "clickhouse://u:p@h/db",
        "mssql": "mssql://u:p@h/db?driver=ODBC+Driver+18+for+SQL+Server",
        "databricks": "databricks://token:t@h?http_path=/p&catalog=c",
        "athena": "athena://?bucket=b&region_name=r",
        "motherduck": "md:db?token=t",
        "files": f"file://{tmp_path}/files",
        "s3": "s3://b/p",
    }
    return resolve(uris[name], check_drivers=False)


DATABASES = ["duckdb", "postgres", "mysql", "sqlite", "bigquery", "snowflake", "redshift", "clickhouse", "mssql",
             "databricks", "athena", "motherduck"]


@pytest.mark.parametrize("name", DATABASES)
@pytest.mark.parametrize("strategy", ["append", "replace", "merge", "delete+insert", "scd2"])
def test_databases_take_every_strategy(name: str, strategy: str, tmp_path: Path, key_file: Path) -> None:
    destination_for(name, tmp_path, key_file).check_strategy(Strategy(strategy))


@pytest.mark.parametrize("name", ["files", "s3"])
def test_files_take_append_and_replace_but_refuse_merges(name: str, tmp_path: Path, key_file: Path) -> None:
    destination = destination_for(name, tmp_path, key_file)
    destination.check_strategy(Strategy.APPEND)
    destination.check_strategy(Strategy.REPLACE)
    for strategy in ("merge", "delete+insert", "scd2"):
        with pytest.raises(UsageError) as caught:
            destination.check_strategy(Strategy(strategy))
        message = str(caught.value)
        assert "\n" not in message and f"cannot load a table with strategy {strategy!r}" in message
        assert "only append and replace" in message


def test_unknown_strategy_is_refused_by_the_one_validator() -> None:
    with pytest.raises(UsageError, match="unknown --incremental-strategy 'sometimes'"):
        Strategy.parse("sometimes")


@pytest.mark.parametrize(
    ("name", "atomic"),
    [("duckdb", True), ("postgres", True), ("mysql", True), ("sqlite", True), ("bigquery", False),
     ("snowflake", True), ("redshift", True), ("mssql", True), ("databricks", False), ("motherduck", True),
     ("clickhouse", False), ("athena", False), ("files", False), ("s3", False)],
)
def test_atomic_replace_only_with_insert_from_staging_in_a_transaction(
    name: str, atomic: bool, tmp_path: Path, key_file: Path
) -> None:
    destination = destination_for(name, tmp_path, key_file)
    assert destination.atomic_replace is atomic
    if atomic:
        assert "insert-from-staging" in destination.replace_strategies()


# --- secrets never printed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "secret"),
    [
        ("postgresql://loader:hunter2@host/db", "hunter2"),
        ("snowflake://u:p%40ss@acct/db?warehouse=W&private_key=PK&private_key_passphrase=PP", "p%40ss"),
        ("snowflake://u:pw@acct/db?private_key=PRIVATEKEY", "PRIVATEKEY"),
        ("snowflake://u:pw@acct/db?private_key_passphrase=PASSPHRASE", "PASSPHRASE"),
        ("md:db?token=MDTOKEN", "MDTOKEN"),
        ("motherduck://db?motherduck_token=MDTOKEN", "MDTOKEN"),
        ("databricks://token:dapiSECRET@host?http_path=/p&catalog=c", "dapiSECRET"),
        ("athena://?bucket=b&access_key_id=AKIA1&secret_access_key=SECRET&region_name=r", "SECRET"),
        ("athena://?bucket=b&access_key_id=AKIA1&secret_access_key=S&session_token=STOKEN", "STOKEN"),
        ("s3://b/p?access_key_id=AKIA1&secret_access_key=SECRET", "AKIA1"),
        ("az://c/p?account_name=a&account_key=ACCOUNTKEY", "ACCOUNTKEY"),
        ("az://c/p?account_name=a&sas_token=SASTOKEN", "SASTOKEN"),
        ("bigquery://p?credentials_base64=QkFTRTY0S0VZ", "QkFTRTY0S0VZ"),
        ("clickhouse://u:p@ss@host:9440/db", "p@ss"),
        ("mssql://sa:Pwd1@host/db?driver=x", "Pwd1"),
    ],
)
def test_redact_hides_every_secret(uri: str, secret: str) -> None:
    redacted = redact(uri)
    assert secret not in redacted
    assert redacted.split(":", 1)[0] == uri.split(":", 1)[0]


def test_redact_keeps_what_is_not_secret() -> None:
    uri = "snowflake://loader:pw@acct/db?warehouse=W&role=R"
    assert redact(uri) == "snowflake://loader:***@acct/db?warehouse=W&role=R"
    assert redact("duckdb:///x.duckdb") == "duckdb:///x.duckdb"
    assert redact("md:db?token=T") == "md:db?token=***"


def test_display_never_holds_a_secret(key_file: Path) -> None:
    uris = [
        "postgresql://u:hunter2@h/db", "redshift://u:hunter2@h/db", "mysql://u:hunter2@h/db",
        "snowflake://u:hunter2@a/db", "clickhouse://u:hunter2@h/db", "mssql://u:hunter2@h/db?driver=x",
        "databricks://token:hunter2@h?http_path=/p&catalog=c", "md:db?token=hunter2",
        "athena://?bucket=b&region_name=r&access_key_id=hunter2&secret_access_key=hunter2",
        "s3://b/p?access_key_id=hunter2&secret_access_key=hunter2", "az://c/p?account_name=a&account_key=hunter2",
    ]
    for uri in uris:
        assert "hunter2" not in resolve(uri, check_drivers=False).display, uri
