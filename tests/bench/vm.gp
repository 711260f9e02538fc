# vm.gp: plot for tests/bench/vm.sh. Variables: out (directory of vm.dat and
# of the PNG), term (pngcairo or png).
if (term eq 'pngcairo') {
	set terminal pngcairo size 1100,500 font 'Sans,11' noenhanced
} else {
	set terminal png size 1100,500 noenhanced
}
set output out.'/vm.png'
set multiplot layout 1,2 title 'Virtual cluster under this host (targets dashed)'
set xlabel 'nodes'
set xtics 1
set grid ytics
set key bottom right
set offsets 0, 0, graph 0.15, 0
set style data linespoints
set ylabel 'seconds'
set yrange [0:*]
set title 'Bring-up'
plot out.'/vm.dat' using 1:2 title 'hostctl up until all see all' lw 2, \
     '' using 1:3 title 'start to all see all' lw 2, \
     '' using 1:4 title 'one node boot (mean)' lw 2, \
     30 title '30 s target (3 nodes)' dt 2 lc rgb '#888888'
set ylabel 'MiB per node'
set title 'Host memory per idle node (QEMU)'
plot out.'/vm.dat' using 1:5 title 'RSS' lw 2, \
     '' using 1:6 title 'PSS' lw 2, \
     300 title '300 MB target' dt 2 lc rgb '#888888'
unset multiplot
