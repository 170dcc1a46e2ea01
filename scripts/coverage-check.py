#!/usr/bin/env python3
"""How much of each reference person box a run's masks cover, frame by frame.

Usage: coverage-check.py RUN.jsonl REF.jsonl [REF2.jsonl ...] [--min-score S] [--below F]
                         [--run-scale K]

RUN and REF are --save-detections files of the same video. REF files are the people an offline,
slower configuration found (e.g. --tiles 3, --detector centernet); RUN is the configuration under
test (its saved regions are what it masked: tracked, held and motion-guard boxes included). Prints
how many reference boxes are covered less than F (default 0.9) and lists them, so that each can be
looked at in the video. Box masks are assumed (the default --mask box). --run-scale K multiplies
the run's boxes, for a run made at another size (-is 320 240 on a 768x576 video: K = 2.4).
"""
import argparse
import json


def boxes_by_frame(path, min_score, people_only):
    out = {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            keep = []
            for o in rec.get("objects", []):
                if people_only and (o["class"] != "person" or o.get("score", 1) < min_score):
                    continue
                keep.append(o["box"])
            out[rec["frame"]] = keep
    return out


def covered_fraction(box, masks, step=2):
    x1, y1, x2, y2 = box
    inside = total = 0
    for y in range(y1, y2, step):
        row = [m for m in masks if m[1] <= y < m[3]]
        for x in range(x1, x2, step):
            total += 1
            inside += any(m[0] <= x < m[2] for m in row)
    return inside / total if total else 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("refs", nargs="+")
    ap.add_argument("--min-score", type=float, default=0.3)
    ap.add_argument("--below", type=float, default=0.9)
    ap.add_argument("--run-scale", type=float, default=1.0)
    a = ap.parse_args()
    run = boxes_by_frame(a.run, 0, False)
    if a.run_scale != 1.0:
        run = {f: [[round(v * a.run_scale) for v in b] for b in boxes] for f, boxes in run.items()}
    refs = [boxes_by_frame(p, a.min_score, True) for p in a.refs]
    n = 0
    low = []
    for frame, masks in sorted(run.items()):
        for ref in refs:
            for box in ref.get(frame, []):
                n += 1
                c = covered_fraction(box, masks)
                if c < a.below:
                    low.append((frame, box, c))
    print(f"{n} reference boxes, {len(low)} covered less than {a.below:.0%}")
    for frame, box, c in low:
        print(f"  frame {frame} box {box} covered {c:.0%}")


if __name__ == "__main__":
    main()
