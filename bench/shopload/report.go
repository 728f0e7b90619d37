package main

import (
	"fmt"
	"slices"
	"time"
)

func printTable(all []result, selected []scenario) {
	fmt.Printf("| scenario | rounds | req/s (median, min–max) | p50 ms | p99 ms | errors | peak RSS MiB |\n|---|---|---|---|---|---|---|\n")
	for _, s := range selected {
		var rs []result
		for _, r := range all {
			if r.scenario == s.name {
				rs = append(rs, r)
			}
		}
		rps := pick(rs, func(r result) float64 { return r.rps })
		p50 := pick(rs, func(r result) float64 { return ms(r.p50) })
		p99 := pick(rs, func(r result) float64 { return ms(r.p99) })
		rss := pick(rs, func(r result) float64 { return r.rssMiB })
		errs := 0
		for _, r := range rs {
			errs += r.errors
		}
		fmt.Printf("| %s | %d | %.0f (%.0f–%.0f) | %.2f | %.2f | %d | %.0f |\n",
			s.name, len(rs), median(rps), rps[0], rps[len(rps)-1], median(p50), median(p99), errs, slices.Max(rss))
	}
}

func pick(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	slices.Sort(out)
	return out
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
