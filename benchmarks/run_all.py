"""Run every benchmark in this folder and write their figures to docs/benchmarks.md.

Each benchmark script prints its figures as one JSON object on its last line. This runner records the
machine and the date with them. Targets live in each script's ``TARGETS`` (name -> (op, value)).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """A one-line description of this machine."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}){memory}, {system}, Python {platform.python_version()}"


def run(script: Path) -> dict[str, object]:
    """Run one benchmark; return its last-line JSON."""
    result = subprocess.run(  # noqa: S603 - runs our own scripts
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    sys.stderr.write(result.stderr)
    print(result.stdout, end="")
    last = result.stdout.strip().splitlines()[-1]
    figures: dict[str, object] = json.loads(last)
    return figures


def _docstring(script: Path) -> list[str]:
    """The benchmark's own description (what it measures, its targets)."""
    import ast

    text = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    return text.splitlines()


def _sections(text: str) -> dict[str, list[str]]:
    """The report's sections by benchmark name (to keep those not re-run)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
        if current is not None:
            current.append(line)
    return found


def _section(script: Path, figures: dict[str, object], when: str) -> list[str]:
    lines = [f"## {script.stem}", "", f"Measured {when} UTC.", "", *_docstring(script), ""]
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in figures.items()]
    return [*lines, "", "```json", json.dumps(figures), "```", ""]


def main() -> None:
    """Run all benchmarks (or those named on the command line) and rewrite the report; sections of
    benchmarks not run this time are kept as they were, with their own date."""
    wanted = set(sys.argv[1:])
    every = sorted(
        p for p in HERE.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_")
    )
    kept = _sections(DOCS.read_text(encoding="utf-8")) if DOCS.exists() and wanted else {}
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); each script prints its figures as one JSON",
        "object on its last line.",
        "",
        f"- Machine: {machine()}",
        f"- Written: {when} UTC (each section says when it was measured)",
        "",
    ]
    for script in every:
        if wanted and script.stem not in wanted:
            lines += kept.get(script.stem, [])
            continue
        lines += _section(script, run(script), when)
    if not every:
        lines.append("No benchmarks yet.")
    DOCS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
