"""Shoppers' referral codes, remembered per process: share links are drawn on every card and inline results
come per keystroke, and a code never changes once created."""

from __future__ import annotations

from collections import OrderedDict

from store.db import Database
from store.growth import referrals

SIZE = 10_000


class ReferralCodes:
    def __init__(self, db: Database, size: int = SIZE) -> None:
        self.db = db
        self.size = size
        self._codes: OrderedDict[int, str] = OrderedDict()

    async def code_for(self, user_id: int) -> str:
        code = self._codes.get(user_id)
        if code is None:
            code = await referrals.code_for(self.db, user_id)
            self._codes[user_id] = code
            while len(self._codes) > self.size:
                self._codes.popitem(last=False)
        else:
            self._codes.move_to_end(user_id)
        return code
