#!/usr/bin/env python3
"""Does the forced path's duration add anything to the shipped margin?

Reads bench_real's per-trial dump (RV_BENCH_DUMP=1, stderr; the loop's
phones and rate are its last two columns) of the read-sentence trials and
compares, paired on the same trials, the shipped margin with the margin
plus a duration term whose weights are chosen on the tune speaker:

  hinge   margin + w * min(0, ln(frames per phone) - mu)
  pair    margin + w1 * ln(word's frames per phone / the loop's over the
          clip) + w2 * ln((loop phones in the word's frames + 0.5) / phones)

Usage: bench/duration.py TUNE_SPEAKER DUMP...   (AUC differences with a
bootstrap 95 % interval, said and not-said trials resampled apart, 2000
times, fixed seed).
"""
import math
import random
import sys


def load(paths):
    trials = []
    for p in paths:
        for line in open(p):
            f = line.rstrip("\n").split("\t")
            if len(f) < 20 or f[6] != "sentence":
                continue
            trials.append(dict(sp=f[0] + "/" + f[7], said=int(f[1]), pp=float(f[5]), phones=int(f[10]),
                               margin=float(f[13]), lph=int(f[18]), lfpp=float(f[19])))
    return trials


def auc(pos, neg):
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_pos, i, n = 0.0, 0, len(allv)
    while i < n:
        j = i
        while j < n and allv[j][0] == allv[i][0]:
            j += 1
        rank_pos += (i + j + 1) / 2 * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    return (rank_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def auc_of(trials, f):
    return auc([f(t) for t in trials if t["said"]], [f(t) for t in trials if not t["said"]])


def paired(trials, fa, fb, resamples=2000, seed=7):
    rnd = random.Random(seed)
    pos = [t for t in trials if t["said"]]
    neg = [t for t in trials if not t["said"]]
    d = auc_of(trials, fb) - auc_of(trials, fa)
    ds = []
    for _ in range(resamples):
        s = [rnd.choice(pos) for _ in pos] + [rnd.choice(neg) for _ in neg]
        ds.append(auc_of(s, fb) - auc_of(s, fa))
    ds.sort()
    return d, ds[int(0.025 * resamples)], ds[int(0.975 * resamples) - 1], len(pos), len(neg)


def lfpp(t):
    return math.log(max(t["pp"], 1e-3))


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: duration.py TUNE_SPEAKER DUMP...")
    tune, trials = sys.argv[1], load(sys.argv[2:])
    sets = {}
    for t in trials:
        sets.setdefault(t["sp"], []).append(t)
    tune_sets = [k for k in sets if k.split("/")[0] == tune]
    if not tune_sets:
        sys.exit("no trials of %s" % tune)
    tt = [t for k in tune_sets for t in sets[k]]
    margin = lambda t: t["margin"]
    hinge = max(((auc_of(tt, lambda t, w=w, mu=mu: t["margin"] + w * min(0.0, lfpp(t) - mu)), w, mu)
                 for w in (1, 2, 4, 6, 8, 10, 12, 15, 20) for mu in (1.6, 1.8, 1.9, 2.0, 2.1, 2.2)))
    rel = lambda t: lfpp(t) - math.log(max(t["lfpp"], 1e-3))
    lp = lambda t: math.log((t["lph"] + 0.5) / t["phones"])
    pair = max(((auc_of(tt, lambda t, a=a, b=b: t["margin"] + a * rel(t) + b * lp(t)), a, b)
                for a in (0, 2, 4, 6, 8, 10, 15, 20, 30) for b in (-20, -10, -5, 0, 5, 10, 20)))
    print("chosen on %s: hinge w %g mu %g; pair w1 %g w2 %g" % (tune, hinge[1], hinge[2], pair[1], pair[2]))
    fh = lambda t: t["margin"] + hinge[1] * min(0.0, lfpp(t) - hinge[2])
    fp = lambda t: t["margin"] + pair[1] * rel(t) + pair[2] * lp(t)
    for k in sorted(sets):
        v = sets[k]
        print("%-18s margin AUC %.3f; frames per phone alone %.3f" % (k, auc_of(v, margin), auc_of(v, lfpp)))
        print("%-18s   hinge %+.3f [%+.3f, %+.3f]  %d+ %d-" % (("",) + paired(v, margin, fh)))
        print("%-18s   pair  %+.3f [%+.3f, %+.3f]  %d+ %d-" % (("",) + paired(v, margin, fp)))


main()
