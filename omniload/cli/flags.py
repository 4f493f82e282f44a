"""The typer command of dataclasses whose fields are flags (omniload/options.py): one keyword parameter per
field, with its type, default, help and variables, and a call of the command's body with one instance of each
dataclass. Nothing about a flag is written here; adding a field adds the flag."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, fields
from typing import Annotated, Any

import typer

from omniload.options import flag_of


def command(body: Callable[..., None], *schemas: type[Any]) -> Callable[..., None]:
    """A function typer reads as a command: the flags of `schemas`, in order, as its parameters; called, it calls
    `body` with one instance of each schema (name and help are `body`'s)."""
    described = [(schema, item, _hint(schema, item)) for schema in schemas for item in fields(schema)]
    parameters = [_parameter(item, hint) for _, item, hint in described if flag_of(item)]

    def run(**values: Any) -> None:
        built: dict[type[Any], dict[str, Any]] = {schema: {} for schema in schemas}
        for schema, item, hint in described:
            if item.name in values:
                built[schema][item.name] = _value(values[item.name], hint)
        body(*(schema(**built[schema]) for schema in schemas))

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__name__, run.__doc__ = body.__name__, body.__doc__
    return run


def _hint(schema: type[Any], item: Field[Any]) -> Any:
    return typing.get_type_hints(schema)[item.name]


def _is_list(hint: Any) -> bool:
    return typing.get_origin(hint) in (Sequence, tuple, list)


def _parameter(item: Field[Any], hint: Any) -> inspect.Parameter:
    described = flag_of(item)
    assert described is not None
    names = described.names or ((f"--{item.name.replace('_', '-')}",) if hint is bool else ())
    option = typer.Option(
        *names,
        help=described.help,
        envvar=list(described.variables(item.name)),
        case_sensitive=described.case_sensitive,
    )
    kind = list[str] | None if _is_list(hint) else hint
    default = None if _is_list(hint) else item.default
    return inspect.Parameter(
        item.name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[kind, option],
        default=inspect.Parameter.empty if default is MISSING else default,
    )


def _value(given: Any, hint: Any) -> Any:
    """What typer passes, as the field holds it: a repeated flag's list as a tuple."""
    if _is_list(hint):
        return tuple(given or ())
    return given
