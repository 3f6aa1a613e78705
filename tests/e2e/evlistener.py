#!/usr/bin/python3
# An event listener for the e2e tests: speaks supervisord's event listener protocol on its
# stdin/stdout (READY, header line, payload of len characters, RESULT N + result) and records
# every event it gets as one JSON line {"h": headers, "p": payload, "r": what it answered} in OUT.
#
#   evlistener.py OUT [MODE [ARG]]
#   MODE   ok              answer OK to every event (default)
#          fail N          answer FAIL to the first N events, then OK
#          slow SECONDS    sleep before each answer (a pool of two shares the work)
#          die N           exit 1 right after receiving event number N (never answering it)
#          hang            never answer the first event (silence)
#          garbage         write garbage where READY is due
#          flood           write READY a thousand times
#          bigline         take an event, then write a 1 MB line instead of a result
#          toomuch         answer with RESULT 2 and more bytes than that (then go on as if fine)
#          closeout        close stdout (the protocol channel) and sleep
#          closein         close stdin, then say READY and sleep
# It also writes a line "started PID" into OUT.pids when it starts.
import io
import json
import os
import sys
import time

out_path = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
arg = sys.argv[3] if len(sys.argv) > 3 else None

# Text, as supervisord's childutils reads it (len counts characters), without newline translation.
stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
stdout = sys.stdout.buffer

with open(out_path + ".pids", "a") as f:
    f.write("started %d\n" % os.getpid())


def send(b):
    stdout.write(b)
    stdout.flush()


def record(headers, payload, answer):
    with open(out_path, "a") as f:
        f.write(json.dumps({"h": headers, "p": payload, "r": answer}) + "\n")


if mode == "garbage":
    send(b"HELLO THERE, I AM NO LISTENER\n")
    time.sleep(3600)
if mode == "flood":
    send(b"READY\n" * 1000)
    time.sleep(3600)
if mode == "closeout":
    os.close(1)
    time.sleep(3600)
if mode == "closein":
    os.close(0)
    send(b"READY\n")
    time.sleep(3600)

n = 0
while True:
    send(b"READY\n")
    line = stdin.readline()
    if not line:
        sys.exit(0)
    headers = dict(x.split(":", 1) for x in line.split())
    payload = stdin.read(int(headers["len"]))
    n += 1
    if mode == "die" and n == int(arg):
        record(headers, payload, "died")
        os._exit(1)
    if mode == "hang":
        record(headers, payload, "hung")
        time.sleep(3600)
    if mode == "bigline":
        record(headers, payload, "bigline")
        send(b"x" * (1 << 20))
        time.sleep(3600)
    if mode == "slow":
        time.sleep(float(arg))
    if mode == "fail" and n <= int(arg):
        record(headers, payload, "FAIL")
        send(b"RESULT 4\nFAIL")
        continue
    record(headers, payload, "OK")
    if mode == "toomuch":
        send(b"RESULT 2\nOKAND MORE")
        time.sleep(3600)
    send(b"RESULT 2\nOK")
