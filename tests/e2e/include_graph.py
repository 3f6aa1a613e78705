#!/usr/bin/python3
"""include_graph.py ROOT: the #include "..." graph of lib/, daemon/ and ctl/ under ROOT (a module is
NAME.c + NAME.h of one folder). Exit 1 on a cycle between modules and on an include that goes against
the layers (LAYERS below, as README's Layout describes them); each finding is printed with FILE:LINE."""
import os, re, sys

ROOT = sys.argv[1]
# Folder -> layer. An include may go to a lower layer, or within its folder; the exceptions are
# listed in ALLOWED. ctl/ (the client) sits beside the daemon: it may read configs (daemon/conf)
# and nothing else of droverd.
LAYERS = {"lib": 0, "daemon/os": 1, "daemon/conf": 1, "daemon/core": 2,
          "daemon/ctl-server": 3, "daemon": 4, "ctl": 2}
ALLOWED = {("ctl", "daemon/conf")}
SEARCH = ["", "daemon", "lib"]          # -I. -Idaemon -Ilib, after the including file's folder

inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
mods, edges, where = set(), {}, {}
for top in ("lib", "daemon", "ctl"):
    for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ROOT)
            mod = rel[:-2]
            mods.add(mod)
            with open(path, errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = inc_re.match(line)
                    if not m:
                        continue
                    name = m.group(1)
                    for base in [os.path.dirname(rel)] + SEARCH:
                        cand = os.path.normpath(os.path.join(base, name))
                        if os.path.exists(os.path.join(ROOT, cand)):
                            break
                    else:
                        print("%s:%d: #include \"%s\" not found" % (rel, n, name))
                        continue
                    tgt = cand[:-2] if cand.endswith((".c", ".h")) else cand
                    if tgt != mod:
                        edges.setdefault(mod, set()).add(tgt)
                        where.setdefault((mod, tgt), "%s:%d" % (rel, n))

bad = 0
def folder(m):
    return os.path.dirname(m)
for (a, b), loc in sorted(where.items()):
    fa, fb = folder(a), folder(b)
    if fa == fb or (fa, fb) in ALLOWED:
        continue
    la, lb = LAYERS.get(fa), LAYERS.get(fb)
    if la is None or lb is None:
        print("%s: %s includes %s: folder without a layer" % (loc, a, b)); bad += 1
    elif lb >= la:
        print("%s: %s (%s) includes %s (%s): against the layers" % (loc, a, fa, b, fb)); bad += 1

# Tarjan's strongly connected components: any of more than one module is a cycle.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        if len(c) > 1:
            sccs.append(sorted(c))
for v in sorted(mods):
    if v not in index:
        visit(v)
for c in sccs:
    links = [where[(a, b)] + " " + a + " -> " + b for a in c for b in sorted(edges.get(a, ())) if b in c]
    print("cycle of %d modules: %s\n  %s" % (len(c), " ".join(c), "\n  ".join(links))); bad += 1
print("%d modules, %d includes between modules, %d findings" % (len(mods), len(where), bad))
sys.exit(1 if bad else 0)
