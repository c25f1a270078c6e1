# report_latency_cdf.gp - empirical CDF of request latency per variant, first
# seed, latency on a log axis (sim/report.c).
#
# Input:  DIR/plot_latency_cdf.dat - one index block per variant; its first
#         line is a header whose first field is the variant name, then rows
#         latency_ms cdf (only latency > 0)
# Output: DIR/latency_cdf.png and DIR/latency_cdf.svg
# Usage:  gnuplot -e "dir='results/x'" scripts/report_latency_cdf.gp

if (!exists("dir")) dir = "."
data = dir."/plot_latency_cdf.dat"

set key autotitle columnheader
stats data using 1 nooutput
n = STATS_blocks

set grid xtics mxtics ytics
set key bottom right
set logscale x 10
set xlabel "request latency (ms, log scale)"
set ylabel "fraction of requests"
set yrange [0:1]

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
    set output dir."/latency_cdf.".fmt
    set title "Request latency CDF"
    plot for [i=0:n-1] data index i using 1:2 with steps lw 2 lc i+1 title columnheader(1)
    set output
}
