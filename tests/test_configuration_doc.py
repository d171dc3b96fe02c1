"""docs/configuration.md documents every setting, with the default the code really has."""

import re

from pydantic import SecretStr

from bot.settings import Settings
from tests.conftest import ROOT

DOC = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \| (.+) \|$")


def documented() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            name, default, meaning = match.groups()
            assert name not in rows, f"{name} is documented twice"
            rows[name] = (default.strip(), meaning.strip())
    return rows


def shown_default(default: object) -> str:
    if default is None:
        return "—"
    if isinstance(default, SecretStr):
        return "—" if not default.get_secret_value() else "(secret)"
    return f"`{default}`"


def test_every_setting_is_documented_with_its_default():
    rows = documented()
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in rows)
    assert not missing, f"add these to {DOC.name}: {missing}"
    for name, field in Settings.model_fields.items():
        default, meaning = rows[name.upper()]
        assert default == shown_default(field.default), f"{name.upper()}: doc says {default}"
        assert len(meaning) > 20, f"{name.upper()}: say what it means"


def test_the_doc_lists_no_setting_that_does_not_exist():
    stale = sorted(set(documented()) - {name.upper() for name in Settings.model_fields})
    assert not stale, f"{DOC.name} documents variables Settings does not read: {stale}"


def test_every_secret_setting_is_marked_secret():
    rows = documented()
    for name, field in Settings.model_fields.items():
        if SecretStr in getattr(field.annotation, "__args__", (field.annotation,)):
            assert "*Secret.*" in rows[name.upper()][1], f"{name.upper()} holds a secret: mark it *Secret.*"
