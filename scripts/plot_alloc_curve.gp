# plot_alloc_curve.gp - median allocation curves of the shared-GPU packing
# experiment (models/packing.c), as Fig. 9a of the FGD paper.
#
# Input:  DIR/alloc_median.csv  (arrived_pct, then one column per variant:
#         the median over seeds of the allocated GPU %, NaN where absent)
# Output: DIR/alloc_curve.png and DIR/alloc_curve.svg
# Usage:  gnuplot -e "dir='results/openb-fgd'" scripts/plot_alloc_curve.gp

if (!exists("dir")) dir = "."
data = dir."/alloc_median.csv"

set datafile separator ","
set datafile missing "NaN"
set key autotitle columnheader
set grid
set xlabel "Arrived GPU requests (% of GPU capacity)"
set ylabel "Allocated GPUs (% of GPU capacity)"

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
            set terminal pngcairo size 1400,560 font ",11" noenhanced
        } else {
            set terminal png size 1400,560 noenhanced
        }
    } else {
        set terminal svg size 1400,560 font "sans,11" background "white" noenhanced
    }
    set output dir."/alloc_curve.".fmt
    set multiplot layout 1,2 title "Shared-GPU packing: median over seeds"
    set key top left
    set xrange [0:130]
    set yrange [0:100]
    set title "whole run"
    plot for [i=2:*] data using 1:i with lines lw 2
    set key bottom right
    set xrange [80:130]
    set yrange [80:100]
    set title "saturation (80-130 % arrived)"
    plot for [i=2:*] data using 1:i with linespoints lw 2 pt 7 ps 0.4
    unset multiplot
    set output
}
