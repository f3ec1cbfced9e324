"""How a value pydantic rejected is named and worded for a person, wherever such errors reach one:
tool arguments (server/tools/argument_errors.py), the server's environment (server/settings.py) and
the infrastructure configuration (stacks/config.py). Dependency-free so that both halves import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class _HasErrors(Protocol):
    def errors(self, *, include_url: bool = ...) -> Iterable[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class Problem:
    """One rejected value: where it was (dotted path, or `whole` for a rule across fields), why,
    what was given, and pydantic's error type (`missing`, `extra_forbidden`, ...)."""

    where: str
    message: str
    given: Any
    kind: str
    #: The first element of the path: the field (key, variable, argument) the problem belongs to.
    field: str | None


def problems(error: _HasErrors, whole: str) -> list[Problem]:
    """The problems of a pydantic ValidationError, in order, without pydantic's own wording
    ("Value error, " prefixes, documentation URLs)."""
    found = []
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        found.append(
            Problem(
                where=".".join(location) or whole,
                message=str(item["msg"]).removeprefix("Value error, "),
                given=item.get("input"),
                kind=str(item["type"]),
                field=location[0] if location else None,
            )
        )
    return found


def required(value: T | None, name: str) -> T:
    """`value`, which an earlier cross-field check guarantees (for example InfraConfig's rules, or
    ServerSettings' in oauth mode); should that check ever be bypassed, an error naming the setting
    rather than a None travelling on. Not `assert`: that disappears under `python -O`."""
    if value is None or value == "":
        raise ValueError(f"{name} is required here but not set")
    return value
