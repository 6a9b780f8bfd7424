"""Every payload's per-frame arrays hold numbers only (issue: `null` inside arrays that the
spec calls numeric), decoded with the OpenAPI document's schemas, which allow no null in a
series: the demo's, a lift with short and long gaps and a series never measured, and a
session stored before the series were tidied."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from shared.demo import DEMO_DIR
from shared.domain.model import Session
from shared.formatters import documents, payloads, results
from tests.cloud.contract import document

DEMO = json.loads((DEMO_DIR / "result.json").read_text())
ZONE = ZoneInfo("UTC")


def gappy() -> dict:
    """The demo's result with holes: 5 frames of bar (0.2 s across at 30 fps: filled), 20
    frames of the near hip angle (cut short), the near knee angle never measured. The near hip
    angle is first made whole (the demo's own first frames are not measured)."""
    result = copy.deepcopy(DEMO)
    bar = result["bar"]
    for key in bar:
        bar[key][30:35] = [None] * 5
    side = result["quality"]["near_side"]
    hip = result["angles"][f"{side}hip_angle"]
    first = next(v for v in hip if v is not None)
    hip[:] = [first if v is None else v for v in hip]
    hip[60:80] = [None] * 20
    result["angles"][f"{side}kne_angle"] = [None] * len(result["timestamps_s"])
    return result


def session_of(result: dict, tidied: bool = True) -> tuple[Session, dict]:
    """(session, whole-clip series) as the job stores them and the repository reads them, or
    (`tidied` False) as a session stored before the series were tidied."""
    if tidied:
        fields, series = results.stored(result)
    else:
        fields, series = results.session_fields(result), results.columns(result)
    chunks = results.series_chunks(series, max_bytes=16 * 1024)
    doc = {
        **fields,
        "user_id": "u",
        "title": "t",
        "exercise": "snatch",
        "activity": "Weightlifting",
        "status": "done",
        "created_at": datetime(2026, 12, 4, tzinfo=UTC),
    }
    return documents.session("s1", doc), results.join_chunks(chunks, nan_as_none=False)


def every_payload(session: Session, series: dict) -> dict:
    frames = payloads.lift_frames(session.phases)
    lift = results.cut(series, *frames)
    return {
        "SessionDetails": payloads.details(session, series, None, ZONE, None, None),
        "Export": payloads.export(session, series),
        "Analysis": payloads.analysis(session, lift, None, ZONE, {}, {}),
        "Summary": payloads.summary(session, lift, None, ZONE, None),
    }


def decode(name: str, payload: dict) -> None:
    """As a strict client decodes: JSON text, the document's schema, no null in any list."""
    body = json.loads(json.dumps(payload, allow_nan=False))
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "allOf": [{"$ref": f"#/components/schemas/{name}"}],
    }
    jsonschema.Draft202012Validator(root).validate(body)

    def walk(value, path: str):
        if isinstance(value, list):
            assert all(v is not None for v in value), path
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")

    walk(body, name)


CASES = {"demo": (DEMO, True), "gappy": (gappy(), True), "stored_before": (gappy(), False)}


@pytest.mark.parametrize("case", CASES)
def test_every_payload_decodes_with_no_null_in_numeric_arrays(case):
    result, tidied = CASES[case]
    for name, payload in every_payload(*session_of(result, tidied)).items():
        decode(name, payload)


def test_the_schema_refuses_a_null_in_a_series():
    payload = every_payload(*session_of(DEMO))["Analysis"]
    payload["key_metrics"]["barbell_velocity"][3] = None
    with pytest.raises(jsonschema.ValidationError):
        decode("Analysis", payload)


def test_the_demo_leaves_out_the_hidden_arm_and_says_so():
    near = DEMO["quality"]["near_side"]
    far = "l" if near == "r" else "r"
    assert all(v is None for v in DEMO["angles"][f"{far}elb_angle"])  # the engine could not see it
    out = every_payload(*session_of(DEMO))
    assert f"{far}elb_angle" not in out["Export"]["angles"] and f"{far}elbx" not in out["Export"]["keypoints"]
    assert f"angles.{far}elb_angle" in out["Export"]["quality"]["unmeasured"]
    assert f"angles.{far}elb_angle" in out["SessionDetails"]["quality"]["unmeasured"]
    # The set-up's first frames, where the engine could only guess the hip, are cut, and said so.
    knee = DEMO["angles"][f"{near}kne_angle"]
    first = next(i for i, v in enumerate(knee) if v is not None)
    assert first == DEMO["quality"]["unmeasured_angles"][f"{near}kne_angle"][0]["end_frame"] + 1
    assert out["Export"]["angles"][f"{near}kne_angle"] == knee[first:]
    ms = [round(v * 1000) for v in DEMO["timestamps_s"]]
    assert out["Export"]["quality"]["cut"][f"angles.{near}kne_angle"] == [ms[first], ms[-1]]


@pytest.mark.parametrize("tidied", [True, False])
def test_short_gaps_are_filled_long_ones_cut_and_unmeasured_left_out(tidied):
    result = gappy()
    out = every_payload(*session_of(result, tidied))
    t = result["timestamps_s"]
    ms = [round(v * 1000) for v in t]
    analysis = out["Analysis"]
    n = len(analysis["timestamps_ms"])

    # 5 bar frames missing, 0.2 s between the measured ones: interpolated in time.
    speed = analysis["key_metrics"]["barbell_velocity"]
    assert len(speed) == n
    before, after = result["bar"]["speed_mps"][29], result["bar"]["speed_mps"][35]
    assert speed[32] == pytest.approx(before + (after - before) * (t[32] - t[29]) / (t[35] - t[29]), abs=1e-3)
    assert analysis["quality"]["gaps"]["key_metrics.barbell_velocity"] == [[ms[30], ms[34]]]
    assert out["Summary"]["quality"]["gaps"]["velocity.bar_velocity"] == [[ms[30], ms[34]]]
    assert out["SessionDetails"]["quality"]["gaps"]["report_metrics.barbell_velocity"] == [[ms[30], ms[34]]]

    # 20 hip-angle frames missing (0.7 s): the series keeps frames 0-59, the longer stretch.
    side = result["quality"]["near_side"]
    assert analysis["joint_angles"]["hip_angle"] == [round(v, 1) for v in result["angles"][f"{side}hip_angle"][:60]]
    # (the series read from the demo's guessed first frames are cut where they start)
    start = ms[result["quality"]["unmeasured_angles"][f"{side}kne_angle"][0]["end_frame"] + 1]
    cut = analysis["quality"]["cut"]
    assert cut.pop("joint_angles.hip_angle") == [ms[0], ms[59]]
    assert {span[0] for span in cut.values()} <= {start}
    cut = out["Export"]["quality"]["cut"]
    assert cut.pop(f"angles.{side}hip_angle") == [ms[0], ms[59]]
    assert {span[0] for span in cut.values()} <= {start}

    # The near knee angle, never measured: left out, named.
    assert "knee_angle" not in analysis["joint_angles"]
    assert "joint_angles.knee_angle" in analysis["quality"]["unmeasured"]
    assert f"{side}kne_angle" not in out["SessionDetails"]["angles"]


def test_an_unmeasured_required_series_is_an_empty_array_and_its_range_null():
    result = copy.deepcopy(DEMO)
    result["body"]["grf_N"] = [None] * len(result["timestamps_s"])
    out = every_payload(*session_of(result))
    assert out["Analysis"]["key_metrics"]["ground_reaction_force"] == []
    assert out["Summary"]["power"]["ground_reaction_force"] == {"min": None, "max": None, "values": []}
    assert "power.ground_reaction_force" in out["Summary"]["quality"]["unmeasured"]
    assert "ground_reaction_force" not in out["SessionDetails"]["report_metrics"]


def test_the_csv_has_numbers_or_empty_cells_outside_a_span_and_no_unmeasured_column():
    result = gappy()
    _, series = results.stored(result)
    rows = list(csv.reader(io.StringIO(payloads.export_csv(series))))
    header, data = rows[0], rows[1:]
    side = result["quality"]["near_side"]
    assert f"{side}kne_angle" not in header and len(data) == len(result["timestamps_s"])
    hip = [row[header.index(f"{side}hip_angle")] for row in data]
    assert all(hip[:60]) and not any(hip[60:])
    speed = [float(row[header.index("bar_speed_mps")]) for row in data]  # every cell a number
    assert len(speed) == len(data)
