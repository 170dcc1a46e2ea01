"""The Python package against the CLI and the library's rules (pytest)."""
import json
import os
import subprocess

import numpy as np
import pytest

import la3d

CLI = os.environ.get("LA3D_BINARY", "la3d")


def textured(h=96, w=128, seed=1):
    """Noise over gradients, so that every method changes pixels (as the C++ tests' frame)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], axis=-1)
    return np.clip(base + rng.integers(-40, 40, size=(h, w, 3)), 0, 255).astype(np.uint8)


PEOPLE = [{"class": "person", "score": 0.9, "box": [10, 8, 49, 79]},
          {"class": "person", "score": 0.8, "box": [70, 20, 119, 93]}]


def write_png(path, frame):
    import cv2
    assert cv2.imwrite(str(path), frame)


def read_png(path):
    import cv2
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_methods_are_the_papers_ten():
    assert la3d.methods() == ["no-an", "mask", "edge", "blur", "pixelization", "adaptive_blur",
                              "adaptive_full_blur", "adaptive_max_blur", "adaptive_pixelization",
                              "adaptive_max_pixelization"]


@pytest.mark.parametrize("method", [m for m in la3d.methods() if m != "no-an"])
def test_every_method_equals_the_cli_pixel_for_pixel(tmp_path, method):
    frame = textured()
    write_png(tmp_path / "in.png", frame)
    with open(tmp_path / "det.jsonl", "w") as f:
        f.write(json.dumps({"frame": 0, "width": 128, "height": 96, "objects": PEOPLE}) + "\n")
    subprocess.run([CLI, "anonymize", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                    "--method", method, "--detections", str(tmp_path / "det.jsonl"), "-q"],
                   check=True, capture_output=True)
    ours = la3d.Anonymizer(method)(frame, PEOPLE)
    cli = read_png(tmp_path / "out.png")
    assert ours.shape == frame.shape and ours.dtype == np.uint8
    assert np.array_equal(ours, cli)
    assert not np.array_equal(ours[8:80, 10:50], frame[8:80, 10:50])  # the person changed
    assert np.array_equal(ours[0:8, :], frame[0:8, :])                 # above everyone, untouched


def test_the_input_frame_is_not_changed_and_masks_are_honoured():
    frame = textured()
    before = frame.copy()
    mask = np.zeros(frame.shape[:2], bool)
    mask[30:40, 60:70] = True
    out = la3d.Anonymizer("mask")(frame, [la3d.Detection("person", 1.0, (0, 0, 127, 95), mask)])
    assert np.array_equal(frame, before)
    assert (out[30:40, 60:70] == 0).all()          # the mask's pixels are covered (black)
    assert np.array_equal(out[0:30], frame[0:30])  # the rest of the box is not: the mask rules


def test_detections_round_trip():
    d = la3d.Detection("person", 0.5, (1, 2, 3, 4))
    assert la3d.Detection.from_dict(d.to_dict()) == d
    assert "person" in repr(d)


@pytest.mark.parametrize("kwargs, error", [
    ({"method": "blurry"}, ValueError),
    ({"method": "blur", "blur_kernel": 4}, ValueError),
    ({"method": "blur", "no_such_option": 1}, ValueError),
    ({"method": "blur", "blur_kernel": 3, "blur_sigma": 0.5}, ValueError),  # below the floor
], ids=["unknown-method", "even-kernel", "unknown-option", "below-the-floor"])
def test_bad_settings_raise_value_error(kwargs, error):
    with pytest.raises(error):
        la3d.Anonymizer(**kwargs)


def test_weak_settings_run_when_allowed_and_are_reported():
    a = la3d.Anonymizer("blur", blur_kernel=3, blur_sigma=0.5, allow_weak=True)
    assert a.weak_settings


def test_bad_frames_and_detections_raise():
    a = la3d.Anonymizer("mask")
    with pytest.raises(ValueError):
        a(np.zeros((10, 10), np.uint8), [])
    with pytest.raises(ValueError):
        a(textured(), [{"class": "dragon", "box": [0, 0, 5, 5]}])
    with pytest.raises(ValueError):
        a(textured(), [{"class": "person", "box": [5, 5, 1, 1]}])
    with pytest.raises(TypeError):
        a(textured(), ["person"])


def test_a_missing_model_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        la3d.Engine(model_dir=str(tmp_path))


def test_engine_with_a_detections_file_processes_frames(tmp_path):
    with open(tmp_path / "det.jsonl", "w") as f:
        for i in range(3):
            f.write(json.dumps({"frame": i, "width": 128, "height": 96, "objects": PEOPLE}) + "\n")
    e = la3d.Engine(method="mask", detections=str(tmp_path / "det.jsonl"))
    for i in range(3):
        out, dets = e.process(textured(seed=i))
        assert [d.class_name for d in dets] == ["person", "person"]
        assert (out[8:80, 10:50] == 0).all()


def test_a_thousand_frames_do_not_grow_memory():
    a = la3d.Anonymizer("pixelization")
    frame = textured()
    for _ in range(100):
        a(frame, PEOPLE)  # warm up allocators
    rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    before = rss()
    for _ in range(1000):
        a(frame, PEOPLE)
    # 1000 frames of 36 KiB each would be 36 MiB if any were kept.
    assert rss() - before < 8 * 1024 * 1024


def test_detector_alone_finds_what_the_file_says(tmp_path):
    with open(tmp_path / "det.jsonl", "w") as f:
        f.write(json.dumps({"frame": 0, "width": 128, "height": 96, "objects": PEOPLE}) + "\n")
    d = la3d.Detector(detections=str(tmp_path / "det.jsonl"), threshold=0.85)
    found = d.detect(textured())
    assert [x.box for x in found] == [(10, 8, 49, 79)]  # the 0.8 one is below the threshold


def test_detector_threshold_is_checked():
    with pytest.raises(ValueError):
        la3d.Detector("hog", threshold=2.0)


def test_nanodet_finds_the_player_on_debians_photo():
    import cv2
    photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"
    frame = cv2.imread(photo)
    if frame is None:
        pytest.skip("opencv-doc's messi5.jpg is not installed")
    try:
        d = la3d.Detector("nanodet", classes=["person"])
    except FileNotFoundError as e:
        pytest.skip(f"models not installed: {e}")
    people = d.detect(frame)
    # The player spans most of the photo: one box covers its centre.
    assert any(p.box[0] < 274 < p.box[2] and p.box[1] < 171 < p.box[3] and p.score > 0.5
               for p in people), people


def test_pip_installs_a_self_contained_package(tmp_path):
    """`pip install . --no-build-isolation` into a venv, offline; the package carries the la3d
    libraries: every one the process maps comes from the venv, none from the build folder."""
    build = os.environ.get("LA3D_BUILD_DIR")
    if not build:
        pytest.skip("LA3D_BUILD_DIR not set (ctest sets it: reusing the build keeps this fast)")
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-build-isolation", "--no-index",
                    root], check=True, env=env, capture_output=True)
    probe = ("import la3d, numpy as np\n"
             "out = la3d.Anonymizer('mask')(np.full((20, 20, 3), 200, np.uint8), [{'box': [2, 2, 9, 9]}])\n"
             "maps = open('/proc/self/maps').read()\n"
             "libs = sorted({l.split()[-1] for l in maps.splitlines() if '/libla3d_' in l})\n"
             "print(la3d.__file__, ','.join(libs), int(out[5, 5].sum()), int(out[15, 15].sum()))\n")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", probe], check=True, env=env,
                       capture_output=True, text=True, cwd=tmp_path)
    module, libs, hidden, kept = r.stdout.split()
    libs = libs.split(",")
    assert module.startswith(str(venv))
    assert any("libla3d_anonymize" in lib for lib in libs), libs
    assert all(lib.startswith(str(venv)) for lib in libs), libs
    assert (int(hidden), int(kept)) == (0, 600)


def test_no_an_warns_that_nobody_is_hidden():
    with pytest.warns(UserWarning, match="hides nobody"):
        a = la3d.Anonymizer("no-an")
    frame = textured()
    assert np.array_equal(a(frame, PEOPLE), frame)
