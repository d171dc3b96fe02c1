"""docs/deploy.md stays in step with deploy/: every file it names exists, every deployment file is explained,
and its links (with their #anchors) lead somewhere."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.deploy.conftest import DEPLOY

DOCS = ROOT / "docs"
GUIDES = [DOCS / "deploy.md", DOCS / "configuration.md"]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)}


@pytest.mark.parametrize("guide", GUIDES, ids=[g.name for g in GUIDES])
def test_links_lead_to_files_and_headings_that_exist(guide):
    text = guide.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        path = (guide.parent / file_part).resolve() if file_part else guide
        assert path.exists(), f"{guide.name}: link to {target}: no such file"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{guide.name}: link to {target}: no such heading"


def test_every_deployment_file_is_explained_in_the_guide():
    guide = (DOCS / "deploy.md").read_text(encoding="utf-8")
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.name != ".env":
            relative = path.relative_to(DEPLOY).as_posix()
            assert path.name in guide or relative in guide, f"docs/deploy.md never mentions deploy/{relative}"


def test_every_deployment_file_the_guide_names_exists():
    guide = (DOCS / "deploy.md").read_text(encoding="utf-8")
    for relative in set(re.findall(r"deploy/[\w./-]+[\w]", guide)) - {"deploy/.env"}:  # the operator's copy
        assert (ROOT / relative).exists(), f"docs/deploy.md names {relative}, which does not exist"
