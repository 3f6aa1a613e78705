#!/usr/bin/python3
"""settle.py TIMEOUT OUT_A PID_A DIR_A PORT_A PORT2_A OUT_B PID_B DIR_B PORT_B PORT2_B

For tests/compat/corpus.sh: poll the child processes of two daemons (supervisord, droverd) every
0.25 s until both sets are non-empty and unchanged for 1 s; write each set to its OUT file as lines
"group:name uid=UID argv..." (the group and name from the SUPERVISOR_* variables of the process,
the path of the daemon's copy of the config directory written as $DIR, its ports as $PORT, $PORT2).
Event listeners are processes like any other: they are compared too.
Exit 0 when settled, 1 at the timeout, 2 when a daemon is gone (the last sets are written anyway).
"""
import os
import sys
import time


def snap(pid, d, port, port2):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
            if st[st.rfind(")") + 2:].split()[1] != pid:
                continue
            with open("/proc/%s/environ" % p, "rb") as f:
                raw = f.read().decode(errors="replace")
            env = dict(kv.split("=", 1) for kv in raw.split("\0") if "=" in kv)
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")[:-1]
            if argv[1:2] == ["--spawn-helper"]:
                continue   # droverd's spawn helpers are part of the daemon, not workers
            with open("/proc/%s/status" % p) as f:
                uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
        except (OSError, IndexError):
            continue
        line = " ".join(argv).replace(d, "$DIR").replace(port2, "$PORT2").replace(port, "$PORT")
        out.append("%s:%s uid=%s %s" % (env.get("SUPERVISOR_GROUP_NAME", "?"),
                                        env.get("SUPERVISOR_PROCESS_NAME", "?"), uid, line))
    return sorted(out)


def main():
    timeout = float(sys.argv[1])
    a_args, b_args = sys.argv[3:7], sys.argv[8:12]
    end = time.monotonic() + timeout
    prev, same, rc, cur = None, 0, 1, ([], [])
    while time.monotonic() < end:
        cur = (snap(*a_args), snap(*b_args))
        if not (os.path.exists("/proc/" + a_args[0]) and os.path.exists("/proc/" + b_args[0])):
            rc = 2
            break
        same = same + 1 if cur == prev and cur[0] and cur[1] else 0
        prev = cur
        if same >= 4:
            rc = 0
            break
        time.sleep(0.25)
    for path, lines in ((sys.argv[2], cur[0]), (sys.argv[7], cur[1])):
        with open(path, "w") as f:
            f.write("".join(l + "\n" for l in lines))
    sys.exit(rc)


main()
