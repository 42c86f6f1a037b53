"""What the composition root plugs into the shared machinery: scheduled-event handlers, outbox renderers,
deep-link prefixes, what follows /start and /admin sections. The lists themselves are written out in bot/app.py;
this module only names their shape, so the scheduler, the outbox and /start look things up here instead of in
import-time registries that every entry point had to remember to fill."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.admin_menu import AdminSection

if TYPE_CHECKING:
    from bot.deeplinks import AfterStart, DeeplinkHandler
    from bot.outbox import Renderer
    from bot.scheduler import JobHandler, StartupHook


@dataclass(frozen=True)
class Wiring:
    jobs: Mapping[str, JobHandler] = field(default_factory=dict)
    # Run at scheduler start-up, before pending events are armed (e.g. make sure a daily event exists).
    startup: tuple[StartupHook, ...] = ()
    renderers: Mapping[str, Renderer] = field(default_factory=dict)
    deeplinks: Mapping[str, DeeplinkHandler] = field(default_factory=dict)
    # In order, after /start in private chat has been answered (with or without a deep link).
    after_start: tuple[AfterStart, ...] = ()
    admin_sections: tuple[AdminSection, ...] = ()

    def sections(self) -> list[AdminSection]:
        return sorted(self.admin_sections, key=lambda s: (s.order, s.key))
