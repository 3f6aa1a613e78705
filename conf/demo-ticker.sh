#!/bin/sh
# Demo shell worker: counts ticks and reports them through `droverctl report`.
n=0
droverctl report --ready --status "starting to tick"
trap 'echo "ticker: stopping after $n ticks"; exit 0' INT TERM
while :; do
	n=$((n + 1))
	droverctl report --heartbeat --busy --status "tick $n"
	echo "tick $n"
	sleep 1
	droverctl report --idle
done
