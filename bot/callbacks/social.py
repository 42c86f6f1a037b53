"""Social buttons: the wishlist heart, the wishlist screen, "for you"."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class WishCB(CallbackData, prefix="wl"):
    """a: add | del (the heart on a card: toggles and redraws only the heart) | list (the wishlist page p)
    | rm (remove product p from the wishlist screen)."""

    a: str
    p: Id = 0  # product id (add | del | rm) or page number (list)
    n: Id = 0  # rm: the page to redraw


class ForYouCB(CallbackData, prefix="fy"):
    """ "For you" in the private menu (a: show)."""

    a: str = "show"


class ReviewCB(CallbackData, prefix="rv"):
    """a: list (product p's reviews, page n) | ask (rate order line l) | rate (line l, stars s)
    | words (add words or a photo to line l's s-star rating) | skip (no words) | photo (review r's photo)
    | del (the author deletes review r)."""

    a: str
    p: Id = 0
    n: Id = 0
    l: Id = 0  # noqa: E741  (short: callback data is limited to 64 bytes)
    s: Id = 0
    r: Id = 0


class DigestCB(CallbackData, prefix="dg"):
    """The weekly group digest card's switch (a: off | on), for the group's admins; the group is the card's chat."""

    a: str
