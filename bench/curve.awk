# bench/curve.awk — the per-event cost curve from measure's "SYS<TAB>N<TAB>KEY<TAB>VALUE" lines:
#   awk -F '\t' -v systems="drover runit ..." -f bench/curve.awk results.tsv > cost-curve.tsv
# A block per system (a header line naming it, then one line per N with a restart median): system, N,
# restart median (ms), mass crash per worker (ms), cold start per worker (ms); N ascending, blocks apart by
# two empty lines, as gnuplot's `index` wants (bench/curve.gp).
{ v[$1, $2, $3] = $4; if ($2 + 0 > 1) ns[$2 + 0] = 1 }
END {
	n = 0
	for (x in ns) nl[++n] = x + 0
	for (i = 2; i <= n; i++) { x = nl[i]; for (j = i - 1; j >= 1 && nl[j] > x; j--) nl[j + 1] = nl[j]; nl[j + 1] = x }
	k = split(systems, sys, " ")
	for (s = 1; s <= k; s++) {
		any = 0
		for (i = 1; i <= n; i++) {
			N = nl[i]
			if (!((sys[s], N, "restart_med_ms") in v)) continue
			if (!any) {
				if (blocks++) print "\n"   # two empty lines end the previous block
				printf "%s\tN\trestart_med_ms\tmass_per_worker_ms\tcold_per_worker_ms\n", sys[s]
			}
			m = ((sys[s], N, "mass_ms") in v) ? sprintf("%.4f", v[sys[s], N, "mass_ms"] / N) : "NaN"
			c = ((sys[s], N, "cold_ms") in v) ? sprintf("%.4f", v[sys[s], N, "cold_ms"] / N) : "NaN"
			printf "%s\t%d\t%s\t%s\t%s\n", sys[s], N, v[sys[s], N, "restart_med_ms"], m, c
			any = 1
		}
	}
}
