# bench/report.awk — turn measure's "SYS<TAB>N<TAB>KEY<TAB>VALUE" lines into the markdown tables of RESULTS.md.
#   awk -F '\t' -v systems="drover supervisord runit s6 daemontools" -v ns="10 100 1000" -v idle=10 \
#       -v reps=30 -v sreps=30 -f bench/report.awk results.tsv
# One table per N: rows = scenarios, columns = drover, then each peer measured at that N followed by the ratio
# peer/drover. Then the per-event cost curve (restart median, mass crash and cold start per worker against N;
# -v plot names its PNG), and a "Targets" table that judges drover's goals against the same run.

{
	v[$1, $2, $3] = $4
	if ($3 == "error") err[++nerr] = $1 " N=" $2 ": " $4
	if ($1 == "sb" && $3 ~ /^case:/) sbcase[++nsb] = substr($3, 6)   # in the order sb-update printed them
}

function has(s, n, k) { return ((s, n, k) in v) }
function num(s, n, k) { return has(s, n, k) ? v[s, n, k] + 0 : "" }
function fmt(x,    a) {
	if (x == "") return "—"
	a = x < 0 ? -x : x
	if (a >= 1000) return sprintf("%.0f", x)
	if (a >= 100) return sprintf("%.0f", x)
	if (a >= 10) return sprintf("%.1f", x)
	if (a >= 1) return sprintf("%.2f", x)
	if (a == 0) return "0"
	return sprintf("%.3f", x)
}
function ratio(p, d) {
	if (p == "" || d == "") return "—"
	if (d == 0) return p == 0 ? "=" : "∞"
	if (p / d >= 100) return sprintf("%.0f×", p / d)
	if (p / d >= 10) return sprintf("%.1f×", p / d)
	return sprintf("%.2f×", p / d)
}
# value of one cell, with the sample count when it is not the one asked for
function cell(s, n, key, scale, repkey, want,    x, t) {
	x = num(s, n, key)
	if (x != "" && scale) x = x / scale
	t = (x != "" && key ~ /^(zombies|sup_procs|idle_ctxsw|idle_cpu_ms|idle_run_us)$/) ? sprintf("%d", x) : fmt(x)
	if (repkey != "" && has(s, n, repkey) && num(s, n, repkey) != want) t = t " (n=" num(s, n, repkey) ")"
	if (key ~ /^restart/ && has(s, n, "restart_side_by_side")) t = t " †"
	return t
}
function row(label, key, scale, ratio_ok, repkey, want,    i, s, line, d, p) {
	line = "| " label
	for (i = 1; i <= nsys; i++) {
		s = sys[i]
		if (!here[s]) continue
		line = line " | " cell(s, N, key, scale, repkey, (s == "drover" ? dwant[repkey] : want))
		if (s != "drover" && here["drover"]) {
			d = num("drover", N, key); p = num(s, N, key)
			line = line " | " (ratio_ok ? ratio(p, d) : "")
		}
	}
	print line " |"
}

END {
	churned = churn ? ", /dev/shm churned" : ""
	nsys = split(systems, sys, " ")
	nn = split(ns, nlist, " ")
	dwant["status_reps"] = dsreps; dwant["restart_reps"] = reps
	for (i = 1; i <= nsys; i++)
		for (j = 1; j <= nn; j++)
			if (has(sys[i], nlist[j], "cold_ms") || has(sys[i], nlist[j], "error")) present[sys[i]] = 1

	for (j = 1; j <= nn; j++) {
		N = nlist[j]
		for (i = 1; i <= nsys; i++)
			here[sys[i]] = has(sys[i], N, "cold_ms") || has(sys[i], N, "error")
		print ""
		print "### N = " N
		print ""
		head = "| scenario"; sep = "|---"
		for (i = 1; i <= nsys; i++) {
			s = sys[i]
			if (!here[s]) continue
			head = head " | " s; sep = sep "|--:"
			if (s != "drover" && here["drover"]) { head = head " | ×"; sep = sep "|--:" }
		}
		print head " |"; print sep "|"
		row("1. cold start: launch → all N started (ms)", "cold_ms", 0, 1)
		row("1. cold start: launch → first worker started (ms)", "first_ms", 0, 1)
		row("2. restart after SIGKILL, median (ms)", "restart_med_ms", 0, 1, "restart_reps", reps)
		row("2. restart after SIGKILL, p90 (ms)", "restart_p90_ms", 0, 1)
		row("3. mass crash: all N SIGKILLed → all back (ms)", "mass_ms", 0, 1)
		row("3. zombies after the mass crash", "zombies", 0, 0)
		row("4. status of all N, median (ms)", "status_med_ms", 0, 1, "status_reps", sreps)
		row("5. footprint RSS, supervisor side (MB)", "rss_kb", 1024, 1)
		row("5. footprint PSS, supervisor side (MB)", "pss_kb", 1024, 1)
		row("5. supervisor-side processes", "sup_procs", 0, 0)
		row("5. descriptors of the supervisor's main process", "root_fds", 0, 0)
		row("6. idle CPU utime+stime over " idle " s (ms)" churned, "idle_cpu_ms", 0, 1)
		row("6. idle run time over " idle " s (µs, schedstat)" churned, "idle_run_us", 0, 1)
		row("6. idle context switches over " idle " s" churned, "idle_ctxsw", 0, 1)
	}

	# the per-event cost curve
	print ""
	print "### Per-event cost against N"
	print ""
	print "Restart median (ms), and mass crash and cold start per worker (ms), for each N measured; a flat cost is the"
	print "same figure in every row. Peers where they were measured."
	print ""
	head = "| N | drover restart | drover mass crash / N | drover cold start / N"; sep = "|--:|--:|--:|--:"
	for (i = 1; i <= nsys; i++)
		if (sys[i] != "drover" && present[sys[i]]) { head = head " | " sys[i] " restart | " sys[i] " mass / N"; sep = sep "|--:|--:" }
	print head " |"; print sep "|"
	for (j = 1; j <= nn; j++) {
		N = nlist[j]
		line = "| " N " | " fmt(num("drover", N, "restart_med_ms")) " | " per(num("drover", N, "mass_ms"), N) " | " per(num("drover", N, "cold_ms"), N)
		for (i = 1; i <= nsys; i++)
			if (sys[i] != "drover" && present[sys[i]])
				line = line " | " fmt(num(sys[i], N, "restart_med_ms")) " | " per(num(sys[i], N, "mass_ms"), N)
		print line " |"
	}
	if (plot != "") {
		print ""
		print "![per-event cost against N: restart median and mass crash per worker, log-log](" plot ")"
	}

	# control round trip and the floor
	big = nlist[nn]
	print ""
	print "### Control round trip (whole-process runs, median)"
	print ""
	print "| command | processes | runs | median (ms) | p90 (ms) |"
	print "|---|--:|--:|--:|--:|"
	if (has("drover", 1, "status_med_ms"))
		printf "| `droverctl status` | 1 | %s | %s | %s |\n", num("drover", 1, "status_reps"), fmt(num("drover", 1, "status_med_ms")), fmt(num("drover", 1, "status_p90_ms"))
	if (has("drover", big, "status_med_ms"))
		printf "| `droverctl status` | %s | %s | %s | %s |\n", big, num("drover", big, "status_reps"), fmt(num("drover", big, "status_med_ms")), fmt(num("drover", big, "status_p90_ms"))
	if (has("drover", big, "status2_med_ms"))
		printf "| `droverctl --json status` | %s | %s | %s | %s |\n", big, num("drover", big, "status2_reps"), fmt(num("drover", big, "status2_med_ms")), fmt(num("drover", big, "status2_p90_ms"))
	if (has("supervisord", big, "status_med_ms"))
		printf "| `supervisorctl status` | %s | %s | %s | %s |\n", big, num("supervisord", big, "status_reps"), fmt(num("supervisord", big, "status_med_ms")), fmt(num("supervisord", big, "status_p90_ms"))
	if (has("floor", 1, "true_med_ms"))
		printf "| fork+exec+wait of `/bin/true` (the floor) | — | %s | %s | — |\n", floorreps, fmt(num("floor", 1, "true_med_ms"))
	if (has("floor", 1, "worker_med_ms"))
		printf "| fork+exec of the bench worker → its main() (what a restart pays at least) | — | %s | %s | — |\n", floorreps, fmt(num("floor", 1, "worker_med_ms"))

	# scoreboard micro-benchmark
	print ""
	print "### Scoreboard update (worker side)"
	print ""
	if (nsb) {
		print "drover_status(\"req %ld\", i) + drover_count(0, 1) through the real libdrover (bench/sb-update.c, 2,000,000 updates per worker, workers pinned to CPUs):"
		print ""
		print "| case | ns per update |"
		print "|---|--:|"
		for (i = 1; i <= nsb; i++) printf "| %s | %s |\n", sbcase[i], fmt(v["sb", 1, "case:" sbcase[i]])
	} else if (("sb", 1, "note") in v)
		print "scoreboard bench: " v["sb", 1, "note"]
	else
		print "scoreboard bench: not available yet"

	# targets (issue 16), judged on this run
	if (present["drover"]) {
		print ""
		print "### Targets on this run"
		print ""
		print "| target | measured | met |"
		print "|---|---|:-:|"
		a = num("drover", 100, "restart_med_ms"); b = num("drover", 10000, "restart_med_ms")
		if (a != "" && b != "") target("flat restart: median at N=10000 within 1.25× of N=100", fmt(b) " ms vs " fmt(a) " ms (" ratio(b, a) ")", b <= 1.25 * a)
		a = num("drover", 1000, "mass_ms"); b = num("drover", 5000, "mass_ms")
		if (a != "" && b != "") target("linear mass crash: N=5000 within 5.5× of N=1000", fmt(b) " ms vs " fmt(a) " ms (" ratio(b, a) ")", b <= 5.5 * a)
		a = num("drover", 1000, "cold_ms"); b = num("drover", 5000, "cold_ms")
		if (a != "" && b != "") target("linear cold start: N=5000 within 5.5× of N=1000", fmt(b) " ms vs " fmt(a) " ms (" ratio(b, a) ")", b <= 5.5 * a)
		split("restart_med_ms mass_ms cold_ms", keys, " ")
		split("restart median|mass crash|cold start", kname, "|")
		for (j = 1; j <= nn; j++) {
			N = nlist[j]
			for (q = 1; q <= 3; q++) {
				d = num("drover", N, keys[q]); best = ""; who = ""
				for (i = 1; i <= nsys; i++) {
					s = sys[i]
					if (s !~ /^(runit|daemontools|s6)$/ || !has(s, N, keys[q])) continue
					p = num(s, N, keys[q])
					if (best == "" || p < best) { best = p; who = s }
				}
				if (d != "" && best != "") target(kname[q] " ahead of runit, daemontools and s6, N=" N, fmt(d) " ms (best peer: " who " " fmt(best) " ms)", d < best)
			}
		}
		f = num("floor", 1, "true_med_ms")
		for (j = 1; j <= nn; j++) {
			N = nlist[j]; d = num("drover", N, "restart_med_ms")
			if (d != "" && f != "") target("restart within 1.5× of the fork+exec+exit floor, N=" N, fmt(d) " ms (floor " fmt(f) " ms, " ratio(d, f) ")", d <= 1.5 * f)
		}
		if (has("drover", 10000, "cold_ms") || has("drover", 10000, "error")) {
			ok = has("drover", 10000, "cold_ms") && has("drover", 10000, "status_med_ms") && has("drover", 10000, "mass_ms") && v["drover", 10000, "shutdown_exit"] == "0" && v["drover", 10000, "workers_left_after_shutdown"] == "0"
			target("10,000 workers: cold start, status, mass crash and shutdown complete", ok ? "all done (shutdown " fmt(num("drover", 10000, "shutdown_ms")) " ms)" : "see Errors", ok)
			d = num("drover", 10000, "root_fds")
			if (d != "") target("10,000 workers: droverd descriptors ≤ one per worker + 64", d, d <= 10064)
			d = num("drover", 10000, "status_med_ms")
			if (d != "") target("status of 10,000 as a whole droverctl run ≤ 10 ms", fmt(d) " ms", d <= 10)
		}
		d = num("drover", 1000, "first_ms")
		if (d != "") target("first worker running within 5 ms of launch, N=1000", fmt(d) " ms", d <= 5)
		for (j = 1; j <= nn; j++) {
			N = nlist[j]; d = num("drover", N, "idle_ctxsw")
			if (d != "") target("zero wakeups over " idle " s idle" (churn ? " while " churn " /dev/shm objects are created and unlinked" : "") ", N=" N, d " context switches", d == 0)
		}
		for (j = 1; j <= nn; j++) {
			N = nlist[j]; d = num("drover", N, "zombies")
			if (d != "") target("zero zombies after the mass crash, N=" N, d, d == 0)
		}
	}

	# drover's own health during the run
	print ""
	print "### drover checks during the run"
	print ""
	print "| N | status exit (after all the kills) | graceful stop (ms) | exit code | workers left after stop | IPC objects left | extra starts |"
	print "|--:|--:|--:|--:|--:|--:|--:|"
	for (j = 1; j <= nn + 1; j++) {
		N = j <= nn ? nlist[j] : 1
		if (!has("drover", N, "cold_ms")) continue
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", N, dash(v["drover", N, "final_status_rc"]), dash(v["drover", N, "shutdown_ms"]), dash(v["drover", N, "shutdown_exit"]), dash(v["drover", N, "workers_left_after_shutdown"]), dash(v["drover", N, "ipc_left"]), dash(v["drover", N, "extra_starts"])
	}
	if (nerr) {
		print ""
		print "### Errors"
		print ""
		for (i = 1; i <= nerr; i++) print "- " err[i]
	}
}
function target(what, got, ok) { printf "| %s | %s | %s |\n", what, got, ok ? "yes" : "**no**" }
function per(x, n) { return x == "" ? "—" : fmt(x / n) }
function dash(x) { return x == "" ? "—" : x }
