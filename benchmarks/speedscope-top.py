#!/usr/bin/env python3
"""Where a process's CPU went, from a dotnet-trace dotnet-sampled-thread-time trace converted to speedscope JSON.

Usage: speedscope-top.py TRACE.speedscope.json [N]

The trace samples every thread's stack about 100 times a second and marks a sample whose thread was running
managed code with a leaf pseudo-frame CPU_TIME (UNMANAGED_CODE_TIME when it was in native code: mostly waiting).
Only CPU_TIME samples count here. Prints two markdown tables: the N methods with the most self time (the frame
under CPU_TIME), and the N frames of the project's own code (Oms.*) with the most inclusive time (what the CPU was
running for), each as a share of all CPU_TIME.
"""
import json
import sys
from collections import defaultdict

RUNNING = "CPU_TIME"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    names = [fr["name"] for fr in doc["shared"]["frames"]]
    self_time = defaultdict(float)
    inclusive = defaultdict(float)
    total = 0.0
    for profile in doc["profiles"]:
        if profile.get("type") != "evented":
            continue
        stack = []
        last = profile.get("startValue", 0)
        for event in profile["events"]:
            at = event["at"]
            if len(stack) >= 2 and at > last and names[stack[-1]] == RUNNING:
                span = at - last
                total += span
                self_time[names[stack[-2]]] += span
                for frame in set(names[i] for i in stack):
                    if frame.startswith("Oms."):
                        inclusive[frame] += span
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
    if total == 0:
        print("No CPU_TIME samples in the trace.")
        return
    print(f"Managed CPU time sampled: {total:,.0f} ms.")
    print()
    print("| Self time | Frame |")
    print("| ---: | --- |")
    for name, t in sorted(self_time.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {100 * t / total:.1f}% | `{short(name)}` |")
    print()
    print("| Inclusive | Project frame |")
    print("| ---: | --- |")
    for name, t in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {100 * t / total:.1f}% | `{short(name)}` |")


def short(name):
    name = name.replace("|", "\\|")
    return name if len(name) <= 120 else name[:117] + "..."


if __name__ == "__main__":
    main()
