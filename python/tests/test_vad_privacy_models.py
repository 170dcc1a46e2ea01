"""la3d.read_video / Engine.stream, la3d.vad, la3d.privacy and la3d.models against the CLI."""
import json
import os
import subprocess

import numpy as np
import pytest

import la3d
from conftest import make_video, write_detections

CLI = os.environ.get("LA3D_BINARY", "la3d")


def test_read_video_gives_every_frame_exactly(tmp_path):
    frames = make_video(tmp_path / "v.avi", frames=33)
    got = list(la3d.read_video(tmp_path / "v.avi"))
    assert len(got) == 33
    assert all(np.array_equal(a, b) for a, b in zip(got, frames))


def test_read_video_refuses_what_is_not_a_video(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(la3d.read_video(tmp_path / "missing.mp4"))
    (tmp_path / "junk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    with pytest.raises((ValueError, RuntimeError)):
        list(la3d.read_video(tmp_path / "junk.mp4"))


def test_engine_stream_hides_the_person_on_every_frame(tmp_path):
    frames = make_video(tmp_path / "v.avi", frames=24)
    write_detections(tmp_path / "det.jsonl", frames=24)
    engine = la3d.Engine(method="pixelization", detections=str(tmp_path / "det.jsonl"))
    one = la3d.Anonymizer("pixelization")
    n = 0
    for i, (out, dets) in enumerate(engine.stream(tmp_path / "v.avi")):
        assert [d.box for d in dets] == [(20, 10, 69, 99)]
        # The same frame and box through the Anonymizer: the engine adds nothing else here.
        assert np.array_equal(out, one(frames[i], [{"box": [20, 10, 69, 99]}]))
        assert not np.array_equal(out[10:100, 20:70], frames[i][10:100, 20:70])
        n += 1
    assert n == 24


def test_vad_scorer_streams_what_la3d_vad_stream_writes(tmp_path):
    make_video(tmp_path / "v.avi", frames=80)
    write_detections(tmp_path / "det.jsonl", frames=80)
    subprocess.run([CLI, "vad", str(tmp_path / "v.avi"), "--head", "motion", "--stream",
                    "--method", "blur", "--detections", str(tmp_path / "det.jsonl"),
                    "--out-dir", str(tmp_path / "cli"), "--no-video", "-q"],
                   check=True, capture_output=True)
    cli = json.load(open(next((tmp_path / "cli").glob("*.json"))))

    engine = la3d.Engine(method="blur", detections=str(tmp_path / "det.jsonl"))
    scorer = la3d.vad.VadScorer(head="motion")
    done = [s for out, _ in engine.stream(tmp_path / "v.avi") if (s := scorer.add(out))]
    assert [s["snippet"] for s in done] == [0, 1, 2, 3, 4]            # 80 frames: 5 snippets
    assert [(s["first_frame"], s["last_frame"]) for s in done] == [(16 * k, 16 * k + 15)
                                                                   for k in range(5)]
    assert scorer.scores == pytest.approx(cli["snippet_scores"], abs=1e-6)

    ours = la3d.vad.score(tmp_path / "v.avi", out_dir=tmp_path / "py", head="motion",
                          stream=True, method="blur", detections=str(tmp_path / "det.jsonl"),
                          write_video=False)
    assert ours["snippet_scores"] == pytest.approx(cli["snippet_scores"], abs=1e-6)
    assert ours["frames"] == 80 and all(os.path.exists(p) for p in ours["written"])


def test_vad_errors_are_python_exceptions(tmp_path):
    with pytest.raises(ValueError, match="unknown head"):
        la3d.vad.VadScorer(head="nope")
    with pytest.raises(FileNotFoundError, match="not found"):
        la3d.vad.VadScorer(head="pel", weights=tmp_path / "none.pth")
    with pytest.raises(ValueError, match="window"):
        la3d.vad.VadScorer(window=0)
    with pytest.raises(ValueError, match="HxWx3"):
        la3d.vad.VadScorer().add(np.zeros((10, 10), np.uint8))


def models_or_skip():
    try:
        return la3d.models.list()
    except FileNotFoundError as e:
        pytest.skip(f"models not installed: {e}")


def test_models_list_matches_the_manifest():
    models = models_or_skip()
    manifest = json.load(open(os.path.join(la3d.models.default_dir(), "models", "manifest.json")))
    text = json.dumps(manifest)
    names = [m["name"] for m in models]
    assert "nanodet" in names and "blazeface-back" in names
    for m in models:
        assert os.path.exists(m["onnx"]) and m["sha256"] in text


def test_models_list_of_an_empty_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="la3d models install"):
        la3d.models.list(tmp_path)


def test_privacy_evaluate_equals_la3d_privacy(tmp_path):
    models_or_skip()
    photo = os.path.join(la3d.models.default_dir(), "data", "face-api", "sample1.jpg")
    if not os.path.exists(photo):
        pytest.skip("face-api sample photos not installed (la3d models install --samples)")
    subprocess.run([CLI, "privacy", photo, "--methods", "blur,mask", "--json",
                    str(tmp_path / "cli.json"), "-q"], check=True, capture_output=True)
    cli = json.load(open(tmp_path / "cli.json"))
    ours = la3d.privacy.evaluate(photo, methods=["blur", "mask"])
    assert ours["methods"] == cli["methods"] and ours["faces"] == cli["faces"] > 0
    # no-an is the baseline row of the table, but not an engine that anonymizes what it reads.
    assert ours["methods"]["blur"]["face_redetection"] < 1.0
    with pytest.raises(ValueError, match="no-an"):
        la3d.privacy.evaluate(photo, methods=["blur"], method="no-an")
