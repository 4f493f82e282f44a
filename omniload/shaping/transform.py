"""Each Arrow page as it may leave the machine: masked first (by source names), then renamed and retyped, then
stamped with the load timestamp (README "Shaping what lands"). A `--mask` or `--columns` column that no page of
the run had stops the run before anything is written, since the user meant to mask something that would
otherwise land as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from omniload.errors import UsageError
from omniload.shaping.columns import changed
from omniload.shaping.flags import Shaping
from omniload.source import TableRequest

#: The load timestamp column: one UTC timestamp per run, the same on every row the run loads.
LOADED_AT = "_omniload_loaded_at"


@dataclass
class PageShaper:
    """A run's `shaping` applied to its pages, remembering which named columns some page had (`seen`)."""

    shaping: Shaping
    seen: set[str] = field(default_factory=set)  # the mask and --columns sources some page had

    def apply(self, request: TableRequest[Any], page: pa.Table) -> pa.Table:
        """One page masked, renamed and retyped, and stamped."""
        for mask in self.shaping.masks:
            if mask.column in page.column_names:
                self.seen.add(mask.column)
                page = page.set_column(
                    page.column_names.index(mask.column), mask.column, mask.apply(page[mask.column])
                )
        for change in self.shaping.columns:
            if change.source in page.column_names:
                self.seen.add(change.source)
                page = changed(page, change, request.load_name)
        if self.shaping.load_timestamp:
            stamp = pa.array([self.shaping.loaded_at] * page.num_rows, pa.timestamp("us", tz="UTC"))
            if LOADED_AT in page.column_names:
                page = page.drop_columns([LOADED_AT])
            page = page.append_column(LOADED_AT, stamp)  # nullable: rows other tools insert have none
        return page

    def check_seen(self) -> None:
        """After the reads: a `--mask` or `--columns` column that no page had was probably misspelt, and its
        values would land unmasked or untouched; stop before anything is written."""
        missing = [m.column for m in self.shaping.masks if m.column not in self.seen]
        missing += [c.source for c in self.shaping.columns if c.source not in self.seen]
        if missing:
            flag = "--mask" if any(m.column == missing[0] for m in self.shaping.masks) else "--columns"
            raise UsageError(
                f"{flag}: no table of this run has a column {missing[0]!r}; nothing was written "
                "(column names are the source's, before --columns renames them)"
            )
