"""aiohttp app: Bot API routes (/bot<token>/<method>, /file/bot<token>/<path>), the control API, the web page."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator.config import EmulatorConfig
from bot.emulator.control import EMU, add_routes, add_strict_routes
from bot.emulator.engine import Emulator
from bot.emulator.errors import NOT_FOUND, ApiError, bad_request
from bot.emulator.methods import METHODS
from bot.emulator.params import Params, Upload

__all__ = ["Emulator", "EmulatorConfig", "RunningEmulator", "build_app", "start_emulator"]

log = logging.getLogger(__name__)
CALL_LOG_LIMIT = 20_000


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string plus a JSON, form-urlencoded or multipart body."""
    params = Params(values=dict(request.query))
    if not request.can_read_body:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body: Any = json.loads(raw)
            except ValueError as exc:
                raise bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            params.values.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                params.uploads[part.name] = Upload(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    data=bytes(await part.read()),
                )
            else:
                params.values[part.name] = await part.text()
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        params.values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _loggable(params: Params) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in params.values.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        values[key] = value
    for key, upload in params.uploads.items():
        values[key] = {"filename": upload.filename, "size": len(upload.data)}
    return values


def _envelope(error: ApiError) -> web.Response:
    return web.json_response(error.envelope(), status=error.code)


async def call_method(emu: Emulator, name: str, params: Params) -> Any:
    """Run one Bot API call (also used for methods returned in webhook responses) and log it."""
    handler = METHODS.get(name.lower())
    if handler is None:
        raise NOT_FOUND
    try:
        result = await handler(emu, params)
    except ApiError as error:
        emu.record_call(name, _loggable(params), False, error=error)
        raise
    except Exception as exc:
        log.exception("Bot API method %s crashed", name)
        crash = ApiError(500, f"Internal Server Error: {type(exc).__name__}")
        emu.record_call(name, _loggable(params), False, error=crash)
        raise crash from exc
    emu.record_call(name, _loggable(params), True, result=result)
    del emu.calls[:-CALL_LOG_LIMIT]
    return result


async def bot_api(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    if request.match_info["token"] != emu.config.token:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    try:
        params = await read_params(request)
        result = await call_method(emu, request.match_info["method"], params)
    except ApiError as error:
        return _envelope(error)
    except Exception:
        log.exception("Bot API request %s failed", request.path)
        return _envelope(ApiError(500, "Internal Server Error"))
    return web.json_response({"ok": True, "result": result})


async def download(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMU]
    if request.match_info["token"] != emu.config.token:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    record = emu.files.by_path.get(request.match_info["path"])
    if record is None:
        return _envelope(NOT_FOUND)
    return web.Response(body=record.data, content_type=record.mime_type)


def _static(web_dir: Path) -> Any:
    root = web_dir.resolve()

    async def serve(request: web.Request) -> web.StreamResponse:
        relative = request.match_info.get("path") or "index.html"
        target = (root / relative).resolve()
        if root not in target.parents and target != root:
            raise web.HTTPNotFound()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(target)

    return serve


def build_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app[EMU] = emulator

    async def webhook_reply(data: dict[str, Any]) -> None:
        values = {key: value for key, value in data.items() if key != "method"}
        try:
            await call_method(emulator, str(data["method"]), Params(values=values))
        except ApiError as error:
            log.info("method from webhook response failed: %s", error.description)

    emulator.queue.on_webhook_reply = webhook_reply
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    add_routes(app)
    add_strict_routes(app)
    if emulator.config.web_dir is not None:
        serve = _static(emulator.config.web_dir)
        app.router.add_get("/", serve)
        app.router.add_get("/{path:.+}", serve)

    async def on_cleanup(_app: web.Application) -> None:
        await emulator.queue.close()

    app.on_cleanup.append(on_cleanup)
    return app


class RunningEmulator:
    def __init__(self, emulator: Emulator, runner: web.AppRunner, base_url: str) -> None:
        self.emulator = emulator
        self.runner = runner
        self.base_url = base_url

    @property
    def token(self) -> str:
        return self.emulator.config.token

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/bot{self.token}"

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> RunningEmulator:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def start_emulator(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    emulator = Emulator(config or EmulatorConfig())
    runner = web.AppRunner(build_app(emulator), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound_port = sockets[0].getsockname()[1] if sockets else port
    return RunningEmulator(emulator, runner, f"http://{host}:{bound_port}")
