"""How well MediaPipe sees the rendered mannequin: pose coverage and raw knee/hip angle error
per clip, straight from the landmarks (no engine repair or smoothing).

python -m bench.pose_on_mannequin  — a quick check for anyone changing tests/synth/render.py."""

from __future__ import annotations

import numpy as np

from shared.analysis import video
from shared.analysis.body import included_angle
from shared.analysis.pose import LANDMARKS as L
from shared.analysis.pose import PoseEstimator
from tests.synth.clips import BENCH_SET, clip


def raw_pose_scores(path, truth) -> dict:
    info = video.probe(path, 600, 1920)
    found, knee_err, hip_err = [], [], []
    with PoseEstimator("full") as pose:
        for frame in video.frames(path, info):
            people = pose(frame.rgb, frame.t_s)
            found.append(len(people) > 0)
            if not len(people):
                continue
            p = people[0]
            side = (
                "l"
                if np.nansum(p[[L["lhip"], L["lkne"], L["lank"]], 2])
                >= np.nansum(p[[L["rhip"], L["rkne"], L["rank"]], 2])
                else "r"
            )
            pt = {j: p[L[side + j], :2][None] for j in ("ank", "kne", "hip", "sho")}
            knee_err.append(included_angle(pt["ank"], pt["kne"], pt["hip"])[0] - truth.angles["knee"][frame.index])
            hip_err.append(included_angle(pt["kne"], pt["hip"], pt["sho"])[0] - truth.angles["hip"][frame.index])
    rms = lambda e: float(np.sqrt(np.mean(np.square(e)))) if e else float("nan")  # noqa: E731
    return {"coverage": float(np.mean(found)), "knee_rmse": rms(knee_err), "hip_rmse": rms(hip_err)}


if __name__ == "__main__":
    for spec in BENCH_SET:
        path, truth = clip(spec)
        s = raw_pose_scores(path, truth)
        print(
            f"{spec.name:<26} coverage {s['coverage']:.2f}  raw knee rmse {s['knee_rmse']:5.1f}  "
            f"raw hip rmse {s['hip_rmse']:5.1f}",
            flush=True,
        )
