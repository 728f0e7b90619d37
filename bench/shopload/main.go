// Command shopload is Gin Shop's load benchmark, one command from the project's root:
//
//	go run ./bench/shopload                        # the default `go run .` shop: embedded database
//	MONGODB_URI=mongodb://127.0.0.1:27117/shop go run ./bench/shopload   # an external server
//
// It builds the shop, starts the binary on a scratch DATA_DIR with its demo data, logs in through
// the real login form, puts a product in the cart, and then loads four scenarios at a fixed
// concurrency with vegeta (github.com/tsenart/vegeta): anonymous GET /products, logged-in
// GET /products, logged-in GET /cart and logged-in POST /cart. For each it prints requests/s,
// p50/p99 latency, errors and the shop's peak RSS (VmHWM of the process, the embedded database
// included). After the last round it sends bursts (50 logins, 200 page views at once) and
// counts failures. It then counts the database commands each scenario's request costs with the
// driver's command monitor (an in-process shop on the same kind of database), and times a
// restart of the binary on the data it has just written up to its first page.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type options struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	runs        int
	binary      string
	only        string
	keep        bool
	scale       bool
	scaleFactor float64
	samples     int
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each scenario")
	flag.IntVar(&o.connections, "connections", 16, "simultaneous connections (fixed concurrency)")
	flag.IntVar(&o.runs, "runs", 1, "rounds of all scenarios (each round on a freshly started shop)")
	flag.StringVar(&o.binary, "binary", "", "a built shop binary (default: go build one)")
	flag.StringVar(&o.only, "only", "", "run only scenarios whose name contains this")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch directory (the shop's data and logs)")
	flag.BoolVar(&o.scale, "scale", false, "the scale benchmark instead (scale.go): the same pages at 1% and 100% of a large shop")
	flag.Float64Var(&o.scaleFactor, "scale-factor", 1, "with -scale: the large size as a fraction of 20,000 products (1 = the issue's size)")
	flag.IntVar(&o.samples, "samples", 60, "with -scale: requests per measured row")
	flag.Parse()
	run := run
	if o.scale {
		run = runScale
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "shopload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	selected := slices.DeleteFunc(slices.Clone(scenarios), func(s scenario) bool { return !strings.Contains(s.name, o.only) })
	if len(selected) == 0 {
		return fmt.Errorf("no scenario matches -only %q", o.only)
	}
	scratch, bin, cleanup, err := prepare(o, "shopload-*")
	if err != nil {
		return err
	}
	defer cleanup()
	mode := "embedded FerretDB (the default)"
	if os.Getenv("MONGODB_URI") != "" {
		mode = "MONGODB_URI=" + os.Getenv("MONGODB_URI")
	}
	fmt.Printf("# Gin Shop load benchmark\n\n%s, %d connections, %s warm-up + %s measured per scenario, %d round(s); %s\n\n",
		mode, o.connections, o.warmup, o.duration, o.runs, machine())

	var all []result
	var dataDir string
	var burstReport strings.Builder
	for round := 1; round <= o.runs; round++ {
		dataDir = filepath.Join(scratch, fmt.Sprintf("data%d", round))
		shop, err := startShop(bin, dataDir)
		if err != nil {
			return err
		}
		results, err := loadRound(shop, selected, o)
		if err == nil && round == o.runs {
			err = bursts(shop, &burstReport)
		}
		shop.stop()
		if err != nil {
			return err
		}
		for _, r := range results {
			fmt.Fprintf(os.Stderr, "round %d: %-24s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d  peak RSS %.0f MiB\n",
				round, r.scenario, r.rps, ms(r.p50), ms(r.p99), r.errors, r.rssMiB)
		}
		all = append(all, results...)
	}
	printTable(all, selected)
	fmt.Print(burstReport.String())

	costs, err := commandCosts(selected)
	if err != nil {
		return fmt.Errorf("counting commands: %w", err)
	}
	fmt.Printf("\n## Database commands per request (driver command monitor, 50 sequential requests each)\n\n| scenario | commands/request | of which writes | commands seen |\n|---|---|---|---|\n")
	for _, c := range costs {
		fmt.Printf("| %s | %.2f | %.2f | %s |\n", c.scenario, c.perRequest, c.writesPerRequest, c.summary)
	}

	startup, err := timeStartup(bin, dataDir)
	if err != nil {
		return fmt.Errorf("start-up: %w", err)
	}
	fmt.Printf("\nStart-up of the built binary on existing data to its first page (GET / answered 200): %s\n", startup.Round(time.Millisecond))
	return nil
}
