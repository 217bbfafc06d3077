#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn make bench's raw lines into the table and the chart.
#
#   tools/bench/report.sh RESULTS.txt OUTDIR
#
# RESULTS.txt: "KERNEL ROW IMPL MEDIAN_NS P10_NS P90_NS SAMPLES" lines
# (p2px_bench's output, prefixed with the kernel series; IMPL "pair-REF"
# lines carry the turn-by-turn ratios ours/REF in millionths). Writes
# OUTDIR/results.md (per kernel: a row per measurement with ours, the
# reference - "native" where the kernel has its own P2PDMA, "base"
# otherwise - and the ratio: the median of the paired ratios where the
# row has them, else ours/reference of the medians; p10-p90 in brackets) and
# OUTDIR/ratios.png (those ratios, log scale; below 1 means ours is faster)
# from OUTDIR/ratios.dat.
set -euo pipefail

raw=$1
out=$2
md=$out/results.md
dat=$out/ratios.dat

awk -v md="$md" -v dat="$dat" -v date="$(date -u +%Y-%m-%d)" '
function human(ns) {
	if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
	if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
	if (ns >= 1e3) return sprintf("%.2f us", ns / 1e3)
	return sprintf("%d ns", ns)
}
function cell(key) {
	if (!(key in med)) return "-"
	return sprintf("%s [%s-%s]", human(med[key]), human(p10[key]), human(p90[key]))
}
$4 == "error" { err[$1 " " $2 " " $3] = $5; next }
NF == 7 && $3 ~ /^pair-/ {
	key = $1 " " $2
	pmed[key] = $4 / 1e6; pp10[key] = $5 / 1e6; pp90[key] = $6 / 1e6
	next
}
NF == 7 {
	key = $1 " " $2 " " $3
	med[key] = $4; p10[key] = $5; p90[key] = $6; n[key] = $7
	if (!(($1 " " $2) in seen)) {
		seen[$1 " " $2] = 1
		rows[$1] = rows[$1] " " $2
	}
	if (!($1 in kseen)) { kseen[$1] = 1; kernels[++nk] = $1 }
	if ($3 != "ours") ref[$1 " " $2] = $3
}
END {
	printf "# p2pdma-ext benchmark, %s\n\n", date > md
	printf "Median [p10-p90] of the samples counted in the last column. ratio = ours / reference time (below 1: ours is faster): " > md
	printf "where both were timed in turns in one kernel command, the median [p10-p90] of the ratios of the two samples of each turn " > md
	printf "(paired: a slow spell of the host that spans a turn cancels out); else (the dma-buf rows, timed in separate runs) " > md
	printf "the ratio of the medians, which the column after it gives for every row.\n" > md
	for (i = 1; i <= nk; i++) {
		k = kernels[i]
		printf "\n## kernel %s\n\n", k > md
		printf "| row | ours | reference | reference time | ratio | ratio of medians | samples |\n" > md
		printf "|---|---|---|---|---|---|---|\n" > md
		m = split(rows[k], r, " ")
		for (j = 1; j <= m; j++) {
			rk = k " " r[j]
			o = rk " ours"
			rf = (rk in ref) ? ref[rk] : ""
			ratio = "-"; rom = "-"
			if (rf != "" && (o in med) && med[rk " " rf] > 0) {
				rom = sprintf("%.3g", med[o] / med[rk " " rf])
				if (rk in pmed) {
					q = sprintf("%.3g", pmed[rk])
					ratio = sprintf("%s [%.3g-%.3g]", q, pp10[rk], pp90[rk])
				} else {
					q = rom
					ratio = rom
				}
				printf "%s/%s %s\n", k, r[j], q > dat
			}
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", r[j], cell(o), \
				(rf == "" ? "-" : rf), (rf == "" ? "-" : cell(rk " " rf)), \
				ratio, rom, n[o] > md
		}
	}
	for (e in err)
		printf "\nFAILED: %s: error %s\n", e, err[e] > md
}' "$raw"

if [ -s "$dat" ] && command -v gnuplot >/dev/null; then
	gnuplot <<-GP
		set terminal png size 1400,700 font ",9"
		set output "$out/ratios.png"
		set title "p2pdma-ext: time ours / time reference (native on 7.2, base on 6.1); below 1 = ours faster"
		set style data histograms
		set style fill solid 0.8 border -1
		set boxwidth 0.8
		set logscale y
		set yrange [0.0001:100]
		set ylabel "ratio (log scale)"
		set xtics rotate by -60 scale 0
		set bmargin 12
		set grid ytics
		unset key
		plot "$dat" using 2:xtic(1) lc rgb "#3070b0", 1 with lines lc rgb "#c03030" lw 2
	GP
else
	echo "report: no ratios or no gnuplot: $out/ratios.png not made" >&2
fi
