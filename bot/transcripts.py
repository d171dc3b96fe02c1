"""Conversation transcripts: YAML files that pin a pathway's behaviour without Python.

    flow: marac-referral          # optional: start this flow first
    steps:
      - user: "1"
      - bot: {contains: "0 to 24"}
      - user: "14"
      - ended: refer_marac

Expectations under `bot:` (all optional): contains, not_contains (text or list), options (the last
question's labels, in order), saved (answers held now), emergency (true/false).
`ended:` checks the flow ended with that outcome in the last reply; each result records the
(flow id, outcome) pairs its `ended:` steps confirmed, so a test can check every outcome is walked.
A file may hold one transcript or a list under `transcripts:` (each with a `name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.library import Content
from bot.content.yamlsource import LineDict, LineList, load_yaml
from bot.errors import ContentError
from bot.testing import TestBot

__all__ = ["TranscriptResult", "run_transcript_file", "find_transcripts"]


@dataclass
class TranscriptResult:
    path: str
    name: str
    failures: list[str] = field(default_factory=list)
    reached: set[tuple[str, str]] = field(default_factory=set)  # (flow id, outcome) confirmed by `ended:`

    @property
    def ok(self) -> bool:
        return not self.failures


def find_transcripts(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
    return files


def run_transcript_file(path: Path, content: Content, searcher: Any = None) -> list[TranscriptResult]:
    try:
        data = load_yaml(path)
    except ContentError as exc:
        return [TranscriptResult(str(path), path.stem, [str(p) for p in exc.problems])]
    cases = data.get("transcripts") if isinstance(data, LineDict) and "transcripts" in data else [data]
    results = []
    for index, case in enumerate(cases):
        name = case.get("name", f"{path.stem}#{index + 1}") if isinstance(case, dict) else path.stem
        results.append(_run_case(path, name, case, content, searcher))
    return results


def _run_case(path: Path, name: str, case: Any, content: Content, searcher: Any) -> TranscriptResult:
    result = TranscriptResult(str(path), name)
    if not isinstance(case, dict) or not isinstance(case.get("steps"), list):
        result.failures.append(f"{path}: a transcript needs 'steps:' (a list of user/bot lines)")
        return result
    bot = TestBot(content, searcher=searcher, channel=case.get("channel", "test"))
    try:
        if case.get("flow"):
            bot.start(case["flow"])
        steps = case["steps"]
        lines = steps.item_lines if isinstance(steps, LineList) else [0] * len(steps)
        for step, line in zip(steps, lines, strict=True):
            where = f"{path}:{line}"
            if not isinstance(step, dict) or len(step) != 1:
                result.failures.append(f"{where}: each step is one of 'user:', 'bot:' or 'ended:'")
                break
            (kind, value), = step.items()
            if kind == "user":
                bot.push(str(value))
            elif kind == "bot":
                result.failures += [f"{where}: {f}" for f in _check_bot(bot, value)]
            elif kind == "ended":
                if str(value) not in bot.outcomes():
                    result.failures.append(f"{where}: expected the flow to end with '{value}', "
                                           f"got {bot.outcomes() or 'no ending'}\n{_show(bot)}")
                result.reached |= {(e.flow, e.outcome) for e in bot.last.events
                                   if e.name == "flow_ended" and e.outcome == str(value) and e.flow}
            else:
                result.failures.append(f"{where}: unknown step '{kind}' (use user, bot or ended)")
            if result.failures:
                break
    finally:
        bot.close()
    return result


def _show(bot: TestBot) -> str:
    return "    bot said:\n" + "\n".join("      " + line for line in bot.pop_text().splitlines())


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _check_bot(bot: TestBot, expect: Any) -> list[str]:
    if not isinstance(expect, dict):
        return ["'bot:' takes a mapping, e.g. {contains: 'MARAC'}"]
    failures = []
    text = bot.pop_text()
    folded = text.casefold()
    for needle in _as_list(expect.get("contains", [])):
        if needle.casefold() not in folded:
            failures.append(f"expected the reply to contain {needle!r}\n{_show(bot)}")
    for needle in _as_list(expect.get("not_contains", [])) if "not_contains" in expect else []:
        if needle.casefold() in folded:
            failures.append(f"expected the reply NOT to contain {needle!r}\n{_show(bot)}")
    if "options" in expect and bot.options() != _as_list(expect["options"]):
        failures.append(f"expected options {_as_list(expect['options'])}, got {bot.options()}")
    for name, value in (expect.get("saved") or {}).items():
        if bot.answers().get(name) != value:
            failures.append(f"expected saved {name} = {value!r}, got {bot.answers().get(name)!r}")
    if "emergency" in expect:
        has = any(m.kind == "emergency" for m in bot.last.messages)
        if has != bool(expect["emergency"]):
            failures.append(f"expected emergency={expect['emergency']}, got {has}")
        elif has and bot.last.messages[0].kind != "emergency":
            failures.append("the emergency message must come first")
    for unknown in set(expect) - {"contains", "not_contains", "options", "saved", "emergency"}:
        failures.append(f"unknown expectation '{unknown}'")
    return failures
