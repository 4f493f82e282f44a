"""Issue 13, point 4: ingestr's data-control flags, through the real CLI against the fake over HTTP, into DuckDB
and PostgreSQL (README "Shaping what lands"): what the flag says is what the table holds."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from omniload.destinations import Destination, resolve
from omniload.errors import UsageError
from omniload.shaping.checks import check
from omniload.shaping.flags import Shaping
from omniload.shaping.hints import shaped_hints
from omniload.shaping.transform import PageShaper
from omniload.sources.customerio.source import SOURCE
from omniload.testing.customerio import FakeCustomerIO
from tests.conftest import API_KEY, Ran, omniload
from tests.state.support import (
    SPEC,
    Dest,
    each_dest,  # noqa: F401  (the fixture `dest`)
    ingest_args,
    loaded,
    one_line_error,
    run,
    small_fake,  # noqa: F401  (the fixture `fake`)
)


def columns(dest: Dest, table: str) -> list[str]:
    return [
        name
        for (name,) in dest.sql(
            "select column_name from information_schema.columns "
            f"where table_schema = '{dest.dataset}' and table_name = '{table}' order by ordinal_position"
        )
    ]


def test_masks_hide_pii_before_it_is_loaded(fake: FakeCustomerIO, dest: Dest) -> None:
    people = {p["cio_id"]: p for p in fake.ws.rows("customers")}

    loaded(run(fake, dest, "customers", "--mask", "email:email", "--mask", "id:hash"))

    rows = dest.rows("customers", "cio_id, id, email")
    assert len(rows) == len(people)
    for cio_id, hashed, email in rows:
        person = people[cio_id]
        assert hashed == (person["id"] and hashlib.sha256(person["id"].encode()).hexdigest())
        assert (email is None) == (person.get("email") is None)  # a null holds nothing to hide
        if email is not None:
            local, domain = person["email"].split("@")
            hidden = local[0] + "*" * (len(local) - 2) + local[-1] if len(local) > 2 else "*" * len(local)
            assert email == f"{hidden}@{domain}"
    assert ("3000001", hashlib.sha256(b"u-1000").hexdigest(), "**@example.org") in rows  # p0@example.org


def test_masks_from_the_variable_reach_nested_values_and_every_table(fake: FakeCustomerIO, dest: Dest) -> None:
    """Nested objects are one JSON column each: masking the column masks every address inside it, and the
    masked column is text, renamed or not."""
    masks = "email:redact,id:null,identifiers:hash,attributes:redact"
    args = ingest_args(fake, dest, "customers,customer_attributes", "--columns", "traits::attributes")
    ran = omniload(*args, env={"MASK": masks})

    loaded(ran)
    people = fake.ws.rows("customers")
    values = sorted(dest.rows("customers", "email, id"), key=repr)
    assert values == sorted((((p.get("email") and "REDACTED"), None) for p in people), key=repr)
    attributes = dest.rows("customer_attributes", "identifiers, traits")
    assert len(attributes) == len(people)
    assert all(re.fullmatch("[0-9a-f]{64}", hashed) and redacted == "REDACTED" for hashed, redacted in attributes)
    assert "@example.org" not in repr(dest.rows("customers") + dest.rows("customer_attributes"))


def test_columns_rename_and_retype(fake: FakeCustomerIO, dest: Dest) -> None:
    segments = {s["id"]: s for s in fake.ws.rows("segments")}

    loaded(run(fake, dest, "segments", "--columns", "created:timestamp:created_at,title::name,id:string"))

    names = columns(dest, "segments")
    assert {"created", "title", "id"} <= set(names) and not {"created_at", "name"} & set(names)
    rows = dest.rows("segments", "id, title, created")
    assert sorted(rows) == sorted(
        (str(s["id"]), s["name"], datetime.fromtimestamp(s["created_at"], UTC)) for s in segments.values()
    )


def test_load_timestamp_is_one_utc_value_per_run_and_can_be_dropped(fake: FakeCustomerIO, dest: Dest) -> None:
    ran = loaded(run(fake, dest, "segments"))

    stamps = {stamp for (stamp,) in dest.rows("segments", "_omniload_loaded_at")}
    assert len(stamps) == 1
    stamp = stamps.pop()
    assert ran.started - 1 <= stamp.timestamp() <= ran.ended and stamp.utcoffset().total_seconds() == 0

    loaded(run(fake, dest, "subscription_topics", "--no-load-timestamp"))

    assert "_omniload_loaded_at" not in columns(dest, "subscription_topics")


def add_owner_to_a_segment(fake: FakeCustomerIO) -> None:
    """A new field on a segment the next run reads again (its `updated_at` moves past the cursor)."""
    segment: dict[str, Any] = fake.ws.catalog.segments[0]
    fake.ws.update_records(touch=[("segment", segment["id"])], at=fake.ws.now)
    segment["owner"] = "ops@example.org"


def test_freeze_refuses_a_new_column_and_leaves_the_table_as_it_was(fake: FakeCustomerIO, dest: Dest) -> None:
    loaded(run(fake, dest, "segments", "--schema-contract", "freeze"))
    before = dest.rows("segments")
    add_owner_to_a_segment(fake)

    line = one_line_error(run(fake, dest, "segments", "--schema-contract", "freeze"), 1)

    assert line == (
        "error: segments: --schema-contract freeze refuses a new column 'owner'; nothing was written "
        "(evolve adds it, discard_value drops its values, discard_row the rows with one)"
    )
    assert dest.rows("segments") == before


def test_discard_value_loads_the_rows_without_the_new_column(fake: FakeCustomerIO, dest: Dest) -> None:
    loaded(run(fake, dest, "segments"))
    add_owner_to_a_segment(fake)

    loaded(run(fake, dest, "segments", "--schema-contract", "discard_value"))

    assert "owner" not in columns(dest, "segments")
    assert dest.count("segments") == SPEC.segments


def test_page_size_sets_the_limit_of_every_request(fake: FakeCustomerIO, dest: Dest) -> None:
    loaded(run(fake, dest, "customers", "--page-size", "15"))

    limits = [r.query.get("limit") for r in fake.log if r.path == "/v1/customers"]
    assert limits == [["15"]] * 3  # 40 people: pages of 15, 15 and 10
    assert dest.count("customers") == SPEC.people


def test_page_size_above_the_documented_maximum_is_refused_before_any_request(
    fake: FakeCustomerIO, dest: Dest
) -> None:
    line = one_line_error(run(fake, dest, "activities", "--page-size", "101"), 2)

    assert line == (
        "error: --page-size 101 is above the maximum of /v1/activities (100), which activities reads: "
        "use at most 100"
    )
    assert fake.log == []
    line = one_line_error(run(fake, dest, "segments", "--page-size", "10"), 2)
    assert "segments is not read in pages" in line


def refused(ran: Ran, fake: FakeCustomerIO) -> str:
    """A combination that cannot work: one line, exit 2, and not a request made."""
    line = one_line_error(ran, 2)
    assert fake.log == []
    return line


def test_help_names_each_flag_and_its_variable() -> None:
    ran = omniload("ingest", "--help")

    assert ran.code == 0
    for flag, variable in [
        ("--columns", "INGESTR_COLUMNS"),
        ("--mask", "MASK"),
        ("--schema-contract", "SCHEMA_CONTRACT"),
        ("--page-size", "PAGE_SIZE"),
        ("--staging-bucket", "STAGING_BUCKET"),
        ("--partition-by", "PARTITION_BY"),
        ("--cluster-by", "CLUSTER_BY"),
        ("--no-load-timestamp", "NO_LOAD_TIMESTAMP"),
    ]:
        assert flag in ran.stdout and variable in ran.stdout, flag


def test_combinations_that_cannot_work_are_one_line(fake: FakeCustomerIO, dest: Dest) -> None:
    merge = refused(run(fake, dest, "newsletters", "--mask", "id:hash"), fake)
    assert merge == (
        "error: newsletters: --mask id masks the primary key, which merge finds rows again by; "
        "use --incremental-strategy replace or append, or mask other columns"
    )
    partition = refused(run(fake, dest, "segments", "--partition-by", "created_at"), fake)
    assert partition.startswith("error: --partition-by applies to BigQuery tables only")
    staging = refused(run(fake, dest, "segments", "--staging-bucket", "s3://bucket/omniload"), fake)
    assert f"destination {dest.kind} does not load from a staging bucket" in staging
    unknown = refused(run(fake, dest, "segments", "--mask", "email:shuffle"), fake)
    assert unknown.startswith("error: --mask 'email:shuffle': unknown algorithm 'shuffle'")
    rename_key = refused(run(fake, dest, "segments", "--columns", "segment_id::id"), fake)
    assert "cannot rename the key column 'id'" in rename_key


def test_a_mask_no_table_has_stops_the_run_before_anything_is_written(fake: FakeCustomerIO, dest: Dest) -> None:
    line = one_line_error(run(fake, dest, "customers", "--mask", "e_mail:hash"), 2)

    assert line.startswith("error: --mask: no table of this run has a column 'e_mail'; nothing was written")
    assert "customers" not in dest.tables()


READER = SOURCE.connect(f"customerio://?api_key={API_KEY}").reader()
SEGMENTS = SOURCE.connect(f"customerio://?api_key={API_KEY}").select("segments")[0]


def bigquery() -> Destination:
    """A BigQuery destination as `resolve` builds it (no account here: the driver is not needed to build it)."""
    key = {"type": "service_account", "project_id": "demo", "client_email": "loader@demo.iam.gserviceaccount.com"}
    encoded = base64.b64encode(json.dumps(key).encode()).decode()
    return resolve(f"bigquery://demo?credentials_base64={encoded}", check_drivers=False)


def test_bigquery_tables_get_dlts_partition_and_cluster_hints() -> None:
    """Not loaded for real (no BigQuery here): the hints are dlt's bigquery_adapter's, which its BigQuery client
    turns into PARTITION BY and CLUSTER BY."""
    shaping = Shaping.parse(partition_by="created_at", cluster_by="type, name")
    check(shaping, [], READER, bigquery())

    hints = shaped_hints(shaping, [{"name": "id", "nullable": False}], table_name="segments")

    assert hints == {
        "columns": [
            {"name": "id", "nullable": False},
            {"name": "created_at", "x-bigquery-partition": True},
            {"name": "type", "x-bigquery-cluster": True},
            {"name": "name", "x-bigquery-cluster": True},
        ],
        "table_name": "segments",
        "additional_table_hints": {"x-bigquery-cluster-columns": ["type", "name"]},
    }


def test_a_staging_bucket_needs_a_bucket_and_its_driver() -> None:
    local = Shaping.parse(staging_bucket="file:///tmp/stage")
    with pytest.raises(UsageError, match="not a local folder"):
        check(local, [], READER, bigquery())
    s3 = Shaping.parse(staging_bucket="s3://bucket/stage")
    with pytest.raises(UsageError, match=r"needs the s3fs driver: pip install -e '.+\[s3\]'"):
        check(s3, [], READER, bigquery())


@pytest.mark.parametrize(
    ("mask", "value", "masked"),
    [  # the examples of ingestr's data-masking page, where its code agrees with them
        ("partial:2", "Jonathan", "Jo****an"),
        ("first_letter", "Alice", "A****"),
        ("stars", "secret123", "*********"),
        ("email", "john.doe@example.com", "j******e@example.com"),
        ("ssn", "123-45-6789", "***-**-6789"),
        ("credit_card", "4111-1111-1111-1111", "************1111"),
        ("round:5000", 52300, 50000),
        ("range:10000", 45000, "40000-50000"),
        ("fixed:MASKED_KEY", "sk_live_abc123", "MASKED_KEY"),
        ("redact", "Customer complaint about...", "REDACTED"),
        ("md5", "abc", "900150983cd24fb0d6963f7d28e17f72"),
    ],
)
def test_mask_algorithms_give_ingestrs_outputs(mask: str, value: Any, masked: Any) -> None:
    shaper = PageShaper(Shaping.parse(masks=[f"value:{mask}"], load_timestamp=False))
    page = pa.table({"value": [value, None]})

    assert shaper.apply(SEGMENTS, page).column("value").to_pylist() == [masked, None]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"columns": "a:notatype"}, "--columns 'a:notatype': unknown type 'notatype'; use one of boolean"),
        ({"columns": "a:int:"}, "--columns 'a:int:': the source column after the second ':' is empty"),
        ({"columns": "a:int,a:text:b"}, "--columns names the column a twice"),
        ({"masks": ["email"]}, "--mask 'email' must look like column:algorithm[:param], e.g. email:hash"),
        (
            {"masks": ["name:partial:two"]},
            "--mask 'name:partial:two': the parameter must be a whole number above 0",
        ),
        ({"masks": ["id:hmac"]}, "--mask 'id:hmac' needs a secret key: column:algorithm:key"),
        (
            {"masks": ["id:uuid"]},
            "--mask 'id:uuid': uuid is not supported by omniload: its tokens are new on every",
        ),
        (
            {"schema_contract": "frozen"},
            "unknown --schema-contract 'frozen'; use one of evolve, freeze, discard_row",
        ),
        ({"page_size": 0}, "--page-size must be at least 1, not 0"),
    ],
)
def test_flag_syntax_errors_are_one_line(flags: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        Shaping.parse(**flags)

    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
