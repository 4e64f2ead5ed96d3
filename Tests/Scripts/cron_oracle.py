#!/usr/bin/env python3
"""Differential test of `kairos next` against cronsim, the reference for Debian cron semantics.

Generates random cron expressions (every syntax form cronsim accepts, weighted toward the DST-
sensitive ones: fixed times at 0-3 h, `*` hours, steps) and random start instants around the DST
transitions of several zones, runs them through `kairos next` in batch mode (one process per
zone/start combination, many expressions per process) and compares the next N fire times with
cronsim's.

    python3 Tests/Scripts/cron_oracle.py [--count 3000] [--seed 1] [--times 5] [--kairos PATH]

Prints "N passed, M failed" and the first disagreements (with croniter's answer beside them);
exits 1 if anything failed. Needs `pip install cronsim` (croniter is optional).

Comparison rules, decided once here:
- Both reject an expression: agreement. One rejects it: disagreement.
- cronsim gives up 50 years after the start (`StopIteration`): only the times it found are compared,
  and Kairos's next time must be that far out too.
- cronsim defect, not counted as a failure: for a fixed-time expression cronsim drops the zone and
  iterates naive local time, so a start inside the second copy of a repeated hour can give a time
  *before* the start (e.g. `30 1 * * *` from 01:10 EST answers 01:30 EDT). Such times are not after
  the start by definition; they are discarded (and counted) before comparing.
- Each printed time must carry the zone's real UTC offset at that instant.
"""
import argparse
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

try:
    from cronsim import CronSim, CronSimError
except ImportError:  # pragma: no cover
    sys.exit("cron_oracle: cronsim is not installed (pip install cronsim)")
try:
    from croniter import croniter
except ImportError:  # pragma: no cover
    croniter = None

DST_ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"]
FIXED_ZONES = ["Asia/Kathmandu", "Australia/Eucla"]
MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()


# ---------------------------------------------------------------- expression generator

def pick(r, weighted):
    total = sum(w for w, _ in weighted)
    x = r.uniform(0, total)
    for w, f in weighted:
        x -= w
        if x <= 0:
            return f()
    return weighted[-1][1]()


def step(r):
    return r.choice([2, 2, 3, 5, 7, 10, 15, 20, 30, r.randint(1, 40)])


def numeric_field(r, lo, hi, favourite):
    def fixed():
        return str(r.choice(favourite) if r.random() < 0.5 else r.randint(lo, hi))

    def rng():
        a = r.choice(favourite) if r.random() < 0.5 else r.randint(lo, hi)
        return f"{a}-{r.randint(a, hi)}"

    def lst():
        return ",".join(str(v) for v in sorted(r.sample(range(lo, hi + 1), r.randint(2, 4))))

    return [
        (4, fixed), (2, lambda: "*"), (2, lambda: f"*/{step(r)}"), (1, rng),
        (1, lambda: f"{rng()}/{step(r)}"), (1, lambda: f"{r.randint(lo, hi)}/{step(r)}"), (2, lst),
        (1, lambda: f"{fixed()},{rng()}/{step(r)}"),
    ]


def minute_field(r):
    return pick(r, numeric_field(r, 0, 59, [0, 0, 15, 30, 45, 59]))


def hour_field(r):
    early = lambda: str(r.randint(0, 3))  # noqa: E731 - the DST-sensitive hours
    return pick(r, numeric_field(r, 0, 23, [0, 1, 2, 3, 23]) + [(5, early), (2, lambda: "*"),
                                                                  (1, lambda: f"{r.randint(0, 3)}-{r.randint(3, 5)}")])


def dom_field(r):
    return pick(r, [(10, lambda: "*")] + numeric_field(r, 1, 31, [1, 13, 15, 28, 29, 30, 31])
                + [(1, lambda: "L"), (1, lambda: "LW")])


def month_field(r):
    def name():
        return r.choice(MONTHS).capitalize() if r.random() < 0.3 else r.choice(MONTHS)

    def names():
        a = r.randrange(12)
        return f"{MONTHS[a]}-{MONTHS[r.randint(a, 11)]}"

    return pick(r, [(14, lambda: "*"), (1, name), (1, names), (0.3, lambda: "dec-jan"),
                    (1, lambda: f"{r.choice(MONTHS[:6])}-{r.choice(MONTHS[6:])}")]
                + numeric_field(r, 1, 12, [1, 2, 3, 10, 11, 12]))


def dow_field(r):
    def name():
        d = r.choice(DAYS)
        return d.upper() if r.random() < 0.3 else d

    return pick(r, [(12, lambda: "*"), (1, name), (1, lambda: "mon-fri"), (1, lambda: "1-5"),
                    (1, lambda: f"{r.randint(0, 7)}L"), (1, lambda: f"{r.randint(0, 7)}#{r.randint(1, 5)}"),
                    (1, lambda: f"{r.randint(1, 7)}-7/{r.randint(1, 3)}")]
                + numeric_field(r, 0, 7, [0, 1, 5, 6, 7]))


def second_field(r):
    return pick(r, [(3, lambda: "0"), (2, lambda: str(r.randint(0, 59))), (2, lambda: "*"),
                    (2, lambda: f"*/{step(r)}"), (1, lambda: f"{r.randint(0, 29)},{r.randint(30, 59)}")])


def expression(r):
    if r.random() < 0.03:
        return r.choice(list(MACROS))
    fields = [minute_field(r), hour_field(r), dom_field(r), month_field(r), dow_field(r)]
    if r.random() < 0.08:
        fields.insert(0, second_field(r))
    return " ".join(fields)


# ---------------------------------------------------------------- start instants

def transitions(zone, first_year, last_year):
    """UTC instants (int seconds) at which the zone's offset changes."""
    tz = ZoneInfo(zone)
    t = int(datetime(first_year, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    offset = lambda s: datetime.fromtimestamp(s, tz).utcoffset()  # noqa: E731
    found = []
    while t < end:
        u = t + 6 * 3600
        if offset(t) != offset(u):
            lo, hi = t, u
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == offset(t) else (lo, mid)
            found.append(hi)
        t = u
    return found


def start_instants(r, zone, how_many):
    changes = transitions(zone, 2020, 2031) if zone in DST_ZONES else []
    starts = []
    for _ in range(how_many):
        if not changes or r.random() < 0.1:
            base = r.randint(int(datetime(2000, 1, 1).timestamp()), int(datetime(2035, 1, 1).timestamp()))
            starts.append(base - base % 60)
            continue
        t = r.choice(changes)
        delta = pick(r, [(3, lambda: r.randint(-180, 180) * 60),          # within 3 hours
                         (2, lambda: r.randint(-72 * 60, 72 * 60) * 60),  # within 3 days
                         (1, lambda: r.randint(-7200, 7200))])            # any second
        starts.append(t + delta)
    return starts


# ---------------------------------------------------------------- the two evaluators

def cronsim_times(expr, start, zone, n):
    """cronsim's next n times after `start` as UTC seconds; (None, message) if it rejects expr."""
    text = MACROS.get(expr.lower(), expr)
    tz = ZoneInfo(zone)
    after = datetime.fromtimestamp(start, tz)
    try:
        it = CronSim(text, after)
    except (CronSimError, ValueError, IndexError) as e:
        return None, str(e) or type(e).__name__, 0, False
    times, dropped, exhausted = [], 0, False
    while len(times) < n:
        try:
            t = int(next(it).timestamp())
        except StopIteration:
            exhausted = True
            break
        except (CronSimError, ValueError, IndexError) as e:
            return None, str(e) or type(e).__name__, 0, False
        if t <= start:
            dropped += 1  # cronsim's repeated-hour defect, see the module comment
            continue
        times.append(t)
    return times, None, dropped, exhausted


def croniter_times(expr, start, zone, n):
    if croniter is None:
        return "croniter not installed"
    try:
        it = croniter(MACROS.get(expr.lower(), expr), datetime.fromtimestamp(start, ZoneInfo(zone)))
        return [it.get_next(datetime).isoformat() for _ in range(n)]
    except Exception as e:  # noqa: BLE001 - informational only
        return f"croniter error: {e}"


def run_kairos(kairos, exprs, start, zone, n):
    after = datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    proc = subprocess.run([kairos, "next", "--count", str(n), "--after", after, "--time-zone", zone],
                          input="\n".join(exprs) + "\n", capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"cron_oracle: kairos exited {proc.returncode}: {proc.stderr}")
    lines = proc.stdout.split("\n")[:-1]
    if len(lines) != len(exprs):
        raise SystemExit(f"cron_oracle: kairos printed {len(lines)} lines for {len(exprs)} expressions")
    return lines


def parse_kairos_line(line, zone):
    """(times as UTC seconds, None) or (None, error message); checks each printed offset."""
    if line.startswith("error: "):
        return None, line[len("error: "):]
    tz = ZoneInfo(zone)
    times = []
    for word in line.split(" "):
        dt = datetime.fromisoformat(word)
        t = int(dt.timestamp())
        if dt.utcoffset() != datetime.fromtimestamp(t, tz).utcoffset():
            return None, f"printed offset of {word} is not the zone's offset at that instant"
        times.append(t)
    return times, None


# ---------------------------------------------------------------- driver

def iso(t, zone):
    return datetime.fromtimestamp(t, ZoneInfo(zone)).isoformat()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=3000, help="expressions to test (default 3000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--times", type=int, default=5, help="next times compared per expression")
    ap.add_argument("--per-process", type=int, default=50, help="expressions per kairos process")
    ap.add_argument("--kairos", default=os.path.join(root, ".build", "debug", "kairos"))
    ap.add_argument("--show", type=int, default=10, help="disagreements to print")
    args = ap.parse_args()
    if not os.access(args.kairos, os.X_OK):
        subprocess.run(["swift", "build", "--product", "kairos"], cwd=root, check=True)

    r = random.Random(args.seed)
    zones = DST_ZONES * 3 + FIXED_ZONES  # weight toward zones with transitions
    processes = max(1, (args.count + args.per_process - 1) // args.per_process)
    passed = failed = rejected_by_both = defects = 0
    failures = []
    done = 0
    for p in range(processes):
        zone = zones[p % len(zones)]
        start = start_instants(r, zone, 1)[0]
        size = min(args.per_process, args.count - done)
        exprs = [expression(r) for _ in range(size)]
        done += size
        lines = run_kairos(args.kairos, exprs, start, zone, args.times)
        for expr, line in zip(exprs, lines):
            ours, our_error = parse_kairos_line(line, zone)
            theirs, their_error, dropped, exhausted = cronsim_times(expr, start, zone, args.times)
            defects += dropped > 0
            if ours is None and theirs is None:
                passed += 1
                rejected_by_both += 1
                continue
            agree = ours is not None and theirs is not None and (
                ours == theirs or (exhausted and ours[:len(theirs)] == theirs and (
                    len(ours) == len(theirs) or ours[len(theirs)] > start + 50 * 366 * 86400)))
            if agree:
                passed += 1
                continue
            failed += 1
            failures.append({
                "expr": expr, "zone": zone, "after": iso(start, zone),
                "kairos": [iso(t, zone) for t in ours] if ours is not None else f"error: {our_error}",
                "cronsim": [iso(t, zone) for t in theirs] if theirs is not None else f"error: {their_error}",
                "croniter": croniter_times(expr, start, zone, args.times),
            })
    print(f"{passed} passed, {failed} failed ({rejected_by_both} rejected by both; "
          f"{defects} where cronsim's repeated-hour defect was discarded); "
          f"{processes} kairos processes, seed {args.seed}, {args.times} times each")
    for f in failures[:args.show]:
        print(f"\n  expr     {f['expr']!r}\n  zone     {f['zone']}\n  after    {f['after']}")
        print(f"  kairos   {f['kairos']}\n  cronsim  {f['cronsim']}\n  croniter {f['croniter']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
