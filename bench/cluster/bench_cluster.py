"""la3d.cluster with 1 and 2 local worker processes on the same clips (a benchmark, not a test).

Cuts CLIPS clips of FRAMES frames from vtest.avi (Debian's opencv-doc) with ffmpeg, then anonymizes
them all on a LocalCluster of 1 worker and of 2 workers, alternating, REPEATS times each (a fresh
output folder every time), and prints each run's wall time, the medians and their ratio.
Usage: PYTHONPATH=build/python python3 bench/cluster/bench_cluster.py [CLIPS FRAMES REPEATS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

from distributed import Client, LocalCluster

import la3d.cluster

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def main():
    clips, frames, repeats = (int(a) for a in (sys.argv[1:] + ["6", "100", "3"][len(sys.argv) - 1:]))
    work = tempfile.mkdtemp(prefix="la3d-bench-cluster-")
    videos = os.path.join(work, "videos")
    os.makedirs(videos)
    for i in range(clips):
        subprocess.run(["ffmpeg", "-v", "error", "-ss", str(i * 4), "-i", VTEST, "-frames:v",
                        str(frames), "-c:v", "libx264", "-crf", "18",
                        os.path.join(videos, f"clip{i}.mp4")], check=True)
    times = {1: [], 2: []}
    for r in range(repeats):
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                client.run(lambda: __import__("la3d"))  # workers warm: imports are not timed
                t0 = time.perf_counter()
                res = la3d.cluster.anonymize(client, [videos], os.path.join(work, f"out{r}_{workers}"))
                dt = time.perf_counter() - t0
            assert res.ok and len(res.done) == clips, res.to_dict()
            times[workers].append(dt)
            print(f"run {r}: {workers} worker(s): {dt:.1f} s ({clips * frames / dt:.1f} fps)")
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"median: 1 worker {m1:.1f} s, 2 workers {m2:.1f} s; speed-up {m1 / m2:.2f}x "
          f"({clips} clips x {frames} frames of 768x576, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
