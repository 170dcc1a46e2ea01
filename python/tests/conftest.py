"""Helpers the Python tests share: generated frames and lossless videos, detections files."""
import json

import numpy as np


def make_video(path, frames=40, size=(160, 120), seed=0, fps=25):
    """A lossless (FFV1) video of textured frames with a bright square moving right; returns the
    frames written, so a test knows every pixel the video holds."""
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], axis=-1)
    out = []
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (w, h))
    assert writer.isOpened()
    for i in range(frames):
        f = np.clip(base + rng.integers(-30, 30, size=(h, w, 3)), 0, 255).astype(np.uint8)
        x0 = (5 + 3 * i) % (w - 30)
        f[40:70, x0:x0 + 20] = 240
        writer.write(f)
        out.append(f)
    writer.release()
    return out


def write_detections(path, frames=40, size=(160, 120), box=(20, 10, 69, 99)):
    """The same person box on every frame, as a detections file."""
    with open(path, "w") as f:
        for i in range(frames):
            f.write(json.dumps({"frame": i, "width": size[0], "height": size[1], "objects": [
                {"class": "person", "score": 0.9, "box": list(box)}]}) + "\n")
