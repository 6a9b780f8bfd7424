"""Build MediaPipe Tasks `.task` bundles for PoseLandmarker from npm @mediapipe/pose tflite files.

The npm package (Apache-2.0) ships the BlazePose landmark models and, packed in
`pose_solution_packed_assets.data`, the pose detector. The Tasks runtime reads each
model's input normalisation from TFLite metadata, which these files lack, so we add
it with mediapipe 0.10.21's metadata writer (1.2.x ships the writer without its
native half). Run through `build_pose_bundles.sh`, which makes that tool venv.

Usage: python build_pose_bundles.py NPM_PACKAGE_DIR OUT_DIR [lite full heavy]
"""

import json
import pathlib
import re
import sys

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils

# BlazePose input ranges, as in mediapipe's pose_detection_cpu / pose_landmark_by_roi graphs:
# the detector takes [-1, 1], the landmark model takes [0, 1].
DETECTOR_NORM = (127.5, 127.5)
LANDMARKS_NORM = (0.0, 255.0)


def _packed_detector(package_dir: pathlib.Path) -> bytes:
    loader = (package_dir / "pose_solution_packed_assets_loader.js").read_text()
    files = json.loads(re.search(r'"files":\s*(\[[^\]]*\])', loader).group(1))
    entry = next(f for f in files if f["filename"].endswith("pose_detection.tflite"))
    data = (package_dir / "pose_solution_packed_assets.data").read_bytes()
    return data[entry["start"] : entry["end"]]


def _with_metadata(model: bytes, name: str, norm: tuple, outputs: int) -> bytes:
    writer = metadata_writer.MetadataWriter.create(model)
    writer.add_general_info(name, "BlazePose from npm @mediapipe/pose 0.5.1675469404")
    writer.add_image_input(norm_mean=[norm[0]], norm_std=[norm[1]])
    for i in range(outputs):
        writer.add_feature_output(name=f"output_{i}")
    tflite, _ = writer.populate()
    return tflite


def _output_count(model: bytes) -> int:
    from mediapipe.tasks.python.metadata.metadata_writers import writer_utils

    return len(writer_utils.get_output_tensor_names(model))


def main(package_dir: str, out_dir: str, variants: list) -> None:
    package = pathlib.Path(package_dir)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    detector = _packed_detector(package)
    detector = _with_metadata(detector, "pose_detector", DETECTOR_NORM, _output_count(detector))
    for variant in variants:
        landmarks = (package / f"pose_landmark_{variant}.tflite").read_bytes()
        landmarks = _with_metadata(landmarks, "pose_landmarks_detector", LANDMARKS_NORM, _output_count(landmarks))
        target = out / f"pose_landmarker_{variant}.task"
        model_asset_bundle_utils.create_model_asset_bundle(
            {"pose_detector.tflite": detector, "pose_landmarks_detector.tflite": landmarks}, str(target)
        )
        print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] or ["lite", "full", "heavy"])
