"""Small fake run folders for the lab-book, compare and lab-time tests: records as the runner
writes them, and a real (tiny) PNG figure."""

import json
import struct
import zlib


def record(id="l2.a", lecture=2, verdict="reproduced", **fields):
    base = {"id": id, "lecture": lecture, "claim": f"the lecture's claim of {id}",
            "criterion": f"the criterion of {id}", "profile": "quick", "seed": 0,
            "device": "cpu", "threads": 1, "config": {"n": 3, "widths": [8, 16]},
            "verdict": verdict,
            "metrics": {"dead": {"mean": 0.39794921875, "std": 0.07633610574405507},
                        "acc": 0.912345, "per_width": {"8": 0.5, "16": 0.75}},
            "headline": ["dead", "acc"], "notes": ["a note"],
            "checks": [check("mean dead fraction", 0.39794921875, "at least", 0.4),
                       check("accuracy", 0.912345, "between", [0.5, 1.0])],
            "figures": [], "seconds": 1.5, "environment": {"torch": "2", "cpu": "x86"},
            "log": "a line\n"}
    return {**base, **fields}


def check(name, value, comparison, threshold, detail="", tolerance=0.0):
    low_high = threshold if comparison == "between" else [threshold, threshold]
    passed = {"at least": value >= low_high[0], "at most": value <= low_high[0],
              "between": low_high[0] <= value <= low_high[1],
              "equal": abs(value - low_high[0]) <= tolerance}[comparison]
    return {"name": name, "value": value, "comparison": comparison, "threshold": threshold,
            "tolerance": tolerance, "detail": detail, "passed": passed,
            "measured": f"{value} {comparison} {threshold}"}


def write_run(run_dir, *records, figures=()):
    """`run_dir/<id>/result.json` for each record; each name in `figures` as a real PNG in
    every experiment's folder."""
    for r in records:
        folder = run_dir / r["id"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "result.json").write_text(json.dumps(r))
        for name in figures:
            (folder / name).write_bytes(png(12, 8))
    return run_dir


def png(width, height):
    """A valid RGB PNG of a grey gradient (PNG spec: signature, IHDR, IDAT, IEND)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes((x * 20) % 256 for x in range(width) for _ in range(3))
                    for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
