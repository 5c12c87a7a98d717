"""Which code a result was measured with; shared by the eval runner and the benchmarks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def git_state(root: Path) -> dict[str, Any]:
    """The commit the run measured, and whether the tree had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}
