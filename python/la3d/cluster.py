"""Whole archives across machines on Dask distributed: one task per video, on the cluster's workers.

    from distributed import Client
    import la3d.cluster
    result = la3d.cluster.anonymize(Client("tcp://HOST:8786"), ["videos/"], "/shared/out")

or, from a shell, `python3 -m la3d.cluster anonymize --scheduler tcp://HOST:8786 --out-dir OUT
VIDEOS...` (`--local N` starts a LocalCluster of N worker processes on this machine instead).

Each worker writes OUT/<video's file name> itself (OUT must be a path every worker sees: a shared
file system), through la3d's engine, which writes a temporary file and renames it into place when
the video is complete: an output that exists is whole. A task that fails is retried (Dask's
`retries`); one that fails for good is reported by name and the others go on. A re-run skips the
videos whose output exists, so it can be repeated after a failure until everything is done.
`vad(...)` does the same for `la3d vad` (scores, plot and annotated video per video).
Why Dask: it is what researchers already run on their clusters (Debian's python3-distributed;
dask-jobqueue for Slurm); la3d adds only the per-video task.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from typing import Iterable, Optional

__all__ = ["ArchiveResult", "anonymize", "vad", "list_videos", "main"]

_VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".wmv",
                     ".flv"}


@dataclass
class ArchiveResult:
    """What a run did, by input path: done (written now), skipped (complete before), failed
    (path -> the error's last line, after every retry)."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {"done": self.done, "skipped": self.skipped, "failed": self.failed}


def list_videos(inputs: Iterable[os.PathLike]) -> list[str]:
    """The videos named: files as given, folders' video files (by extension, sorted, not
    recursive). A name that does not exist raises FileNotFoundError before any work is sent."""
    out = []
    for item in inputs:
        path = os.fspath(item)
        if os.path.isdir(path):
            out += sorted(os.path.join(path, n) for n in os.listdir(path)
                          if os.path.splitext(n)[1].lower() in _VIDEO_EXTENSIONS)
        elif os.path.exists(path):
            out.append(path)
        else:
            raise FileNotFoundError(f"input not found: {path}")
    return out


def _outputs(videos: list[str], out_dir: str, suffix: str = "") -> list[str]:
    names = {}
    for v in videos:
        name = os.path.basename(v) + suffix
        if name in names:
            raise ValueError(f"{names[name]} and {v} would both write {name} in {out_dir}")
        names[name] = v
    return [os.path.join(out_dir, os.path.basename(v) + suffix) for v in videos]


# The tasks run on the workers: they import la3d there (each worker process needs the package).
def _anonymize_task(src: str, dst: str, options: dict) -> str:
    if os.path.exists(dst):
        return "skipped"
    import la3d

    la3d.Engine(**options).anonymize_file(src, dst)
    return "done"


def _vad_task(src: str, dst_dir: str, options: dict) -> str:
    marker = os.path.join(dst_dir, "summary.json")
    if os.path.exists(marker):
        return "skipped"
    import la3d.vad

    os.makedirs(dst_dir, exist_ok=True)
    result = la3d.vad.score(src, out_dir=dst_dir, **options)
    # The summary is written last, by rename: its presence says every file before it is whole.
    tmp = marker + ".partial"
    with open(tmp, "w") as f:
        json.dump({k: result[k] for k in ("input", "scorer", "method", "frames", "snippets",
                                           "segments", "written") if k in result}, f)
    os.replace(tmp, marker)
    return "done"


def _run(client, task, videos: list[str], outputs: list[str], options: dict, retries: int,
         progress: bool) -> ArchiveResult:
    from distributed import as_completed, progress as show_progress

    # Keys name the video (Dask's dashboard shows them) and this run: a key of an earlier run
    # would give back that run's result instead of running the task.
    run = uuid.uuid4().hex[:8]
    futures = client.map(task, videos, outputs, options=options, retries=retries, pure=False,
                         key=[f"la3d-{os.path.basename(v)}-{run}-{i}" for i, v in enumerate(videos)])
    by_key = {f.key: v for f, v in zip(futures, videos)}
    if progress:
        show_progress(futures)
    result = ArchiveResult()
    for future in as_completed(futures):
        video = by_key[future.key]
        try:
            outcome = future.result()
        except Exception as e:  # the task's own error, after Dask's retries
            lines = str(e).strip().splitlines() or [type(e).__name__]
            result.failed[video] = lines[-1]
            continue
        (result.done if outcome == "done" else result.skipped).append(video)
    result.done.sort()
    result.skipped.sort()
    return result


def anonymize(client, inputs: Iterable[os.PathLike], out_dir: os.PathLike, retries: int = 2,
              progress: bool = False, **engine_options) -> ArchiveResult:
    """Anonymizes every video of `inputs` (files and folders) into OUT_DIR/<file name>, one Dask
    task per video. `engine_options` are `la3d.Engine`'s (method, detector, threshold, ...)."""
    import la3d

    out_dir = os.fspath(out_dir)
    videos = list_videos(inputs)
    la3d.Engine(**engine_options)  # a bad option fails here, once, not on every worker
    os.makedirs(out_dir, exist_ok=True)
    return _run(client, _anonymize_task, videos, _outputs(videos, out_dir), dict(engine_options),
                retries, progress)


def vad(client, inputs: Iterable[os.PathLike], out_dir: os.PathLike, retries: int = 2,
        progress: bool = False, **vad_options) -> ArchiveResult:
    """`la3d vad` on every video into OUT_DIR/<file name>.vad/; `vad_options` are
    `la3d.vad.score`'s (head, method, weights, ...)."""
    out_dir = os.fspath(out_dir)
    videos = list_videos(inputs)
    os.makedirs(out_dir, exist_ok=True)
    return _run(client, _vad_task, videos, _outputs(videos, out_dir, ".vad"), dict(vad_options),
                retries, progress)


def _option_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m la3d.cluster",
                                description="la3d over a Dask cluster: one task per video.")
    p.add_argument("command", choices=["anonymize", "vad"])
    p.add_argument("inputs", nargs="+", help="videos and folders of videos")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="the Dask scheduler's address, tcp://HOST:8786")
    where.add_argument("--local", type=int, metavar="N",
                       help="start a LocalCluster of N worker processes here instead")
    p.add_argument("--out-dir", required=True, help="where the workers write (a shared path)")
    p.add_argument("--method", default="adaptive_blur")
    p.add_argument("--head", default="motion", help="vad: motion, pel or mgfn")
    p.add_argument("--retries", type=int, default=2, help="tries after a task's first failure")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any other la3d.Engine (or la3d.vad.score) option, e.g. detector=centernet")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=sys.stdout.isatty())
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    a = p.parse_args(argv)

    options = {"method": a.method}
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            p.error(f"--set wants KEY=VALUE, got '{item}'")
        options[key.replace("-", "_")] = _option_value(value)
    if a.command == "vad":
        options["head"] = a.head

    from distributed import Client, LocalCluster

    try:
        if a.local:
            cluster = LocalCluster(n_workers=a.local, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            cluster, client = None, Client(a.scheduler)
        with client:
            run = anonymize if a.command == "anonymize" else vad
            result = run(client, a.inputs, a.out_dir, retries=a.retries, progress=a.progress,
                         **options)
        if cluster is not None:
            cluster.close()
    except (ValueError, FileNotFoundError, OSError) as e:
        print(f"la3d.cluster: error: {e}", file=sys.stderr)
        return 2
    if a.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        for v in result.done:
            print(f"done     {v}")
        for v in result.skipped:
            print(f"skipped  {v} (its output exists)")
        for v, why in result.failed.items():
            print(f"FAILED   {v}: {why}")
        print(f"{len(result.done)} done, {len(result.skipped)} skipped, {len(result.failed)} failed")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
