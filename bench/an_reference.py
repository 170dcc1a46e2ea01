#!/usr/bin/python3
"""LA3D's Python AN step and la3d's, side by side on the same frame and masks (one core each).

Usage: bench/an_reference.py BUILD_DIR [--repeats N] [--rounds R] [--sizes 320x240,1280x720]
                             [--people 5]

The Python side is written here from the reference's published behaviour (an-methods.md and the
reference's composition): masks arrive as full-frame boolean arrays; the frame is deep-copied;
baseline methods process the whole frame and copy it in through the union of the masks (boolean
indexing over a 3-channel repeat); adaptive methods, per instance, deep-copy the frame, process
the crop of its box and copy it in through the instance's 3-channel mask. la3d's side is
build/an_step on the same files. The frame is vtest.avi's frame 100 resized; the people are
upright ellipses about a quarter of the frame high. Outputs are compared pixel by pixel.
Needs Debian's python3-opencv and python3-numpy (scripts/install-deps.sh installs them).
"""
import argparse
import copy
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
METHODS = ["mask", "edge", "blur", "pixelization", "adaptive_blur", "adaptive_full_blur",
           "adaptive_max_blur", "adaptive_pixelization", "adaptive_max_pixelization"]
K0, SIGMA0, BLOCK0, A_M, A_D = 13, 10, 4, 1.0, 0.5


def odd(k):
    return k - 1 if k % 2 == 0 else k


def whole_frame(x, method):
    if method == "mask":  # alpha 1, black; the reference's addWeighted gamma=1 adds 1
        return cv2.addWeighted(x, 0.0, np.zeros_like(x), 1.0, 1.0)
    if method == "edge":
        e = cv2.Canny(cv2.cvtColor(x, cv2.COLOR_BGR2GRAY), 100, 200)[:, :, np.newaxis]
        return np.concatenate([e] * 3, axis=2)
    if method == "blur":
        return cv2.GaussianBlur(x, (K0, K0), SIGMA0, SIGMA0)
    h, w = x.shape[:2]
    d = (BLOCK0 if w > BLOCK0 else w, BLOCK0 if h > BLOCK0 else h)
    small = cv2.resize(x, (w // d[0], h // d[1]), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def per_crop(x, method, percent):
    h, w = x.shape[:2]
    r = A_M * max(math.log(percent), 1)
    if method in ("adaptive_blur", "adaptive_full_blur"):
        k = [int(max(r * K0, A_M * K0))] * 2
        k = [odd(min(max(int(A_D * d), 1), kk)) for kk, d in zip(k, (w, h))]
        s = SIGMA0
        if method == "adaptive_full_blur":
            s = int(max(r * SIGMA0, A_M * SIGMA0))
        # sigmaY stays 0 (OpenCV then takes sigmaX), as in the reference.
        return cv2.GaussianBlur(x, tuple(k), min(s, k[0]))
    if method == "adaptive_max_blur":
        return cv2.GaussianBlur(x, (odd(w), odd(h)), 0, 0)
    if method == "adaptive_pixelization":
        t = int(max(r * BLOCK0, A_M * BLOCK0))
        b = [min(max(int(A_D * d), 1), t) for d in (w, h)]
        small = cv2.resize(x, (w // b[0], h // b[1]), interpolation=cv2.INTER_LINEAR)
    else:  # adaptive_max_pixelization
        small = cv2.resize(x, (1, 1), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def reference_an_step(frame, masks, method):
    out = copy.deepcopy(frame)
    if not method.startswith("adaptive"):
        processed = whole_frame(frame, method)
        union = np.repeat((masks.sum(axis=0) > 0)[..., np.newaxis], 3, axis=2)
        out[union] = processed[union]
        return out
    pixels = np.prod(masks[0].shape)
    for m in masks:
        ys, xs = np.where(m != 0)
        x1, y1, x2, y2 = xs.min(), ys.min(), xs.max(), ys.max()
        percent = max(int(100 * m.sum() / pixels), 1)
        m3 = np.repeat(m[:, :, np.newaxis], 3, axis=2)
        work = copy.deepcopy(frame)
        work[y1:y2 + 1, x1:x2 + 1, :] = per_crop(frame[y1:y2 + 1, x1:x2 + 1, :], method, percent)
        out[m3] = work[m3]
    return out


def people(size, n):
    w, h = size
    masks = []
    rng = np.random.default_rng(n)
    ph = h // 4
    pw = max(2, ph * 2 // 5)
    for i in range(n):
        m = np.zeros((h, w), np.uint8)
        cx = int((i + 0.5) * w / n)
        cy = int(rng.integers(ph // 2 + 1, h - ph // 2 - 1))
        cv2.ellipse(m, (cx, cy), (pw // 2, ph // 2), 0, 0, 360, 255, -1)
        masks.append(m)
    return masks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--sizes", default="320x240,1280x720")
    ap.add_argument("--people", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    cv2.setNumThreads(1)
    cap = cv2.VideoCapture(VTEST)
    cap.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, source = cap.read()
    if not ok:
        sys.exit("cannot read " + VTEST)
    print(f"{'method':<26} {'size':>9} {'LA3D Python ms':>15} {'la3d ms':>9} {'ratio':>7}  result")
    worst_ratio = math.inf
    with tempfile.TemporaryDirectory() as tmp:
        for size_text in a.sizes.split(","):
            size = tuple(int(v) for v in size_text.split("x"))
            frame = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
            masks = people(size, a.people)
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
            cv2.imwrite(os.path.join(tmp, "frame.png"), frame)
            for i, m in enumerate(masks):
                cv2.imwrite(os.path.join(tmp, f"mask_{i:02d}.png"), m)
            bool_masks = np.stack([m > 0 for m in masks])
            for method in METHODS:
                # Rounds alternate the two sides, so that a busy spell of the (shared) machine
                # falls on both; each side's figure is the median over its rounds' medians.
                py_rounds, cpp_rounds = [], []
                for _ in range(a.rounds):
                    times = []
                    for _ in range(a.repeats):
                        t0 = time.perf_counter()
                        py = reference_an_step(frame, bool_masks, method)
                        times.append((time.perf_counter() - t0) * 1000)
                    py_rounds.append(statistics.median(times))
                    run = subprocess.run([os.path.join(a.build, "an_step"), tmp, method, str(a.repeats)],
                                         capture_output=True, text=True, check=True)
                    cpp_rounds.append(float(run.stdout.strip()))
                py_ms, cpp_ms = statistics.median(py_rounds), statistics.median(cpp_rounds)
                cpp = cv2.imread(os.path.join(tmp, f"out_cpp_{method}.png"))
                diff = np.abs(cpp.astype(int) - py.astype(int))
                if method == "mask":  # the reference's +1 (an-methods.md): la3d writes 0
                    same = bool(np.all(py[diff > 0] == 1))
                    result = "same but the reference's +1" if same else f"DIFFERS (max {diff.max()})"
                else:
                    result = "identical" if diff.max() == 0 else f"DIFFERS (max {diff.max()}, {int((diff > 0).sum())} values)"
                ratio = py_ms / cpp_ms if cpp_ms > 0 else math.inf
                worst_ratio = min(worst_ratio, ratio)
                print(f"{method:<26} {size_text:>9} {py_ms:>15.3f} {cpp_ms:>9.3f} {ratio:>6.1f}x  {result}")
    print(f"smallest ratio: {worst_ratio:.1f}x")


if __name__ == "__main__":
    main()
