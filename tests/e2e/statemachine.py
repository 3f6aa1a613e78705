#!/usr/bin/python3
"""Randomized state-machine test of droverd (driven by tests/e2e/state-random.sh).

Random sequences of user commands (start, stop, restart, signal; waited or --no-wait; one process,
a group or all), crashes (SIGKILL to a worker from outside), reloads toggling between two configs
and pauses that let timers expire, against the real daemon through the real droverctl. After every
step the invariants are checked against `droverctl status` and /proc:

  - status completes (within 5 s) and lists exactly the configured processes once settled;
  - a state with no worker (BACKOFF, STOPPED, EXITED, FATAL) has no pid, RUNNING has one;
  - every pid shown is alive, droverd's child, and carries that process's name in its environment;
  - no lost worker: a child of droverd marked with a process's name is that process's worker, or an
    orphan of its current worker (adopted by droverd as subreaper);
  - no orphan: once settled, every process marked with the instance's name is a listed worker, a
    descendant of one, or an orphan of a worker still running (same generation);
  - a user's stop is never undone by a policy (restart_with_dependency, autorestart of a dependant,
    reload): a process the user stopped stays down until a user's start or restart of it or of a
    process that depends on it;
  - a steady program (never exits by itself, autorestart = true) that the user did not stop is
    RUNNING once settled;
  - an unrelated process (the bystander) never receives a signal.
A step is "settled" by waiting (with a deadline) until the invariants hold and nothing but the
crash-looping program is between states; a violation that persists to the deadline fails the test
with the seed and the last steps (DROVER_RANDOM_SEED=S reproduces the command sequence).
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time

WORKERLESS = {"BACKOFF", "STOPPED", "EXITED", "FATAL"}
TRANSIENT = {"STARTING", "STOPPING", "BACKOFF"}
UP = {"STARTING", "RUNNING", "BACKOFF", "STOPPING"}


class Fail(Exception):
    pass


def log(msg):
    sys.stdout.write("[%8.3f] %s\n" % (time.monotonic() - T0, msg))
    sys.stdout.flush()


T0 = time.monotonic()


def read_stat(pid):
    """(state, ppid) or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return rest[0], int(rest[1])


def read_env(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    env = {}
    for item in raw.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep and k.startswith(b"DROVER_"):
            env[k.decode()] = v.decode(errors="replace")
    return env


def scan(instance):
    """Every live (non-zombie) process marked DROVER_NAME=instance: pid -> (ppid, env)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        env = read_env(pid)
        if not env or env.get("DROVER_NAME") != instance:
            continue
        st = read_stat(pid)
        if st is None or st[0] == "Z":
            continue
        out[pid] = (st[1], env)
    return out


class Model:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.configs = [json.loads(args.layout_a), json.loads(args.layout_b)]
        self.which = 0          # config in force: 0 = A, 1 = B
        self.held = set()       # processes the user stopped (full names)
        self.maybe = set()      # processes the user may or may not have released
        self.history = []
        self.status = []
        self.steps_done = 0

    # --- the config in force ---
    def layout(self):
        return self.configs[self.which]

    def names(self):
        return sorted(self.layout()["procs"].keys())

    def prog(self, name):
        return self.layout()["procs"][name]

    def deps_closure(self, name):
        """name and everything it depends on (transitively), full names."""
        lay = self.layout()
        out, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in out or n not in lay["procs"]:
                continue
            out.add(n)
            todo.extend(lay["procs"][n].get("depends_on", []))
        return out

    def pattern_names(self, pattern):
        if pattern == "all":
            return set(self.names())
        if pattern.endswith(":*"):
            g = pattern[:-2]
            return {n for n in self.names() if self.prog(n)["group"] == g}
        return {pattern} if pattern in self.layout()["procs"] else set()

    # --- droverctl ---
    def ctl(self, *args, timeout=5, wait=None):
        """Run droverctl; returns (rc, output). A command that does not finish is a failure (droverd
        must answer every request); EMFILE on the reply queue (the uid's mq budget, shared with the
        other tests) is retried."""
        cmd = [self.a.ctl, "-n", self.a.name, "--timeout", str(timeout)] + list(args)
        end = time.monotonic() + 20
        limit = (wait or timeout) + 30
        while True:
            try:
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=limit)
            except subprocess.TimeoutExpired:
                raise Fail("droverctl %s did not finish within %d s" % (" ".join(args), limit))
            out = r.stdout.decode(errors="replace").strip()
            if r.returncode == 4 and "Too many open files" in out and time.monotonic() < end:
                time.sleep(0.05)
                continue
            if r.returncode == 4:
                raise Fail("droverctl %s: droverd cannot be reached: %s" % (" ".join(args), out[:300]))
            return r.returncode, out

    def fetch_status(self):
        rc, out = self.ctl("--json", "status")
        if rc not in (0, 3):
            raise Fail("status did not complete: exit %d: %s" % (rc, out[:300]))
        try:
            self.status = json.loads(out)
        except ValueError:
            raise Fail("status --json is not JSON: %r" % out[:300])
        return {o["name"]: o for o in self.status}

    # --- invariants ---
    def violations(self, settled):
        """What is wrong right now (empty: nothing). settled: also the rules that hold only once
        the last step's consequences are over (no orphan, steady programs running)."""
        v = []
        dpid = self.a.daemon_pid
        st = read_stat(dpid)
        if st is None or st[0] == "Z":
            raise Fail("droverd (pid %d) is gone" % dpid)
        by_name = self.fetch_status()
        procs = scan(self.a.name)
        names = set(self.names())
        listed = set(by_name)
        if settled and listed != names:
            v.append("status lists %s, the config in force has %s" % (sorted(listed), sorted(names)))
        elif names - listed:
            v.append("status misses %s" % sorted(names - listed))
        workers = {}    # pid -> name
        for name, o in by_name.items():
            state, pid = o.get("state"), o.get("pid") or 0
            if state in WORKERLESS and pid:
                v.append("%s is %s with pid %d" % (name, state, pid))
            if state == "RUNNING" and not pid:
                v.append("%s is RUNNING without a pid" % name)
            if pid:
                workers[pid] = name
                if pid not in procs:
                    s = read_stat(pid)
                    v.append("%s shows pid %d, which is %s" % (name, pid, "dead" if s is None or s[0] == "Z"
                                                                    else "not marked as this instance's"))
                else:
                    ppid, env = procs[pid]
                    if ppid != dpid:
                        v.append("%s's pid %d has parent %d, not droverd" % (name, pid, ppid))
                    if env.get("DROVER_PROCESS") != name:
                        v.append("%s's pid %d is process %s's" % (name, pid, env.get("DROVER_PROCESS")))
            if name in self.held and state not in ("STOPPED", "EXITED", "FATAL", "STOPPING"):
                v.append("%s was stopped by the user and is %s (%s)" % (name, state, o.get("description", "")))
            if name in self.held and settled and state == "STOPPING":
                v.append("%s is still STOPPING" % name)
            if settled and name in names and self.prog(name).get("steady") and name not in self.held | self.maybe \
                    and not self.deps_closure(name) & (self.held | self.maybe) and state != "RUNNING":
                v.append("%s (steady, not stopped by the user) is %s (%s)" % (name, state, o.get("description", "")))
            if settled and state in TRANSIENT and not self.prog_is_churning(name, o):
                v.append("%s is still %s" % (name, state))
        # Generation of each process's current worker (an orphan of it may live on).
        gen = {}
        for pid, name in workers.items():
            if pid in procs:
                gen[name] = procs[pid][1].get("DROVER_GENERATION")
        for pid, (ppid, env) in procs.items():
            if pid in workers or pid == dpid:
                continue
            owner = env.get("DROVER_PROCESS")
            current = owner in gen and env.get("DROVER_GENERATION") == gen[owner]
            if ppid == dpid:
                # A child of droverd that is no worker: an adopted orphan. Of a worker still running
                # it may live; of an ended incarnation it is being stopped (settled: must be gone).
                if not current and settled:
                    v.append("orphan %d of %s (generation %s) outlived its worker (current: %s)"
                             % (pid, owner, env.get("DROVER_GENERATION"), gen.get(owner, "none")))
                continue
            # Elsewhere: it must descend from a worker or from a current orphan.
            if settled and not current:
                chain, p = [], pid
                while p > 1 and p not in workers and p != dpid and len(chain) < 64:
                    s = read_stat(p)
                    if s is None:
                        break
                    chain.append(p)
                    p = s[1]
                if p not in workers and p != dpid:
                    v.append("process %d of %s (generation %s) escaped: ancestry %s" % (pid, owner,
                             env.get("DROVER_GENERATION"), chain))
        # The bystander: alive, and no signal caught.
        s = read_stat(self.a.bystander)
        if s is None or s[0] == "Z":
            raise Fail("the bystander %d (an unrelated process) is dead" % self.a.bystander)
        try:
            with open(self.a.bystander_log) as f:
                got = f.read().strip()
        except OSError:
            got = ""
        if got:
            raise Fail("the bystander %d (an unrelated process) got signals: %s" % (self.a.bystander, got))
        return v

    def prog_is_churning(self, name, o):
        """A crash-looping program (or a dependant waiting for a process the user stopped) may be
        between states at any time."""
        if name not in self.layout()["procs"]:
            return False
        if self.prog(name).get("churns"):
            return True
        if o.get("state") == "STARTING" and not o.get("pid"):
            return bool((self.deps_closure(name) - {name}) & (self.held | self.maybe))
        return False

    def check(self, settled, deadline):
        end = time.monotonic() + deadline
        while True:
            v = self.violations(settled)
            if not v:
                return
            if time.monotonic() >= end:
                raise Fail("after %.1f s: %s" % (deadline, "; ".join(v)))
            time.sleep(0.05)

    # --- steps ---
    def pick_pattern(self):
        r = self.rng.random()
        if r < 0.06:
            return "all"
        if r < 0.16:
            groups = sorted({self.prog(n)["group"] for n in self.names() if self.prog(n)["group"] != n})
            if groups:
                return self.rng.choice(groups) + ":*"
        # Processes in a dependency relation have the richest rules: picked three times as often.
        names = self.names()
        weights = [3 if self.prog(n).get("depends_on") or self.is_dependency(n) else 1 for n in names]
        return self.rng.choices(names, weights)[0]

    def is_dependency(self, name):
        return any(name in self.prog(n).get("depends_on", []) for n in self.names())

    def step(self):
        rng = self.rng
        r = rng.random()
        nowait = rng.random() < 0.4
        settle = rng.random() < 0.7
        if r < 0.20:
            pat = self.pick_pattern()
            what = "start"
        elif r < 0.40:
            pat = self.pick_pattern()
            what = "stop"
        elif r < 0.52:
            pat = self.pick_pattern()
            what = "restart"
        elif r < 0.64:
            pat = self.pick_pattern()
            sig = rng.choice(["TERM", "HUP", "INT", "USR1", "KILL"])
            rc, out = self.ctl("signal", sig, pat)
            self.note("signal %s %s -> %d %s" % (sig, pat, rc, out.replace("\n", " | ")[:120]))
            return self.after(settle)
        elif r < 0.78:
            victims = [o for o in self.status if o.get("pid")]
            if not victims:
                return self.after(settle)
            o = rng.choice(victims)
            self.note("crash %s: %s" % (o["name"], self.crash(o["name"], o["pid"])))
            return self.after(settle)
        elif r < 0.86:
            new = 1 - self.which
            self.install(new)
            rc, out = self.ctl("reload", wait=30)
            if rc != 0:
                raise Fail("reload to config %s failed: exit %d: %s" % ("AB"[new], rc, out[:300]))
            gone = set(self.configs[self.which]["procs"]) - set(self.configs[new]["procs"])
            self.which = new
            self.held -= gone
            self.maybe -= gone
            self.note("reload to config %s -> %s" % ("AB"[new], out.replace("\n", " | ")[:160]))
            return self.after(settle)
        else:
            t = rng.uniform(0, 0.6)
            time.sleep(t)    # timers run out meanwhile (backoff, startsecs, stopwaitsecs): not a synchronisation
            self.note("pause %.2f s" % t)
            return self.after(False)
        args = [what] + (["--no-wait"] if nowait else []) + [pat]
        rc, out = self.ctl(*args, wait=20)
        hit = self.pattern_names(pat)
        answers = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        for n in hit:
            if what == "stop":
                self.held.add(n)
                self.maybe.discard(n)
                continue
            # A user's start or restart lifts the user's stop of the process and of what it
            # depends on. A start answered "already started" lifts the dependencies' only when the
            # process was waiting for them, which the model cannot know for sure: no claim then.
            self.held.discard(n)
            self.maybe.discard(n)
            deps = self.deps_closure(n) - {n}
            if what == "start" and answers.get(n, "").startswith("ERROR (already started)"):
                self.maybe |= deps & self.held
                self.held -= deps
            else:
                self.held -= deps
                self.maybe -= deps
        self.note("%s -> %d %s" % (" ".join(args), rc, out.replace("\n", " | ")[:120]))
        return self.after(settle)

    def crash(self, name, pid):
        """SIGKILL to the worker pid of name, through a pidfd checked to be that worker (the
        status read may be older than its exit)."""
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return "pid %d already gone" % pid
        try:
            env = read_env(pid)
            if not env or env.get("DROVER_NAME") != self.a.name or env.get("DROVER_PROCESS") != name:
                return "pid %d is no longer its worker" % pid
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            return "SIGKILL to pid %d from outside" % pid
        except ProcessLookupError:
            return "pid %d already gone" % pid
        finally:
            os.close(fd)

    def install(self, which):
        src = self.a.conf_b if which else self.a.conf_a
        with open(src, "rb") as f:
            data = f.read()
        tmp = self.a.conf + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self.a.conf)

    def note(self, s):
        self.steps_done += 1
        line = "step %d: %s" % (self.steps_done, s)
        self.history.append(line)
        log(line)

    def after(self, settle):
        if settle:
            self.check(True, self.a.settle)
        else:
            self.check(False, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--daemon-pid", type=int, required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--conf-a", required=True)
    ap.add_argument("--conf-b", required=True)
    ap.add_argument("--layout-a", required=True, help="JSON: {procs: {name: {group, steady, churns, depends_on}}}")
    ap.add_argument("--layout-b", required=True)
    ap.add_argument("--bystander", type=int, required=True)
    ap.add_argument("--bystander-log", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--budget", type=float, default=45)
    ap.add_argument("--settle", type=float, default=10)
    a = ap.parse_args()
    m = Model(a)
    log("seed %d, at most %d steps or %.0f s" % (a.seed, a.steps, a.budget))
    end = time.monotonic() + a.budget
    try:
        m.check(True, a.settle)
        while m.steps_done < a.steps and time.monotonic() < end:
            m.step()
        m.check(True, a.settle)
    except Fail as e:
        log("FAIL: %s" % e)
        log("the last steps:")
        for line in m.history[-15:]:
            log("  " + line)
        log("reproduce the sequence with DROVER_RANDOM_SEED=%d" % a.seed)
        return 1
    log("%d steps, every invariant held after each (seed %d)" % (m.steps_done, a.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
