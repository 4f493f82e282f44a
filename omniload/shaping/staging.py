"""`--staging-bucket`: a warehouse that loads from a bucket, through dlt's filesystem staging, where dlt's
destination loads from one at all (README "Shaping what lands").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from omniload.errors import UsageError

if TYPE_CHECKING:
    from omniload.destinations import Destination


def with_staging(bucket: str | None, destination: Destination) -> Destination:
    """The destination loading through `bucket`; the destination as it is without one."""
    if not bucket:
        return destination
    from omniload import destinations

    formats = destination.dlt_destination.capabilities().supported_staging_file_formats
    if not formats:
        raise UsageError(
            f"destination {destination.kind} does not load from a staging bucket (dlt has no staging for it); "
            "--staging-bucket works with BigQuery, Snowflake, Redshift, Databricks, ClickHouse and Athena"
        )
    if bucket.lower().startswith("file:"):
        raise UsageError(
            "--staging-bucket must be a bucket the warehouse reads (s3://, gs://, az://), not a local folder"
        )
    staging = destinations.resolve(bucket)
    if staging.kind != "files":
        raise UsageError(
            f"--staging-bucket must be a bucket such as s3://bucket/prefix or gs://bucket/prefix, "
            f"not {destinations.redact(bucket)}"
        )
    return dataclasses.replace(destination, staging=staging.dlt_destination, loader_file_format=None)
