package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// page is one page measured; {slug} and {partner} in its path are the
// largest firm's slug and its busiest partner's id.
type page struct {
	name, path string
	// pending marks a page another issue is building: it is measured once
	// it answers 200 and reported as not there yet until then.
	pending bool
}

// pages are measured in this order, the ceiling page first (the others'
// throughput is reported as a ratio of its). To measure another page, add
// a line here or pass -page name=/t/{slug}/path.
var pages = []page{
	{name: "ceiling", path: "/t/{slug}/bench/ceiling"},
	{name: "dashboard", path: "/t/{slug}"},
	{name: "partners", path: "/t/{slug}/partners"},
	{name: "partner", path: "/t/{slug}/partners/{partner}"},
	{name: "referrals", path: "/t/{slug}/referrals"},
	{name: "scorecard", path: "/t/{slug}/partners/{partner}/scorecard"}, // issue 7
	{name: "program", path: "/t/{slug}/program"},                        // issue 7
}

// Issue 7's targets, printed next to the figures (measured, never asserted):
// the scorecard and the program dashboard of the largest firm answer at
// least targetRatio times the ceiling page's throughput, with a p99 under
// targetP99 at the constant rate; their median moves less than
// targetChange from the smaller data set to the larger; and the app stays
// under targetRSS while loaded.
const (
	targetRatio  = 1.5
	targetP99    = 50.0 // ms, at BENCH_RATE (300/s)
	targetChange = 20.0 // % change of the median
	targetRSS    = 150.0

	targetP99Duration = time.Duration(targetP99 * float64(time.Millisecond))
)

// targetPages are the pages the ratio, p99 and median targets are for.
var targetPages = []string{"scorecard", "program"}

// phase is one measurement of one page.
type phase struct {
	Requests   int            `json:"requests"`
	OK         int            `json:"ok"` // 200 answers
	Errors     map[string]int `json:"errors,omitempty"`
	Seconds    float64        `json:"seconds"`
	Throughput float64        `json:"throughput"` // 200 answers per second
	P50, P99   float64        // milliseconds
	Max        float64
	// CPU milliseconds per request: the app, PostgreSQL (the cluster's
	// processes), this load generator, and everything else on the machine.
	AppCPU, PGCPU, LoadCPU, OtherCPU float64
	RSSMB, HWMMB                     float64 // the app's peak VmRSS sampled, and VmHWM
	// Slow answers (over the p99 target) and when the first and last of
	// them were sent: a tail that comes from one stall shows as a short
	// window, to be matched with what the app and its jobs did then.
	Slow     int       `json:"slow"`
	SlowFrom time.Time `json:"slow_from,omitzero"`
	SlowTo   time.Time `json:"slow_to,omitzero"`
}

type pageResult struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Status string `json:"status,omitempty"` // why it was not measured
	Bytes  int    `json:"bytes"`
	Max    phase  `json:"max"`  // closed loop, as fast as it answers
	Rate   phase  `json:"rate"` // constant rate
	// Rounds are the further constant-rate measurements of a target page
	// (-rounds), taken after every page's first, the sizes alternating.
	Rounds []phase `json:"rate_rounds,omitempty"`
	// RateSkipped says why the constant rate was not run.
	RateSkipped string  `json:"rate_skipped,omitempty"`
	Ratio       float64 `json:"ratio_to_ceiling"`
}

// check is one of issue 7's targets as measured.
type check struct {
	Page   string  `json:"page,omitempty"` // empty: the app as a whole
	What   string  `json:"what"`
	Value  string  `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
	Figure float64 `json:"figure"`
}

type runResult struct {
	Checks           []check      `json:"targets"`
	DataSet          dataSet      `json:"data_set"`
	Partner          string       `json:"partner_id"`
	PartnerReferrals int          `json:"partner_referrals"`
	LoadBefore       string       `json:"load_before"`
	LoadAfter        string       `json:"load_after"`
	AppErrors        int          `json:"app_error_lines"`
	Pages            []pageResult `json:"pages"`
}

type report struct {
	Started    time.Time   `json:"started"`
	CPUs       int         `json:"cpus"`
	PostgreSQL string      `json:"postgresql"`
	Firms      int         `json:"firms"`
	Partners   int         `json:"partners"`
	Years      int         `json:"years"`
	Rate       int         `json:"rate"`
	Workers    int         `json:"workers"`
	Duration   string      `json:"duration"`
	LogLevel   string      `json:"log_level"`
	Runs       []runResult `json:"runs"`
	// Compare are the median-change targets, from the first run to the last.
	Compare []check `json:"compare_targets,omitempty"`
}

// settleBusy and settleMax: measuring starts once the machine has been
// less than settleBusy busy (all cores) for a second, or after settleMax.
const (
	settleBusy = 0.15
	settleMax  = 2 * time.Minute
)

// settle waits until the machine has been less than busy (a fraction of
// all cores) for a whole second, or max has passed (ok false).
func settle(ctx context.Context, busy float64, max time.Duration) (took time.Duration, ok bool) {
	start := time.Now()
	for time.Since(start) < max {
		before, t0 := machineBusy(), time.Now()
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(time.Second):
		}
		if float64(machineBusy()-before) < busy*float64(runtime.NumCPU())*float64(time.Since(t0)) {
			return time.Since(start), true
		}
	}
	return time.Since(start), false
}

// subject is one data set with its app running and signed in: what the
// pages are measured on.
type subject struct {
	ds      dataSet
	app     *app
	cookies []string
	res     runResult
	ceiling float64 // the ceiling page's throughput, once measured
}

// prepare starts the app on the data set and signs in.
func prepare(ctx context.Context, o options, ds dataSet, stdout io.Writer) (*subject, error) {
	sub := &subject{ds: ds, res: runResult{DataSet: ds, LoadBefore: loadAvg()}}
	var err error
	if sub.res.Partner, sub.res.PartnerReferrals, err = busiestPartner(ctx, ds); err != nil {
		return nil, err
	}
	if sub.app, err = startApp(ctx, o, ds); err != nil {
		return nil, err
	}
	if sub.cookies, err = sub.app.sessions(o.sessions, ds); err != nil {
		sub.app.stop()
		return nil, err
	}
	fmt.Fprintf(stdout, "%s referrals: app pid %d at %s; signed in %d times as %s; load average %s\n",
		short(ds.Referrals), sub.app.pid(), sub.app.base, len(sub.cookies), ds.Largest.AdminEmail, sub.res.LoadBefore)
	return sub, nil
}

// pageList is the pages to measure, in order (the ceiling page first).
func pageList(o options) []page {
	var list []page
	var only map[string]bool
	if o.only != "" {
		only = map[string]bool{"ceiling": true} // the ratio needs it
		for _, n := range strings.Split(o.only, ",") {
			only[strings.TrimSpace(n)] = true
		}
	}
	for _, p := range append(slices.Clone(pages), o.extra...) {
		if only == nil || only[p.name] {
			list = append(list, p)
		}
	}
	return list
}

// measurePage measures one page on the subject and adds it to its results.
func measurePage(ctx context.Context, o options, srv *server, sub *subject, p page, stdout io.Writer) error {
	a := sub.app
	path := strings.NewReplacer("{slug}", sub.ds.Largest.Slug, "{partner}", sub.res.Partner).Replace(p.path)
	pr := pageResult{Name: p.name, Path: path}
	label := fmt.Sprintf("  %-5s %-10s", short(sub.ds.Referrals), p.name)
	code, size, err := probe(a.base+path, sub.cookies[0])
	switch {
	case err != nil:
		return err
	case code == http.StatusNotFound && p.pending:
		pr.Status = "not built yet (404)"
	case code != http.StatusOK:
		pr.Status = fmt.Sprintf("HTTP %d", code)
	}
	if pr.Status != "" {
		fmt.Fprintf(stdout, "%s %s: %s\n", label, path, pr.Status)
		sub.res.Pages = append(sub.res.Pages, pr)
		return nil
	}
	pr.Bytes = size
	tr := targeter(a.base+path, sub.cookies)
	if _, err := attack(ctx, tr, 0, o.workers, o.warmup, a.pid(), 0); err != nil {
		return err
	}
	if pr.Max, err = attack(ctx, tr, 0, o.workers, o.duration, a.pid(), srv.postmasterPID()); err != nil {
		return err
	}
	// A page that can't answer the constant rate at all would only queue
	// requests up (and time them out) at that rate: it has failed the
	// target already, and the backlog would spoil the next page's figures.
	if pr.Max.Throughput >= float64(o.rate) {
		if pr.Rate, err = attack(ctx, tr, o.rate, o.workers, o.duration, a.pid(), srv.postmasterPID()); err != nil {
			return err
		}
	} else {
		pr.RateSkipped = fmt.Sprintf("not run: max %.0f < %d req/s", pr.Max.Throughput, o.rate)
	}
	if p.name == "ceiling" {
		sub.ceiling = pr.Max.Throughput
	}
	if sub.ceiling > 0 {
		pr.Ratio = pr.Max.Throughput / sub.ceiling
	}
	at := fmt.Sprintf("p50 %.1f ms p99 %.1f ms at %d req/s", pr.Rate.P50, pr.Rate.P99, o.rate)
	if pr.RateSkipped != "" {
		at = fmt.Sprintf("%d req/s %s", o.rate, pr.RateSkipped)
	}
	fmt.Fprintf(stdout, "%s %6.0f req/s (×%.2f ceiling), %s, RSS %.0f MB\n",
		label, pr.Max.Throughput, pr.Ratio, at, max(pr.Max.RSSMB, pr.Rate.RSSMB))
	sub.res.Pages = append(sub.res.Pages, pr)
	return nil
}

// finish stops the subject's app and completes its results.
func finish(o options, sub *subject, stdout io.Writer) runResult {
	sub.app.stop()
	res := sub.res
	res.LoadAfter = loadAvg()
	res.Checks = runChecks(o.rate, res)
	a := sub.app
	a.mu.Lock()
	res.AppErrors = a.errN
	a.mu.Unlock()
	if errs := a.errors(); len(errs) > 0 {
		fmt.Fprintf(stdout, "the %s app logged %d error lines, e.g.:\n  %s\n", short(sub.ds.Referrals), res.AppErrors,
			strings.Join(errs, "\n  "))
	}
	return res
}

// measureAll measures every page on every subject, interleaved: each page
// on the smaller data set, then on the larger, then the next page. Both
// apps run throughout (their periodic jobs too), so a page's figures at
// the two sizes are taken minutes apart at most, under the same
// conditions; measured one size after the other, the machine's own drift
// between the two halves (minutes apart) moved the medians by ±20–35%.
func measureAll(ctx context.Context, o options, srv *server, subs []*subject, stdout io.Writer) error {
	// Steady state: the jobs an app runs when it starts (each firm's first
	// SLA scan, the daily alert scan, the rollup refresh) finish first; the
	// periodic ones keep running while pages are measured.
	quiet, ok := settle(ctx, settleBusy, settleMax)
	fmt.Fprintf(stdout, "start-up jobs: machine quiet (< %.0f%% busy for 1 s) after %s%s\n", settleBusy*100,
		quiet.Round(100*time.Millisecond), map[bool]string{false: " (gave up waiting)", true: ""}[ok])
	list := pageList(o)
	for _, p := range list {
		for _, sub := range subs {
			if err := measurePage(ctx, o, srv, sub, p, stdout); err != nil {
				return err
			}
		}
	}
	// Further constant-rate rounds of the target pages, the sizes in
	// alternating order (A B, B A, A B, …): one 10-second window's median
	// at 300 req/s on 2 cores moves by ±25% with whatever else the machine
	// does in it, more than the ±20% the target allows.
	for round := 2; round <= o.rounds; round++ {
		order := slices.Clone(subs)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		for _, p := range list {
			if !slices.Contains(targetPages, p.name) {
				continue
			}
			for _, sub := range order {
				if err := measureRound(ctx, o, srv, sub, p.name, round, stdout); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// measureRound measures a page's constant rate once more on the subject
// (when its first measurement ran the constant rate).
func measureRound(ctx context.Context, o options, srv *server, sub *subject, name string, round int, stdout io.Writer) error {
	i := slices.IndexFunc(sub.res.Pages, func(p pageResult) bool { return p.Name == name })
	if i < 0 || sub.res.Pages[i].Status != "" || sub.res.Pages[i].RateSkipped != "" {
		return nil
	}
	pr := &sub.res.Pages[i]
	ph, err := attack(ctx, targeter(sub.app.base+pr.Path, sub.cookies), o.rate, o.workers, o.duration, sub.app.pid(),
		srv.postmasterPID())
	if err != nil {
		return err
	}
	pr.Rounds = append(pr.Rounds, ph)
	fmt.Fprintf(stdout, "  %-5s %-10s round %d: p50 %.1f ms p99 %.1f ms at %d req/s\n", short(sub.ds.Referrals), name, round,
		ph.P50, ph.P99, o.rate)
	return nil
}

// probe fetches the page once: its status and size.
func probe(u, cookie string) (int, int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Cookie", cookie)
	c := &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, len(b), err
}

// targeter hands out GETs of u, the sessions taking turns.
func targeter(u string, cookies []string) vegeta.Targeter {
	headers := make([]http.Header, len(cookies))
	for i, c := range cookies {
		headers[i] = http.Header{"Cookie": {c}}
	}
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		i := n.Add(1)
		*t = vegeta.Target{Method: http.MethodGet, URL: u, Header: headers[i%uint64(len(headers))]}
		return nil
	}
}

// attack loads the page for d: rate 0 is a closed loop of workers
// connections (each sends its next request when the last is answered),
// otherwise a constant rate (an open loop: vegeta adds workers when all
// are busy). pgRoot, when set, is the postmaster whose processes' CPU
// time is PostgreSQL's.
func attack(ctx context.Context, tr vegeta.Targeter, rate, workers int, d time.Duration, appPID, pgRoot int) (phase, error) {
	opts := []func(*vegeta.Attacker){vegeta.KeepAlive(true), vegeta.MaxBody(0), vegeta.Timeout(30 * time.Second),
		vegeta.Redirects(vegeta.NoFollow)}
	if rate == 0 {
		opts = append(opts, vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.Connections(workers))
	}
	atk := vegeta.NewAttacker(opts...)
	pacer := vegeta.ConstantPacer{Freq: rate, Per: time.Second}

	self := strconv.Itoa(os.Getpid())
	app := strconv.Itoa(appPID)
	appBefore, _, _ := cpuTime(app)
	selfBefore, _, _ := cpuTime(self)
	pgBefore := treeCPU(pgRoot)
	busyBefore := machineBusy()
	var rssMax int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _ := memKB(appPID); rss > rssMax {
				rssMax = rss
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	var lat []time.Duration
	ph := phase{Errors: map[string]int{}}
	results := atk.Attack(tr, pacer, d, "")
	for r := range results {
		if ctx.Err() != nil {
			atk.Stop()
		}
		ph.Requests++
		lat = append(lat, r.Latency)
		if r.Latency > targetP99Duration {
			if ph.Slow == 0 || r.Timestamp.Before(ph.SlowFrom) {
				ph.SlowFrom = r.Timestamp
			}
			if r.Timestamp.After(ph.SlowTo) {
				ph.SlowTo = r.Timestamp
			}
			ph.Slow++
		}
		switch {
		case r.Code == http.StatusOK:
			ph.OK++
		case r.Error != "" && r.Code == 0:
			ph.Errors[r.Error]++
		default:
			ph.Errors["HTTP "+strconv.Itoa(int(r.Code))]++
		}
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return ph, err
	}
	appAfter, _, _ := cpuTime(app)
	selfAfter, _, _ := cpuTime(self)
	pg := treeDelta(pgBefore, treeCPU(pgRoot))
	busy := machineBusy() - busyBefore
	_, hwm := memKB(appPID)

	ph.Seconds = elapsed.Seconds()
	ph.Throughput = float64(ph.OK) / elapsed.Seconds()
	slices.Sort(lat)
	ph.P50, ph.P99, ph.Max = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99)), ms(quantile(lat, 1))
	n := float64(max(ph.Requests, 1))
	appCPU, loadCPU := appAfter-appBefore, selfAfter-selfBefore
	ph.AppCPU, ph.PGCPU, ph.LoadCPU = ms(appCPU)/n, ms(pg)/n, ms(loadCPU)/n
	ph.OtherCPU = max(0, ms(busy-appCPU-pg-loadCPU)/n)
	ph.RSSMB, ph.HWMMB = float64(rssMax)/1024, float64(hwm)/1024
	if len(ph.Errors) == 0 {
		ph.Errors = nil
	}
	return ph, nil
}

// quantile is the nearest-rank q-quantile of sorted xs.
func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	i := int(q*float64(len(xs))+0.999999) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Reports ------------------------------------------------------------------

func printRun(w io.Writer, rep report, run runResult) {
	ds := run.DataSet
	fmt.Fprintf(w, "\n== %s referrals (%d firms × %d partners, %d years; %s): measured on %s with %s referrals\n",
		thousands(ds.Referrals), rep.Firms, rep.Partners, rep.Years, seededNote(ds), ds.Largest.Slug, thousands(ds.Largest.Referrals))
	fmt.Fprintf(w, "   partner page: its busiest partner (%s referrals); %d CPUs, load average %s before, %s after; app LOG_LEVEL=%s\n",
		thousands(run.PartnerReferrals), rep.CPUs, run.LoadBefore, run.LoadAfter, rep.LogLevel)
	fmt.Fprintf(w, "   %s\n", rep.PostgreSQL)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t\t|\tclosed loop\t\t\t\t|\tconstant rate\t\t\t\t|\tCPU ms per request\t\t\t\t|\tapp memory\t\t\n")
	fmt.Fprintf(tw, "page\tKB\t|\treq/s\t×ceiling\tp50 ms\tp99 ms\t|\t%d/s p50 ms\tp99 ms\tmax ms\terrors\t|\tapp\tpostgres\tload gen\tother\t|\tRSS MB\tHWM MB\t\n", rep.Rate)
	for _, p := range run.Pages {
		if p.Status != "" {
			fmt.Fprintf(tw, "%s\t\t|\t%s\t\t\t\t|\t\t\t\t\t|\t\t\t\t\t|\t\t\t\n", p.Name, p.Status)
			continue
		}
		rate := fmt.Sprintf("%.1f\t%.1f\t%.1f\t%d", p.Rate.P50, p.Rate.P99, p.Rate.Max, p.Rate.Requests-p.Rate.OK)
		if p.RateSkipped != "" {
			rate = "—\t—\t—\t—"
		}
		fmt.Fprintf(tw, "%s\t%.1f\t|\t%.0f\t%.2f\t%.1f\t%.1f\t|\t%s\t|\t%.2f\t%.2f\t%.2f\t%.2f\t|\t%.0f\t%.0f\t\n",
			p.Name, float64(p.Bytes)/1024, p.Max.Throughput, p.Ratio, p.Max.P50, p.Max.P99, rate,
			p.Max.AppCPU, p.Max.PGCPU, p.Max.LoadCPU, p.Max.OtherCPU, max(p.Max.RSSMB, p.Rate.RSSMB), max(p.Max.HWMMB, p.Rate.HWMMB))
	}
	tw.Flush()
	fmt.Fprintf(w, "   closed loop: %d connections, each sending its next request when answered; constant rate: %d req/s (vegeta's\n"+
		"   constant pacer), not run when the closed loop stayed below it; errors: answers other than 200 in both. CPU split\n"+
		"   measured in the closed loop: the app, PostgreSQL's processes, this load generator, and the rest of the machine\n"+
		"   (other processes: noise). Memory: the app's VmRSS sampled every 100 ms under load, VmHWM its peak. Each phase %s.\n",
		rep.Workers, rep.Rate, rep.Duration)
	printChecks(w, "issue 7 targets at "+short(ds.Referrals)+" referrals", run.Checks)
	for _, p := range run.Pages {
		if p.RateSkipped != "" {
			fmt.Fprintf(w, "   %s: constant rate %s\n", p.Name, p.RateSkipped)
		}
		for _, r := range p.rates() {
			if r.Slow > 0 {
				fmt.Fprintf(w, "   %s: %d of %d answers at %d req/s took over %s, sent from %s to %s\n", p.Name, r.Slow, r.Requests,
					rep.Rate, targetP99Duration, r.SlowFrom.UTC().Format("15:04:05.000"), r.SlowTo.UTC().Format("15:04:05.000"))
			}
		}
		for _, ph := range []phase{p.Max, p.Rate} {
			for e, n := range ph.Errors {
				fmt.Fprintf(w, "   %s: %d × %s\n", p.Name, n, e)
			}
		}
	}
}

func seededNote(ds dataSet) string {
	if ds.Seeded {
		return "seeded now in " + ds.SeedTime
	}
	return "reused"
}

// printComparison shows how the median at the constant rate (and the
// throughput) moved from the smaller data set to the larger one.
func printComparison(w io.Writer, rep report) {
	if len(rep.Runs) < 2 {
		return
	}
	a, b := rep.Runs[0], rep.Runs[len(rep.Runs)-1]
	fmt.Fprintf(w, "\n== From %s to %s referrals (largest firm %s → %s): median latency and throughput\n",
		thousands(a.DataSet.Referrals), thousands(b.DataSet.Referrals), thousands(a.DataSet.Largest.Referrals),
		thousands(b.DataSet.Largest.Referrals))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "page\tp50 ms %s\tp50 ms %s\tchange\t|\treq/s %s\treq/s %s\tchange\t|\tmedian of\t\n",
		short(a.DataSet.Referrals), short(b.DataSet.Referrals), short(a.DataSet.Referrals), short(b.DataSet.Referrals))
	for _, pb := range b.Pages {
		i := slices.IndexFunc(a.Pages, func(p pageResult) bool { return p.Name == pb.Name })
		if i < 0 || pb.Status != "" || a.Pages[i].Status != "" {
			continue
		}
		pa := a.Pages[i]
		ma, mb, of := medians(rep.Rate, pa, pb)
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%+.0f%%\t|\t%.0f\t%.0f\t%+.0f%%\t|\t%s\t\n", pb.Name, ma, mb, pct(ma, mb),
			pa.Max.Throughput, pb.Max.Throughput, pct(pa.Max.Throughput, pb.Max.Throughput), of)
	}
	tw.Flush()
	printChecks(w, "issue 7 target from "+short(a.DataSet.Referrals)+" to "+short(b.DataSet.Referrals), rep.Compare)
}

// rates are the page's constant-rate measurements: the first and its rounds.
func (p pageResult) rates() []phase { return append([]phase{p.Rate}, p.Rounds...) }

// p50 is the median of the page's constant-rate medians (of its rounds).
func (p pageResult) p50() float64 {
	var xs []float64
	for _, r := range p.rates() {
		xs = append(xs, r.P50)
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// worst is the page's constant-rate round with the highest p99.
func (p pageResult) worst() phase {
	w := p.Rate
	for _, r := range p.Rounds {
		if r.P99 > w.P99 {
			w = r
		}
	}
	return w
}

// medians are the two runs' medians of a page compared: at the constant
// rate when both ran it (the median of its rounds), else the closed
// loop's (of says which).
func medians(rate int, pa, pb pageResult) (ma, mb float64, of string) {
	if pa.RateSkipped != "" || pb.RateSkipped != "" {
		return pa.Max.P50, pb.Max.P50, "closed loop"
	}
	of = fmt.Sprintf("%d req/s", rate)
	if n := min(len(pa.rates()), len(pb.rates())); n > 1 {
		of += fmt.Sprintf(", median of %d rounds", n)
	}
	return pa.p50(), pb.p50(), of
}

// runChecks are issue 7's targets for one run: each target page's
// throughput as a ratio of the ceiling page's and its p99 at the constant
// rate, and the app's peak RSS over every page measured.
func runChecks(rate int, run runResult) []check {
	var out []check
	var rss, hwm float64
	for _, p := range run.Pages {
		for _, ph := range append(p.rates(), p.Max) {
			rss = max(rss, ph.RSSMB)
			hwm = max(hwm, ph.HWMMB)
		}
	}
	for _, name := range targetPages {
		p, ok := run.page(name)
		if !ok {
			continue // not asked for (-pages)
		}
		if p.Status != "" {
			out = append(out, check{Page: name, What: "measured", Value: p.Status, Target: "HTTP 200"})
			continue
		}
		out = append(out, check{Page: name, What: "throughput", Value: fmt.Sprintf("%.0f req/s = %.2f× ceiling", p.Max.Throughput, p.Ratio),
			Target: fmt.Sprintf("≥ %.1f× ceiling", targetRatio), Met: p.Ratio >= targetRatio, Figure: p.Ratio})
		c := check{Page: name, What: fmt.Sprintf("p99 at %d req/s", rate), Target: fmt.Sprintf("< %.0f ms", targetP99)}
		if p.RateSkipped != "" {
			c.Value = p.RateSkipped
		} else {
			// With rounds, the worst of them: each is a window of its own.
			w, errs := p.worst(), 0
			for _, r := range p.rates() {
				errs += r.Requests - r.OK
			}
			c.Value, c.Met, c.Figure = fmt.Sprintf("%.1f ms (p50 %.1f ms)", w.P99, w.P50), w.P99 < targetP99 && errs == 0, w.P99
			if n := len(p.rates()); n > 1 {
				c.Value = fmt.Sprintf("%.1f ms (worst of %d rounds, p50 %.1f ms)", w.P99, n, w.P50)
			}
			if errs > 0 {
				c.Value += fmt.Sprintf(", %d errors", errs)
			}
		}
		out = append(out, c)
	}
	if rss > 0 {
		out = append(out, check{What: "app RSS under load", Value: fmt.Sprintf("%.0f MB (VmHWM %.0f MB)", rss, hwm),
			Target: fmt.Sprintf("< %.0f MB", targetRSS), Met: rss < targetRSS, Figure: rss})
	}
	return out
}

// compareChecks are the median-change targets from the first run to the last.
func compareChecks(rate int, runs []runResult) []check {
	if len(runs) < 2 {
		return nil
	}
	a, b := runs[0], runs[len(runs)-1]
	var out []check
	for _, name := range targetPages {
		pa, okA := a.page(name)
		pb, okB := b.page(name)
		if !okA || !okB || pa.Status != "" || pb.Status != "" {
			continue
		}
		ma, mb, of := medians(rate, pa, pb)
		ch := pct(ma, mb)
		out = append(out, check{Page: name, What: "median change", Figure: ch,
			Value:  fmt.Sprintf("%+.0f%% (%.1f → %.1f ms, %s)", ch, ma, mb, of),
			Target: fmt.Sprintf("within ±%.0f%%", targetChange), Met: ma > 0 && math.Abs(ch) < targetChange})
	}
	return out
}

// page is the run's result for the page of that name.
func (r runResult) page(name string) (pageResult, bool) {
	i := slices.IndexFunc(r.Pages, func(p pageResult) bool { return p.Name == name })
	if i < 0 {
		return pageResult{}, false
	}
	return r.Pages[i], true
}

// printChecks lists targets with met / MISSED.
func printChecks(w io.Writer, title string, cs []check) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "   %s:\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range cs {
		verdict := "MISSED"
		if c.Met {
			verdict = "met"
		}
		fmt.Fprintf(tw, "     %s\t%s\t%s\ttarget %s\t%s\n", orApp(c.Page), c.What, c.Value, c.Target, verdict)
	}
	tw.Flush()
}

func orApp(page string) string {
	if page == "" {
		return "app"
	}
	return page
}

// short writes 100000 as 100k and 1000000 as 1M.
func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func pct(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return (b - a) / a * 100
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func writeReport(o options, rep report, w io.Writer) error {
	path := o.out
	if path == "" {
		path = filepath.Join(o.dataDir, "bench-"+rep.Started.Format("20060102-150405")+".json")
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nresults: %s\n", path)
	return nil
}
