"""ingestr's data-control flags: what lands in the destination, shaped on this machine before dlt sees a page.

`--columns` renames and retypes columns, `--mask` replaces values (PII never leaves the machine unmasked: each
Arrow page is masked before it is handed to dlt), `--schema-contract` says what a new column or type may do to an
existing table (dlt's schema contract), `--page-size` sets the API's page size (through the source's
`PageSized` hook), `--staging-bucket` makes a warehouse load from a bucket (dlt's filesystem staging),
`--partition-by`/`--cluster-by` shape BigQuery tables (dlt's bigquery_adapter hints), and `_omniload_loaded_at`
stamps every row with the run's start (`--no-load-timestamp` drops it). README "Shaping what lands" is the
user's page; the names and syntax are ingestr's (its `ingest` command and its data-masking page).

Everything that can be checked before a page is read is checked by `Controls.check` (bad syntax, a mask or
rename that would break a key, a flag the destination or source cannot honour): one `UsageError` line, exit 2.
A `--mask` or `--columns` column that no page of the run had stops the run before anything is written, since
the user meant to mask something that would otherwise land as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from omniload.errors import OmniloadError, UsageError
from omniload.source import PageSized, Reader, Strategy, TableRequest

if TYPE_CHECKING:
    from omniload.destinations import Destination

#: The load timestamp column: one UTC timestamp per run, the same on every row the run loads.
LOADED_AT = "_omniload_loaded_at"

SCHEMA_CONTRACTS = ("evolve", "freeze", "discard_row", "discard_value")

#: Strategies that find a row again by its primary key: a masked or renamed key would break them.
_KEYED = (Strategy.MERGE, Strategy.SCD2)


#: ingestr's `--columns` type names (its `StandardTypeNames`) and the Arrow type each casts to; dlt declares the
#: column from the Arrow type. `decimal(p,s)` and `varchar(n)` are parsed apart.
TYPES: Mapping[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "bool": pa.bool_(),
    "tinyint": pa.int8(),
    "int8": pa.int8(),
    "smallint": pa.int16(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int": pa.int64(),
    "integer": pa.int64(),
    "int64": pa.int64(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "float32": pa.float32(),
    "double": pa.float64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "datetime": pa.timestamp("us", tz="UTC"),
    "timestamp_ntz": pa.timestamp("us"),
}

_SIZED = re.compile(r"(?P<name>decimal|numeric|varchar)\((?P<args>[0-9 ,]+)\)")


def parse_type(text: str, entry: str) -> pa.DataType:
    """A `--columns` type name, `decimal(p,s)` or `varchar(n)` included."""
    name = text.strip().lower()
    if name in TYPES:
        return TYPES[name]
    sized = _SIZED.fullmatch(name)
    if sized:
        args = [int(a) for a in sized["args"].replace(" ", "").split(",") if a]
        if sized["name"] == "varchar" and len(args) == 1:
            return pa.string()  # the length is not declared: dlt's text, as ingestr's string
        if sized["name"] != "varchar" and len(args) in (1, 2) and 0 < args[0] <= 38:
            scale = args[1] if len(args) == 2 else 0
            if scale <= args[0]:
                return pa.decimal128(args[0], scale)
    known = ", ".join([*TYPES, "decimal(p,s)", "varchar(n)"])
    raise UsageError(f"--columns {entry!r}: unknown type {text!r}; use one of {known}")


@dataclass(frozen=True)
class ColumnChange:
    """One `--columns` entry: `name:type`, `name:type:source` (rename and retype) or `name::source` (rename)."""

    name: str
    source: str
    kind: pa.DataType | None

    @classmethod
    def parse(cls, entry: str) -> ColumnChange:
        parts = [part.strip() for part in entry.split(":")]
        if len(parts) not in (2, 3) or not parts[0] or (len(parts) == 2 and not parts[1]):
            raise UsageError(f"--columns {entry!r} must look like name:type, name:type:source or name::source")
        if len(parts) == 3 and not parts[2]:
            raise UsageError(f"--columns {entry!r}: the source column after the second ':' is empty")
        source = parts[2] if len(parts) == 3 else parts[0]
        return cls(name=parts[0], source=source, kind=parse_type(parts[1], entry) if parts[1] else None)


def split_columns(text: str) -> list[str]:
    """`--columns` entries, separated by commas outside parentheses (`a:decimal(10,2),b:int`)."""
    entries, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            entries.append(current)
            current = ""
        else:
            current += char
    return [entry.strip() for entry in [*entries, current] if entry.strip()]


Masker = Callable[[Any], Any]


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value))


def _partial(value: Any, shown: int) -> str:
    text = str(value)
    if len(text) <= shown * 2:
        return "*" * len(text)
    return text[:shown] + "*" * (len(text) - shown * 2) + text[-shown:]


def _email(value: Any) -> str:
    text = str(value)
    if "@" not in text:
        return _partial(text, 2)
    local, domain = text.split("@", 1)
    hidden = "*" * len(local) if len(local) <= 2 else local[0] + "*" * (len(local) - 2) + local[-1]
    return f"{hidden}@{domain}"


def _phone(value: Any) -> str:
    digits = _digits(value)
    return digits[:3] + "-***-****" if len(digits) >= 10 else "*" * len(digits)


def _credit_card(value: Any) -> str:
    digits = _digits(value)
    return "*" * (len(digits) - 4) + digits[-4:] if len(digits) >= 12 else "*" * len(digits)


def _ssn(value: Any) -> str:
    digits = _digits(value)
    return "***-**-" + digits[-4:] if len(digits) == 9 else "*" * len(digits)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _round(value: Any, step: int) -> Any:
    number = _number(value)
    if number is None:
        return value
    rounded = round(number / step) * step
    return int(rounded) if isinstance(value, int) else rounded


def _range(value: Any, step: int) -> Any:
    number = _number(value)
    if number is None:
        return value
    lower = int(number // step) * step
    return f"{lower}-{lower + step}"


def _whole(param: str | None, default: int, entry: str) -> int:
    if param is None:
        return default
    if not param.isdigit() or int(param) == 0:
        raise UsageError(f"--mask {entry!r}: the parameter must be a whole number above 0")
    return int(param)


def _needed(param: str | None, entry: str, what: str) -> str:
    if not param:
        raise UsageError(f"--mask {entry!r} needs {what}: column:algorithm:{what.split()[-1]}")
    return param


def _masker(algorithm: str, param: str | None, entry: str) -> Masker:
    """ingestr's masking algorithms by name (its data-masking page), each on one non-null value."""
    match algorithm:
        case "hash" | "sha256":
            return lambda v: hashlib.sha256(str(v).encode()).hexdigest()
        case "md5":
            return lambda v: hashlib.md5(str(v).encode()).hexdigest()
        case "hmac":
            key = _needed(param, entry, "a secret key").encode()
            return lambda v: hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()
        case "redact":
            return lambda v: "REDACTED"
        case "stars":
            return lambda v: "*" * len(str(v))
        case "fixed":
            replacement = param or "MASKED"
            return lambda v: replacement
        case "partial":
            shown = _whole(param, 2, entry)
            return lambda v: _partial(v, shown)
        case "first_letter":
            return lambda v: str(v)[:1] + "*" * (len(str(v)) - 1)
        case "email":
            return _email
        case "phone":
            return _phone
        case "credit_card":
            return _credit_card
        case "ssn":
            return _ssn
        case "round":
            step = _whole(param, 10, entry)
            return lambda v: _round(v, step)
        case "range":
            step = _whole(param, 100, entry)
            return lambda v: _range(v, step)
    if algorithm in _NOT_HERE:
        raise UsageError(f"--mask {entry!r}: {algorithm} is not supported by omniload: {_NOT_HERE[algorithm]}")
    raise UsageError(f"--mask {entry!r}: unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")


ALGORITHMS = (
    "hash",
    "sha256",
    "md5",
    "hmac",
    "redact",
    "stars",
    "fixed",
    "partial",
    "first_letter",
    "email",
    "phone",
    "credit_card",
    "ssn",
    "round",
    "range",
    "null",
)
#: ingestr algorithms omniload refuses, and why (README "Shaping what lands").
_NOT_HERE = {
    "uuid": "its tokens are new on every run, so merges and joins across runs break; use hash or hmac",
    "sequential": "its tokens are new on every run, so merges and joins across runs break; use hash or hmac",
    "random": "random values change on every run; use redact, stars or null",
    "noise": "random values change on every run; use round or range",
    "date_shift": "random values change on every run; use --columns to keep a date and round",
    "year_only": "Customer.io times are Unix seconds; use round:31536000 or --columns name:date",
    "month_year": "Customer.io times are Unix seconds; use --columns name:date",
}


@dataclass(frozen=True)
class Mask:
    """One `--mask column:algorithm[:param]`; nulls stay null (they hold nothing to hide)."""

    column: str
    algorithm: str
    param: str | None = None

    @classmethod
    def parse(cls, entry: str) -> Mask:
        column, _, rest = entry.strip().partition(":")
        algorithm, _, param = rest.partition(":")
        if not column.strip() or not algorithm.strip():
            raise UsageError(f"--mask {entry!r} must look like column:algorithm[:param], e.g. email:hash")
        mask = cls(column.strip(), algorithm.strip().lower(), param or None)
        if mask.algorithm != "null":
            _masker(mask.algorithm, mask.param, entry)  # checks the algorithm and its parameter now
        return mask

    def apply(self, array: pa.Array) -> pa.Array:
        if self.algorithm == "null":
            return pa.nulls(len(array), array.type)
        masker = _masker(self.algorithm, self.param, self.column)
        values = [None if value is None else masker(value) for value in array.to_pylist()]
        if self.algorithm == "round" and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
            return pa.array(values, array.type)
        return pa.array([None if v is None else str(v) for v in values], pa.string())


@dataclass(frozen=True, kw_only=True)
class Controls:
    """The data-control flags of one run, parsed (`parse`), checked against the run (`check`), then applied to
    every Arrow page (`apply`) and to the dlt hints of each table (`hints`)."""

    columns: tuple[ColumnChange, ...] = ()
    masks: tuple[Mask, ...] = ()
    schema_contract: str = "evolve"
    page_size: int | None = None
    staging_bucket: str | None = None
    partition_by: str | None = None
    cluster_by: tuple[str, ...] = ()
    load_timestamp: bool = True
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seen: set[str] = field(default_factory=set, compare=False)  # the mask and --columns sources some page had

    @classmethod
    def parse(
        cls,
        *,
        columns: str | None = None,
        masks: Iterable[str] = (),
        schema_contract: str = "evolve",
        page_size: int | None = None,
        staging_bucket: str | None = None,
        partition_by: str | None = None,
        cluster_by: str | None = None,
        load_timestamp: bool = True,
    ) -> Controls:
        """The flags as given (`--mask` may be repeated, each value also a comma-separated list, as ingestr's
        MASK variable); syntax errors are one UsageError line."""
        changes = tuple(ColumnChange.parse(entry) for entry in split_columns(columns or ""))
        parsed_masks = tuple(Mask.parse(e) for value in masks for e in value.split(",") if e.strip())
        _no_repeats([c.name for c in changes], "--columns names the column {} twice")
        _no_repeats([c.source for c in changes], "--columns changes the column {} twice")
        _no_repeats([m.column for m in parsed_masks], "--mask names the column {} twice")
        contract = schema_contract.strip().lower()
        if contract not in SCHEMA_CONTRACTS:
            raise UsageError(
                f"unknown --schema-contract {schema_contract!r}; use one of {', '.join(SCHEMA_CONTRACTS)}"
            )
        if page_size is not None and page_size < 1:
            raise UsageError(f"--page-size must be at least 1, not {page_size}")
        return cls(
            columns=changes,
            masks=parsed_masks,
            schema_contract=contract,
            page_size=page_size,
            staging_bucket=(staging_bucket or "").strip() or None,
            partition_by=(partition_by or "").strip() or None,
            cluster_by=tuple(c.strip() for c in (cluster_by or "").split(",") if c.strip()),
            load_timestamp=load_timestamp,
        )

    def check(self, requests: list[TableRequest[Any]], reader: Reader, destination: Destination) -> Destination:
        """Everything knowable before a page is read; returns the destination with the staging bucket set."""
        for request in requests:
            self._check_keys(request)
        if self.page_size is not None:
            if not isinstance(reader, PageSized):
                raise UsageError("--page-size: this source takes no page size")
            reader.set_page_size(requests, self.page_size)
        self._check_bigquery(destination)
        return self._with_staging(destination)

    def apply(self, request: TableRequest[Any], page: pa.Table) -> pa.Table:
        """One page as it may leave the machine: masked first (by source names), then renamed and retyped, then
        stamped with the load timestamp."""
        for mask in self.masks:
            if mask.column in page.column_names:
                self.seen.add(mask.column)
                page = page.set_column(
                    page.column_names.index(mask.column), mask.column, mask.apply(page[mask.column])
                )
        for change in self.columns:
            if change.source in page.column_names:
                self.seen.add(change.source)
                page = _changed(page, change, request.load_name)
        if self.load_timestamp:
            stamp = pa.array([self.loaded_at] * page.num_rows, pa.timestamp("us", tz="UTC"))
            if LOADED_AT in page.column_names:
                page = page.drop_columns([LOADED_AT])
            page = page.append_column(LOADED_AT, stamp)  # nullable: rows other tools insert have none
        return page

    def hints(self, columns: list[dict[str, Any]], **table: Any) -> dict[str, Any]:
        """`dlt.extract.hints.make_hints` arguments for a table: the run's own column hints (`columns`, by
        source name) renamed, masked or retyped columns no longer JSON (dlt declares a retyped column from its
        Arrow type), BigQuery's partition and cluster hints, and the schema contract."""
        renamed = {c.source: c.name for c in self.columns}
        masked = {m.column for m in self.masks if m.algorithm != "null"}
        retyped = {c.name for c in self.columns if c.kind is not None}
        out: list[dict[str, Any]] = []
        for hint in columns:
            source = hint["name"]
            hint = {**hint, "name": renamed.get(source, source)}
            if hint.get("data_type") == "json" and (hint["name"] in retyped or source in masked):
                del hint["data_type"]
            if len(hint) > 1:
                out.append(hint)
        out += self._bigquery_columns()
        extra: dict[str, Any] = {}
        if self.cluster_by:
            from dlt.destinations.impl.bigquery.bigquery_adapter import CLUSTER_COLUMNS_HINT

            extra["additional_table_hints"] = {CLUSTER_COLUMNS_HINT: list(self.cluster_by)}
        if self.schema_contract != "evolve":  # new tables are always created; their columns and types then hold
            mode = self.schema_contract
            extra["schema_contract"] = {"tables": "evolve", "columns": mode, "data_type": mode}
        return {"columns": out, **table, **extra}

    @property
    def names_columns(self) -> bool:
        """Whether a `--mask` or `--columns` names a column that some page must have (`check_seen`): such a run
        is checked whole before it writes, so it loads in one checkpoint (README "Checkpoints and resume")."""
        return bool(self.masks or self.columns)

    def check_seen(self) -> None:
        """After the reads: a `--mask` or `--columns` column that no page had was probably misspelt, and its
        values would land unmasked or untouched; stop before anything is written."""
        missing = [m.column for m in self.masks if m.column not in self.seen]
        missing += [c.source for c in self.columns if c.source not in self.seen]
        if missing:
            flag = "--mask" if any(m.column == missing[0] for m in self.masks) else "--columns"
            raise UsageError(
                f"{flag}: no table of this run has a column {missing[0]!r}; nothing was written "
                "(column names are the source's, before --columns renames them)"
            )

    def _check_keys(self, request: TableRequest[Any]) -> None:
        keys = set(request.primary_key)
        for change in self.columns:
            if change.source != change.name and change.source in (*keys, request.incremental_key):
                raise UsageError(
                    f"{request.load_name}: --columns cannot rename the key column {change.source!r} "
                    "(omniload merges and keeps cursors by it); retype it with --columns name:type instead"
                )
        for mask in self.masks:
            if mask.column in keys and request.strategy in _KEYED:
                raise UsageError(
                    f"{request.load_name}: --mask {mask.column} masks the primary key, which "
                    f"{request.strategy.value} finds rows again by; use --incremental-strategy replace or append, "
                    "or mask other columns"
                )
            if mask.column == request.incremental_key and request.strategy == Strategy.DELETE_INSERT:
                raise UsageError(
                    f"{request.load_name}: --mask {mask.column} masks the incremental key, which delete+insert "
                    "replaces rows by; mask other columns"
                )

    def _check_bigquery(self, destination: Destination) -> None:
        if (self.partition_by or self.cluster_by) and destination.kind != "bigquery":
            flag = "--partition-by" if self.partition_by else "--cluster-by"
            raise UsageError(
                f"{flag} applies to BigQuery tables only (dlt's bigquery_adapter); destination {destination.kind} "
                "has no such table option: drop the flag"
            )

    def _bigquery_columns(self) -> list[dict[str, Any]]:
        from dlt.destinations.impl.bigquery.bigquery_adapter import CLUSTER_HINT, PARTITION_HINT

        hints = [{"name": self.partition_by, PARTITION_HINT: True}] if self.partition_by else []
        return hints + [{"name": column, CLUSTER_HINT: True} for column in self.cluster_by]

    def _with_staging(self, destination: Destination) -> Destination:
        """`--staging-bucket`: dlt's filesystem staging, where dlt's destination loads from a bucket at all."""
        if not self.staging_bucket:
            return destination
        from omniload import destinations

        formats = destination.dlt_destination.capabilities().supported_staging_file_formats
        if not formats:
            raise UsageError(
                f"destination {destination.kind} does not load from a staging bucket (dlt has no staging for it); "
                "--staging-bucket works with BigQuery, Snowflake, Redshift, Databricks, ClickHouse and Athena"
            )
        if self.staging_bucket.lower().startswith("file:"):
            raise UsageError(
                "--staging-bucket must be a bucket the warehouse reads (s3://, gs://, az://), not a local folder"
            )
        bucket = destinations.resolve(self.staging_bucket)
        if bucket.kind != "files":
            raise UsageError(
                f"--staging-bucket must be a bucket such as s3://bucket/prefix or gs://bucket/prefix, "
                f"not {destinations.redact(self.staging_bucket)}"
            )
        return dataclasses.replace(destination, staging=bucket.dlt_destination, loader_file_format=None)


def contract_violation(error: BaseException) -> OmniloadError | None:
    """dlt's refusal under `--schema-contract freeze`, raised while pages are extracted (so before anything is
    written), as the user's one line; None for any other error."""
    from dlt.common.schema.exceptions import DataValidationError

    if not isinstance(error, DataValidationError):
        return None
    what = "a new column" if error.schema_entity == "columns" else "a new type in the column"
    return OmniloadError(
        f"{error.table_name}: --schema-contract {error.contract_mode} refuses {what} {error.column_name!r}; "
        "nothing was written (evolve adds it, discard_value drops its values, discard_row the rows with one)"
    )


def _no_repeats(names: list[str], message: str) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(message.format(repeated[0]))


def _changed(page: pa.Table, change: ColumnChange, table: str) -> pa.Table:
    index = page.column_names.index(change.source)
    if change.name != change.source and change.name in page.column_names:
        raise UsageError(
            f"{table}: --columns renames {change.source} to {change.name}, which the table already has"
        )
    array = page.column(index)
    if change.kind is not None:
        array = _cast(array, change.kind, f"{table}.{change.source}")
    return page.set_column(index, pa.field(change.name, array.type), array)


def _cast(array: pa.ChunkedArray, target: pa.DataType, where: str) -> pa.ChunkedArray:
    """Arrow's cast, plus what API values need: Unix seconds (numbers or digit strings) and ISO date-times
    without an offset (read as UTC) become timestamps."""
    attempts = [lambda: pc.cast(array, target)]
    if pa.types.is_timestamp(target):
        naive = pa.timestamp("us")
        seconds = pa.timestamp("s")
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            attempts = [lambda: pc.cast(pc.cast(array, pa.int64()), seconds).cast(target)]
        elif pa.types.is_string(array.type):
            attempts += [
                lambda: _zoned(pc.cast(array, naive), target),
                lambda: pc.cast(pc.cast(array, pa.int64()), seconds).cast(target),
            ]
    for attempt in attempts:
        try:
            return attempt()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
    # the value itself is not shown: it may be what a --mask was meant to hide
    raise UsageError(f"--columns: {where} has values that cannot be read as {target}; nothing was written")


def _zoned(array: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if target.tz is None:
        return array
    return pc.assume_timezone(array, "UTC").cast(target)
