"""la3d.cluster on a real Dask LocalCluster (2 worker processes, loopback TCP)."""
import json
import os
import subprocess
import sys

import pytest

from conftest import make_video, write_detections

distributed = pytest.importorskip("distributed", reason="Debian's python3-distributed is needed")

import la3d.cluster  # noqa: E402

CLI = os.environ.get("LA3D_BINARY", "la3d")
GOOD = [f"clip{i}.avi" for i in range(5)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Six short videos, one of them corrupt, and a detections file for their person."""
    d = tmp_path_factory.mktemp("archive")
    videos = d / "videos"
    videos.mkdir()
    for i, name in enumerate(GOOD):
        make_video(videos / name, frames=20, seed=i)
    (videos / "broken.avi").write_bytes(b"RIFF\x00\x10\x00\x00AVI LIST" + os.urandom(4000))
    write_detections(d / "det.jsonl", frames=20)
    return d


def snapshot(folder):
    return {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in sorted(os.listdir(folder))}


def test_an_archive_on_two_workers_equals_the_cli_and_reruns_do_nothing(archive, tmp_path):
    out = tmp_path / "out"
    options = {"method": "pixelization", "detections": str(archive / "det.jsonl")}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = la3d.cluster.anonymize(client, [archive / "videos"], out, retries=1, **options)
        assert sorted(os.path.basename(v) for v in result.done) == GOOD
        assert result.skipped == []
        assert list(result.failed) == [str(archive / "videos" / "broken.avi")]
        assert result.failed[str(archive / "videos" / "broken.avi")]  # says why
        assert not result.ok
        first = snapshot(out)
        assert list(first) == GOOD  # nothing half-written, nothing for the broken one

        # The single-machine CLI on the same files: the same bytes.
        # The single-machine CLI on the same files (one run each: a detections file is for
        # one video): the same bytes.
        for name in GOOD:
            subprocess.run([CLI, "anonymize", str(archive / "videos" / name), "-o",
                            str(tmp_path / f"cli_{name}"), "--method", "pixelization",
                            "--detections", str(archive / "det.jsonl"), "-q"],
                           check=True, capture_output=True)
            assert (out / name).read_bytes() == (tmp_path / f"cli_{name}").read_bytes(), name

        # A second run: every complete output is skipped, untouched; the broken one fails again.
        again = la3d.cluster.anonymize(client, [archive / "videos"], out, retries=0, **options)
        assert again.done == [] and len(again.skipped) == 5 and len(again.failed) == 1
        assert snapshot(out) == first


def test_bad_options_and_inputs_fail_before_any_work(archive, tmp_path):
    with pytest.raises(ValueError):
        la3d.cluster.anonymize(None, [archive / "videos"], tmp_path / "o", method="nope")
    with pytest.raises(FileNotFoundError):
        la3d.cluster.anonymize(None, [tmp_path / "missing"], tmp_path / "o")
    assert not (tmp_path / "o").exists()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.avi").write_bytes(b"1")
    (tmp_path / "b" / "x.avi").write_bytes(b"1")
    with pytest.raises(ValueError, match="both write"):
        la3d.cluster.anonymize(None, [tmp_path / "a", tmp_path / "b"], tmp_path / "o")


def test_the_command_line_form_with_a_local_cluster(archive, tmp_path):
    r = subprocess.run([sys.executable, "-m", "la3d.cluster", "anonymize", "--local", "2",
                        "--out-dir", str(tmp_path / "out"), "--method", "mask", "--set",
                        f"detections={archive / 'det.jsonl'}", "--retries", "0", "--json",
                        str(archive / "videos")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr  # one video failed
    result = json.loads(r.stdout)
    assert len(result["done"]) == 5 and list(result["failed"]) == [
        str(archive / "videos" / "broken.avi")]
    assert sorted(os.listdir(tmp_path / "out")) == GOOD
    r = subprocess.run([sys.executable, "-m", "la3d.cluster", "anonymize", "--local", "1",
                        "--out-dir", str(tmp_path / "out"), str(tmp_path / "nothing-here")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "input not found" in r.stderr


def test_vad_over_an_archive_equals_la3d_vad(archive, tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        videos = [archive / "videos" / n for n in GOOD[:2]]
        result = la3d.cluster.vad(client, videos, tmp_path / "scores", retries=0, head="motion",
                                  method="blur", detections=str(archive / "det.jsonl"),
                                  write_video=False)
        assert sorted(result.done) == sorted(map(str, videos)) and result.ok
        again = la3d.cluster.vad(client, videos, tmp_path / "scores", head="motion")
        assert again.done == [] and len(again.skipped) == 2
    for v in videos:
        folder = tmp_path / "scores" / (v.name + ".vad")
        summary = json.load(open(folder / "summary.json"))
        ours = json.load(open(next(p for p in summary["written"] if p.endswith(".json"))))
        subprocess.run([CLI, "vad", str(v), "--head", "motion", "--method", "blur",
                        "--detections", str(archive / "det.jsonl"), "--no-video", "--out-dir",
                        str(tmp_path / "cli" / v.name), "-q"], check=True, capture_output=True)
        cli = json.load(open(next((tmp_path / "cli" / v.name).glob("*.json"))))
        assert ours["snippet_scores"] == cli["snippet_scores"] and ours["frames"] == 20
