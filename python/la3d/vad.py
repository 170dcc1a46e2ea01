"""Video anomaly detection from Python: streaming scores over frames, or a whole `la3d vad` run.

`VadScorer` takes anonymized frames (from `la3d.Engine`) and returns a score each time a 16-frame
snippet completes. `score(video, ...)` is `la3d vad VIDEO`: the engine anonymizes, the head scores,
and the CSV, JSON, plot and annotated video are written to `out_dir`; it returns the JSON's content.
The heads: "motion" (training-free, always available), "pel" (PEL4VAD) and "mgfn", which need
their checkpoints (`weights=`, or the official file names in MODEL_DIR/vad/) and libtorch.
"""
from __future__ import annotations

import json
import os
from typing import Optional

import numpy as np

from . import _la3d

__all__ = ["VadScorer", "score"]


def _scorer_options(head, dataset, encoder, weights, encoder_weights, alert_threshold, threads,
                    model_dir, formula_weights) -> dict:
    o = {"head": head, "dataset": dataset, "encoder": encoder, "alert_threshold": alert_threshold,
         "threads": threads, "formula_weights": formula_weights}
    if weights is not None:
        o["weights"] = os.fspath(weights)
    if encoder_weights is not None:
        o["encoder_weights"] = os.fspath(encoder_weights)
    if model_dir is not None:
        o["model_dir"] = os.fspath(model_dir)
    return o


class VadScorer:
    """Streaming VAD: `add(frame)` returns None, or a dict {snippet, first_frame, last_frame, score,
    alert} when the frame completes a 16-frame snippet (scored over the last `window` snippets)."""

    def __init__(self, head: str = "motion", dataset: str = "xd", encoder: str = "auto",
                 weights=None, encoder_weights=None, alert_threshold: float = 0.5,
                 window: int = 8, threads: int = 0, model_dir=None,
                 formula_weights: bool = False):
        o = _scorer_options(head, dataset, encoder, weights, encoder_weights, alert_threshold,
                            threads, model_dir, formula_weights)
        self._impl = _la3d.VadScorer({**o, "window": window})

    @property
    def name(self) -> str:
        """The head (and encoder) in use, e.g. "motion"."""
        return self._impl.name

    @property
    def scores(self) -> list[float]:
        """Every snippet score so far, in order."""
        return list(self._impl.scores)

    def add(self, frame: np.ndarray) -> Optional[dict]:
        return self._impl.add(frame)

    def __repr__(self) -> str:
        return f"la3d.vad.VadScorer({self.name!r}, snippets={len(self.scores)})"


def score(video, out_dir="results", head: str = "motion", method: str = "adaptive_blur",
          stream: bool = False, window: int = 8, smooth: str = "none", write_video: bool = True,
          fps: float = 0.0, dataset: str = "xd", encoder: str = "auto", weights=None,
          encoder_weights=None, alert_threshold: float = 0.5, threads: int = 0, model_dir=None,
          formula_weights: bool = False, **engine_options) -> dict:
    """`la3d vad VIDEO --out-dir OUT_DIR`: returns the scores JSON (snippet_scores, frame_scores,
    segments, timing, ...) with the files written under "written". `engine_options` are
    `la3d.Engine`'s (detector, threshold, detections, ...); no-an scores raw frames."""
    o = _scorer_options(head, dataset, encoder, weights, encoder_weights, alert_threshold, threads,
                        model_dir, formula_weights)
    run = {"out_dir": os.fspath(out_dir), "stream": stream, "window": window, "smooth": smooth,
           "write_video": write_video, "fps": fps}
    summary = _la3d.run_vad(os.fspath(video), run, {"method": method, **engine_options}, o)
    result = {}
    for path in summary["written"]:
        if path.endswith(".json"):
            with open(path) as f:
                result = json.load(f)
    result["written"] = summary["written"]
    result["wall_s"] = summary["wall_s"]
    result["real_time_factor"] = summary["real_time_factor"]
    return result
