// Command benchload is the HTTP part of `make bench`: it measures the
// app's pages under load against the scale data set, for the firm with the
// most referrals, with a signed-in session, from loopback.
//
// For each size (BENCH_COMPARE, default 100,000 referrals, and
// BENCH_REFERRALS, default 1,000,000) it:
//
//  1. makes sure the database allyway_scale_f…_p…_r…_y… exists, migrated
//     and seeded (seed.Scale: reused when it is already there), on a
//     private PostgreSQL cluster kept under .data/scale (or the server of
//     BENCH_DATABASE_URL);
//  2. starts the app (`allyway serve`, the binary given by -app) as a
//     subprocess on 127.0.0.1 with the bench routes on
//     (ALLYWAY_BENCH_ROUTES=1) and signs in through the real login form,
//     as the largest firm's admin, several times (one session per
//     connection, as distinct users would);
//  3. once both apps run (one per size) and the machine is quiet after
//     their start-up jobs, for each page (the ceiling page first; see
//     pages in load.go), on the smaller size and then on the larger
//     (interleaved, so both sizes are measured under the same conditions): warms
//     up, then (a) a closed loop of -workers connections as fast as the app
//     answers for -duration (the page's throughput), then (b) a constant
//     -rate requests per second for -duration (vegeta's constant pacer: an
//     open loop, so a slow answer cannot hide its own tail), reporting p50,
//     p99 and errors; with the app's memory (VmRSS sampled under load,
//     VmHWM from /proc/<pid>/status) and the CPU time per request of the app,
//     of PostgreSQL (the cluster's processes) and of this load generator.
//
// Then it prints each page's throughput as a ratio of the ceiling page's,
// and how each page's median at the constant rate changed from the smaller
// size to the larger one; results also go to a JSON file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

// options are the command's settings; every flag has a BENCH_* variable.
type options struct {
	referrals, compare        int
	firms, partners, years    int
	duration, warmup          time.Duration
	rate, workers, sessions   int
	rounds                    int
	app, dataDir, out         string
	dbURL, appDBURL, logLevel string
	only                      string // page names to run (comma-separated; empty: all)
	extra                     []page // -page name=path
	seedOnly                  bool
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	envInt := func(k string, def int) int {
		if v := getenv(k); v != "" {
			if n, err := strconv.Atoi(strings.ReplaceAll(v, "_", "")); err == nil {
				return n
			}
		}
		return def
	}
	envDur := func(k string, def time.Duration) time.Duration {
		if v := getenv(k); v != "" {
			if d, err := time.ParseDuration(v); err == nil {
				return d
			}
		}
		return def
	}
	var o options
	fs := flag.NewFlagSet("benchload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.referrals, "referrals", envInt("BENCH_REFERRALS", 1_000_000), "referrals in the data set measured (BENCH_REFERRALS)")
	fs.IntVar(&o.compare, "compare", envInt("BENCH_COMPARE", 100_000), "also measure at this many referrals first and compare medians; 0: don't (BENCH_COMPARE)")
	fs.IntVar(&o.firms, "firms", envInt("BENCH_FIRMS", 200), "firms in the data set (BENCH_FIRMS)")
	fs.IntVar(&o.partners, "partners", envInt("BENCH_PARTNERS", 100), "partners per firm (BENCH_PARTNERS)")
	fs.IntVar(&o.years, "years", envInt("BENCH_YEARS", 3), "years of history (BENCH_YEARS)")
	fs.DurationVar(&o.duration, "duration", envDur("BENCH_DURATION", 10*time.Second), "length of each measurement (BENCH_DURATION)")
	fs.DurationVar(&o.warmup, "warmup", envDur("BENCH_WARMUP", 2*time.Second), "warm-up before each page (BENCH_WARMUP)")
	fs.IntVar(&o.rate, "rate", envInt("BENCH_RATE", 300), "the constant request rate, per second (BENCH_RATE)")
	fs.IntVar(&o.workers, "workers", envInt("BENCH_WORKERS", 8), "connections of the max-throughput loop (BENCH_WORKERS)")
	fs.IntVar(&o.rounds, "rounds", envInt("BENCH_ROUNDS", 3), "constant-rate rounds of the target pages per size; their medians' median is compared (BENCH_ROUNDS)")
	fs.IntVar(&o.sessions, "sessions", envInt("BENCH_SESSIONS", 16), "signed-in sessions the requests take turns with (BENCH_SESSIONS)")
	fs.StringVar(&o.app, "app", env("BENCH_APP", "bin/allyway"), "the allyway binary to run (BENCH_APP)")
	fs.StringVar(&o.dataDir, "data", env("BENCH_DATA_DIR", ".data/scale"), "where the private PostgreSQL cluster and results live (BENCH_DATA_DIR)")
	fs.StringVar(&o.dbURL, "db", getenv("BENCH_DATABASE_URL"), "a PostgreSQL server to use instead (a superuser URL; BENCH_DATABASE_URL)")
	fs.StringVar(&o.appDBURL, "app-db", getenv("BENCH_APP_DATABASE_URL"), "with -db: the allyway_app role's URL on it (BENCH_APP_DATABASE_URL)")
	fs.StringVar(&o.logLevel, "log-level", env("BENCH_LOG_LEVEL", "warn"), "the app's LOG_LEVEL (info logs every request; BENCH_LOG_LEVEL)")
	fs.StringVar(&o.only, "pages", getenv("BENCH_PAGES"), "pages to measure, e.g. ceiling,dashboard (BENCH_PAGES; default all)")
	fs.StringVar(&o.out, "out", getenv("BENCH_OUT"), "JSON results file (BENCH_OUT; default DATA/bench-<time>.json)")
	fs.BoolVar(&o.seedOnly, "seed-only", false, "seed (or check) the data sets and stop")
	fs.Func("page", "an extra page to measure, name=/t/{slug}/path ({slug}, {partner} are filled in); repeatable", func(v string) error {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || !strings.HasPrefix(path, "/") {
			return errors.New("want name=/path")
		}
		o.extra = append(o.extra, page{name: name, path: path})
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.referrals < 1:
		return o, errors.New("-referrals must be positive")
	case o.rate < 1 || o.workers < 1 || o.sessions < 1 || o.rounds < 1:
		return o, errors.New("-rate, -workers, -sessions and -rounds must be positive")
	case o.duration < time.Second:
		return o, errors.New("-duration must be at least 1s")
	case o.dbURL != "" && o.appDBURL == "":
		return o, errors.New("with -db (BENCH_DATABASE_URL) give -app-db (BENCH_APP_DATABASE_URL) too: " +
			"the bench never changes the password of a shared server's allyway_app role")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer srv.stop()

	sizes := []int{o.referrals}
	if o.compare > 0 && o.compare != o.referrals {
		sizes = []int{o.compare, o.referrals}
	}
	rep := report{Started: time.Now(), CPUs: numCPU(), Rate: o.rate, Workers: o.workers, Duration: o.duration.String(),
		Firms: o.firms, Partners: o.partners, Years: o.years, PostgreSQL: srv.describe, LogLevel: o.logLevel}
	var sets []dataSet
	for _, n := range sizes {
		ds, err := srv.dataSet(ctx, o, n, stdout)
		if err != nil {
			return err
		}
		sets = append(sets, ds)
	}
	if o.seedOnly {
		return nil
	}
	var subs []*subject
	defer func() {
		for _, sub := range subs {
			sub.app.stop()
		}
	}()
	for _, ds := range sets {
		sub, err := prepare(ctx, o, ds, stdout)
		if err != nil {
			return err
		}
		subs = append(subs, sub)
	}
	if err := measureAll(ctx, o, srv, subs, stdout); err != nil {
		return err
	}
	for _, sub := range subs {
		run := finish(o, sub, stdout)
		rep.Runs = append(rep.Runs, run)
		printRun(stdout, rep, run)
	}
	rep.Compare = compareChecks(o.rate, rep.Runs)
	printComparison(stdout, rep)
	return writeReport(o, rep, stdout)
}
