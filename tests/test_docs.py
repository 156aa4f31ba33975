"""The README is the PyPI page: its links must work there, and every docs link must lead somewhere."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")
HOMEPAGE = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]


def links(page: Path) -> list[str]:
    return LINK.findall(page.read_text(encoding="utf-8"))


def test_readme_links_are_absolute_and_lead_to_files_of_the_repository() -> None:
    ours = [url for url in links(REPO / "README.md") if url.startswith(HOMEPAGE)]

    assert [url for url in links(REPO / "README.md") if not url.startswith("https://")] == []
    assert ours, f"the README links nowhere into {HOMEPAGE}"
    for url in ours:
        path = url.removeprefix(f"{HOMEPAGE}/blob/main/").partition("#")[0]
        assert (REPO / path).is_file(), url


@pytest.mark.parametrize("page", sorted((REPO / "docs").glob("*.md")), ids=lambda p: p.name)
def test_relative_links_between_docs_pages_lead_to_files(page: Path) -> None:
    relative = [url for url in links(page) if not url.startswith(("https://", "http://", "#"))]

    missing = [url for url in relative if not (page.parent / url.partition("#")[0]).exists()]

    assert missing == []
