"""One node of a venue's JSON answer broken the ways venues break them: a key gone, null, "",
text where a number was, NaN and infinities as strings, negative, zero, absurdly large or
small, the wrong type, a list emptied, a row duplicated or dropped. For the venue fuzz
(tests/unit/test_venue_fuzz.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

DROP, DUPLICATE = "drop", "duplicate"  # the node taken out of its parent / a list row twice
# What a node may be replaced with. Zeros are the only values that may truthfully read 0.
ZEROS: tuple[Any, ...] = (0, "0", 0.0, "0.0")
REPLACEMENTS: tuple[Any, ...] = (
    None,
    "",
    "abc",
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    -1,
    -0.5,
    *ZEROS,
    "1e999999",  # a finite Decimal that overflows any product, and any float column
    "1e-999999",  # a finite Decimal that reads 0.0 as a float
    1e300,
    10**30,
    4_102_444_800_000,  # 2100-01-01 in ms: a time far ahead
    "4102444800000",
    True,
    [],
    {},
    [1, 2],
    {"a": 1},
)
FIELD_OPS: tuple[Any, ...] = (DROP, *REPLACEMENTS)
ROW_OPS: tuple[Any, ...] = (DROP, DUPLICATE, None, "", "abc", 0, [], {})


def nodes(doc: Any, path: Path = ()) -> Iterator[Path]:
    """Every node below the root, parents before children."""
    if not isinstance(doc, dict | list):
        return
    children: Any = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, child in children:
        yield (*path, key)
        yield from nodes(child, (*path, key))


def rows(doc: Any) -> list[Path]:
    """The nodes that are list items: rows to drop or double."""
    return [path for path in nodes(doc) if isinstance(path[-1], int)]


def fields(doc: Any) -> list[Path]:
    return [path for path in nodes(doc) if isinstance(path[-1], str)]


def at(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@dataclass(frozen=True)
class Mutation:
    path: Path
    op: Any  # DROP, DUPLICATE or the replacing value

    @property
    def writes_zero(self) -> bool:
        return any(self.op == zero and type(self.op) is type(zero) for zero in ZEROS) or (
            self.op == "1e-999999"
        )

    def apply(self, doc: Any) -> Any:
        """A changed copy; a path a previous mutation took away changes nothing."""
        doc = copy.deepcopy(doc)
        try:
            parent, key = at(doc, self.path[:-1]), self.path[-1]
        except (KeyError, IndexError, TypeError):
            return doc
        there = isinstance(parent, dict) and key in parent
        if not there and not (
            isinstance(parent, list) and isinstance(key, int) and key < len(parent)
        ):
            return doc
        if self.op == DROP and isinstance(self.op, str):
            del parent[key]
        elif self.op == DUPLICATE and isinstance(self.op, str):
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = copy.deepcopy(self.op)
        return doc
