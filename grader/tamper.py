"""Notice learner code that monkeypatches the harness, asyncio or the clocks, and undo it.

A baseline of the watched modules' functions and classes (and of their classes' methods and
their functions' code) is taken before any learner code runs; after each check, anything replaced
or deleted is named and put back, so the next check and the next exercise run on the real
harness. Attributes a module gains are ignored: only what the checks rely on is compared.
"""

from __future__ import annotations

import sys
import types

WATCHED = ("grader", "asyncio", "looptime", "blockbuster", "time", "concurrent.futures", "threading", "aiohttp")
_MISSING = object()
# Only code is compared (what a patch replaces), not state the modules keep changing themselves.
CODE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, staticmethod, classmethod, property)


def _watched(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in WATCHED)


def _targets() -> list[tuple[str, object]]:
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or not _watched(name):
            continue
        found.append((name, module))
        for attr, value in list(vars(module).items()):
            if isinstance(value, type) and getattr(value, "__module__", "") == name:
                found.append((f"{name}.{attr}", value))
    return found


class Baseline:
    """The watched functions and classes as they were when taken."""

    def __init__(self) -> None:
        self.owners: list[tuple[str, object, dict[str, object]]] = []
        self.codes: list[tuple[str, types.FunctionType, types.CodeType]] = []
        for label, owner in _targets():
            kept = {attr: value for attr, value in list(vars(owner).items()) if isinstance(value, CODE)}
            self.owners.append((label, owner, kept))
            self.codes += [(f"{label}.{a}", f, f.__code__) for a, f in kept.items() if isinstance(f, types.FunctionType)]

    def changed(self) -> list[str]:
        """Names of what was replaced or deleted since the baseline."""
        found = [f"{label}.{attr}" for label, owner, attr, _ in self._replaced()]
        return found + [f"the code of {label}" for label, function, code in self.codes if function.__code__ is not code]

    def restore(self) -> None:
        for _label, owner, attr, value in self._replaced():
            try:
                setattr(owner, attr, value)
            except (AttributeError, TypeError):
                pass
        for _label, function, code in self.codes:
            function.__code__ = code

    def _replaced(self) -> list[tuple[str, object, str, object]]:
        replaced = []
        for label, owner, kept in self.owners:
            now = vars(owner)
            replaced += [(label, owner, a, v) for a, v in kept.items() if now.get(a, _MISSING) is not v]
        return replaced
