"""Top frames of py-spy recordings (`--format raw`: one collapsed stack and its sample count per line), as
`bench/router/cpu_per_request.py --py-spy DIR` writes them: per file, the share of samples each function takes
itself (self) and with what it calls (total). py-spy records busy threads only (no `--idle`), so every sample
is work.

    .venv/bin/python bench/router/frames.py DIR/fanout-now-1.txt [--top 20] [--match router/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path


def _frame(raw: str) -> str:
    """`func (path/to/file.py:LINE)` -> `func (file.py)`: one row per function, whatever line sampled."""
    m = re.match(r"(.*) \((.*?):\d+\)$", raw.strip())
    if not m:
        return raw.strip()
    name, path = m.groups()
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{name} ({short})"


def summarize(path: Path, top: int, match: str | None) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    busy = max(samples, 1)
    out = [f"{path.name}: {samples} samples", "| function | self % | total % |", "|---|---|---|"]
    rows = [(f, c) for f, c in own.most_common() if match is None or match in f][:top]
    out += [f"| {f} | {100 * c / busy:.1f} | {100 * total[f] / busy:.1f} |" for f, c in rows]
    out += ["", "| function (by total) | total % |", "|---|---|"]
    rows = [(f, c) for f, c in total.most_common() if match is None or match in f][:top]
    out += [f"| {f} | {100 * c / busy:.1f} |" for f, c in rows]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--match", help="only functions whose row contains this (e.g. router/ or aiohttp/)")
    args = ap.parse_args()
    for f in args.files:
        print(summarize(f, args.top, args.match))
        print()


if __name__ == "__main__":
    main()
