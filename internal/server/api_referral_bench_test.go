package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// benchClients is how many API clients submit at once.
const benchClients = 8

// BenchmarkReferralSubmit measures referral submission through the JSON
// API end to end, as `make bench` runs it: real HTTP into the real router
// and handlers (token authentication, Idempotency-Key bookkeeping,
// duplicate matching, attribution, SLA stamping, the audit row, the
// acknowledgment email queued with its River job, all in one transaction)
// on a real PostgreSQL, with benchClients clients submitting at once, each
// request with its own Idempotency-Key and a distinct client company.
// The app's pool is sized as `allyway serve` sizes it (20 connections).
//
// Two runs: "jobs-enqueued" only inserts the jobs (an insert-only River
// client, as the web process of a split deployment); "jobs-worked" also
// works them in the same process (River's workers sending the
// acknowledgments to a mailer that drops them), as `allyway serve` does.
//
// Reported: submissions/s over the run, and the p50 and p99 latency of a
// submission in milliseconds. The target is ≥ 300 submissions/s and
// p99 < 100 ms on a 2-core machine.
func BenchmarkReferralSubmit(b *testing.B) {
	for _, run := range []struct {
		name string
		work bool
	}{{"jobs-enqueued", false}, {"jobs-worked", true}} {
		b.Run(run.name, func(b *testing.B) { benchReferralSubmit(b, run.work) })
	}
}

func benchReferralSubmit(b *testing.B, work bool) {
	tracer := &stmtCounter{}
	h := newBenchHarness(b, work, tracer)
	f := h.createFirm("bench", "Bench Advisory")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	p := h.activePartner(f.ID, "Brightline Advisory", "partner@brightline.example")
	h.staffUser(f, "manager@bench.example", auth.RoleManager)

	// The first submissions of each connection prepare its statements
	// and fill PostgreSQL's caches: warmup of them run before the clock.
	const warmup = 8 * benchClients
	run := time.Now().UnixNano()
	bodies := make([][]byte, b.N+warmup)
	for i := range bodies {
		bodies[i] = mustJSON(b, referralBody(p, fmt.Sprintf("Client %d-%d", run, i)))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}}
	defer client.CloseIdleConnections()
	submit := func(i int) error {
		req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/api/v1/referrals", bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d-%d", run, i))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("submission %d: %d %s", i, resp.StatusCode, body)
		}
		return nil
	}
	// Warm up (HTTP connections, the pool's connections, their prepared
	// statements) outside the measurement, as a running server is.
	var warmNext atomic.Int64
	var warm sync.WaitGroup
	for range benchClients {
		warm.Go(func() {
			for {
				i := int(warmNext.Add(1) - 1)
				if i >= warmup {
					return
				}
				if err := submit(b.N + i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	warm.Wait()

	pgPIDs := benchBackendPIDs(b, h)

	var next atomic.Int64
	var failures atomic.Int64
	latencies := make([][]time.Duration, benchClients)
	var wg sync.WaitGroup
	b.ReportAllocs()
	tracer.reset()
	goCPU0, pgCPU0 := processCPU(), backendsCPU(pgPIDs)
	b.ResetTimer()
	start := time.Now()
	for c := range benchClients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := submit(i); err != nil {
					if failures.Add(1) <= 3 {
						b.Error(err)
					}
					continue
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	goCPU, pgCPU := processCPU()-goCPU0, backendsCPU(pgPIDs)-pgCPU0
	stmts, dbTime := tracer.snapshot()
	require.Zero(b, failures.Load(), "failed submissions")

	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submissions/s")
	b.ReportMetric(ms(percentile(all, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	b.ReportMetric(ms(dbTime)/float64(b.N), "db-ms/op")
	// CPU spent per submission, whatever else the machine is doing: this
	// process (server and the load generator) and the PostgreSQL backends
	// serving its connections. 2 cores ÷ their sum is the throughput an
	// otherwise idle 2-core machine could reach.
	b.ReportMetric(ms(goCPU)/float64(b.N), "go-cpu-ms/op")
	if pgCPU >= 0 && len(pgPIDs) > 0 {
		b.ReportMetric(ms(pgCPU)/float64(b.N), "pg-cpu-ms/op")
	}

	// What was measured really happened: one referral and one queued
	// acknowledgment (outbox row and send job) per submission.
	total := b.N + warmup
	require.Equal(b, total, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))
	require.Equal(b, total, h.countRows(`SELECT count(*) FROM email_outbox WHERE to_addr LIKE '%<partner@brightline.example>'`))
	require.Equal(b, total, h.countRows(`SELECT count(*) FROM river_job WHERE kind = 'send_email'
		AND (args->>'outbox_id')::uuid IN (SELECT id FROM email_outbox WHERE to_addr LIKE '%<partner@brightline.example>')`))
}

// stmtCounter is a pgx tracer that counts the statements the app sends
// and the time they take (from sending to the result, queueing in
// PostgreSQL included). With work, River's own statements count too.
type stmtCounter struct {
	n     atomic.Int64
	total atomic.Int64 // nanoseconds
}

type stmtStartKey struct{}

func (c *stmtCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, stmtStartKey{}, time.Now())
}

func (c *stmtCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	c.n.Add(1)
	if t0, ok := ctx.Value(stmtStartKey{}).(time.Time); ok {
		c.total.Add(int64(time.Since(t0)))
	}
}

func (c *stmtCounter) reset() { c.n.Store(0); c.total.Store(0) }

func (c *stmtCounter) snapshot() (int64, time.Duration) {
	return c.n.Load(), time.Duration(c.total.Load())
}

// processCPU is the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBackendPIDs are the server processes of the benchmark's database
// connections (the pools are warm, so they serve the whole run).
func benchBackendPIDs(b *testing.B, h *harness) []int {
	rows, err := h.owner.Query(context.Background(),
		`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
	require.NoError(b, err)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(b, err)
	out := make([]int, 0, len(pids))
	for _, p := range pids {
		out = append(out, int(p))
	}
	return out
}

// backendsCPU sums the CPU time of PostgreSQL processes from /proc (on the
// same Linux machine); -1 when it can't be read.
func backendsCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return -1
		}
		// Fields after the command (which may hold spaces) start after ")".
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		ut, err1 := strconv.ParseInt(f[11], 10, 64) // utime, field 14
		st, err2 := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		if err1 != nil || err2 != nil {
			return -1
		}
		ticks += ut + st
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ticks) * time.Second / clkTck
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newBenchHarness is newHarness with the app pool and job client of
// `allyway serve`: 20 connections, and with work the River workers running
// (mail goes to a mailer that drops it).
func newBenchHarness(b *testing.B, work bool, tracer *stmtCounter) *harness {
	b.Helper()
	ctx := context.Background()
	tdb := testdb.New(b, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := db.Connect(ctx, tdb.OwnerURL, 4)
	require.NoError(b, err)
	b.Cleanup(owner.Close)
	// The app pool as db.Connect makes it for `allyway serve`, plus a
	// tracer counting the statements sent.
	cfg, err := pgxpool.ParseConfig(tdb.AppURL)
	require.NoError(b, err)
	cfg.MaxConns = 20
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cfg.ConnConfig.Tracer = tracer
	app, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(b, err)
	b.Cleanup(app.Close)
	quiet := slog.New(slog.DiscardHandler)
	river, err := jobs.NewClient(jobs.Deps{Pool: app, Mailer: notify.LogMailer{Logger: quiet}, Logger: quiet}, work)
	require.NoError(b, err)
	if work {
		require.NoError(b, river.Start(ctx))
		b.Cleanup(func() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = river.Stop(sctx)
		})
	}
	h := &harness{t: b, db: db.New(app), owner: owner, app: app}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	b.Cleanup(ts.Close)
	conf, err := config.Load(func(k string) string {
		switch k {
		case "BASE_URL":
			return ts.URL
		case "ALLYWAY_API_RATE_LIMIT": // counted (the cost is measured) but never reached
			return "1000000000"
		}
		return ""
	})
	require.NoError(b, err)
	hasher := auth.NewHasher(4)
	h.srv = New(Deps{Config: conf, DB: h.db, Logger: quiet, Hasher: hasher, Outbox: notify.NewOutbox(river)})
	ts.Config.Handler = h.srv
	h.ts = ts
	h.hash, err = hasher.Hash(ctx, testPassword)
	require.NoError(b, err)
	return h
}
