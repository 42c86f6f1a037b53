"""Import aiogram without building every Telegram type up front (issue 9 item 14: answer within 3 s of start).

`aiogram.types` ends its import by calling `model_rebuild()` on all ~450 Telegram types, which makes pydantic
build a full validator for each one at once: about 2.5 s of a 3.5 s import here (2 cores), before any of our
code runs (aiogram#1891). The types are already declared `defer_build=True`; only that loop forces the work.
While aiogram is imported we record the namespace each type would have been rebuilt with instead, so pydantic
builds a type the first time it is used (an Update, a sendMessage), with exactly the same schema: the test
`tests/foundation/test_lazy_models.py` compares the JSON schema of every aiogram type and method, built both
ways. Importing aiogram drops to about 1 s; a bot answers its first update before most types exist.

Nothing here is needed for correctness: if aiogram was imported before this module ran (something imported
`dialogues` first, say), the import was simply eager.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import pydantic

_TYPES_MODULE = "aiogram.types"
_METHODS_BASE = "aiogram.methods.base"


class _DeferMethodBuilds(importlib.abc.MetaPathFinder):
    """aiogram's ~170 API methods are not declared `defer_build`, so each is built as its class is created,
    inlining the schemas of every type it names (about 1 s of the import here). Right after
    aiogram.methods.base defines their common base, and before any method class exists, the base's config
    gains `defer_build`: each method is then built when first called."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _METHODS_BASE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(
            spec.loader, importlib.machinery.SourceFileLoader | importlib.machinery.SourcelessFileLoader
        ):
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_defer(module: ModuleType) -> None:
            exec_module(module)
            module.TelegramMethod.model_config["defer_build"] = True

        loader.exec_module = exec_then_defer  # type: ignore[method-assign]
        return spec


def import_aiogram() -> bool:
    """Import aiogram with its types' and methods' builds deferred to first use. True if that took effect."""
    if "aiogram" in sys.modules:
        return False
    model_rebuild = pydantic.BaseModel.__dict__["model_rebuild"]

    def remember_namespace(
        cls: type[pydantic.BaseModel], *args: Any, _types_namespace: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> bool | None:
        if _types_namespace is None or not cls.__module__.startswith(_TYPES_MODULE):
            return model_rebuild.__func__(cls, *args, _types_namespace=_types_namespace, **kwargs)
        # aiogram's types name each other under `if TYPE_CHECKING:` ("Message" in a field of Chat) and resolve
        # those names only through the namespace of this loop. Built later, a type is resolved from its own
        # module (when another model, SetMyCommands say, builds it inline) or its parent namespace (when built
        # itself): give both the names the loop would have used, without replacing any the module has.
        module = vars(sys.modules[cls.__module__])
        for name, value in _types_namespace.items():
            module.setdefault(name, value)
        cls.__pydantic_parent_namespace__ = {**(cls.__pydantic_parent_namespace__ or {}), **_types_namespace}
        return None

    pydantic.BaseModel.model_rebuild = classmethod(remember_namespace)  # type: ignore[assignment,method-assign]
    finder = _DeferMethodBuilds()
    sys.meta_path.insert(0, finder)
    try:
        import aiogram  # noqa: F401
    finally:
        pydantic.BaseModel.model_rebuild = model_rebuild  # type: ignore[method-assign]
        sys.meta_path.remove(finder)
    return True
