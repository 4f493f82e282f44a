"""The Customer.io source's documentation page, generated from its catalog: `omniload docs customerio`.

`docs/sources/customerio.md` is this function's output, committed; `tests/test_docs.py` fails when the two drift
apart (a table added, a key or a strategy changed), so regenerate the page after changing the catalog:

    omniload docs customerio > docs/sources/customerio.md
"""

from __future__ import annotations

from dataclasses import dataclass

from omniload.sources.customerio.catalog import TABLES, FromPass, Listing, Metrics, PerParent, Table
from omniload.sources.customerio.periods import PERIODS

KEY = "your_api_key"


@dataclass(frozen=True)
class Example:
    section: str
    comment: str
    source_table: str
    dest_table: str
    interval: tuple[str, str] | None = None

    def command(self, key: str = KEY, continuation: str = " \\\n  ") -> str:
        parts = [
            "omniload ingest",
            f"--source-uri 'customerio://?api_key={key}&region=us'",
            f"--source-table '{self.source_table}'",
            "--dest-uri duckdb:///customerio.duckdb",
            f"--dest-table '{self.dest_table}'",
        ]
        if self.interval:
            parts += [f"--interval-start '{self.interval[0]}'", f"--interval-end '{self.interval[1]}'"]
        return continuation.join(parts)


#: The product page's examples (the seed), in its order.
EXAMPLES = (
    Example("Getting started", "Broadcasts into DuckDB", "broadcasts", "customerio.broadcasts"),
    Example("Metrics tables", "Daily broadcast metrics", "broadcast_metrics:days", "customerio.broadcast_metrics"),
    Example("Metrics tables", "Hourly campaign metrics", "campaign_metrics:hours", "customerio.campaign_metrics"),
    Example("People and objects", "All customers with their identifiers", "customers", "customerio.customers"),
    Example("People and objects", "Detailed customer attributes", "customer_attributes",
            "customerio.customer_attributes"),
    Example("Incremental loading", "Broadcasts updated in January 2024", "broadcasts", "customerio.broadcasts",
            ("2024-01-01", "2024-01-31")),
)


def help_examples() -> str:
    """The examples as `omniload ingest --help` shows them."""
    continuation = " \\\n    "
    blocks = [f"  # {e.comment}\n  {e.command('KEY', continuation)}" for e in EXAMPLES]
    return "Examples:\n\n" + "\n\n".join(blocks) + "\n"


def display_name(table: Table) -> str:
    return f"{table.name}:period" if table.is_metrics else table.name


def tables_markdown() -> str:
    """The 31 tables: name, primary key, incremental key, strategy, what each holds."""
    lines = ["| Table | Primary key | Incremental key | Strategy | What it holds |", "|---|---|---|---|---|"]
    for table in TABLES:
        holds = table.description
        if table.is_metrics:
            holds += " Period: " + ", ".join(PERIODS) + "."
        lines.append(
            f"| `{display_name(table)}` | {', '.join(table.primary_key)} | {table.incremental_key or '–'} "
            f"| {table.strategy} | {holds} |"
        )
    return "\n".join(lines) + "\n"


def interval_effect(table: Table) -> str:
    """What `--interval-start`/`--interval-end` do to one table, derived from how the catalog reads it."""
    read = table.read
    key = table.incremental_key
    if isinstance(read, FromPass):
        if read.name == "messages":
            whom = {"campaigns": "all campaigns", "broadcasts": "all broadcasts", "people": "all people"}
            scope = f", for {whom[read.member_of]}" if read.member_of else ""
            return (
                "server-side `start_ts`/`end_ts` on the delivery's creation time, in windows of at most 90 days"
                f"{scope}"
            )
        return "none (the API keeps about 30 days of activity; each run holds the current 30 days)"
    if isinstance(read, Metrics):
        if read.version == 2:
            return (
                "server-side `start`/`end`, aligned to period boundaries; the table then holds the interval's "
                "periods"
            )
        return "none (this metrics endpoint takes no dates)"
    if key and isinstance(read, PerParent):
        return f"reads every parent (not only those updated in the interval); keeps rows whose `{key}` is in it"
    if key and isinstance(read, Listing):
        return f"reads the whole list; keeps rows whose `{key}` is within the interval"
    return "none (the whole table is read)"


def interval_markdown() -> str:
    lines = ["| Table | Strategy | Effect of the interval |", "|---|---|---|"]
    for table in TABLES:
        lines.append(f"| `{display_name(table)}` | {table.strategy} | {interval_effect(table)} |")
    return "\n".join(lines) + "\n"


def _examples_markdown(section: str) -> str:
    blocks = [f"# {e.comment}\n{e.command()}" for e in EXAMPLES if e.section == section]
    return "```sh\n" + "\n\n".join(blocks) + "\n```\n"


def customerio_page() -> str:
    return f"""<!-- Generated by `omniload docs customerio` from omniload/docs.py and the source's catalog; do not edit. -->
# Customer.io

[Customer.io](https://customer.io) is a customer engagement platform that sends automated messages across email,
push, SMS and more. omniload copies its App API data, {len(TABLES)} tables, into any destination it supports.

## URI

```
customerio://?api_key=<api-key>&region=<region>
```

| Parameter | Required | Meaning |
|---|---|---|
| `api_key` | yes | An App API key (a Bearer token) with read access. Never printed: every URI omniload shows is redacted. |
| `region` | no | `us` (default) or `eu`: where the account lives. A key used in the wrong region is refused with 401. |
| `rate_limit` | no | Requests per second for the whole run (default 10, Customer.io's budget per workspace). Lower it when other tools share the key. |
| `base_url` | no | An API gateway or a test server instead of the region's host. Must be `https://`, except for loopback addresses (`http://127.0.0.1:…`), so the key never travels unencrypted. |
| `lookback_days` | no | How far back an incremental run re-reads deliveries, whose metrics keep changing after they are sent (default 30). |

The standard `HTTPS_PROXY`, `NO_PROXY`, `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` variables are honoured.

## Creating an App API key

1. Log in to your Customer.io account.
2. Go to **Account Settings > API Credentials**.
3. Under **App API Keys**, create a new key with **read** access to the workspace you want to copy (a key that
   lacks access to some data is refused with 403, and omniload names the endpoint it could not read).
4. Note the account's region (US or EU) and pass it as `region=`.

{_examples_markdown("Getting started")}
The result is a table `customerio.broadcasts` in the DuckDB file `customerio.duckdb`.

## Tables

Use these names as `--source-table`. Several at once: a comma-separated list, or `all` (every table, the metrics
tables in all four periods). `omniload tables customerio` prints the same list.

{tables_markdown()}
## Examples

### Metrics tables

Metrics tables need a period suffix: `table:period`, where the period is one of {", ".join(PERIODS)}.

{_examples_markdown("Metrics tables")}
### People and objects

{_examples_markdown("People and objects")}
### Incremental loading

Tables with an `updated` or `updated_at` field can be loaded incrementally: with `--interval-start` and
`--interval-end` omniload only keeps records updated within that range.

{_examples_markdown("Incremental loading")}
## What `--interval-start` / `--interval-end` do

Both take `YYYY-MM-DD` or an ISO 8601 date-time (UTC when no offset is given) and are inclusive. With only a
start, the end is now. A start after the end is refused. Child tables always read every parent, because editing
an action or sending a delivery need not change the parent's `updated`.

{interval_markdown()}
Without an interval, merge tables remember how far they got (a cursor stored with the data) and the next run
reads only what is newer; deliveries re-read the last `lookback_days` days.

## Watching a run

`--progress interactive` (the default on a terminal) shows per table the pages, rows, requests per second and
the time spent waiting on the rate limit, with an estimate of the time left. `--progress log` (the default when
output is not a terminal) prints timestamped lines on stderr; `--progress json` prints one JSON event per line
on stdout (`start`, `progress`, `end`; exactly one `end` per table and one for the run, also on failure). Every
run ends with a summary: rows, requests and seconds per table, and where the data went.

Every mistake ends with one line on stderr saying what is wrong and how to fix it: exit code 2 for bad input
(URI, table, period, interval, destination), 1 for failures at run time (401, 403, unreachable host,
destination not writable). `--debug` adds the traceback. The API key is never printed.
"""  # noqa: E501
