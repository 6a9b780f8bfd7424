"""Render the bundled sample lift that `make run` analyses: python -m tests.synth.make_sample OUT.mp4"""

import sys
from pathlib import Path

from tests.synth.render import ClipSpec, render_clip

SAMPLE = ClipSpec(name="sample_snatch", exercise="snatch", fps=30, width=1280, height=720, seed=7)

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/sample_snatch.mp4")
    out.parent.mkdir(parents=True, exist_ok=True)
    render_clip(SAMPLE, out)
    print(f"wrote {out} and {out.with_suffix('.json')}")
