# report_cost_vs_p99.gp - cost against p99 request latency, one labelled point
# per variant, with 95 % error bars when the run had several seeds (sim/report.c).
#
# Input:  DIR/plot_cost_p99.dat - one index block per variant; its first line
#         is a header whose first field is the variant name, then one row:
#         latency_p99_ms p99_ci95 cost_usd cost_ci95 "name" (ci95 0 when absent)
# Output: DIR/cost_vs_p99.png and DIR/cost_vs_p99.svg
# Usage:  gnuplot -e "dir='results/x'" scripts/report_cost_vs_p99.gp

if (!exists("dir")) dir = "."
data = dir."/plot_cost_p99.dat"

set key autotitle columnheader
stats data using 1 nooutput
n = STATS_blocks
# a single distinct value would give gnuplot an empty range: widen it by 10 %
if (STATS_min == STATS_max) {
    set xrange [STATS_min * 0.9 - 1 : STATS_max * 1.1 + 1]
}
stats data using 3 nooutput
if (STATS_min == STATS_max) {
    set yrange [STATS_min * 0.9 - 1 : STATS_max * 1.1 + 1]
}

set grid
set key outside right top
set xlabel "p99 request latency (ms)"
set ylabel "cost (USD)"
set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
            set terminal pngcairo size 900,600 font ",11" noenhanced
        } else {
            set terminal png size 900,600 noenhanced
        }
    } else {
        set terminal svg size 900,600 font "sans,11" background "white" noenhanced
    }
    set output dir."/cost_vs_p99.".fmt
    set title "Cost vs p99 latency (bars: 95 % CI)"
    plot for [i=0:n-1] data index i using 1:3:2:4 with xyerrorbars lc i+1 pt 7 ps 1.5 \
             title columnheader(1), \
         for [i=0:n-1] data index i using 1:3:5 with labels offset 1,1 left notitle
    set output
}
