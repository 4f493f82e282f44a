"""The README's generated tables: issue 15, point 4, one row per destination, naming every scheme it accepts,
its example and its extra, exactly as `omniload/destinations.py` has them; issue 11, the Customer.io tables
beyond `all` with their keys, as the catalog has them."""

from __future__ import annotations

import re
from pathlib import Path

from omniload.destinations import SCHEMES
from omniload.source import tables_markdown
from omniload.sources.customerio.catalog import EXTRA_TABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _destination_rows() -> list[list[str]]:
    section = README.split("\n## Destinations\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    assert lines[0] == "| destination | schemes | `--dest-uri` example | install |"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_one_row_per_destination_with_every_scheme_it_accepts() -> None:
    rows = _destination_rows()
    schemes = [re.findall(r"`([a-z0-9]+):(?://)?`", row[1]) for row in rows]
    listed = [name for names in schemes for name in names]
    assert sorted(listed) == sorted(SCHEMES) and len(listed) == len(set(listed)), "each scheme once"
    destinations = []
    for row, names in zip(rows, schemes, strict=True):
        kinds = {(SCHEMES[name].build, SCHEMES[name].extra) for name in names}
        assert len(kinds) == 1, f"{row[0]}: the schemes of a row are aliases of one destination"
        destinations.append(kinds.pop())
        extra = SCHEMES[names[0]].extra
        assert row[3] == (f"`omniload[{extra}]`" if extra else "(base)"), row[0]
        examples = [SCHEMES[name].example.split(" or ")[0].split(" (")[0] for name in names]
        assert row[2].strip("`") in examples, row[0]
    assert len(destinations) == len(set(destinations)), "no destination has two rows"
    assert len({row[0] for row in rows}) == len(rows)


def test_the_tables_beyond_all_are_listed_with_their_keys_as_the_catalog_has_them() -> None:
    """Issue 11, part 2: README lists the Customer.io tables beyond `all`, generated from the catalog."""
    section = README.split("\n### Tables beyond `all`\n", 1)[1].split("\n### ", 1)[0]
    assert tables_markdown(EXTRA_TABLES) in section, "regenerate it: omniload.source.tables_markdown(EXTRA_TABLES)"
    assert "`all+`" in section
