"""Each flag of `omniload ingest` described once: a dataclass field whose metadata says how the CLI shows it.

A flag's name is its field's name (the keyword of `omniload.ingest()`, `--field-name` on the command line), its
type the field's annotation, its default the field's default; `flag()` adds the help text and the environment
variables it also reads. `omniload.api.RunArguments` holds the flags of a run, `omniload.cli.ingest.Shell` those
of the command alone (progress, confirmation, plan, debug); `omniload.cli.flags` turns both into the typer
command. README "Secrets and the environment" documents the variables and their order of precedence.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field
from typing import Any

#: The prefix of the variable every flag reads (the product page's convention): `--page-size` reads
#: `OMNILOAD_PAGE_SIZE`, before ingestr's names.
PREFIX = "OMNILOAD_"
_FLAG = "omniload.flag"


@dataclass(frozen=True)
class Flag:
    """How one field appears on the command line. `env`: its variable's bare name (default: the field's name in
    capitals), read as `OMNILOAD_<env>`, then, when `ingestr`, as ingestr's `<env>` and `INGESTR_<env>`; `also`:
    further variables, read last; `names`: the flag's own names when not `--field-name` (`--yes`, `-y`)."""

    help: str
    env: str | None = None
    ingestr: bool = True
    also: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    case_sensitive: bool = True

    def variables(self, name: str) -> tuple[str, ...]:
        """The variables the flag of field `name` reads, in order of precedence (the first one set wins)."""
        bare = self.env or name.upper()
        ingestrs = (bare, f"INGESTR_{bare}") if self.ingestr else ()
        return (f"{PREFIX}{bare}", *ingestrs, *self.also)


def flag(help: str, *, default: Any = MISSING, **how: Any) -> Any:
    """A dataclass field that is a flag; `how`: the other fields of `Flag`."""
    return field(default=default, metadata={_FLAG: Flag(help, **how)})


def flag_of(item: Field[Any]) -> Flag | None:
    """The flag a dataclass field describes; None for a field that is no flag."""
    found = item.metadata.get(_FLAG)
    return found if isinstance(found, Flag) else None
