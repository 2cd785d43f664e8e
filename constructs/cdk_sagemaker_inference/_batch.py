"""Calls into aws-cdk-lib that are made once: gathered until a constructor ends, or once per object.

Every call into aws-cdk-lib is a round trip to Node. A construct that adds eight statements to one
role's policy, or acknowledges three rules on one function, makes one call per policy or scope
instead when it runs inside ``batched()``: the additions are kept in order and applied together as
the outermost batch ends, before the constructor returns, so nothing differs in the template.
``first_time`` lets a grant that every construct asks of a shared resource be made once.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")

#: What to apply to each key (a policy, a scope...), by the function that applies it, in the order added.
_Pending = dict[Callable[[Any, list[Any]], None], dict[Any, list[Any]]]
_pending: _Pending | None = None


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Gathers ``apply_later`` calls until the outermost ``batched()`` ends; an exception drops them
    (the construct failed)."""
    global _pending
    if _pending is not None:
        yield
        return
    pending: _Pending = {}
    _pending = pending
    try:
        yield
    finally:
        _pending = None
    for apply, values_by_key in pending.items():
        for key, values in values_by_key.items():
            apply(key, values)


def apply_later(apply: Callable[[Key, list[Value]], None], key: Key, value: Value) -> None:
    """``apply(key, [value, ...])`` with every ``value`` given for ``key`` in the current batch, once
    it ends; at once outside a batch."""
    if _pending is None:
        apply(key, [value])
    else:
        _pending.setdefault(apply, {}).setdefault(key, []).append(value)


def first_time(resource: object, what: Hashable) -> bool:
    """True the first time ``what`` is asked of ``resource`` in this process (then remembered)."""
    given = _GIVEN.setdefault(resource, set())
    if what in given:
        return False
    given.add(what)
    return True


#: What was asked of each resource (weak: a resource is forgotten with its app).
_GIVEN: weakref.WeakKeyDictionary[object, set[Hashable]] = weakref.WeakKeyDictionary()
