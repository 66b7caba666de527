"""Runs the Python original (loopmon 1.0.1) on the benchmark scenarios of loopmon-bench.

Invoked by the Rust harness as `python driver.py <scenario> key=value ...`; prints one line
`RESULT key=value ...` (times in nanoseconds, lists comma-separated), the format the harness
parses for its own child processes.
"""
from __future__ import annotations

import asyncio
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timezone

NS = 1_000_000_000


def emit(**kv) -> None:
    parts = []
    for k, v in kv.items():
        if isinstance(v, (list, tuple)):
            v = ",".join(str(int(x)) if isinstance(x, (int, float)) and float(x).is_integer() else str(x) for x in v)
        parts.append(f"{k}={v}")
    print("RESULT " + " ".join(parts), flush=True)


def cpu_ns() -> tuple[int, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * NS), r.ru_nvcsw


def env(_a: dict) -> None:
    import importlib.metadata as m
    emit(python=sys.version.split()[0], loopmon=m.version("loopmon"))


class Log:
    """(monotonic ns since t0, lag ns) for every callback; wakes waiters on each one."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.samples: list[tuple[int, int]] = []
        self.event = asyncio.Event()

    async def cb(self, lag: float, tasks: int, at: datetime) -> None:
        self.samples.append((int((time.monotonic() - self.t0) * NS), int(max(lag, 0.0) * NS)))
        self.event.set()

    async def next_sample(self) -> None:
        self.event.clear()
        await self.event.wait()


def accuracy(a: dict) -> None:
    import loopmon
    iv = float(a["interval_ms"]) / 1e3
    ivn = int(iv * NS)
    blocks = [int(x) for x in a["blocks"].split(",")]
    rng = random.Random(int(a.get("seed", "1")))
    out: dict = {}

    async def main() -> None:
        t0 = time.monotonic()
        log = Log(t0)
        mon = loopmon.create(interval=iv, callbacks=[log.cb])
        await asyncio.sleep(3 * iv)
        for b in blocks:
            await log.next_sample()
            if a["phase"] == "random":
                await asyncio.sleep(rng.uniform(0, iv))
            before = [s for s in log.samples]
            s = int((time.monotonic() - t0) * NS)
            time.sleep(b / 1e3)
            e = int((time.monotonic() - t0) * NS)
            await asyncio.sleep(iv + 0.01)
            window = [lag for (at, lag) in log.samples if s <= at <= e + ivn + 5_000_000]
            prev = [at for (at, _lag) in before if at < s]
            deadline = (prev[-1] + ivn) if prev else s
            out[f"b{b}_rep"] = max(window) if window else 0
            out[f"b{b}_true"] = max(0, e - deadline)
            out[f"b{b}_len"] = e - s
        await mon.stop()

    asyncio.run(main())
    emit(**out)


def idle(a: dict) -> None:
    iv = float(a["interval_ms"]) / 1e3
    secs = float(a["secs"])
    mode = a["cb"]  # record | bare
    res: dict = {}

    async def main() -> None:
        t0 = time.monotonic()
        log = Log(t0)
        ticks = 0

        async def bare() -> None:
            nonlocal ticks
            loop = asyncio.get_running_loop()
            while True:
                before = loop.time()
                await asyncio.sleep(iv)
                _lag = loop.time() - before - iv
                ticks += 1

        mon = task = None
        if mode == "bare":
            task = asyncio.create_task(bare())
        else:
            import loopmon
            mon = loopmon.create(interval=iv, callbacks=[log.cb])
        await asyncio.sleep(max(2 * iv, 0.05))
        c0, v0 = cpu_ns()
        k0 = ticks if task else len(log.samples)
        w0 = time.monotonic()
        await asyncio.sleep(secs)
        c1, v1 = cpu_ns()
        k1 = ticks if task else len(log.samples)
        w1 = time.monotonic()
        if task:
            task.cancel()
        if mon:
            await mon.stop()
        lags = sorted(lag for (at, lag) in log.samples if at >= int((w0 - t0) * NS))
        res.update(cpu_ns=c1 - c0, vcsw=v1 - v0, ticks=k1 - k0, wall_ns=int((w1 - w0) * NS))
        if lags:
            res.update(n=len(lags), p50=pct(lags, 50), p99=pct(lags, 99), max=lags[-1])

    asyncio.run(main())
    emit(**res)


def pct(s: list[int], p: float) -> int:
    import math
    rank = max(1, min(len(s), math.ceil(p / 100 * len(s))))
    return s[rank - 1]


def throughput(a: dict) -> None:
    import loopmon
    tasks, iters = int(a["tasks"]), int(a["iters"])
    iv = float(a["interval_ms"]) / 1e3
    pairs = int(a["pairs"])

    async def work(n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0)

    async def noop(lag, tasks_, at) -> None:
        pass

    async def one(with_mon: bool, n: int) -> float:
        mon = loopmon.create(interval=iv, callbacks=[noop]) if with_mon else None
        t = time.perf_counter()
        await asyncio.gather(*(work(n) for _ in range(tasks)))
        dt = time.perf_counter() - t
        if mon:
            await mon.stop()
        return dt

    asyncio.run(one(False, iters // 10))
    base, mon, base_cpu, mon_cpu = [], [], [], []
    for rep in range(pairs):
        order = [False, True] if rep % 2 == 0 else [True, False]
        for w in order:
            c0, _ = cpu_ns()
            dt = asyncio.run(one(w, iters))
            c1, _ = cpu_ns()
            (mon if w else base).append(int(dt * NS))
            (mon_cpu if w else base_cpu).append(c1 - c0)
    emit(base_ns=base, mon_ns=mon, base_cpu_ns=base_cpu, mon_cpu_ns=mon_cpu)


def scaling(a: dict) -> None:
    counts = [int(x) for x in a["tasks"].split(",")]

    async def noop(lag, tasks_, at) -> None:
        pass

    async def measure(n: int) -> int:
        loop = asyncio.get_running_loop()
        ev = asyncio.Event()
        parked = [asyncio.create_task(ev.wait()) for _ in range(n)]
        await asyncio.sleep(0)
        calls = 200 if n <= 1000 else 20
        t = []
        for _ in range(calls):
            t0 = time.perf_counter_ns()
            k = len(asyncio.all_tasks(loop))  # what loopmon 1.0.1 does every tick
            at = datetime.now(timezone.utc)
            loop.create_task(noop(0.0, k, at))
            t.append(time.perf_counter_ns() - t0)
            await asyncio.sleep(0)
        ev.set()
        await asyncio.gather(*parked)
        return int(statistics.median(t))

    out = {f"tick_ns_{n}": asyncio.run(measure(n)) for n in counts}
    emit(**out)


def detect(a: dict) -> None:
    import loopmon
    iv = float(a["interval_ms"]) / 1e3
    block = float(a["block_ms"]) / 1e3
    thr = int(float(a["threshold_ms"]) * 1e6)
    reps = int(a["reps"])
    rng = random.Random(int(a.get("seed", "2")))
    lat, first, during = [], [], []

    async def main() -> None:
        t0 = time.monotonic()
        log = Log(t0)
        mon = loopmon.create(interval=iv, callbacks=[log.cb])
        for _ in range(reps):
            await asyncio.sleep(5 * iv + rng.uniform(0, iv))
            s = int((time.monotonic() - t0) * NS)
            time.sleep(block)
            e = int((time.monotonic() - t0) * NS)
            await asyncio.sleep(3 * iv)
            during.append(sum(1 for (at, _l) in log.samples if s < at < e))
            hit = next(((at, lag) for (at, lag) in log.samples if at >= s and lag > thr), None)
            lat.append(hit[0] - s if hit else -1)
            first.append(hit[1] if hit else 0)
        await mon.stop()

    asyncio.run(main())
    emit(lat_ns=lat, first_ns=first, during=during)


def main() -> None:
    scenario = sys.argv[1]
    a = dict(kv.split("=", 1) for kv in sys.argv[2:])
    {"env": env, "accuracy": accuracy, "idle": idle, "throughput": throughput,
     "scaling": scaling, "detect": detect}[scenario](a)


if __name__ == "__main__":
    main()
