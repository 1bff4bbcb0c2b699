"""Benchmarks run by ``kyocho bench NAME``: each module has ``run(…, out) -> dict``, prints its
progress to ``out`` and returns the figures that the command prints as its last line (JSON)."""
