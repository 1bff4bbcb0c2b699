"""Where tests find the public reference files (``shared/reference/`` beside the repository).

The repository may be a clone, a worktree or CI's fresh checkout: the folder is looked for beside
each folder above this file, so every layout finds it. The product itself never reads these files.
"""

from __future__ import annotations

from pathlib import Path


def reference_path(*parts: str) -> Path:
    """The reference file ``shared/reference/<parts…>``; a clear failure when it is nowhere above."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder.joinpath("shared", "reference", *parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shared/reference/{'/'.join(parts)} is not beside any folder above {__file__}")
