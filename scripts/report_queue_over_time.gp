# report_queue_over_time.gp - request/job queue length over simulated time,
# per variant, first seed (sim/report.c).
#
# Input:  DIR/plot_timeseries.dat - one index block per variant; its first line
#         is a header whose first field is the variant name, then rows
#         time_h gpus gpus_alloc queue_len pending (NaN where absent).
#         Plots queue_len (requests waiting), or pending (replicas and
#         training pods waiting for a node) when no request ever waited.
# Output: DIR/queue_over_time.png and DIR/queue_over_time.svg
# Usage:  gnuplot -e "dir='results/x'" scripts/report_queue_over_time.gp

if (!exists("dir")) dir = "."
data = dir."/plot_timeseries.dat"

set datafile missing "NaN"
set key autotitle columnheader
stats data using 1 nooutput
n = STATS_blocks
stats data using 4 nooutput
col = STATS_max > 0 ? 4 : 5
stats data using col nooutput
ymax = STATS_max

set grid
set key outside right top
set xlabel "simulated time (h)"
if (col == 4) {
    set ylabel "requests waiting (time-weighted mean)"
} else {
    set ylabel "pods pending"
}
if (ymax > 0) {
    set yrange [0:*]
} else {
    set yrange [0:1]
}
set offsets 0, 0, graph 0.08, 0

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
            set terminal pngcairo size 1100,560 font ",11" noenhanced
        } else {
            set terminal png size 1100,560 noenhanced
        }
    } else {
        set terminal svg size 1100,560 font "sans,11" background "white" noenhanced
    }
    set output dir."/queue_over_time.".fmt
    set title "Queue length over time"
    plot for [i=0:n-1] data index i using 1:col with lines lw 2 lc i+1 title columnheader(1)
    set output
}
