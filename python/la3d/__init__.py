"""la3d from Python: LA3D's anonymization over numpy frames.

Frames are HxWx3 uint8 BGR arrays, as cv2 reads them. Detections are `Detection`s or plain dicts in
the detections-file form: {"class": "person", "score": 0.9, "box": [x1, y1, x2, y2], "mask": HxW
bool array or None}, with inclusive pixel corners.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

import numpy as np

from . import _la3d

__version__: str = _la3d.__version__
__all__ = ["Detection", "Detector", "Anonymizer", "Engine", "methods", "read_video", "vad",
           "privacy", "models", "__version__"]


@dataclass
class Detection:
    """One detected object: COCO class name, score, inclusive box (x1, y1, x2, y2), optional mask."""

    class_name: str
    score: float
    box: tuple[int, int, int, int]
    mask: Optional[np.ndarray] = None  # HxW bool over the whole frame

    def to_dict(self) -> dict:
        return {"class": self.class_name, "score": float(self.score), "box": list(self.box),
                "mask": self.mask}

    @classmethod
    def from_dict(cls, d: dict) -> "Detection":
        return cls(d.get("class", "person"), float(d.get("score", 1.0)),
                   tuple(int(v) for v in d["box"]), d.get("mask"))

    def __repr__(self) -> str:
        mask = "" if self.mask is None else f", mask={int(self.mask.sum())} px"
        return f"Detection({self.class_name!r}, score={self.score:.2f}, box={self.box}{mask})"


DetectionLike = Union[Detection, dict]


def _as_dicts(detections: Iterable[DetectionLike]) -> list[dict]:
    out = []
    for d in detections:
        if isinstance(d, Detection):
            out.append(d.to_dict())
        elif isinstance(d, dict):
            out.append(d)
        else:
            raise TypeError(f"a detection must be a la3d.Detection or a dict, not {type(d).__name__}")
    return out


def _warn_if_no_an(method: str) -> None:
    # As the CLI says on every such run: the output shows every person.
    if method == "no-an":
        warnings.warn("method no-an hides nobody: the output shows every person", UserWarning,
                      stacklevel=3)


def methods() -> list[str]:
    """The ten AN methods' names, in the paper's order."""
    return [name for name, _, _ in _la3d.methods()]


def read_video(path) -> Iterator[np.ndarray]:
    """Every frame of a video file or URL, HxWx3 uint8 BGR, decoded by la3d's reader."""
    reader = _la3d.VideoReader(os.fspath(path))
    while (frame := reader.read()) is not None:
        yield frame


class Detector:
    """A detector alone: nanodet (default), centernet, hog or yolo:PATH.onnx, BlazeFace for "face".

    `Detector("nanodet", threshold=0.25, classes=["person"]).detect(frame) -> list[Detection]`;
    each call is its own picture (no tracking).
    """

    def __init__(self, name: str = "nanodet", threshold: float = 0.25,
                 classes: Iterable[str] = ("person",), **options):
        self._impl = _la3d.Detector({"detector": name, "threshold": threshold,
                                     "classes": list(classes), **options})

    @property
    def name(self) -> str:
        return self._impl.name

    def detect(self, frame: np.ndarray) -> list[Detection]:
        return [Detection.from_dict(d) for d in self._impl.detect(frame)]

    def __repr__(self) -> str:
        return f"la3d.Detector({self.name!r})"


class Anonymizer:
    """Anonymizes frames with the detections you give, as `la3d anonymize --detections` does.

    Keyword arguments are the CLI's engine options with the same defaults (blur_kernel, blur_sigma,
    block, an_scale, an_bound, scaler, strength_reference, colour, alpha, mask, mask_scale, ...).
    Settings below the privacy floor raise ValueError unless allow_weak=True.
    """

    def __init__(self, method: str = "adaptive_blur", **params):
        self._impl = _la3d.Anonymizer({"method": method, **params})
        _warn_if_no_an(self._impl.method)

    @property
    def method(self) -> str:
        return self._impl.method

    @property
    def weak_settings(self) -> list[str]:
        return list(self._impl.weak_settings)

    def __call__(self, frame: np.ndarray, detections: Iterable[DetectionLike]) -> np.ndarray:
        """A new array: `frame` with every detection hidden. `frame` itself is not changed."""
        return self._impl(frame, _as_dicts(detections))

    def __repr__(self) -> str:
        return f"la3d.Anonymizer(method={self.method!r})"


class Engine:
    """The whole engine as the CLI builds it: detector (nanodet by default), tracking, motion guard
    and the AN method. Keyword arguments are the CLI's engine options, with its defaults."""

    def __init__(self, **options):
        self._impl = _la3d.Engine(dict(options))
        _warn_if_no_an(self._impl.method)

    @property
    def method(self) -> str:
        return self._impl.method

    def process(self, frame: np.ndarray) -> tuple[np.ndarray, list[Detection]]:
        """The next frame of the current sequence: (anonymized copy, detections used)."""
        out, dets = self._impl.process(frame)
        return out, [Detection.from_dict(d) for d in dets]

    def start_sequence(self, fps: float = 0.0) -> None:
        """A new, unrelated sequence starts (next video or image): tracks are forgotten."""
        self._impl.start_sequence(fps)

    def stream(self, path) -> Iterator[tuple[np.ndarray, list[Detection]]]:
        """Every frame of a video (or URL), anonymized, with its detections; decoded by la3d's own
        reader, as `la3d anonymize` reads it. A new sequence starts (tracks are forgotten)."""
        reader = _la3d.VideoReader(os.fspath(path))
        self.start_sequence(reader.fps)
        while (frame := reader.read()) is not None:
            yield self.process(frame)

    def anonymize_file(self, src: str, dst: str, overwrite: bool = False) -> dict:
        """`la3d anonymize SRC -o DST` with this engine's options; returns the run's summary."""
        return self._impl.anonymize_file(str(src), str(dst), overwrite)

    def __repr__(self) -> str:
        return f"la3d.Engine(method={self.method!r})"


from . import models, privacy, vad  # noqa: E402 (they use _la3d, imported above)
