"""The operator page asks for every module it will import at once (index.html's modulepreload links), rather
than discovering them import by import: the list must name exactly the modules app.js reaches."""

from __future__ import annotations

import re

from console.app import STATIC_DIR

IMPORT = re.compile(r'from\s+"\./([\w-]+\.js)"')
PRELOAD = re.compile(r'<link rel="modulepreload" href="/static/([\w-]+\.js)">')


def _imported_from(entry: str) -> set[str]:
    seen: set[str] = set()
    pending = [entry]
    while pending:
        module = pending.pop()
        for imported in IMPORT.findall((STATIC_DIR / module).read_text()):
            if imported not in seen:
                seen.add(imported)
                pending.append(imported)
    return seen


def test_index_preloads_every_module_app_js_imports_and_no_other() -> None:
    preloaded = PRELOAD.findall((STATIC_DIR / "index.html").read_text())
    assert len(preloaded) == len(set(preloaded))
    assert set(preloaded) == _imported_from("app.js") - {"app.js"}
