"""An update whose worker is killed (SIGKILL) while handling it is still answered, once.

The worker took the update (its claim is "in progress" in the Redis ledger) and was about to answer when it
died: its answer never reached Telegram, and its webhook request failed, so Telegram delivers the update again.
While the dead worker's lease runs the others answer 503 (the claimant might still be alive and finish), so
Telegram keeps trying; once the lease lapses another worker handles the update and the user gets one answer.
A delivery after that is dropped (the claim is done)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.emulator.errors import ApiError
from bot.emulator.methods.registry import METHODS, Handler
from bot.emulator.params import Params
from bot.runner import SECRET_HEADER
from tests.scale.cluster import SECRET, three_workers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LEASE_SECONDS = 8  # generous: the test redelivers well within it, so it sees the 503s of a live-looking claim
VICTIM = 1


async def test_an_update_held_by_a_killed_worker_is_answered_once_by_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with three_workers(tmp_path, GROUPCART_REDIS__UPDATE_LEASE_SECONDS=str(LEASE_SECONDS)) as shop:
        alice = await shop.client.user("Alice", id=8_300_001)
        # Alice's first answer is held inside the emulator (Telegram) and never delivered: the worker sending it
        # dies before the send takes effect. Later sends pass.
        held = asyncio.Event()
        gone = asyncio.Event()
        real_send: Handler = METHODS["sendmessage"]

        async def send_message(emu: object, params: Params) -> object:
            if params.raw("chat_id") in (alice.id, str(alice.id)) and not held.is_set():
                held.set()
                await gone.wait()
                raise ApiError(502, "the sender is gone")  # nobody reads this: the worker is dead
            return await real_send(emu, params)  # type: ignore[arg-type]

        monkeypatch.setitem(METHODS, "sendmessage", send_message)
        errors: list[str] = []
        real_record = shop.emu.queue._record_error

        def record_error(message: str) -> None:
            errors.append(message)
            real_record(message)

        monkeypatch.setattr(shop.emu.queue, "_record_error", record_error)

        victim = shop.workers.pids()[VICTIM]
        shop.deliver_to(VICTIM)
        sending = asyncio.create_task(alice.send("/help"))  # returns once Telegram got a 2xx for it
        await asyncio.wait_for(held.wait(), 60)
        (update,) = shop.pushed
        claim = await shop.claim_of(update["update_id"])
        assert claim is not None and claim.startswith("run:") and claim.endswith(f":{victim}"), claim

        assert shop.workers.kill(VICTIM) == victim
        shop.deliver_to(None)  # Telegram's next attempts reach whichever worker the kernel picks
        gone.set()
        await asyncio.wait_for(sending, 120)

        # Answered exactly once, by another worker, after the dead one's lease; the redeliveries made meanwhile
        # were refused (503), not dropped as done.
        claim = await shop.claim_of(update["update_id"])
        assert claim is not None and claim.startswith("done:") and not claim.endswith(f":{victim}"), claim
        assert any("Connection failed" in e for e in errors), errors  # the victim died holding the request
        assert any("503" in e for e in errors), errors

        async def answers() -> list[str]:
            return [m.text or "" for m in await alice.messages() if m.from_bot]

        await shop.client.wait_for(answers, timeout=30)
        await asyncio.sleep(1.0)  # a second answer would have arrived by now
        assert len(await answers()) == 1, await answers()

        # Telegram delivers it once more (a late duplicate): dropped, still one answer.
        async with (
            aiohttp.ClientSession() as http,
            http.post(shop.workers.hook_url(), json=update, headers={SECRET_HEADER: SECRET}) as resp,
        ):
            assert resp.status == 200
        await asyncio.sleep(1.0)
        assert len(await answers()) == 1, await answers()
