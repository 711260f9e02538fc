# hub.gp: plots for tests/bench/hub.sh. Variables: out (directory of the
# .dat files and of the PNGs), term (pngcairo or png).
if (term eq 'pngcairo') {
	set terminal pngcairo size 1000,560 font 'Sans,11' noenhanced
} else {
	set terminal png size 1000,560 noenhanced
}
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set yrange [0:*]

set output out.'/gossip.png'
set title 'Gossip: age of what a node knows (steps), measured beside the closed forms'
set ylabel 'age (steps)'
plot out.'/gossip.dat' using 2:xtic(1) title 'average, measured' lc rgb '#1f77b4', \
     '' using 3 title 'average, formula' lc rgb '#aec7e8', \
     '' using 4 title 'view maximum, measured' lc rgb '#d62728', \
     '' using 5 title 'maximum, formula' lc rgb '#ff9896', \
     '' using 7 title 'join: known by all' lc rgb '#2ca02c'

set output out.'/hub.png'
set title 'guestd at rest, with 0 and with 200 registered processes'
set ylabel '% of one core / MiB resident'
set xlabel 'registered processes'
plot out.'/hub.dat' using 2:xtic(1) title 'CPU (% of a core; target < 0.5)' lc rgb '#1f77b4', \
     '' using ($3/1024) title 'resident MiB (target < 8)' lc rgb '#ff7f0e'
