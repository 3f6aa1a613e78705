"""Runs droverctl on a pseudo-terminal of a given size and prints what it wrote (the terminal's
\\r\\n as \\n). usage: ctl_pty.py COLS CMD [ARGS...]; COLS 0: a terminal that does not know its
width. For `status --watch`, SIGINT is sent once the output holds two refreshes; the exit status
is droverctl's (128 + N when a signal killed it)."""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def main():
    cols = int(sys.argv[1])
    cmd = sys.argv[2:]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    watch = "--watch" in cmd
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    sent = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:   # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            out += chunk
        if watch and not sent and out.count(b"\x1b[H\x1b[2J") >= 2:
            p.send_signal(signal.SIGINT)
            sent = True
        if p.poll() is not None and not r:
            break
    else:
        p.kill()
    rc = p.wait()
    sys.stderr.write(p.stderr.read().decode(errors="replace"))
    sys.stdout.write(out.replace(b"\r\n", b"\n").decode(errors="replace"))
    sys.exit(rc if rc >= 0 else 128 - rc)


main()
