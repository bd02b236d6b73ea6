"""Wall time of ``callcenter --help`` (target: median under 0.3 s). Prints figures.

python bench/cli_help.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    exe = shutil.which("callcenter")
    command = [exe, "--help"] if exe else [sys.executable, "-m", "callcenter", "--help"]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"callcenter --help over {args.runs} runs: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s (target: median < 0.300 s)"
    )


if __name__ == "__main__":
    main()
