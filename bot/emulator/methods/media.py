"""Files: photos, documents, stickers, voice notes; getFile for downloads."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlparse

import aiohttp

from bot.emulator.engine import Emulator
from bot.emulator.errors import bad_request
from bot.emulator.files import image_size, placeholder_png
from bot.emulator.methods.common import (
    check_caption_length,
    deliver,
    formatted_caption,
    reply_markup,
    target_chat,
    text_content,
)
from bot.emulator.methods.registry import method
from bot.emulator.params import Params
from bot.emulator.state import JSON, FileRecord
from bot.emulator.updates import photo_sizes

DOWNLOAD_LIMIT = 20 * 1024 * 1024
KIND_NAMES = {"photo": "Photo", "document": "Document", "sticker": "Sticker", "voice": "VoiceNote"}


async def _fetch(emu: Emulator, url: str, kind: str) -> tuple[bytes, str | None]:
    host = urlparse(url).hostname or ""
    if host not in emu.config.fetch_url_hosts:
        # never contact outside hosts: stand in a picture (or bytes) so the flow can continue
        return (placeholder_png(), "image/png") if kind in ("photo", "sticker") else (b"", None)
    try:
        async with aiohttp.ClientSession() as session, session.get(url, timeout=aiohttp.ClientTimeout(10)) as resp:
            if resp.status != 200:
                raise bad_request("failed to get HTTP URL content")
            return await resp.read(), resp.content_type
    except aiohttp.ClientError as exc:
        raise bad_request("failed to get HTTP URL content") from exc


def _new_record(emu: Emulator, data: bytes, kind: str, filename: str | None, content_type: str | None) -> FileRecord:
    if kind in ("photo", "sticker"):
        info = image_size(data)
        if info is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        image_mime, width, height = info
        return emu.files.add(data, kind, mime_type=image_mime, file_name=filename, width=width, height=height)
    mime = content_type if content_type and content_type != "application/octet-stream" else None
    if mime is None and filename:
        mime = mimetypes.guess_type(filename)[0]
    return emu.files.add(data, kind, mime_type=mime or "application/octet-stream", file_name=filename)


async def input_file(emu: Emulator, p: Params, field: str, kind: str) -> FileRecord:
    """A file given as a multipart upload, an HTTP URL, or the file_id of a file Telegram already has."""
    upload = p.upload(field)
    if upload is not None:
        return _new_record(emu, upload.data, kind, upload.filename, upload.content_type)
    value = p.str(field)
    if not value:
        raise bad_request(f"there is no {field} in the request")
    if value.startswith(("http://", "https://")):
        data, content_type = await _fetch(emu, value, kind)
        name = urlparse(value).path.rsplit("/", 1)[-1] or None
        return _new_record(emu, data, kind, name, content_type)
    record = emu.files.get(value)
    if record is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if record.kind != kind:
        raise bad_request(
            f"can't use file of type {KIND_NAMES.get(record.kind, 'Document')} as {KIND_NAMES.get(kind, 'Document')}"
        )
    return record


def photo_json(emu: Emulator, record: FileRecord) -> list[JSON]:
    known = emu.files.photo_sets.get(record.file_id)
    if known is not None:
        return [dict(size) for size in known]
    thumb = emu.files.alias(record, record.width, record.height)
    sizes = photo_sizes(
        record.file_id,
        record.file_unique_id,
        record.width,
        record.height,
        len(record.data),
        thumb.file_id,
        thumb.file_unique_id,
    )
    for size in sizes:
        emu.files.photo_sets[str(size["file_id"])] = sizes
    return sizes


def document_json(record: FileRecord) -> JSON:
    data: JSON = {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": len(record.data),
        "mime_type": record.mime_type,
    }
    if record.file_name:
        data["file_name"] = record.file_name
    return data


async def _send_media(emu: Emulator, p: Params, field: str, kind: str, build: Any) -> JSON:
    caption, entities = formatted_caption(p)
    chat = target_chat(emu, p)
    check_caption_length(caption, entities)
    markup = reply_markup(p)
    record = await input_file(emu, p, field, kind)
    content: JSON = {field: build(emu, record)}
    if caption:
        content.update(text_content(caption, entities, "caption"))
    return await deliver(emu, chat, p, content, markup=markup)


@method("sendPhoto")
async def send_photo(emu: Emulator, p: Params) -> JSON:
    return await _send_media(emu, p, "photo", "photo", photo_json)


@method("sendDocument")
async def send_document(emu: Emulator, p: Params) -> JSON:
    return await _send_media(emu, p, "document", "document", lambda _emu, record: document_json(record))


@method("sendVoice")
async def send_voice(emu: Emulator, p: Params) -> JSON:
    def voice(_emu: Emulator, record: FileRecord) -> JSON:
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "duration": p.int("duration", 1) or 1,
            "mime_type": "audio/ogg",
            "file_size": len(record.data),
        }

    return await _send_media(emu, p, "voice", "voice", voice)


def sticker_json(record: FileRecord) -> JSON:
    return {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "type": "regular",
        "width": record.width or 512,
        "height": record.height or 512,
        "is_animated": False,
        "is_video": False,
        "file_size": len(record.data),
    }


@method("sendSticker")
async def send_sticker(emu: Emulator, p: Params) -> JSON:
    chat = target_chat(emu, p)
    markup = reply_markup(p)
    record = await input_file(emu, p, "sticker", "sticker")
    return await deliver(emu, chat, p, {"sticker": sticker_json(record)}, markup=markup)


@method("getFile")
async def get_file(emu: Emulator, p: Params) -> JSON:
    file_id = p.str("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    record = emu.files.get(file_id)
    if record is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if len(record.data) > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": len(record.data),
        "file_path": record.file_path,
    }


@method("getUserProfilePhotos")
async def get_user_profile_photos(emu: Emulator, p: Params) -> JSON:
    if p.required_int("user_id") not in emu.users:
        raise bad_request("user not found")
    return {"total_count": 0, "photos": []}
