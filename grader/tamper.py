"""Notice learner code that monkeypatches the harness, pytest, asyncio or the clocks, and undo it.

A baseline of the watched modules' functions, classes and submodules (and of their classes'
methods and their functions' code), of the check modules' globals, of pytest's hook
implementations and of the objects that carry records out is taken before any learner code
runs; after each check, anything replaced, deleted or added there is named and put back, so the
next check and the next exercise run on the real harness. Attributes a module gains are
ignored: only what the checks rely on is compared.

``seal`` returns the comparison as closures over that baseline: patching this module, its
classes or the builtins afterwards does not change what they do.
"""

from __future__ import annotations

import itertools
import operator
import sys
import types
from collections.abc import Callable

WATCHED = (
    "grader", "asyncio", "looptime", "blockbuster", "time", "concurrent.futures", "threading", "aiohttp",
    "builtins", "json", "hmac", "hashlib", "dataclasses", "signal", "pytest", "_pytest", "pluggy",
    "pytest_asyncio", "pytest_timeout",
)
# Only code is compared (what a patch replaces), not state the modules keep changing themselves.
CODE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, staticmethod, classmethod, property,
        types.ModuleType)


def judges(label: str) -> bool:
    """Whether a name ``changed()`` gives is part of what judges: the grader and the check modules
    (no check patches them around a run, as some patch the standard library)."""
    return label.startswith(("grader.", "the check module", "the code of grader.", "the code of the check module"))


def _watched(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in WATCHED)


def _with_classes(label: str, module: types.ModuleType) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = [(label, module)]
    for attr, value in list(vars(module).items()):
        if isinstance(value, type) and getattr(value, "__module__", "") == module.__name__:
            found.append((f"{label}.{attr}", value))
    return found


def _owners(checks: tuple[types.ModuleType, ...]) -> list[tuple[str, object]]:
    found = []
    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name):
            found += _with_classes(name, module)
    for module in checks:
        found += _with_classes(f"the check module {module.__name__.rpartition('.')[2]}", module)
    return found


def seal(checks: tuple[types.ModuleType, ...] = (), plugins=None,
         objects: dict[str, object] | None = None) -> tuple[Callable[[], list[str]], Callable[[], None], Callable[[], bool]]:
    """Take the baseline; return ``changed()`` (names of what was replaced, deleted or added since),
    ``restore()`` (put it back) and ``moved()`` (whether a function, class or code of the grader or
    the check modules was replaced, at C speed: for between a run of learner code and the check's
    judging, when a check may have patched the standard library around the run itself).

    ``checks``: the check modules (their globals: a check that calls ``expect`` finds the real one).
    ``plugins``: pytest's plugin manager (a plugin registered by learner code could rewrite reports).
    ``objects``: objects (or dicts) whose attributes (or items) must stay as they are: the record
    writer, pytest's stash that holds it. An instance's new attribute counts (its own ``write``
    hides its class's); a dict's new item does not (pytest adds its own as it goes).
    """
    missing = object()
    flat, codes = [], []  # one flat list with each owner's live namespace: compared after every check
    for label, owner in _owners(checks):
        namespace = vars(owner)
        for attr, value in list(namespace.items()):
            if isinstance(value, CODE):
                flat.append((f"{label}.{attr}", owner, namespace, attr, value))
                if isinstance(value, types.FunctionType):
                    codes.append((f"the code of {label}.{attr}", value, value.__code__))
    moved = _quick_look(flat, codes)
    moved_in_harness = _quick_look([f for f in flat if judges(f[0])], [c for c in codes if judges(c[0])])
    spaces = [(label, thing if isinstance(thing, dict) else vars(thing), isinstance(thing, dict))
              for label, thing in (objects or {}).items()]
    kept_objects = [(label, space, dict(space), is_dict) for label, space, is_dict in spaces]
    # the builtins as they are now
    ids, setattr_, str_, set_, list_, ordered, vars_, hasattr_ = id, setattr, str, set, list, sorted, vars, hasattr

    def implementations(plugins):
        """Each pytest hook's implementations, with the function each one calls."""
        return {name: [(impl, impl.function) for impl in caller.get_hookimpls()]
                for name, caller in list_(vars_(plugins.hook).items()) if hasattr_(caller, "get_hookimpls")}

    hooks = implementations(plugins) if plugins is not None else {}

    def hook_state(found):
        return {name: [(ids(i), ids(f)) for i, f in impls] for name, impls in found.items()}

    kept_hooks = hook_state(hooks)

    def replaced_objects():
        for label, space, kept, is_dict in kept_objects:
            names = set_(kept) if is_dict else set_(space) | set_(kept)
            for attr in ordered(names, key=str_):
                if space.get(attr, missing) is not kept.get(attr, missing):
                    yield (f"{label}[{attr!r}]" if is_dict else f"{label}.{attr}"), space, kept, attr

    def changed() -> list[str]:
        found = []
        if moved():
            found += [label for label, _, namespace, attr, value in flat if namespace.get(attr, missing) is not value]
            found += [label for label, function, code in codes if function.__code__ is not code]
        found += [label for label, *_ in replaced_objects()]
        if plugins is not None:
            now = hook_state(implementations(plugins))
            found += [f"pytest's {name} hook" for name in ordered(set_(now) | set_(kept_hooks))
                      if now.get(name) != kept_hooks.get(name)]
        return found

    def restore() -> None:
        for _, owner, namespace, attr, value in flat:
            if namespace.get(attr, missing) is not value:
                try:
                    setattr_(owner, attr, value)
                except (AttributeError, TypeError):
                    pass
        for _, function, code in codes:
            function.__code__ = code
        for _, space, kept, attr in list_(replaced_objects()):
            if attr in kept:
                space[attr] = kept[attr]
            else:
                del space[attr]
        if plugins is not None:
            kept_ids = {ids(impl) for impls in hooks.values() for impl, _ in impls}
            for impls in implementations(plugins).values():
                for impl, _ in impls:
                    if ids(impl) not in kept_ids and plugins.is_registered(impl.plugin):
                        plugins.unregister(impl.plugin)
            for impls in hooks.values():
                for impl, function in impls:
                    impl.function = function

    return changed, restore, moved_in_harness


def _quick_look(flat: list, codes: list) -> Callable[[], bool]:
    """Whether any of ``flat``'s values or ``codes``' code objects was replaced, at C speed: one
    itemgetter per namespace picks its values (KeyError: one was deleted), compared by identity."""
    grouped: dict[int, tuple[object, list, list]] = {}
    for _, _, namespace, attr, value in flat:
        _, attrs, kept = grouped.setdefault(id(namespace), (namespace, [], []))
        attrs.append(attr)
        kept.append(value)
    namespaces, pickers, values = [], [], []
    for namespace, attrs, kept in grouped.values():
        twice = 2 if len(attrs) == 1 else 1  # so that every itemgetter returns a tuple
        namespaces.append(namespace)
        pickers.append(operator.itemgetter(*attrs * twice))
        values += kept * twice
    namespaces, pickers, values = tuple(namespaces), tuple(pickers), tuple(values)
    functions, function_codes = tuple(f for _, f, _ in codes), tuple(c for _, _, c in codes)
    code_of, is_not, call, any_, map_ = operator.attrgetter("__code__"), operator.is_not, operator.call, any, map
    flatten, key_error = itertools.chain.from_iterable, KeyError

    def moved() -> bool:
        try:
            if any_(map_(is_not, flatten(map_(call, pickers, namespaces)), values)):
                return True
        except key_error:
            return True
        return any_(map_(is_not, map_(code_of, functions), function_codes))

    return moved
