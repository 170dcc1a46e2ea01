"""How much identity survives anonymization, from Python: `la3d privacy` as one call.

`evaluate(inputs, methods=[...])` anonymizes each input with each method (or attacks outputs made
elsewhere, `anonymized=`), runs the attackers (face re-detection and identity, person
re-detection, attributes, body re-identification) and returns the report as a dict:
{"inputs", "faces", "persons", "chance", "methods": {method: {metric: value or None}}, "notes"}.
The attackers' models come from `la3d.models.install()`.
"""
from __future__ import annotations

import json
import os
from typing import Iterable, Optional, Union

from . import _la3d

__all__ = ["evaluate"]

PathLike = Union[str, os.PathLike]


def evaluate(inputs: Union[PathLike, Iterable[PathLike]], methods: Optional[Iterable[str]] = None,
             every: int = 25, anonymized: Optional[PathLike] = None,
             ground_truth: Optional[PathLike] = None, json_path: Optional[PathLike] = None,
             report: Optional[PathLike] = None, model_dir: Optional[PathLike] = None,
             face_threshold: float = 0.5, person_threshold: float = 0.4,
             reid_model: Optional[PathLike] = None, **engine_options) -> dict:
    """Images, folders or videos (every `every`-th frame); `methods` default to all ten (no-an is
    the baseline row: what an attacker gets from the raw pictures). `json_path`/`report` also write
    the JSON and the HTML report. `engine_options` are `la3d.Engine`'s (detector, threshold, ...);
    `method="no-an"` there is refused with ValueError, as the CLI refuses it."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    o = {"every": every, "face_threshold": face_threshold, "person_threshold": person_threshold}
    if methods is not None:
        o["methods"] = list(methods)
    for key, value in (("anonymized", anonymized), ("ground_truth", ground_truth),
                       ("json", json_path), ("report", report), ("model_dir", model_dir),
                       ("reid_model", reid_model)):
        if value is not None:
            o[key] = os.fspath(value)
    text = _la3d.measure_privacy([os.fspath(i) for i in inputs], o, dict(engine_options))
    return json.loads(text)
