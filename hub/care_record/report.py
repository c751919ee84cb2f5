"""What an import or sync did, resident by resident, with a reason for everything it did not do."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportReport:
    """What an import did, resident by resident, with a reason for everything it did not do."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (what, why): the import exits non-zero
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why): nothing wrong, nothing to do
    warnings: list[str] = field(default_factory=list)
    changes: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.refused

    def merge(self, other: ImportReport) -> None:
        for name in ("created", "updated", "unchanged", "refused", "skipped", "warnings"):
            getattr(self, name).extend(getattr(other, name))
        self.changes.update(other.changes)

    def summary(self) -> str:
        lines = [f"residents: {len(self.created)} created, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} unchanged, {len(self.refused)} refused, {len(self.skipped)} skipped"]
        if self.changes:
            lines.append("changes: " + ", ".join(f"{n} {what}" for what, n in sorted(self.changes.items())))
        lines += [f"REFUSED {what}: {why}" for what, why in self.refused]
        skipped = Counter(why for _, why in self.skipped)
        lines += [f"skipped {n}: {why}" for why, n in sorted(skipped.items())]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)
