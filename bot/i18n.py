"""Translations: YAML catalogues under bot/locales/<lang>/<feature>.yaml, one file per feature so features
can be added without touching a shared file. Nested keys are joined with dots; values are str.format
templates. A test checks that both languages have the same keys and placeholders.

Messages are sent with parse_mode HTML, so `t()` escapes every parameter (`&`, `<`, `>`): a product title
like `<b>Tom & Jerry</b>` shows literally instead of making Telegram refuse the message ("can't parse
entities"). Entities already in a value (`&amp;`, `&lt;`, `&#39;`) are kept, so a value escaped by its caller
is not escaped twice. A pre-rendered HTML fragment goes in unescaped when wrapped in `Html(...)`; what `t()`
returns is `Html`, so one template's output can be another's parameter. Text that is not HTML (button labels,
alerts, invoice titles) comes from `t_plain()` / `Translator.plain()`, which leave parameters as they are.

Plurals: a whole-number parameter may carry a plural selector, `{days:plural:# day|# days}`, with one form per
plural category of the language in CLDR order (English: one, other; Chinese: other only, `{days:plural:# 天}`);
`#` stands for the number. `plural_problems()` checks every template of every language has the right count.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

log = logging.getLogger(__name__)


def language_from_telegram(language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Telegram's language_code ('en-US', 'zh-hans', 'de') to one of ours by its primary subtag; a language we
    do not speak (or none) gets `default`, the shop's default language."""
    primary = (language_code or "").lower().replace("_", "-").split("-", 1)[0]
    if primary in LANGUAGES:
        return primary
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def _flatten(prefix: str, node: Any, out: dict[str, str], source: Path) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out, source)
    elif isinstance(node, str):
        if prefix in out:
            raise ValueError(f"{source}: key {prefix!r} is defined twice")
        out[prefix] = node
    else:
        raise ValueError(f"{source}: key {prefix!r} must be text, got {type(node).__name__}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys in one mapping without a word: a second `errors:` section in a
    file silently dropped the first's texts. Here it is an error naming the file and line."""


def _mapping_without_repeats(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ValueError(f"{node.start_mark.name}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def load_catalogue_file(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_UniqueKeyLoader)


@cache
def catalogue(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yaml")):
        _flatten("", load_catalogue_file(path) or {}, out, path)
    return out


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Html(str):
    """Text that is already valid Telegram HTML: `t()` inserts it as it is."""

    __slots__ = ()


# `&` that does not start an entity, and the angle brackets: what Telegram's HTML parser would choke on.
_UNSAFE = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)|<|>")
_REPLACEMENT = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(value: Any) -> str:
    """`value` as HTML text; entities already present are kept (so escaping twice changes nothing)."""
    if isinstance(value, Html):
        return str(value)
    return _UNSAFE.sub(lambda match: _REPLACEMENT[match.group(0)[0]], str(value))


# CLDR plural categories (cardinals) of each language we speak, in the order a template lists its forms.
PLURAL_CATEGORIES: dict[str, tuple[str, ...]] = {"en": ("one", "other"), "zh": ("other",)}
_PLURAL_SPEC = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*:plural:([^{}]*)\}")


def plural_category(lang: str, number: int) -> str:
    if lang == "en":
        return "one" if number == 1 else "other"
    return "other"


class Count(int):
    """A whole number that knows its language: `format(Count(2, "en"), "plural:# day|# days")` is "2 days"."""

    lang: str

    def __new__(cls, value: int, lang: str) -> Count:
        made = super().__new__(cls, value)
        made.lang = lang
        return made

    def __format__(self, spec: str) -> str:
        if not spec.startswith("plural:"):
            return int.__format__(int(self), spec)
        forms = spec[len("plural:") :].split("|")
        categories = PLURAL_CATEGORIES.get(self.lang, ("other",))
        category = plural_category(self.lang, int(self))
        index = categories.index(category) if category in categories else len(categories) - 1
        form = forms[min(index, len(forms) - 1)]
        return form.replace("#", str(int(self)))


def plural_problems() -> list[str]:
    """Templates whose plural selectors do not list exactly one form per plural category of their language."""
    found = []
    for lang in LANGUAGES:
        wanted = len(PLURAL_CATEGORIES[lang])
        for key, template in catalogue(lang).items():
            for forms in _PLURAL_SPEC.findall(template):
                if len(forms.split("|")) != wanted:
                    found.append(f"{lang}:{key}: {forms!r} needs {wanted} form(s)")
    return found


def _countable(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def has(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def t(lang: str | None, key: str, /, **params: Any) -> str:
    """The HTML text for `key` in `lang`, formatted with params escaped (pass `Html(...)` for a fragment).
    Typed `str` so callers may keep building on it; at run time it is `Html`."""
    # Whole numbers need no escaping and stay numbers, so a plural selector can read them.
    escaped = {name: value if _countable(value) else escape(value) for name, value in params.items()}
    return Html(_format(lang, key, escaped))


def t_plain(lang: str | None, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang` with params as they are: for button labels, alerts and other plain text."""
    return _format(lang, key, params)


def _format(lang: str | None, key: str, params: dict[str, Any]) -> str:
    """A missing key is a bug: log it, show the key."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = catalogue(language).get(key)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE).get(key)
        log.error("missing translation %s for %s", key, language)
        if template is None:
            return key
    try:
        return template.format(**_with_counts(template, language, params))
    except (KeyError, IndexError, ValueError):
        log.exception("bad parameters for %s: %s", key, sorted(params))
        return template


def _with_counts(template: str, language: str, params: dict[str, Any]) -> dict[str, Any]:
    """Whole numbers become `Count`s of the language; a plural field given as digits (a caller that formatted
    the number already) is read back as a number rather than failing the whole text."""
    parsed = string.Formatter().parse(template)
    plural_fields = {field for _, field, spec, _ in parsed if field and (spec or "").startswith("plural:")}
    out: dict[str, Any] = {}
    for name, value in params.items():
        if _countable(value):
            out[name] = Count(value, language)
        elif name in plural_fields and str(value).strip().lstrip("-").isdigit():
            out[name] = Count(int(str(value)), language)
        else:
            out[name] = value
    return out


def keys(lang: str) -> Iterator[str]:
    return iter(catalogue(lang))


class Translator:
    """`_ = Translator(lang)`; `_("cart.empty", name=...)`: bound to one user's language for a handler."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: Any) -> str:
        return t(self.lang, key, **params)

    def plain(self, key: str, /, **params: Any) -> str:
        return t_plain(self.lang, key, **params)
