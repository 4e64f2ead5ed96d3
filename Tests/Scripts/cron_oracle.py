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

Comparison rules, decided once here (the findings behind them: cron-oracle-findings.md):
- Both reject an expression: agreement. One rejects it: disagreement. cronsim giving up after 50
  years where Kairos rejects the expression as never firing: agreement.
- cronsim gives up 50 years after the start (`StopIteration`): only the times it found are compared,
  and Kairos's next time must be that far out too.
- cronsim is asked in cronie's meaning: macros spelled out, `a-a/n` written `a` (cronsim reads it as
  `a/n`).
- cronsim times not after the start, or not after its previous answer, are discarded (counted):
  for a fixed-time expression cronsim drops the zone and iterates naive local time, so a start in
  the second copy of a repeated hour can give a time *before* the start (`30 1 * * *` from 01:10
  EST answers 01:30 EDT); in Chatham it can cycle between the two copies for ever (capped, then
  treated as no answer).
- A remaining disagreement is decided by `brute_force_times`, an exhaustive search that applies
  DESIGN.md §1 literally: if it agrees with Kairos, the case is a cronsim defect (listed, not
  counted as a failure); otherwise it is a failure.
- Each printed time must carry the zone's real UTC offset at that instant.
"""
import argparse
import os
import random
import re
import signal
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


def step(r, span):
    """A step for a field of `span` values; now and then a larger one (which cronie accepts)."""
    if r.random() < 0.02:
        return r.randint(span + 1, 2 * span + 10)
    return r.choice([s for s in [2, 2, 3, 5, 7, 10, 15, 20, 30] if s <= span] + [r.randint(1, span)])


def numeric_field(r, lo, hi, favourite):
    def fixed():
        return str(r.choice(favourite) if r.random() < 0.5 else r.randint(lo, hi))

    def rng():
        a = r.choice(favourite) if r.random() < 0.5 else r.randint(lo, hi)
        return f"{a}-{r.randint(a, hi)}"

    def lst():
        return ",".join(str(v) for v in sorted(r.sample(range(lo, hi + 1), r.randint(2, 4))))

    return [
        (4, fixed), (2, lambda: "*"), (2, lambda: f"*/{step(r, hi - lo + 1)}"), (1, rng),
        (1, lambda: f"{rng()}/{step(r, hi - lo + 1)}"), (1, lambda: f"{r.randint(lo, hi)}/{step(r, hi - lo + 1)}"), (2, lst),
        (1, lambda: f"{fixed()},{rng()}/{step(r, hi - lo + 1)}"),
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
                    (1, lambda: f"{r.randint(0, 7)}L"), (1, lambda: f"{r.randint(0, 7)}#{r.randint(1, 5)}"), (0.5, lambda: f"{name()}#{r.randint(1, 5)}"),
                    (1, lambda: f"{r.randint(1, 7)}-7/{r.randint(1, 3)}")]
                + numeric_field(r, 0, 7, [0, 1, 5, 6, 7]))


def second_field(r):
    return pick(r, [(3, lambda: "0"), (2, lambda: str(r.randint(0, 59))), (2, lambda: "*"),
                    (2, lambda: f"*/{step(r, 60)}"), (1, lambda: f"{r.randint(0, 29)},{r.randint(30, 59)}")])


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

SINGLE_VALUE_RANGE_STEP = re.compile(r"(?<![\w-])(\w+)-\1/\d+")


def for_cronsim(expr):
    """expr in the syntax cronsim reads with cronie's meaning: macros spelled out, and `a-a/n`
    written `a` (cronie: the range a-a stepped is {a}; cronsim reads it as `a/n`, a-max/n)."""
    return SINGLE_VALUE_RANGE_STEP.sub(r"\1", MACROS.get(expr.lower(), expr))


CRONSIM_TIME_LIMIT = 5.0  # seconds for one next(); cronsim can loop forever (see findings)
HUNG = "cronsim did not answer within the time limit"


class CronSimHung(Exception):
    pass


def _hung(signum, frame):
    raise CronSimHung()


signal.signal(signal.SIGALRM, _hung)


def cronsim_times(expr, start, zone, n):
    """cronsim's next n times after `start` as UTC seconds; (None, message) if it rejects expr."""
    text = for_cronsim(expr)
    tz = ZoneInfo(zone)
    after = datetime.fromtimestamp(start, tz)
    try:
        it = CronSim(text, after)
    except (CronSimError, ValueError, IndexError) as e:
        return None, str(e) or type(e).__name__, 0, False
    times, dropped, exhausted = [], 0, False
    while len(times) < n:
        signal.setitimer(signal.ITIMER_REAL, CRONSIM_TIME_LIMIT)
        try:
            t = int(next(it).timestamp())
        except StopIteration:
            exhausted = True
            break
        except (CronSimError, ValueError, IndexError) as e:
            return None, str(e) or type(e).__name__, 0, False
        except CronSimHung:
            return None, HUNG, 0, False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if t <= start or (times and t <= times[-1]):
            dropped += 1  # cronsim's repeated-hour defect, see the module comment
            if dropped > 500:  # it cycles between the two copies of the hour for ever
                return None, HUNG, 0, False
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
    if proc.returncode not in (0, 1, 3):  # 1: a line was invalid; 3: a line had no fire time
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


# ---------------------------------------------------------------- brute-force tie-breaker

EPOCH = datetime(1970, 1, 1)


def civil_matches(sim, begin, end):
    """The civil (naive) times in [begin, end) that the parsed expression `sim` matches, in order,
    skipping whole days, hours and minutes that cannot match."""
    seconds = sorted(sim.seconds)
    c = begin
    while c < end:
        if not (c.month in sim.months and sim.match_day(c.date())):
            c = datetime.combine(c.date() + timedelta(days=1), datetime.min.time())
        elif c.hour not in sim.hours:
            c = c.replace(minute=0, second=0) + timedelta(hours=1)
        elif c.minute not in sim.minutes:
            c = c.replace(second=0) + timedelta(minutes=1)
        else:
            later = [s for s in seconds if s >= c.second]
            if not later:
                c = c.replace(second=0) + timedelta(minutes=1)
                continue
            c = c.replace(second=later[0])
            yield c
            c += timedelta(seconds=1)


def brute_force_times(expr, start, zone, n, horizon_days=800):
    """The next n fire times by exhaustive search, following DESIGN.md §1 literally; cronsim's
    parsed fields decide which civil times match. Used only to decide a disagreement. Returns
    None if fewer than n are found within the horizon.

    Real time (6 fields, or minute or hour starting with `*`): every instant whose civil time
    matches, searched segment by segment between the zone's offset changes. Wall-clock time:
    every matching civil minute fires at its first occurrence, or at the transition if the
    minute was skipped; equal instants fire once."""
    text = for_cronsim(expr)
    tz = ZoneInfo(zone)
    sim = CronSim(text, datetime.fromtimestamp(start, tz))
    fields = text.split()
    wall_clock = len(fields) == 5 and not fields[0].startswith("*") and not fields[1].startswith("*")

    def local_of(t):
        return datetime.fromtimestamp(t, tz).replace(tzinfo=None)

    def seconds_of(civil):
        return int((civil - EPOCH).total_seconds())

    end = start + horizon_days * 86400
    found = []
    if not wall_clock:
        first_year = datetime.fromtimestamp(start, timezone.utc).year
        last_year = datetime.fromtimestamp(end, timezone.utc).year
        cuts = [t for t in transitions(zone, first_year, last_year) if start < t < end]
        for a, b in zip([start + 1] + cuts, cuts + [end]):
            offset = int(datetime.fromtimestamp(a, tz).utcoffset().total_seconds())
            for civil in civil_matches(sim, local_of(a), local_of(b - 1) + timedelta(seconds=1)):
                found.append(seconds_of(civil) - offset)
                if len(found) == n:
                    return found
        return None
    begin = local_of(start).replace(second=0)
    for civil in civil_matches(sim, begin, begin + timedelta(days=horizon_days)):
        fire = int(civil.replace(tzinfo=tz, fold=0).timestamp())
        if local_of(fire) != civil:  # skipped by a transition: fire at the transition
            lo, hi = int(civil.replace(tzinfo=tz, fold=1).timestamp()), fire
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if local_of(mid) <= civil else (lo, mid)
            fire = hi
        if fire > start and (not found or fire > found[-1]):
            found.append(fire)
            if len(found) == n:
                return found
    return None


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
    ap.add_argument("--per-process", type=int, default=25, help="expressions per kairos process")
    ap.add_argument("--kairos", default=os.path.join(root, ".build", "debug", "kairos"))
    ap.add_argument("--show", type=int, default=10, help="disagreements to print")
    ap.add_argument("--check-brute-force", action="store_true",
                    help="also check the brute-force tie-breaker against every agreeing case")
    args = ap.parse_args()
    if not os.access(args.kairos, os.X_OK):
        subprocess.run(["swift", "build", "--product", "kairos"], cwd=root, check=True)

    r = random.Random(args.seed)
    zones = DST_ZONES * 3 + FIXED_ZONES  # weight toward zones with transitions
    processes = max(1, (args.count + args.per_process - 1) // args.per_process)
    passed = failed = rejected_by_both = defects = 0
    cronsim_wrong = []
    brute_checked, brute_wrong = 0, []
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
            if not agree and our_error and "can never fire" in our_error and theirs == [] and exhausted:
                agree = True  # cronsim gave up after 50 years; Kairos proved it never fires
            if agree and args.check_brute_force and ours:
                brute = brute_force_times(expr, start, zone, len(ours))
                if brute is not None:
                    brute_checked += 1
                    if brute != ours:
                        brute_wrong.append(f"{expr!r} {zone} after {iso(start, zone)}")
            if agree:
                passed += 1
                continue
            if ours is not None and (theirs is not None or their_error == HUNG):
                brute = brute_force_times(expr, start, zone, len(ours))
                if brute is not None and brute == ours:
                    cronsim_wrong.append({"expr": expr, "zone": zone, "after": iso(start, zone),
                                          "kairos": [iso(t, zone) for t in ours],
                                          "cronsim": [iso(t, zone) for t in theirs] if theirs is not None else HUNG})
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
    if cronsim_wrong:
        print(f"  not counted: {len(cronsim_wrong)} where cronsim disagrees and a brute-force search "
              f"following DESIGN.md §1 agrees with Kairos (cronsim defects), e.g.")
        for f in cronsim_wrong[:args.show]:
            print(f"    {f['expr']!r} {f['zone']} after {f['after']}: kairos {f['kairos'][:3]} cronsim {f['cronsim'][:3]}")
    if args.check_brute_force:
        print(f"  brute-force tie-breaker: {brute_checked - len(brute_wrong)} of {brute_checked} agreeing "
              f"cases reproduced" + "".join(f"\n    differs: {w}" for w in brute_wrong[:args.show]))
    for f in failures[:args.show]:
        print(f"\n  expr     {f['expr']!r}\n  zone     {f['zone']}\n  after    {f['after']}")
        print(f"  kairos   {f['kairos']}\n  cronsim  {f['cronsim']}\n  croniter {f['croniter']}")
    sys.exit(1 if failed or brute_wrong else 0)


if __name__ == "__main__":
    main()
