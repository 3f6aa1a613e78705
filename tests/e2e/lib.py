#!/usr/bin/python3
"""Helpers for tests/e2e/lib.sh: read `droverctl status --json` and /proc.

usage: lib.py COMMAND ARGS...
  get FILE PROC FIELD          print FIELD of PROC (null -> empty); exit 1 when PROC is missing
  obj FILE PROC                print the JSON object of PROC
  names FILE [PREFIX]          print "name pid state" for every process (optionally names starting with PREFIX)
  count FILE STATE [PREFIX]    print how many processes are in STATE
  all FILE STATE [PREFIX] [N]  exit 0 when every matching process (and at least N, default 1) is in STATE
  zombies PID                  print the number of children of PID in state Z
  children PID                 print the pids of the children of PID (any state; droverd's spawn
                               helpers left out)
  envpids KEY=VALUE...         print the pids whose environ holds any KEY=VALUE (not this process)
  alive PID                    exit 0 when PID exists and is not a zombie
A process PROC matches a status entry by its full name ("grp:proc") or by the part after the colon.
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, list):
        raise SystemExit("lib.py: status JSON is not an array: %r" % (data,))
    return data


def find(data, proc):
    hits = [o for o in data if o.get("name") == proc]
    if not hits:
        hits = [o for o in data if str(o.get("name", "")).split(":")[-1] == proc]
    return hits[0] if len(hits) == 1 else None


def matching(data, prefix):
    if not prefix:
        return data
    return [o for o in data if str(o.get("name", "")).startswith(prefix)
            or str(o.get("name", "")).split(":")[-1].startswith(prefix)]


def stat_of(pid):
    """(state, ppid) from /proc/PID/stat, or None."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return rest[0], int(rest[1])


def spawn_helper(pid):
    """droverd's spawn helpers (droverd --spawn-helper ...) are its children too, but not workers."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return len(argv) > 1 and argv[1] == b"--spawn-helper"


def children(ppid):
    """The children of ppid, but droverd's live spawn helpers (a zombie one still counts)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = stat_of(d)
        if st and st[1] == ppid and not (st[0] != "Z" and spawn_helper(d)):
            out.append((int(d), st[0]))
    return out


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "get":
        o = find(load(args[0]), args[1])
        if o is None:
            return 1
        v = o.get(args[2])
        if v is None:
            v = ""
        elif isinstance(v, bool):
            v = "true" if v else "false"
        elif not isinstance(v, str):
            v = json.dumps(v)
        print(v)
        return 0
    if cmd == "obj":
        o = find(load(args[0]), args[1])
        if o is None:
            return 1
        print(json.dumps(o))
        return 0
    if cmd == "names":
        for o in matching(load(args[0]), args[1] if len(args) > 1 else ""):
            print(o.get("name"), o.get("pid"), o.get("state"))
        return 0
    if cmd == "count":
        procs = matching(load(args[0]), args[2] if len(args) > 2 else "")
        print(sum(1 for o in procs if o.get("state") == args[1]))
        return 0
    if cmd == "all":
        procs = matching(load(args[0]), args[2] if len(args) > 2 else "")
        need = int(args[3]) if len(args) > 3 else 1
        ok = len(procs) >= need and all(o.get("state") == args[1] for o in procs)
        return 0 if ok else 1
    if cmd == "zombies":
        print(sum(1 for _, st in children(int(args[0])) if st == "Z"))
        return 0
    if cmd == "children":
        for pid, _ in children(int(args[0])):
            print(pid)
        return 0
    if cmd == "envpids":
        want = [a.encode() for a in args]
        me = {os.getpid(), os.getppid()}
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) in me:
                continue
            try:
                with open("/proc/%s/environ" % d, "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if any(w in env for w in want):
                print(d)
        return 0
    if cmd == "alive":
        st = stat_of(args[0])
        return 0 if st and st[0] != "Z" else 1
    raise SystemExit("lib.py: unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
