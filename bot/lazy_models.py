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

import sys
from collections.abc import Mapping
from typing import Any

import pydantic

_TYPES_MODULE = "aiogram.types"


def import_aiogram() -> bool:
    """Import aiogram with its types' builds deferred to first use. True if the deferral took effect."""
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
    try:
        import aiogram  # noqa: F401
    finally:
        pydantic.BaseModel.model_rebuild = model_rebuild  # type: ignore[method-assign]
    return True
