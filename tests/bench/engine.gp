# engine.gp: plots for tests/bench/run.sh.
# Variables from the command line: out (directory of the .dat files, and of
# the PNGs), term (pngcairo or png), names (image names in compress.dat, one
# word each, in block order).

if (term eq 'pngcairo') {
	set terminal pngcairo size 1100,600 font 'Sans,11' noenhanced
} else {
	set terminal png size 1100,600 noenhanced
}

# Throughput: one cluster of bars per process size, baselines last.
set output out.'/throughput.png'
set title 'Dump and restore throughput beside the raw copy rates (MB/s, median of 3)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set ylabel 'MB/s (10^6 bytes of process memory per second)'
set yrange [0:*]
set grid ytics
plot out.'/throughput.dat' using 2:xtic(1) title 'dump, none' lc rgb '#1f77b4', \
     '' using 3 title 'dump, lzo' lc rgb '#aec7e8', \
     '' using 10 title 'dump, none, into /dev/null' lc rgb '#17becf', \
     '' using 4 title 'restore, none' lc rgb '#d62728', \
     '' using 5 title 'restore, lzo' lc rgb '#ff9896', \
     '' using 9 title 'restore, none, mapped' lc rgb '#ff7f0e', \
     '' using 6 title 'raw copy (warm)' lc rgb '#555555', \
     '' using 7 title 'raw copy (fresh memory)' lc rgb '#999999', \
     '' using 8 title 'tmpfs write' lc rgb '#cccccc'

# Freeze to running: phases stacked per mode and method, target line at 100 ms.
set output out.'/downtime.png'
set title 'Freeze to running copy (ms, median of 3; target under 100 ms)'
set style histogram rowstacked
set xlabel "sequential through a tmpfs file (copied or mapped); pipelined through a pipe or a socketpair"
set boxwidth 0.6
set ylabel 'milliseconds'
plot out.'/downtime.dat' using 2:xtic(1) title 'freeze' lc rgb '#2ca02c', \
     '' using 3 title 'dump' lc rgb '#1f77b4', \
     '' using 4 title 'restore after dump' lc rgb '#d62728', \
     '' using 5 title 'first PTRACE_CONT' lc rgb '#9467bd', \
     100 with lines dt 2 lw 2 lc rgb 'black' title 'target 100 ms'

# Compression: ratio against speed, compression left, decompression right.
set output out.'/compress.png'
unset xlabel
unset style
set style data points
set key inside top right
set grid xtics ytics
set logscale xy
set xrange [*:*]
set yrange [1:12]
set ytics (1, 1.25, 1.5, 2, 3, 4, 6, 8, 10)
set multiplot layout 1,2 title 'Page compression per 2 MiB record: ratio vs speed (median of 3)'
n = words(names)
set title 'compression'
set xlabel 'MB/s of uncompressed data (log)'
set ylabel 'ratio, raw / stored (log)'
plot for [i=0:n-1] out.'/compress.dat' index i using 3:2 pt 7 ps 1.8 \
	title word(names, i+1), \
     for [i=0:n-1] '' index i using 3:2:1 with labels left offset 1.2,0 notitle
set title 'decompression'
plot for [i=0:n-1] out.'/compress.dat' index i using 4:2 pt 5 ps 1.8 \
	title word(names, i+1), \
     for [i=0:n-1] '' index i using 4:2:1 with labels left offset 1.2,0 notitle
unset multiplot
