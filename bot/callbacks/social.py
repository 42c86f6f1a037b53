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
