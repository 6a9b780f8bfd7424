"""docs/accuracy.md and docs/performance.md, put together from what each benchmark wrote.

python -m bench.docs (the last step of `make bench`). Every section is a benchmark's own
file, which names its command and date; a benchmark not yet run on this checkout says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = {
    "accuracy.md": (
        "Accuracy",
        [
            "accuracy-bench.md",
            "accuracy-random.md",
            "accuracy-random-seed7.md",
            "accuracy-random-seed31.md",
            "accuracy-motion.md",
            "accuracy-tilt.md",
            "real-clips.md",
            "versus.md",
        ],
    ),
    "performance.md": ("Performance", ["speed.md", "versus-shaped.md", "payloads.md", "progress.md", "load.md"]),
}


def page(title: str, parts: list[str]) -> str:
    out = [
        f"# {title}",
        "",
        "Written by `python -m bench.docs` from the benchmarks' own pages; each section",
        "names the command that measured it and the date. Nothing here is typed by hand.",
        "",
    ]
    for name in parts:
        path = DOCS / name
        if not path.exists():
            out += [f"## {name}", "", f"Not measured on this checkout yet (`make bench` writes `docs/{name}`).", ""]
            continue
        text = path.read_text().strip().splitlines()
        heading = text[0].lstrip("# ") if text and text[0].startswith("#") else name
        out += [f"## {heading}", "", f"From [`{name}`]({name}).", "", *text[1:], ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    for name, (title, parts) in PAGES.items():
        (DOCS / name).write_text(page(title, parts))
        print(f"wrote docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
