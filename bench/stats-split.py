#!/usr/bin/env python3
"""Which statistic a name's and a unit's decision should rest on, on the
synthetic splits: the per-frame ratio (shipped), the whole ratio, and each
less a line in the phrase's phone count; names also the whole ratio against
the best other name of the directory (a common span: the whole greeting).
Reads two dumps of `bench_verify --dump` (tune, then test). Every line in
the phone count, and every threshold, is chosen on tune (a line half-way
between the said and the not-said least-squares lines; the threshold with
the highest TPR at FPR <= 0.05) and applied unchanged to test.
AUC with a bootstrap 95 % interval (said and not said resampled apart,
2000 times, a fixed seed).
Usage: bench/stats-split.py TUNE_DUMP TEST_DUMP"""
import bisect
import random
import sys

WEIGHT, FLOOR, PER_CHAR = 0.5, -15.0, -0.6  # the shipped name weighing and unit fall


def rows(path):
    names, units = [], []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) < 4:
            continue
        if f[2] == "name" and len(f) >= 12:
            names.append({"ch": f[1], "said": int(f[3]), "shipped": float(f[4]), "raw": float(f[6]),
                          "cohort": float(f[7]), "total": float(f[8]), "phones": int(f[10]),
                          "cohort_total": float(f[11])})
        elif f[2] == "unit" and len(f) >= 10:
            units.append({"ch": f[1], "said": int(f[3]), "raw": float(f[4]), "text": f[6], "total": float(f[7]),
                          "phones": int(f[9])})
    return names, units


def missing(v):
    return v is None or v < -1e8


def name_stats(r):
    raw, tot, ct = r["raw"], r["total"], r["cohort_total"]
    return {
        "a frame, less 0.5 x the best other name (shipped)": r["shipped"],
        "total ratio": None if missing(tot) else tot,
        "total, less the best other name's total": None if missing(tot) else (tot - ct if not missing(ct) else tot),
        "a frame (no directory)": None if missing(raw) else raw,
    }


def unit_stats(r):
    raw, tot = r["raw"], r["total"]
    chars = len(r["text"])
    return {
        "a frame, threshold -0.6 a character (shipped)": None if missing(raw) else raw - PER_CHAR * chars,
        "a frame": None if missing(raw) else raw,
        "total ratio": None if missing(tot) else tot,
    }


def fit_line(items, key):
    """Half-way between the said and the not-said least-squares lines of
    key against phones (items with the value)."""
    ab = []
    for said in (0, 1):
        xs = [(it["phones"], it[key]) for it in items if it["said"] == said and it.get(key) is not None]
        n = len(xs)
        if n < 2:
            return None
        sx = sum(x for x, _ in xs)
        sy = sum(y for _, y in xs)
        sxx = sum(x * x for x, _ in xs)
        sxy = sum(x * y for x, y in xs)
        d = n * sxx - sx * sx
        b = (n * sxy - sx * sy) / d if d > 0 else 0.0
        ab.append(((sy - b * sx) / n, b))
    return ((ab[0][0] + ab[1][0]) / 2, (ab[0][1] + ab[1][1]) / 2)


def auc(pos, neg):
    if not pos or not neg:
        return 0.0
    neg_s = sorted(neg)
    w = 0.0
    for p in pos:
        lo = bisect.bisect_left(neg_s, p)
        hi = bisect.bisect_right(neg_s, p)
        w += lo + 0.5 * (hi - lo)
    return w / (len(pos) * len(neg))


def interval(pos, neg, reps=2000):
    rnd = random.Random(20261206)
    a = []
    for _ in range(reps):
        bp = [pos[rnd.randrange(len(pos))] for _ in pos]
        bn = [neg[rnd.randrange(len(neg))] for _ in neg]
        a.append(auc(bp, bn))
    a.sort()
    return a[int(0.025 * reps)], a[int(0.975 * reps) - 1]


def values(items, stat):
    """Said and not-said values; a phrase not found anywhere scores lowest."""
    pos = [(-1e9 if it[stat] is None else it[stat]) for it in items if it["said"]]
    neg = [(-1e9 if it[stat] is None else it[stat]) for it in items if not it["said"]]
    return pos, neg


def choose(pos, neg, max_fpr=0.05):
    best_t, best_tpr = 1e18, -1
    for t in sorted(set(pos + neg)):
        fpr = sum(v >= t for v in neg) / len(neg)
        tpr = sum(v >= t for v in pos) / len(pos)
        if fpr <= max_fpr and tpr > best_tpr:
            best_t, best_tpr = t, tpr
    return best_t


def table(kind, tune, test, stats_of):
    print(f"  {kind}")
    for ch in ("ulaw", "gsm"):
        tu = [dict(r, **stats_of(r)) for r in tune if r["ch"] == ch]
        te = [dict(r, **stats_of(r)) for r in test if r["ch"] == ch]
        stats = list(stats_of(tune[0]).keys())
        notes = {}
        for st in list(stats):
            line = fit_line(tu, st)
            if line is None:
                continue
            name = st.replace(" (shipped)", "") + ", less a phone-count line (tune)"
            for it in tu + te:
                it[name] = None if it[st] is None else it[st] - (line[0] + line[1] * it["phones"])
            stats.append(name)
            notes[name] = f"{line[1]:+.2f} a phone"
        for st in stats:
            tp, tn = values(tu, st)
            sp, sn = values(te, st)
            t = choose(tp, tn)
            a_tu, a_te = auc(tp, tn), auc(sp, sn)
            lo, hi = interval(sp, sn)
            tpr = sum(v >= t for v in sp) / len(sp)
            fpr = sum(v >= t for v in sn) / len(sn)
            note = notes.get(st, "")
            print(f"    {ch:4s} {st:72s} tune AUC {a_tu:.3f}  test AUC {a_te:.3f} [{lo:.3f}, {hi:.3f}]"
                  f"  test at tune's threshold TPR {tpr:.2f} FPR {fpr:.2f}  ({len(sp)}+ {len(sn)}-)"
                  + (f"  line {note}" if note else ""))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tn, tu = rows(sys.argv[1])
    sn, su = rows(sys.argv[2])
    table("names, each against the other names of its directory of 20", tn, sn, name_stats)
    table("units", tu, su, unit_stats)


if __name__ == "__main__":
    main()
