"""What the shaping flags need of the run, checked before a page is read (README "Shaping what lands"): a mask
or rename that would break a key, a page size the source cannot take, a BigQuery option on another destination,
a staging bucket the destination cannot load from. One `UsageError` line, exit 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omniload.errors import UsageError
from omniload.shaping.flags import Shaping
from omniload.shaping.staging import with_staging
from omniload.source import PageSized, Reader, Strategy, TableRequest

if TYPE_CHECKING:
    from omniload.destinations import Destination

#: Strategies that find a row again by its primary key: a masked or renamed key would break them.
_KEYED = (Strategy.MERGE, Strategy.SCD2)


def check(
    shaping: Shaping, requests: list[TableRequest[Any]], reader: Reader, destination: Destination
) -> Destination:
    """Everything knowable before a page is read; sets the reader's page size, and returns the destination with
    the staging bucket set."""
    for request in requests:
        _check_keys(shaping, request)
    if shaping.page_size is not None:
        if not isinstance(reader, PageSized):
            raise UsageError("--page-size: this source takes no page size")
        reader.set_page_size(requests, shaping.page_size)
    if (shaping.partition_by or shaping.cluster_by) and destination.kind != "bigquery":
        flag = "--partition-by" if shaping.partition_by else "--cluster-by"
        raise UsageError(
            f"{flag} applies to BigQuery tables only (dlt's bigquery_adapter); destination {destination.kind} "
            "has no such table option: drop the flag"
        )
    return with_staging(shaping.staging_bucket, destination)


def _check_keys(shaping: Shaping, request: TableRequest[Any]) -> None:
    keys = set(request.primary_key)
    for change in shaping.columns:
        if change.source != change.name and change.source in (*keys, request.incremental_key):
            raise UsageError(
                f"{request.load_name}: --columns cannot rename the key column {change.source!r} "
                "(omniload merges and keeps cursors by it); retype it with --columns name:type instead"
            )
    for mask in shaping.masks:
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
