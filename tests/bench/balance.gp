# balance.gp: the plot of tests/bench/balance.sh. Variables: out, term.
if (term eq 'pngcairo') {
	set terminal pngcairo size 1000,560 font 'Sans,11' noenhanced
} else {
	set terminal png size 1000,560 noenhanced
}
set output out.'/balance.png'
set title 'Makespan of equal CPU-bound jobs started on one node of four'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set yrange [0:*]
set ylabel 'seconds'
plot out.'/balance.dat' using 2:xtic(1) title 'ideal (work / capacity)' lc rgb '#555555', \
     '' using 3 title 'automatic balancing' lc rgb '#2ca02c', \
     '' using 5 title 'static round-robin' lc rgb '#1f77b4', \
     '' using 4 title 'no balancing' lc rgb '#d62728'
