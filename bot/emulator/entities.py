"""Telegram formatting: parse_mode HTML / MarkdownV2 / Markdown into (text, entities), plus auto-detected entities.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Error messages follow Telegram's
"can't parse entities: ..." texts (byte offsets are UTF-8 offsets into the source string).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, bad_request

Entity = dict[str, Any]

HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _entity_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


@dataclass
class _Builder:
    """Accumulates plain text while tracking the UTF-16 position entities refer to."""

    parts: list[str] = field(default_factory=list)
    position: int = 0
    entities: list[Entity] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.position += utf16_len(text)

    def close(self, kind: str, start: int, extra: dict[str, Any] | None = None) -> None:
        if self.position > start:
            entity: Entity = {"type": kind, "offset": start, "length": self.position - start}
            entity.update(extra or {})
            self.entities.append(entity)

    def result(self) -> tuple[str, list[Entity]]:
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ordered


_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_KNOWN_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _unescape_html(fragment: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            try:
                return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
            except (ValueError, OverflowError):
                return match.group(0)
        return _KNOWN_NAMED.get(name, match.group(0))

    return _ENTITY_RE.sub(replace, fragment)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    stack: list[tuple[str, str, int, dict[str, Any]]] = []  # tag, entity type, start, extra
    i = 0
    n = len(source)
    while i < n:
        lt = source.find("<", i)
        if lt < 0:
            out.add(_unescape_html(source[i:]))
            break
        if lt > i:
            out.add(_unescape_html(source[i:lt]))
        gt = source.find(">", lt)
        if gt < 0:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(source, lt)}")
        body = source[lt + 1 : gt]
        offset = _byte_offset(source, lt)
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {offset}")
            tag, kind, start, extra = stack.pop()
            if name != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{name}>"'
                )
            _close_html(out, stack, tag, kind, start, extra)
        else:
            match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", body)
            name = match.group(0).lower() if match else ""
            if name not in HTML_TAGS:
                shown = name or body.split(" ")[0]
                raise _entity_error(f'Unsupported start tag "{shown}" at byte offset {offset}')
            attrs = {
                m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                for m in _ATTR_RE.finditer(body[len(name) :])
                if m.group(1)
            }
            extra = _html_extra(name, attrs, offset)
            stack.append((name, HTML_TAGS[name], out.position, extra))
        i = gt + 1
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _html_extra(name: str, attrs: dict[str, str], offset: int) -> dict[str, Any]:
    if name == "a":
        url = _unescape_html(attrs.get("href", ""))
        if not url:
            return {}
        return {"url": url}
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _entity_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "code" and attrs.get("class", "").startswith("language-"):
        return {"language": attrs["class"][len("language-") :]}
    if name == "blockquote" and "expandable" in attrs:
        return {"expandable": True}
    if name == "tg-emoji":
        return {"custom_emoji_id": attrs.get("emoji-id", "")}
    return {}


def _close_html(
    out: _Builder,
    stack: list[tuple[str, str, int, dict[str, Any]]],
    tag: str,
    kind: str,
    start: int,
    extra: dict[str, Any],
) -> None:
    if tag == "a" and not extra.get("url"):
        return
    if tag == "code" and stack and stack[-1][0] == "pre" and "language" in extra:
        # <pre><code class="language-x"> becomes one pre entity with a language, as Telegram does
        stack[-1][3]["language"] = extra["language"]
        return
    if tag == "blockquote" and extra.pop("expandable", False):
        kind = "expandable_blockquote"
    out.close(kind, start, extra)


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # entity type, start position, byte offset of the marker
    i = 0
    n = len(source)
    quote_start: int | None = None
    at_line_start = True
    while i < n:
        c = source[i]
        top = stack[-1][0] if stack else None
        if c == "\\" and i + 1 < n and 0 < ord(source[i + 1]) < 127:
            out.add(source[i + 1])
            i += 2
            at_line_start = False
            continue
        if top in ("code", "pre"):
            fence = "```" if top == "pre" else "`"
            if source.startswith(fence, i):
                kind, start, _ = stack.pop()
                out.close(kind, start)
                i += len(fence)
            else:
                out.add(c)
                i += 1
            continue
        if at_line_start and c == ">" and not stack:
            if quote_start is None:
                quote_start = out.position
            i += 1
            at_line_start = False
            continue
        if at_line_start and quote_start is not None:
            out.close("blockquote", quote_start)
            quote_start = None
        at_line_start = c == "\n"
        if source.startswith("```", i):
            end_of_line = source.find("\n", i + 3)
            language = source[i + 3 : end_of_line].strip() if end_of_line >= 0 else ""
            stack.append(("pre", out.position, _byte_offset(source, i)))
            i = end_of_line + 1 if language and end_of_line >= 0 else i + 3
            continue
        if c == "`":
            stack.append(("code", out.position, _byte_offset(source, i)))
            i += 1
            continue
        marker, width = _mdv2_marker(source, i)
        if marker is not None:
            _toggle(out, stack, marker, _byte_offset(source, i))
            i += width
            continue
        if c == "[":
            stack.append(("text_link", out.position, _byte_offset(source, i)))
            i += 1
            continue
        if c == "]" and any(entry[0] == "text_link" for entry in stack):
            i = _close_link(source, i, out, stack)
            continue
        if c in MDV2_RESERVED:
            raise _entity_error(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.add(c)
        i += 1
    if quote_start is not None:
        out.close("blockquote", quote_start)
    if stack:
        kind, _, offset = stack[-1]
        raise _entity_error(f"Can't find end of {MDV2_NAMES[kind]} entity at byte offset {offset}")
    return out.result()


def _mdv2_marker(source: str, i: int) -> tuple[str | None, int]:
    if source.startswith("__", i):
        return "underline", 2
    if source.startswith("||", i):
        return "spoiler", 2
    return {"*": ("bold", 1), "_": ("italic", 1), "~": ("strikethrough", 1)}.get(source[i], (None, 0))


def _toggle(out: _Builder, stack: list[tuple[str, int, int]], kind: str, offset: int) -> None:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index][0] == kind:
            _, start, _ = stack.pop(index)
            out.close(kind, start)
            return
    stack.append((kind, out.position, offset))


def _close_link(source: str, i: int, out: _Builder, stack: list[tuple[str, int, int]]) -> int:
    index = max(k for k, entry in enumerate(stack) if entry[0] == "text_link")
    _, start, offset = stack.pop(index)
    i += 1
    if i < len(source) and source[i] == "(":
        url_chars: list[str] = []
        i += 1
        while i < len(source) and source[i] != ")":
            if source[i] == "\\" and i + 1 < len(source):
                i += 1
            url_chars.append(source[i])
            i += 1
        if i >= len(source):
            raise _entity_error(f"Can't find end of a url at byte offset {offset}")
        out.close("text_link", start, {"url": "".join(url_chars)})
        return i + 1
    return i


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no nesting, no escaping inside."""
    out = _Builder()
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        offset = _byte_offset(source, i)
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
            body = source[i + 3 : end]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first.strip() and " " not in first.strip():
                    language, body = first.strip(), rest
            start = out.position
            out.add(body)
            out.close("pre", start, {"language": language} if language else None)
            i = end + 3
            continue
        if c == "[":
            close = source.find("]", i + 1)
            if close < 0 or close + 1 >= n or source[close + 1] != "(":
                raise _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
            url_end = source.find(")", close + 2)
            if url_end < 0:
                raise _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
            start = out.position
            out.add(source[i + 1 : close])
            out.close("text_link", start, {"url": source[close + 2 : url_end]})
            i = url_end + 1
            continue
        end = source.find(c, i + 1)
        if end < 0:
            raise _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
        start = out.position
        out.add(source[i + 1 : end])
        out.close({"*": "bold", "_": "italic", "`": "code"}[c], start)
        i = end + 1
    return out.result()


_AUTO_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
    r"|(?P<mention>(?<!\w)@[A-Za-z][A-Za-z0-9_]{3,31}\b)"
    r"|(?P<hashtag>(?<![\w#])#(?=\w*[^\W\d])\w+)"  # Telegram: not digits only ("#1" is no hashtag)
)


def auto_entities(text: str) -> list[Entity]:
    """Entities Telegram detects in any text: commands, URLs, @mentions, #hashtags."""
    found: list[Entity] = []
    for match in _AUTO_RE.finditer(text):
        kind = match.lastgroup or "url"
        found.append({"type": kind, "offset": utf16_len(text[: match.start()]), "length": utf16_len(match.group(0))})
    return found


def format_text(text: str, parse_mode: str | None, explicit: list[Entity] | None) -> tuple[str, list[Entity]]:
    mode = (parse_mode or "").strip().lower()
    if explicit:
        plain, entities = text, list(explicit)
    elif mode == "html":
        plain, entities = parse_html(text)
    elif mode == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, entities = parse_markdown(text)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:
        plain, entities = text, []
    covered = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in ("code", "pre", "text_link")]
    for auto in auto_entities(plain):
        if not any(lo <= auto["offset"] < hi for lo, hi in covered):
            entities.append(auto)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def escape_html(text: str) -> str:
    return html.escape(text, quote=False)
