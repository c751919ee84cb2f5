"""The hazard log names the tests that show each control: every one it names must exist, so the safety
case cannot silently point at a test that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HAZARD_LOG = REPO / "docs" / "safety" / "hazard-log.md"
REFERENCE = re.compile(r"`(tests/[\w/.-]+?)(?:::(\w+))?`")
HAZARDS_REQUIRED = ("Missed alarm", "Delayed alarm", "wrong resident", "False reassurance", "Data breach",
                    "Key safe code disclosed")


def test_every_test_the_hazard_log_names_exists() -> None:
    text = HAZARD_LOG.read_text()
    references = REFERENCE.findall(text)
    assert len(references) > 30
    missing = []
    for path, name in references:
        target = REPO / path
        if not target.exists():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", target.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_the_hazard_log_covers_the_required_hazards() -> None:
    text = HAZARD_LOG.read_text()
    headings = [line for line in text.splitlines() if line.startswith("## H")]
    for hazard in HAZARDS_REQUIRED:
        assert any(hazard.lower() in heading.lower() for heading in headings), hazard
