# bench/curve.gp — plot the per-event cost curve (bench/curve.awk's output):
#   gnuplot -e "datafile='cost-curve.tsv'; outfile='cost-curve.png'" bench/curve.gp
# Left: restart median against N; right: mass crash per worker against N. One line per system (a data
# block each), log-log: a flat cost is a horizontal line, a cost growing with N rises.
set terminal pngcairo size 1200,500 font ",10"
set output outfile
set datafile separator "\t"
set datafile missing "NaN"
set logscale xy
set grid
set key top left
set xlabel "N (workers)"
stats datafile using 0 nooutput
blocks = STATS_blocks
set multiplot layout 1,2 title "drover per-event cost against N (lower and flatter is better)"
set title "restart after SIGKILL, median"
set ylabel "ms"
plot for [b=0:blocks-1] datafile index b using 2:3 with linespoints lw 2 title columnheader(1)
set title "mass crash: all N killed -> all back, per worker"
set ylabel "ms per worker"
plot for [b=0:blocks-1] datafile index b using 2:4 with linespoints lw 2 title columnheader(1)
unset multiplot
