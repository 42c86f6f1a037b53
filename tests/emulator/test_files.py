"""Uploads, file_id reuse, getFile + download, URL photos, and refusing non-images."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from tests.emulator.conftest import Harness, png


async def _download(h: Harness, file_id: str) -> bytes:
    info = await h.ok("getFile", file_id=file_id)
    assert info["file_size"] > 0 and info["file_id"] == file_id
    async with h.session.get(f"{h.base}/file/bot{h.running.token}/{info['file_path']}") as resp:
        assert resp.status == 200
        return await resp.read()


async def test_photo_upload_reuse_and_download(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    picture = png(640, 480)
    sent = await h.ok("sendPhoto", encoding="multipart", files={"photo": ("tea.png", picture, "image/png")},
                      chat_id=str(alice["id"]), caption="<b>Tea</b>", parse_mode="HTML")
    sizes = sent["photo"]
    assert sizes[-1]["width"] == 640 and sizes[-1]["height"] == 480
    assert sizes[0]["width"] <= 90
    assert sent["caption"] == "Tea" and sent["caption_entities"][0]["type"] == "bold"
    file_id = sizes[-1]["file_id"]
    assert await _download(h, file_id) == picture
    again = await h.ok("sendPhoto", chat_id=alice["id"], photo=file_id)
    assert again["photo"][-1]["file_id"] == file_id
    # aiogram style: the field says attach://<part> and the bytes come in that part
    attached = await h.ok("sendPhoto", encoding="multipart", files={"x1": ("a.png", png(10, 10), "image/png")},
                          chat_id=str(alice["id"]), photo="attach://x1")
    assert attached["photo"][-1]["width"] == 10
    async with h.session.get(f"{h.base}/control/files/{file_id}") as resp:
        assert await resp.read() == picture


async def test_photo_errors(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    body = await h.error("sendPhoto", encoding="multipart",
                         files={"photo": ("x.png", b"definitely not an image", "image/png")}, chat_id=str(alice["id"]))
    assert body["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    body = await h.error("sendPhoto", chat_id=alice["id"], photo="AgACAgUnknownFileId")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    body = await h.error("sendPhoto", chat_id=alice["id"])
    assert body["description"] == "Bad Request: there is no photo in the request"
    doc = await h.ok("sendDocument", encoding="multipart", files={"document": ("a.txt", b"abc", "text/plain")},
                     chat_id=str(alice["id"]))
    body = await h.error("sendPhoto", chat_id=alice["id"], photo=doc["document"]["file_id"])
    assert body["description"] == "Bad Request: can't use file of type Document as Photo"
    body = await h.error("getFile", file_id="nope")
    assert body["description"] == "Bad Request: wrong file_id or the file is temporarily unavailable"


async def test_csv_document_roundtrip(h: Harness) -> None:
    alice = await h.user()
    csv = b"order_id,total\n1,1500\n2,990\n"
    sent = await h.ok("sendDocument", encoding="multipart", files={"document": ("orders.csv", csv, "text/csv")},
                      chat_id=str(alice["id"]), caption="Export")
    document = sent["document"]
    assert document["file_name"] == "orders.csv" and document["mime_type"] == "text/csv"
    assert document["file_size"] == len(csv)
    assert await _download(h, document["file_id"]) == csv


async def test_photo_by_url(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    picture = png(33, 22)
    app = web.Application()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=picture, content_type="image/png")

    app.router.add_get("/p.png", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        local = await h.ok("sendPhoto", chat_id=alice["id"], photo=f"http://127.0.0.1:{port}/p.png")
    finally:
        await runner.cleanup()
    assert local["photo"][-1]["width"] == 33
    # outside hosts are never contacted: a placeholder picture stands in
    remote = await h.ok("sendPhoto", chat_id=alice["id"], photo="https://cdn.example.com/tea.jpg")
    assert remote["photo"][-1]["file_id"]


async def test_user_uploads_reach_the_bot_and_are_downloadable(h: Harness) -> None:
    alice = await h.user()
    picture = png(120, 80)
    form = aiohttp.FormData()
    form.add_field("user_id", str(alice["id"]))
    form.add_field("wait", "false")
    form.add_field("caption", "my receipt")
    form.add_field("file", picture, filename="r.png", content_type="image/png")
    async with h.session.post(f"{h.base}/control/photo", data=form) as resp:
        assert resp.status == 200
    for kind in ("sticker", "voice"):
        await h.control(kind, {"user_id": alice["id"], "data_base64": "T2dnUwAAAA=="} if kind == "voice"
                        else {"user_id": alice["id"]})
    form = aiohttp.FormData()
    form.add_field("user_id", str(alice["id"]))
    form.add_field("wait", "false")
    form.add_field("file", b"a,b\n", filename="list.csv", content_type="text/csv")
    async with h.session.post(f"{h.base}/control/document", data=form) as resp:
        assert resp.status == 200
    messages = [u["message"] for u in await h.drain()]
    photo, sticker, voice, document = messages
    assert photo["caption"] == "my receipt" and photo["photo"][-1]["width"] == 120
    assert await _download(h, photo["photo"][-1]["file_id"]) == picture
    assert sticker["sticker"]["type"] == "regular" and sticker["sticker"]["is_animated"] is False
    assert voice["voice"]["duration"] >= 1
    assert document["document"]["file_name"] == "list.csv"
    body = await h.control("photo", {"user_id": alice["id"], "data_base64": "bm90IGFuIGltYWdl"}, expect=400)
    assert "not an image" in body["error"]


async def test_edit_caption(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    sent = await h.ok("sendPhoto", encoding="multipart", files={"photo": ("p.png", png(), "image/png")},
                      chat_id=str(alice["id"]), caption="old")
    edited = await h.ok("editMessageCaption", chat_id=alice["id"], message_id=sent["message_id"],
                        caption="<i>new</i>", parse_mode="HTML")
    assert edited["caption"] == "new" and edited["caption_entities"][0]["type"] == "italic"
    body = await h.error("editMessageCaption", chat_id=alice["id"], message_id=sent["message_id"],
                         caption="c" * 1025)
    assert body["description"] == "Bad Request: message caption is too long"
    body = await h.error("editMessageText", chat_id=alice["id"], message_id=sent["message_id"], text="x")
    assert body["description"] == "Bad Request: there is no text in the message to edit"
