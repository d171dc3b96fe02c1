"""All loaded flows, by id and pinned version, with deployment parameter overrides."""

from __future__ import annotations

from collections.abc import Iterable

from bot.flows.model import Flow

__all__ = ["FlowCatalog"]


class FlowCatalog:
    """The flows the engine can run. Older versions stay available after a reload, so conversations
    that started on them can finish on the version they started with."""

    def __init__(self, flows: Iterable[Flow] = (), parameters: dict[str, object] | None = None) -> None:
        self._versions: dict[tuple[str, str], Flow] = {}
        self._current: dict[str, Flow] = {}
        self.overrides: dict[str, object] = dict(parameters or {})
        for flow in flows:
            self.add(flow)

    def add(self, flow: Flow) -> None:
        self._versions[flow.key] = flow
        self._current[flow.id] = flow

    def replace_all(self, flows: Iterable[Flow]) -> None:
        """Make `flows` the current set, keeping older versions for conversations in progress."""
        self._current = {}
        for flow in flows:
            self.add(flow)

    def get(self, flow_id: str, version: str | None = None) -> Flow | None:
        if version is None:
            return self._current.get(flow_id)
        return self._versions.get((flow_id, str(version)))

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self._current

    def __iter__(self):
        return iter(self._current.values())

    def __len__(self) -> int:
        return len(self._current)

    def ids(self) -> list[str]:
        return list(self._current)

    def parameters(self, flow: Flow) -> dict[str, object]:
        """A flow's parameters with deployment overrides applied (e.g. escalation_incidents)."""
        return {k: self.overrides.get(k, v) for k, v in flow.parameters.items()}

    def menu_flows(self, role: str | None, kind: str = "pathway") -> list[Flow]:
        """Flows for the menu, for this role ('any' flows for everyone), in title order."""
        flows = [
            f
            for f in self._current.values()
            if f.menu and f.kind == kind and (role is None or role in f.audience or "any" in f.audience)
        ]
        return sorted(flows, key=lambda f: (_ORDER.get(f.id, 50), f.title))


# The referral pathways first: they are what people come for mid-shift.
_ORDER = {
    "marac-referral": 1,
    "health-disclosure": 2,
    "housing-options": 3,
    "faith-signposting": 4,
}
