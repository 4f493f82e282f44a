"""ingestr's data-control flags, parsed: what lands in the destination, shaped on this machine before dlt sees a
page (README "Shaping what lands"; the names and syntax are ingestr's, its `ingest` command and its data-masking
page).

`--columns` renames and retypes columns (omniload/shaping/columns.py), `--mask` replaces values (masks.py),
`--schema-contract` says what a new column or type may do to an existing table (dlt's schema contract),
`--page-size` sets the API's page size (through the source's `PageSized` hook), `--staging-bucket` makes a
warehouse load from a bucket (staging.py), `--partition-by`/`--cluster-by` shape BigQuery tables (hints.py), and
`_omniload_loaded_at` stamps every row with the run's start (`--no-load-timestamp` drops it). Syntax errors are
one `UsageError` line, exit 2; what needs the run is checked by checks.py, pages are shaped by transform.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from omniload.errors import UsageError
from omniload.shaping.columns import ColumnChange, split_columns
from omniload.shaping.masks import Mask

SCHEMA_CONTRACTS = ("evolve", "freeze", "discard_row", "discard_value")


@dataclass(frozen=True, kw_only=True)
class Shaping:
    """The data-control flags of one run as parsed (`parse`): checked against the run (`checks.check`), then
    applied to every Arrow page (`transform.PageShaper`) and to the dlt hints of each table (`hints`)."""

    columns: tuple[ColumnChange, ...] = ()
    masks: tuple[Mask, ...] = ()
    schema_contract: str = "evolve"
    page_size: int | None = None
    staging_bucket: str | None = None
    partition_by: str | None = None
    cluster_by: tuple[str, ...] = ()
    load_timestamp: bool = True
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

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
    ) -> Shaping:
        """The flags as given (`--mask` may be repeated, each value also a comma-separated list, as ingestr's
        MASK variable); syntax errors are one UsageError line."""
        changes = tuple(ColumnChange.parse(entry) for entry in split_columns(columns or ""))
        parsed_masks = tuple(Mask.parse(e) for value in masks for e in value.split(",") if e.strip())
        _no_repeats([c.name for c in changes], "--columns names the column {} twice")
        _no_repeats([c.source for c in changes], "--columns changes the column {} twice")
        _no_repeats([m.column for m in parsed_masks], "--mask names the column {} twice")
        if page_size is not None and page_size < 1:
            raise UsageError(f"--page-size must be at least 1, not {page_size}")
        return cls(
            columns=changes,
            masks=parsed_masks,
            schema_contract=_contract(schema_contract),
            page_size=page_size,
            staging_bucket=(staging_bucket or "").strip() or None,
            partition_by=(partition_by or "").strip() or None,
            cluster_by=tuple(c.strip() for c in (cluster_by or "").split(",") if c.strip()),
            load_timestamp=load_timestamp,
        )

    @property
    def names_columns(self) -> bool:
        """Whether a `--mask` or `--columns` names a column that some page must have (`PageShaper.check_seen`):
        such a run is checked whole before it writes, so it loads in one checkpoint (README "Checkpoints and
        resume")."""
        return bool(self.masks or self.columns)


def _contract(schema_contract: str) -> str:
    contract = schema_contract.strip().lower()
    if contract not in SCHEMA_CONTRACTS:
        raise UsageError(
            f"unknown --schema-contract {schema_contract!r}; use one of {', '.join(SCHEMA_CONTRACTS)}"
        )
    return contract


def _no_repeats(names: list[str], message: str) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(message.format(repeated[0]))
