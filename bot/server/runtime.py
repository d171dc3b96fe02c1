"""What a running server shares between its routes: settings, the current content, the store, the
conversation service. Routes reach it as `request.app[RUNTIME]`.

Content can be reloaded without a restart: `reload()` swaps in a new, fully validated Content; running
conversations keep the flow version they started on (the catalog keeps old versions).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.content.library import Content, load_content
from bot.conversation.service import ConversationService
from bot.errors import ContentError
from bot.settings import Settings
from bot.storage.base import ConversationStore

__all__ = ["Runtime", "RUNTIME", "build_searcher"]

log = logging.getLogger("pathways.server")


def build_searcher(content: Content) -> Any:
    from bot.search import SearchIndex

    return SearchIndex.build(content)


@dataclass
class Runtime:
    settings: Settings
    store: ConversationStore
    service: ConversationService
    secret: str
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, content: Content, store: ConversationStore, secret: str) -> Runtime:
        service = ConversationService(
            content, store, secret,
            expiry=dt.timedelta(minutes=settings.conversation_expiry_minutes),
            searcher=build_searcher(content),
            batch_counts=True,
            retention_days=settings.retention_days,
        )
        return cls(settings=settings, store=store, service=service, secret=secret)

    @property
    def content(self) -> Content:
        return self.service.content

    def reload(self) -> Content:
        """Load content again; on errors keep the old content and raise ContentError."""
        content = load_content(self.settings.pathways_content_dir, parameters=self.settings.flow_parameters(),
                               sms_budget=self.settings.sms_segment_budget)
        if content.errors:
            raise ContentError(content.errors)
        catalog = self.content.catalog  # keeps every version it has seen, so pinned conversations finish
        catalog.replace_all(list(content.catalog))
        catalog.overrides = content.catalog.overrides
        content.catalog = catalog
        self.service.content = content
        self.service.searcher = build_searcher(content)
        log.info("content reloaded", extra={"flows": len(content.catalog.ids())})
        return content


RUNTIME = web.AppKey("runtime", Runtime)
