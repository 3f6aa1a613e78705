#!/usr/bin/python3
"""Check a `strace -f` trace of droverd for signals to pids it did not verify (tests/faults/pid-reuse.sh).

usage: pidtrace.py TRACE

The trace holds clone/clone3/fork/vfork, wait4/waitid, kill/tkill/tgkill/rt_sigqueueinfo and
pidfd_open/pidfd_send_signal of droverd and everything it started (strace -f, one line per call,
prefixed by the caller's pid, in the PID namespace droverd runs in). A process exists from the call
that created it (the return value of a clone) until a wait call reaps it. The rules:

  - kill(P, sig) and kill(-P, sig): P was created in the trace and is not reaped yet (a pid that is
    reaped and then handed out again is a new process only after the clone that returns it);
  - tkill/tgkill: to a thread of the caller's own process;
  - no kill(0), kill(-1), no signal to a pid given by nothing in the trace;
  - pidfd_send_signal goes through a descriptor, whose process the kernel keeps (no reuse possible):
    counted.
Prints a summary; exit 1 with every violation listed when there is one.
"""
import re
import sys

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")
UNFINISHED = " <unfinished ...>"
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")


def calls(path):
    """(pid, name, args, ret) for each complete call, in order of completion."""
    pending = {}
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, text = int(m.group(1)), m.group(2)
            if text.startswith("+++") or text.startswith("---"):
                continue
            if text.endswith(UNFINISHED):
                pending[pid] = text[: -len(UNFINISHED)]
                continue
            r = RESUMED.match(text)
            if r:
                head = pending.pop(pid, r.group(1) + "(")
                text = head + r.group(2).lstrip()
            c = CALL.match(text)
            if not c:
                continue
            ret = c.group(3)
            yield pid, c.group(1), c.group(2), (int(ret) if ret != "?" else None)


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    alive = set()          # processes created and not yet reaped
    threads = {}           # tid -> the tid of the process it belongs to
    bad = []
    counts = {"created": 0, "reaped": 0, "kill": 0, "kill_group": 0, "pidfd_send_signal": 0,
              "reused": 0, "tgkill": 0}
    seen_ever = set()
    first = None
    for n, (pid, name, args, ret) in enumerate(calls(argv[1])):
        if first is None:
            first = pid
            alive.add(pid)
            threads[pid] = pid
        owner = threads.get(pid, pid)
        if name in ("clone", "clone3", "fork", "vfork") and ret is not None and ret > 0:
            if "CLONE_THREAD" in args:
                threads[ret] = owner
                continue
            if ret in seen_ever:
                counts["reused"] += 1
            seen_ever.add(ret)
            alive.add(ret)
            threads[ret] = ret
            counts["created"] += 1
        elif name == "wait4" and ret is not None and ret > 0:
            alive.discard(ret)
            counts["reaped"] += 1
        elif name == "waitid" and ret == 0 and "WEXITED" in args and "WNOWAIT" not in args:
            m = re.search(r"si_pid=(\d+)", args)
            if m and "CLD_" in args and not re.search(r"si_code=CLD_(STOPPED|CONTINUED|TRAPPED)", args):
                alive.discard(int(m.group(1)))
                counts["reaped"] += 1
        elif name == "kill":
            a = [x.strip() for x in args.split(",")]
            target = int(a[0])
            key = "kill_group" if target < 0 else "kill"
            counts[key] += 1
            if target in (0, -1):
                bad.append("call %d: %d sent %s to %s (a whole group or everyone)" % (n, pid, a[1], target))
            elif abs(target) not in alive:
                bad.append("call %d: %d sent %s to %d, which %s" % (n, pid, a[1], target,
                           "was reaped before (and not created again)" if abs(target) in seen_ever
                           else "nothing in the trace created"))
        elif name in ("tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
            a = [x.strip() for x in args.split(",")]
            counts["tgkill"] += 1
            tid = int(a[1]) if name in ("tgkill", "rt_tgsigqueueinfo") else int(a[0])
            if threads.get(tid) != owner and abs(tid) not in alive:
                bad.append("call %d: %d sent %s to thread %d of another process" % (n, pid, name, tid))
        elif name == "pidfd_send_signal":
            counts["pidfd_send_signal"] += 1
    print("trace: %(created)d processes created (%(reused)d on a pid used before), %(reaped)d reaped; "
          "signals: %(pidfd_send_signal)d through pidfds, %(kill)d kill(P), %(kill_group)d kill(-P), "
          "%(tgkill)d to threads" % counts)
    for b in bad[:30]:
        print("VIOLATION: " + b)
    if len(bad) > 30:
        print("... and %d more" % (len(bad) - 30))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
