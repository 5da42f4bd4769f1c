package seed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// The scale data set (`allyway seed scale`, used by `make bench`): many
// firms with years of history, to measure pages at the size the biggest
// customers reach. By default 200 firms of 100 partners each and 1,000,000
// referrals over 3 years ending today, shared unevenly: the largest firm
// (scale-001, the one pages are measured on) has 8% of them, four more
// have 2–4%, the rest share the remainder.
//
// Each firm gets its staff (an owner who signs in as
// admin@scale-NNN.scale.example with ScalePassword, a manager, a finance
// user), partners of every type, tier and status with contacts and their
// status history, one agreement each (most of them) whose rules depend on
// the partner's model, and referrals both ways across every stage: about a
// third of the decided ones won, open ones recent, the SLA clocks stamped
// and breached as the domain computes them (referral.DueAt, Clocks).
// A won referral becomes an engagement (and, inbound, a client); the
// engagements of the direction the partner's agreement pays on get client
// payments — monthly for retainers, 1–3 invoices for projects, ~2% of
// payments partly refunded — which are accrued through the ledger
// (ledger.AccruePending), so the ledger reconciles. Then commissions are
// approved (1% held), paid out and marked paid through the ledger's payout
// functions: one catch-up run for what fell due up to a year and a quarter
// back, then quarterly for the last four quarters that ended two months
// ago (the latest ones stay to review and pay). Last, each firm's rollups
// (internal/rollup) are rebuilt, so pages and the refresh job find them
// fresh.
//
// Speed: a firm's rows are generated in Go and written in one transaction
// of the firm (the app role, under Row-Level Security, constraints and
// triggers as they are) with INSERT … SELECT FROM unnest(typed arrays),
// a few thousand rows a statement; two firms are seeded at once, and the
// planner is told what the tables hold as they grow (ANALYZE, as the
// owner, each time they have doubled).
//
// Reuse: a firm is written in one transaction, so it is either there whole
// or not at all. A second run finds the firms, checks they have the size
// asked for (a different size is refused: seed another database) and only
// finishes what an interrupted run left (accrual, payouts, rollups: a firm
// with a partner marked dirty is rebuilt).

// ScalePassword is the password of every scale firm's staff. Bench data only.
const ScalePassword = "allyway-scale-2026"

// ScaleOptions sizes the data set.
type ScaleOptions struct {
	Firms     int // firms (slugs scale-001 …)
	Partners  int // partners per firm
	Referrals int // referrals over all firms
	Years     int // of history, ending Now
	// Now is "today" (zero: the clock).
	Now time.Time
	// Workers is how many firms are seeded at once (≤ 0: 2).
	Workers int
	// Owner, when set, connects as the tables' owner: the tables are
	// analysed with it as they grow, and vacuumed once seeded (the app
	// role may not), so the planner knows the data set's size. Without
	// it, seeding a large data set is much slower.
	Owner db.Querier
	// Logf receives progress (nil: none).
	Logf func(format string, args ...any)
}

// DefaultScale is the size issue 7 asks for.
func DefaultScale() ScaleOptions {
	return ScaleOptions{Firms: 200, Partners: 100, Referrals: 1_000_000, Years: 3}
}

// ScaleFirm is one firm of the data set.
type ScaleFirm struct {
	Slug       string
	ID         uuid.UUID
	Referrals  int
	AdminEmail string
}

// ScaleCounts counts what a run wrote.
type ScaleCounts struct {
	Partners, Referrals, Events, Breaches, Engagements, Payments, Refunds int
	Entries                                                               int // ledger entries accrued
	Payouts                                                               int // payouts paid
	// Time spent writing the firms, accruing and paying out (summed over
	// the firms, which are seeded Workers at a time).
	Write, Accrue, Payout time.Duration
}

func (c *ScaleCounts) add(o ScaleCounts) {
	c.Partners += o.Partners
	c.Referrals += o.Referrals
	c.Events += o.Events
	c.Breaches += o.Breaches
	c.Engagements += o.Engagements
	c.Payments += o.Payments
	c.Refunds += o.Refunds
	c.Entries += o.Entries
	c.Payouts += o.Payouts
	c.Write += o.Write
	c.Accrue += o.Accrue
	c.Payout += o.Payout
}

// ScaleResult is what Scale did.
type ScaleResult struct {
	Firms   []ScaleFirm // every firm of the data set, in plan order
	Seeded  int         // firms written by this run (0: the data set was there)
	Written ScaleCounts // rows written by this run
	// RolledUp is how many firms' rollups this run rebuilt (those with a
	// partner marked: all of them after seeding), in RollupTime.
	RolledUp   int
	RollupTime time.Duration
	Elapsed    time.Duration
}

// Largest is the firm with the most referrals: the one pages are measured on.
func (r ScaleResult) Largest() ScaleFirm {
	var best ScaleFirm
	for _, f := range r.Firms {
		if f.Referrals > best.Referrals || best.Slug == "" {
			best = f
		}
	}
	return best
}

// ScaleAdminEmail is the sign-in of a scale firm's owner.
func ScaleAdminEmail(slug string) string { return "admin@" + slug + ".scale.example" }

// Scale seeds the scale data set through the application role's d, or
// finds it already there (see the package comment above). It fails with
// EInvalid on options out of range and EConflict when the database holds a
// scale data set of another size.
func Scale(ctx context.Context, d *db.DB, h *auth.Hasher, o ScaleOptions) (ScaleResult, error) {
	begin := time.Now()
	if err := o.validate(); err != nil {
		return ScaleResult{}, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.Truncate(time.Second)
	if o.Workers <= 0 {
		o.Workers = 2
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	plans := planScale(o)
	res := ScaleResult{Firms: make([]ScaleFirm, len(plans))}
	for i, p := range plans {
		res.Firms[i] = ScaleFirm{Slug: p.slug, ID: p.id, Referrals: p.referrals, AdminEmail: ScaleAdminEmail(p.slug)}
	}
	todo, err := scaleExisting(ctx, d, plans)
	if err != nil {
		return res, err
	}
	if len(todo) < len(plans) {
		logf("%d of %d firms already seeded at this size: reusing them", len(plans)-len(todo), len(plans))
	}
	var hash string
	if len(todo) > 0 {
		if hash, err = h.Hash(ctx, ScalePassword); err != nil {
			return res, err
		}
		logf("seeding %d firms × %d partners, %d referrals over %d years (%d at once)…",
			len(todo), o.Partners, sumReferrals(todo), o.Years, o.Workers)
	}
	isTodo := map[string]bool{}
	for _, p := range todo {
		isTodo[p.slug] = true
	}

	// Every firm goes through the workers twice: first the new ones are
	// written and all are accrued (a no-op when an earlier run finished),
	// then, with the planner told what the tables now hold, paid out.
	// The largest first, so the workers end together.
	order := slices.Clone(plans)
	slices.SortStableFunc(order, func(a, b scaleFirmPlan) int { return b.referrals - a.referrals })
	done := 0
	an := &scaleAnalyzer{owner: o.Owner}
	err = scaleEach(ctx, order, o.Workers, func(p scaleFirmPlan) (ScaleCounts, error) {
		return scaleFirm(ctx, d, o, p, hash, isTodo[p.slug], an)
	}, func(p scaleFirmPlan, c ScaleCounts) {
		res.Written.add(c)
		if isTodo[p.slug] {
			res.Seeded++
		}
		done++
		if (c != ScaleCounts{}) {
			logf("[%3d/%d] %s: %d partners, %d referrals, %d engagements, %d payments → %d ledger entries (write %.1fs, accrue %.1fs; %s so far)",
				done, len(plans), p.slug, c.Partners, c.Referrals, c.Engagements, c.Payments+c.Refunds, c.Entries,
				c.Write.Seconds(), c.Accrue.Seconds(), time.Since(begin).Round(time.Second))
		}
	})
	if err != nil {
		return res, err
	}
	if o.Owner != nil && (res.Written != ScaleCounts{}) {
		start := time.Now()
		if _, err := o.Owner.Exec(ctx, `ANALYZE`, pgx.QueryExecModeSimpleProtocol); err != nil {
			return res, fmt.Errorf("seed scale: analyze: %w", err)
		}
		logf("analysed in %.1fs", time.Since(start).Seconds())
	}
	start := time.Now()
	var payouts ScaleCounts
	err = scaleEach(ctx, order, o.Workers, func(p scaleFirmPlan) (ScaleCounts, error) {
		return scaleFirmPayouts(ctx, d, o, p)
	}, func(_ scaleFirmPlan, c ScaleCounts) { payouts.add(c) })
	res.Written.add(payouts)
	if err != nil {
		return res, err
	}
	if payouts.Payouts > 0 {
		logf("paid %d payouts in %.1fs (%s so far)", payouts.Payouts, time.Since(start).Seconds(), time.Since(begin).Round(time.Second))
	}
	start = time.Now()
	var rolled atomic.Int64
	err = scaleEach(ctx, order, o.Workers, func(p scaleFirmPlan) (ScaleCounts, error) {
		built, err := scaleRollups(ctx, d, p.id)
		if built {
			rolled.Add(1)
		}
		return ScaleCounts{}, err
	}, func(scaleFirmPlan, ScaleCounts) {})
	if err != nil {
		return res, err
	}
	res.RolledUp, res.RollupTime = int(rolled.Load()), time.Since(start)
	if res.RolledUp > 0 {
		logf("rebuilt the rollups of %d firms in %.1fs (%s so far)", res.RolledUp, res.RollupTime.Seconds(), time.Since(begin).Round(time.Second))
	}
	if o.Owner != nil && (res.Written != ScaleCounts{}) {
		start := time.Now()
		if _, err := o.Owner.Exec(ctx, `VACUUM (ANALYZE)`, pgx.QueryExecModeSimpleProtocol); err != nil {
			return res, fmt.Errorf("seed scale: vacuum analyze: %w", err)
		}
		logf("vacuumed and analysed in %.1fs", time.Since(start).Seconds())
	} else if o.Owner != nil && res.RolledUp > 0 {
		if _, err := o.Owner.Exec(ctx, `VACUUM (ANALYZE) partner_months, partner_month_money, rollup_dirty`,
			pgx.QueryExecModeSimpleProtocol); err != nil {
			return res, fmt.Errorf("seed scale: vacuum analyze the rollups: %w", err)
		}
	}
	res.Elapsed = time.Since(begin)
	return res, nil
}

// scaleEach runs f for every firm on workers goroutines, largest first,
// and reports each result to done (one at a time). It stops at the first
// error, which it returns.
func scaleEach(ctx context.Context, order []scaleFirmPlan, workers int, f func(scaleFirmPlan) (ScaleCounts, error),
	done func(scaleFirmPlan, ScaleCounts)) error {
	work := make(chan scaleFirmPlan)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				c, err := f(p)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("seed scale %s: %w", p.slug, err)
				}
				done(p, c)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range order {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

func (o ScaleOptions) validate() error {
	fe := map[string]string{}
	if o.Firms < 1 || o.Firms > 999 {
		fe["firms"] = "Must be 1 to 999."
	}
	if o.Partners < 1 || o.Partners > 10_000 {
		fe["partners"] = "Must be 1 to 10,000."
	}
	if o.Referrals < 0 || o.Referrals > 100_000_000 {
		fe["referrals"] = "Must be 0 to 100,000,000."
	}
	if o.Years < 1 || o.Years > 20 {
		fe["years"] = "Must be 1 to 20."
	}
	if len(fe) > 0 {
		return apperr.Invalid(fe)
	}
	return nil
}

// scaleFirmPlan is one firm as planned: the same options always give the
// same plan (ids included).
type scaleFirmPlan struct {
	n          int // 1-based
	id         uuid.UUID
	slug, name string
	zone       string
	referrals  int
}

// scaleLargestShares are the shares of the biggest firms when there are
// enough firms for them to stand out.
var scaleLargestShares = []float64{0.08, 0.04, 0.03, 0.025, 0.02}

var scaleZones = []string{"America/New_York", "Europe/London", "America/Chicago", "America/Los_Angeles",
	"Europe/Berlin", "Australia/Sydney", "UTC", "America/Denver", "Europe/Paris", "Asia/Singapore"}

var scaleFirmWords = []string{"Advisory", "Partners", "Consulting", "Group", "Associates", "& Co", "Legal", "Accountants"}

func planScale(o ScaleOptions) []scaleFirmPlan {
	rng := rand.New(rand.NewPCG(uint64(o.Firms), 2026))
	ids := rand.NewChaCha8([32]byte{'a', 'l', 'l', 'y', 'w', 'a', 'y', '-', 's', 'c', 'a', 'l', 'e'})
	w := make([]float64, o.Firms)
	fixed := 0
	rest := 1.0
	if o.Firms >= 20 {
		fixed = len(scaleLargestShares)
		for _, s := range scaleLargestShares {
			rest -= s
		}
	}
	var sum float64
	for i := fixed; i < o.Firms; i++ {
		w[i] = math.Exp(rng.NormFloat64() * 0.6)
		sum += w[i]
	}
	for i := range w {
		if i < fixed {
			w[i] = scaleLargestShares[i]
		} else {
			w[i] = w[i] / sum * rest
		}
	}
	counts := apportion(o.Referrals, w)
	plans := make([]scaleFirmPlan, o.Firms)
	for i := range plans {
		slug := fmt.Sprintf("scale-%03d", i+1)
		plans[i] = scaleFirmPlan{n: i + 1, id: idFrom(ids), slug: slug,
			name: fmt.Sprintf("%s %s %03d", seedRefCompanyA[i%len(seedRefCompanyA)], scaleFirmWords[i%len(scaleFirmWords)], i+1),
			zone: scaleZones[i%len(scaleZones)], referrals: counts[i]}
	}
	return plans
}

// apportion splits total by the weights (summing to 1) into whole numbers
// that add up to total exactly (largest remainders).
func apportion(total int, w []float64) []int {
	out := make([]int, len(w))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(w))
	left := total
	for i, x := range w {
		exact := x * float64(total)
		out[i] = int(math.Floor(exact))
		left -= out[i]
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	for k := 0; left > 0; k = (k + 1) % len(rems) {
		out[rems[k].i]++
		left--
	}
	return out
}

// idFrom draws a version-4 UUID from a deterministic source.
func idFrom(src *rand.ChaCha8) uuid.UUID {
	var u uuid.UUID
	_, _ = src.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func sumReferrals(ps []scaleFirmPlan) int {
	n := 0
	for _, p := range ps {
		n += p.referrals
	}
	return n
}

// scaleExisting returns the planned firms not in the database yet, after
// checking that those there are the plan's (same id and referral count)
// and that no other scale firm is.
func scaleExisting(ctx context.Context, d *db.DB, plans []scaleFirmPlan) ([]scaleFirmPlan, error) {
	have := map[string]uuid.UUID{}
	err := d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT slug, id FROM tenants WHERE slug LIKE 'scale-%'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var slug string
			var id uuid.UUID
			if err := rows.Scan(&slug, &id); err != nil {
				return err
			}
			have[slug] = id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	other := func(format string, args ...any) error {
		return &apperr.Error{Code: apperr.EConflict, Message: "This database holds a scale data set of another size: " +
			fmt.Sprintf(format, args...) + ". Seed the size you want into another database."}
	}
	var todo []scaleFirmPlan
	for _, p := range plans {
		id, ok := have[p.slug]
		if !ok {
			todo = append(todo, p)
			continue
		}
		delete(have, p.slug)
		if id != p.id {
			return nil, other("%s is not the planned firm", p.slug)
		}
		var n int
		if err := d.InTenant(ctx, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM referrals WHERE tenant_id = $1`, id).Scan(&n)
		}); err != nil {
			return nil, err
		}
		if n != p.referrals {
			return nil, other("%s has %d referrals, this size gives it %d", p.slug, n, p.referrals)
		}
	}
	for slug := range have {
		return nil, other("%s is not part of it", slug)
	}
	return todo, nil
}

// scaleFirm writes one firm (when fresh), then accrues its pending
// payments.
func scaleFirm(ctx context.Context, d *db.DB, o ScaleOptions, p scaleFirmPlan, hash string, fresh bool, an *scaleAnalyzer) (ScaleCounts, error) {
	var c ScaleCounts
	if fresh {
		start := time.Now()
		g := newScaleGen(o, p)
		err := d.InTenant(ctx, p.id, func(tx pgx.Tx) (err error) {
			c, err = g.write(ctx, tx, hash)
			return err
		})
		if err != nil {
			return ScaleCounts{}, err
		}
		c.Write = time.Since(start)
		if err := an.grew(ctx, c.Referrals+c.Payments); err != nil {
			return c, err
		}
	}
	start := time.Now()
	st, err := ledger.AccruePending(ctx, d, p.id, scaleAccrueBatch, o.Now)
	c.Entries += st.Entries
	if st.Events > 0 {
		c.Accrue = time.Since(start)
	}
	if err != nil {
		return c, fmt.Errorf("accrue: %w", err)
	}
	return c, nil
}

// scaleAccrueBatch is how many payments one accrual transaction takes.
// Smaller than ledger.DefaultBatch: with a large data set the planner
// underestimates a batch of a firm's payments (the firm's share times the
// batch's share of the table: a handful of rows for thousands) and
// nested-loops the batch against itself, a cost that grows with the
// square of the batch (1M referrals, 5,000 a batch: minutes per firm).
const scaleAccrueBatch = 100

// scaleAnalyzer tells the planner what the tables hold (ANALYZE, as
// their owner): every table each time the rows written have doubled, and
// the accrual's tables after each firm. The accrual's plans made for
// nearly empty tables, or without the firm, would scan every firm's (or
// the firm's) rows per payment, and autovacuum, busy, analyses them late.
type scaleAnalyzer struct {
	owner    db.Querier
	mu       sync.Mutex
	rows, at int
}

func (a *scaleAnalyzer) grew(ctx context.Context, rows int) error {
	if a.owner == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rows += rows
	if a.rows <= 2*a.at {
		// The firm is new to the planner all the same: until its tables
		// are analysed, its tenant_id is estimated at one row, and the
		// accrual's joins scan the firm's referrals and engagements once
		// per payment (seconds a batch at 1M referrals). A small sample is
		// enough to show the firm (a tenth of the default's, so ten times
		// faster); the full ANALYZEs and the final one use the default.
		if _, err := a.owner.Exec(ctx, `BEGIN; SET LOCAL default_statistics_target = 10;
			ANALYZE referrals, engagements, clients, revenue_events, agreements, journal_entries; COMMIT`,
			pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		return nil
	}
	if _, err := a.owner.Exec(ctx, `ANALYZE`, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	a.at = a.rows
	return nil
}

// scaleRollups rebuilds the firm's rollups when any of its partners is
// marked (after seeding, every partner with history is: the triggers mark
// them as the rows go in), so the pages measured never find them stale and
// the app's refresh job has nothing to catch up on. One rebuild per firm
// (every partner at once) is cheaper than refreshing the marked partners
// by id. It reports whether it rebuilt.
func scaleRollups(ctx context.Context, d *db.DB, tenantID uuid.UUID) (bool, error) {
	var built bool
	err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		dirty, err := rollup.Dirty(ctx, tx, tenantID)
		if err != nil || !dirty {
			return err
		}
		built = true
		return rollup.Rebuild(ctx, tx, tenantID)
	})
	if err != nil {
		return false, fmt.Errorf("rollups: %w", err)
	}
	return built, nil
}

// scaleFirmPayouts runs the firm's payouts due (see scalePayouts).
func scaleFirmPayouts(ctx context.Context, d *db.DB, o ScaleOptions, p scaleFirmPlan) (ScaleCounts, error) {
	var c ScaleCounts
	var finance uuid.UUID
	err := d.InTenant(ctx, p.id, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT m.user_id FROM staff_memberships m WHERE m.tenant_id = $1 AND m.role = 'finance'
			ORDER BY m.created_at LIMIT 1`, p.id).Scan(&finance)
	})
	if err != nil {
		return c, err
	}
	start := time.Now()
	n, err := scalePayouts(ctx, d, p.id, finance, o.Now)
	c.Payouts += n
	if n > 0 {
		c.Payout = time.Since(start)
	}
	return c, err
}

// scalePayouts pays the commissions due (and invoices partners for what
// they owe) quarterly, two weeks after each quarter ends, for the last four
// quarters that ended at least two months ago, and everything due before
// them in one catch-up run; a run already made is skipped. 1% of the
// commissions are held instead of approved. (Quarterly runs over the whole
// history would be truer but cost far more to seed.)
func scalePayouts(ctx context.Context, d *db.DB, tenantID, by uuid.UUID, now time.Time) (int, error) {
	var first, lastRun *time.Time
	latest := quarterEnd(now.AddDate(0, -2, 0)) // the last quarter to pay
	if latest.AddDate(0, 2, 0).After(now) {
		latest = quarterEnd(time.Date(latest.Year(), latest.Month()-3, 1, 0, 0, 0, 0, time.UTC))
	}
	err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT max(up_to) FROM payout_batches WHERE tenant_id = $1`, tenantID).Scan(&lastRun); err != nil {
			return err
		}
		if lastRun != nil && !lastRun.Before(latest) {
			return nil // paid up already
		}
		return tx.QueryRow(ctx, `SELECT min(due_on) FROM journal_entries WHERE tenant_id = $1 AND kind = 'accrual'`,
			tenantID).Scan(&first)
	})
	if err != nil || first == nil {
		return 0, err
	}
	var runs []time.Time
	for q := quarterEnd(*first); !q.AddDate(0, 2, 0).After(now); q = quarterEnd(q.AddDate(0, 0, 1)) {
		runs = append(runs, q)
	}
	if len(runs) > 5 {
		runs = runs[len(runs)-5:] // the catch-up, then four quarters
	}
	paid := 0
	for _, q := range runs {
		if lastRun != nil && !q.After(*lastRun) {
			continue
		}
		err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			n, err := scaleQuarterPayout(ctx, tx, tenantID, by, q, now)
			paid += n
			return err
		})
		if err != nil {
			return paid, fmt.Errorf("payouts up to %s: %w", q.Format(time.DateOnly), err)
		}
	}
	return paid, nil
}

// scaleQuarterPayout reviews the commissions due by q and pays them out
// (and invoices what partners owe), paid two weeks after q; it returns how
// many payouts it paid.
func scaleQuarterPayout(ctx context.Context, tx pgx.Tx, tenantID, by uuid.UUID, q, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT je.id FROM journal_entries je
		WHERE je.tenant_id = $1 AND je.kind = 'accrual' AND je.direction = 'we_pay' AND je.due_on <= $2
		  AND NOT EXISTS (SELECT 1 FROM entry_reviews r WHERE r.tenant_id = je.tenant_id AND r.entry_id = je.id)
		ORDER BY je.id`, tenantID, q)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, err
	}
	var approve, hold []uuid.UUID
	for _, id := range ids {
		if id[15]%100 == 0 {
			hold = append(hold, id)
		} else {
			approve = append(approve, id)
		}
	}
	for len(approve) > 0 {
		n := min(len(approve), 5000)
		if _, err := ledger.Approve(ctx, tx, tenantID, approve[:n], by); err != nil {
			return 0, err
		}
		approve = approve[n:]
	}
	for len(hold) > 0 {
		n := min(len(hold), 5000)
		if _, err := ledger.Hold(ctx, tx, tenantID, hold[:n], "Waiting for the client's confirmation of the invoice.", by); err != nil {
			return 0, err
		}
		hold = hold[n:]
	}
	paid := 0
	for _, dir := range []commission.Direction{commission.WePay, commission.WeReceive} {
		b, err := ledger.CreateBatch(ctx, tx, tenantID, ledger.PayoutRun{Direction: dir, Currency: "USD", UpTo: q,
			Note: "Quarter ending " + q.Format("2 January 2006")}, by)
		if apperr.Code(err) == apperr.EConflict {
			continue // nothing payable this quarter
		}
		if err != nil {
			return paid, err
		}
		b, err = ledger.MarkBatchPaid(ctx, tx, tenantID, b.ID, ledger.PaidInput{PaidOn: q.AddDate(0, 0, 14),
			Reference: fmt.Sprintf("ACH-%s-%d", q.Format("20060102"), b.Number), By: by, Today: now})
		if err != nil {
			return paid, err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE tenant_id = $1 AND batch_id = $2 AND status = 'paid'`,
			tenantID, b.ID).Scan(&n); err != nil {
			return paid, err
		}
		paid += n
	}
	return paid, nil
}

// quarterEnd is the last day of t's calendar quarter.
func quarterEnd(t time.Time) time.Time {
	m := (int(t.Month())-1)/3*3 + 4
	return time.Date(t.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

// The generator ----------------------------------------------------------

// scaleGen generates one firm. Its random sources are seeded by the firm's
// number, so a firm comes out the same every time for the same options.
type scaleGen struct {
	o          ScaleOptions
	plan       scaleFirmPlan
	rng        *rand.Rand
	ids        *rand.ChaCha8
	now, start time.Time
	st         referral.Settings
	loc        *time.Location
	staff      []uuid.UUID // owner, manager, finance
	partners   []*scalePartner
	cum        []float64 // cumulative referral weights of partners
	companies  []scaleCompany

	// Rows to write.
	prospects   []scaleProspect
	clients     []scaleClient
	refs        []scaleRef
	events      []scaleEvent
	breaches    []scaleBreach
	engagements []scaleEngagement
	payments    []scaleRevenue
	refunds     []scaleRevenue
}

type scalePartner struct {
	id                         uuid.UUID
	name, domain, typ, status  string
	tier                       *uuid.UUID
	owner                      uuid.UUID
	created, joined, changed   time.Time // joined: became a partner; changed: its status last changed
	from, until                time.Time // when it exchanges referrals
	weight, inShare, quality   float64
	agreement                  *uuid.UUID
	agreementFrom, agreementTo time.Time // agreementTo zero: open-ended
	rules                      []commission.Rule
	paysOn                     string // the direction whose engagements get client payments ("" none)
	industry, region           string
}

type scaleCompany struct {
	name, norm string
	domain     *string
}

type scaleProspect struct {
	id, partner uuid.UUID
	name, email string
	created     time.Time
}

type scaleClient struct {
	id         uuid.UUID
	name, norm string
	domain     *string
	created    time.Time
}

type scaleRef struct {
	id, partner, prospect                                uuid.UUID
	client, owner, originator, agreement                 *uuid.UUID
	direction, company, norm, challenge, urgency, status string
	domain                                               *string
	value                                                *int64
	source                                               string
	submitted, changed, claim                            time.Time
	frDue, fcDue, mtDue, prDue                           *time.Time
	responded, contacted, meeting                        *time.Time
	accepted, declined, closed                           *time.Time
	declineReason, closeReason, fit                      *string
	fitNote                                              string
}

type scaleEvent struct {
	referral, partner     uuid.UUID
	actor                 *uuid.UUID
	at                    time.Time
	actorKind, kind, body string
	from, to, reason      *string
}

type scaleBreach struct {
	referral, partner uuid.UUID
	clock             string
	due, at           time.Time
}

type scaleEngagement struct {
	id, referral, partner, by uuid.UUID
	client                    *uuid.UUID
	kind, name, scope         string
	value                     int64
	started                   time.Time
	ended                     *time.Time
	created                   time.Time
}

type scaleRevenue struct {
	id, engagement, referral, partner, by uuid.UUID
	refundOf                              *uuid.UUID
	amount                                int64
	paidOn                                time.Time
	ref                                   string
}

func newScaleGen(o ScaleOptions, p scaleFirmPlan) *scaleGen {
	key := [32]byte{'s', 'c', 'a', 'l', 'e', byte(p.n >> 8), byte(p.n)}
	return &scaleGen{o: o, plan: p, rng: rand.New(rand.NewPCG(uint64(p.n), 7)), ids: rand.NewChaCha8(key),
		now: o.Now, start: o.Now.AddDate(-o.Years, 0, 0)}
}

func (g *scaleGen) id() uuid.UUID { return idFrom(g.ids) }

func (g *scaleGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// between is a uniform time in [a, b).
func (g *scaleGen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a))))).Truncate(time.Minute)
}

// hours is a uniform duration of lo to hi hours.
func (g *scaleGen) hours(lo, hi float64) time.Duration {
	return time.Duration((lo + g.rng.Float64()*(hi-lo)) * float64(time.Hour))
}

// after is when a clock of d started at t ends, on the firm's SLA clock.
func (g *scaleGen) after(t time.Time, d time.Duration) time.Time {
	return referral.DueAt(t, d, g.st.SLAClock, g.loc).Truncate(time.Minute)
}

func (g *scaleGen) days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// write writes the firm in tx (scoped to it) and counts what it wrote.
func (g *scaleGen) write(ctx context.Context, tx pgx.Tx, hash string) (ScaleCounts, error) {
	p := g.plan
	if _, err := tenant.Create(ctx, tx, p.id, p.slug, p.name); err != nil {
		return ScaleCounts{}, err
	}
	if err := setup.Firm(ctx, tx, p.id); err != nil {
		return ScaleCounts{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone`, p.id, p.zone); err != nil {
		return ScaleCounts{}, err
	}
	var err error
	if g.st, err = referral.GetSettings(ctx, tx, p.id); err != nil {
		return ScaleCounts{}, err
	}
	g.loc = g.st.Location()
	for _, u := range []struct {
		who  string
		role auth.Role
	}{{"admin", auth.RoleOwner}, {"manager", auth.RoleManager}, {"finance", auth.RoleFinance}} {
		email := u.who + "@" + p.slug + ".scale.example"
		name := strings.ToUpper(u.who[:1]) + u.who[1:] + " " + p.slug[len("scale-"):]
		usr, err := identity.CreateUser(ctx, tx, email, name, hash)
		if err != nil {
			return ScaleCounts{}, fmt.Errorf("user %s: %w", email, err)
		}
		if err := tenant.AddStaff(ctx, tx, p.id, usr.ID, u.role); err != nil {
			return ScaleCounts{}, err
		}
		g.staff = append(g.staff, usr.ID)
	}
	rows, err := tx.Query(ctx, `SELECT id FROM tiers WHERE tenant_id = $1 ORDER BY rank`, p.id)
	if err != nil {
		return ScaleCounts{}, err
	}
	tiers, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return ScaleCounts{}, err
	}

	g.genPartners(tiers)
	if err := g.writePartners(ctx, tx); err != nil {
		return ScaleCounts{}, err
	}
	g.genReferrals()
	if err := g.writeReferrals(ctx, tx); err != nil {
		return ScaleCounts{}, err
	}
	c := ScaleCounts{Partners: len(g.partners), Referrals: len(g.refs), Events: len(g.events), Breaches: len(g.breaches),
		Engagements: len(g.engagements), Payments: len(g.payments), Refunds: len(g.refunds)}
	ctx = audit.WithActor(ctx, audit.Actor{IP: "cli"})
	err = audit.Record(ctx, tx, p.id, "seed.scale", "tenant", p.id.String(), map[string]any{
		"partners": c.Partners, "referrals": c.Referrals, "engagements": c.Engagements, "payments": c.Payments + c.Refunds})
	return c, err
}

// Partners -----------------------------------------------------------------

var scalePartnerWords = []string{"Brightline", "Keystone", "Meridian", "Ironbridge", "Vanguard", "Oakridge", "Northstar",
	"Clearwater", "Evergreen", "Atlas", "Crestview", "Sable", "Copperline", "Summit", "Harbor", "Beacon", "Pinnacle",
	"Granite", "Silverleaf", "Bluestone", "Redwood", "Lakeside", "Fairway", "Highgate", "Windmill", "Larch", "Ember",
	"Cobalt", "Saffron", "Tidewater"}

var scalePartnerKinds = map[string][]string{
	"referral":   {"Tax", "Legal", "Accountants", "Wealth", "Insurance Brokers", "HR Advisory"},
	"delivery":   {"Change Partners", "Interim", "Delivery", "Implementation"},
	"alliance":   {"Capital Group", "Advisors", "Alliance"},
	"technology": {"Systems", "Data Partners", "Software", "Cloud"},
	"channel":    {"Resellers", "Distribution", "Solutions"},
}

var scaleIndustries = []string{"health", "tech", "manufacturing", "retail", "finance", "logistics", "energy", "hospitality"}
var scaleRegions = []string{"Northeast", "Midwest", "South", "West", "UK", "EU"}

// weighted picks a key by weight.
func (g *scaleGen) weighted(keys []string, weights []float64) string {
	x := g.rng.Float64() * sumF(weights)
	for i, w := range weights {
		if x < w {
			return keys[i]
		}
		x -= w
	}
	return keys[len(keys)-1]
}

func sumF(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func (g *scaleGen) genPartners(tiers []uuid.UUID) {
	types := []string{"referral", "delivery", "alliance", "technology", "channel"}
	statuses := []string{"active", "paused", "onboarding", "inactive", "ended", "qualifying", "prospect"}
	used := map[string]bool{}
	for i := range g.o.Partners {
		p := &scalePartner{id: g.id(), typ: g.weighted(types, []float64{45, 15, 10, 15, 15}),
			status:   g.weighted(statuses, []float64{60, 5, 6, 8, 7, 7, 7}),
			owner:    g.staff[g.rng.IntN(2)],
			industry: g.pick(scaleIndustries), region: g.pick(scaleRegions)}
		for {
			p.name = g.pick(scalePartnerWords) + " " + g.pick(scalePartnerKinds[p.typ])
			if used[p.name] {
				p.name = fmt.Sprintf("%s %d", p.name, i+1)
			}
			if !used[p.name] {
				break
			}
		}
		used[p.name] = true
		p.domain = strings.ToLower(strings.NewReplacer(" ", "", "&", "and").Replace(p.name)) + ".example"

		// When it joined and what it has done since.
		switch p.status {
		case "qualifying", "prospect":
			p.created = g.between(g.now.Add(-g.days(60)), g.now.Add(-g.days(2)))
			p.changed = p.created
		case "onboarding":
			p.created = g.between(g.now.Add(-g.days(90)), g.now.Add(-g.days(20)))
			p.changed = p.created.Add(g.days(7))
			p.weight = 0.2 * math.Exp(g.rng.NormFloat64())
		default:
			p.created = g.between(g.start.AddDate(-2, 0, 0), g.now.Add(-g.days(150)))
			p.changed = p.created.Add(g.days(30 + g.rng.IntN(60)))
			p.weight = math.Exp(g.rng.NormFloat64())
		}
		p.joined = p.changed
		p.from, p.until = p.changed, g.now
		switch p.status {
		case "inactive", "ended":
			// Stopped referring some time ago.
			lo := maxTime(p.changed.Add(g.days(120)), g.start.Add(g.days(90)))
			p.until = g.between(lo, g.now.Add(-g.days(45)))
			if !p.until.After(p.from) {
				p.until = p.from.Add(g.days(30))
			}
			p.changed = p.until
		case "paused":
			p.changed = g.between(g.now.Add(-g.days(120)), g.now.Add(-g.days(10)))
		}
		if p.from.Before(g.start) {
			p.from = g.start
		}
		if p.from.After(p.until) {
			p.weight = 0
		}
		p.inShare = 0.3 + 0.55*g.rng.Float64()
		if g.rng.Float64() < 0.1 {
			p.inShare = 0.1 + 0.1*g.rng.Float64() // the uneven ones: we send far more than we get
		}
		p.quality = 0.5 + g.rng.Float64()
		g.partners = append(g.partners, p)
	}

	// Tiers: the busiest active partners are strategic.
	var ranked []*scalePartner
	for _, p := range g.partners {
		if (p.status == "active" || p.status == "paused") && len(tiers) >= 3 {
			ranked = append(ranked, p)
		}
	}
	slices.SortStableFunc(ranked, func(a, b *scalePartner) int {
		switch {
		case a.weight > b.weight:
			return -1
		case a.weight < b.weight:
			return 1
		}
		return 0
	})
	for i, p := range ranked {
		t := tiers[2]
		switch {
		case i < len(ranked)/10:
			t = tiers[0]
		case i < len(ranked)*4/10:
			t = tiers[1]
		}
		p.tier = &t
	}

	// Agreements: most partners that got past qualification have one.
	for _, p := range g.partners {
		if p.status == "qualifying" || p.status == "prospect" || g.rng.Float64() < 0.08 {
			continue
		}
		id := g.id()
		p.agreement = &id
		p.agreementFrom = day(p.joined.Add(-g.days(14)))
		if p.status == "inactive" || p.status == "ended" {
			p.agreementTo = day(p.until)
		}
		p.paysOn = "inbound"
		rule := func(kind commission.Kind, bp int64) commission.Rule {
			return commission.Rule{Kind: kind, Direction: commission.WePay, RateBP: bp}
		}
		switch p.typ {
		case "referral":
			switch x := g.rng.Float64(); {
			case x < 0.6:
				p.rules = []commission.Rule{rule(commission.PercentFirstProject, 1000)}
			case x < 0.85:
				p.rules = []commission.Rule{rule(commission.PercentFirstProject, 1000),
					{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 500, Months: 12}}
			default:
				// No tiered_volume: accruing it looks up the partner's won
				// referrals with a scan of all the firm's (no index on the
				// credited partner), per payment — quadratic at this size.
				p.rules = []commission.Rule{{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 100_000}}
			}
		case "delivery":
			p.rules = []commission.Rule{rule(commission.PercentFirstProject, 800)}
		case "alliance":
			p.rules = []commission.Rule{{Kind: commission.ReciprocityOnly, Direction: commission.WePay}}
		default: // technology, channel: they pay us on the clients we send them
			p.rules = []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WeReceive, RateBP: 1000}}
			p.paysOn = "outbound"
		}
	}
	g.cum = make([]float64, len(g.partners))
	total := 0.0
	for i, p := range g.partners {
		total += p.weight
		g.cum[i] = total
	}

	// Client companies to draw from: names repeat now and then, as real
	// clients come back.
	n := max(200, g.plan.referrals/3)
	g.companies = make([]scaleCompany, n)
	for i := range g.companies {
		a, b := g.pick(seedRefCompanyA), seedRefCompanyB[g.rng.IntN(len(seedRefCompanyB))].word
		name := a + " " + b + " " + g.pick(scaleRegions) + g.pick(seedRefLegal)
		c := scaleCompany{name: name, norm: referral.NormalizeCompany(name)}
		if g.rng.Float64() < 0.7 {
			d := fmt.Sprintf("%s%s%d.example", strings.ToLower(a), strings.ToLower(strings.ReplaceAll(b, " ", "")), i)
			c.domain = &d
		}
		g.companies[i] = c
	}
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (g *scaleGen) writePartners(ctx context.Context, tx pgx.Tx) error {
	tid := g.plan.id
	ps := g.partners
	if err := bulkInsert(ctx, tx, tid, "partners",
		col("id", "uuid", ps, func(p **scalePartner) pgtype.UUID { return pgID((*p).id) }),
		col("name", "text", ps, func(p **scalePartner) string { return (*p).name }),
		col("domain", "text", ps, func(p **scalePartner) string { return (*p).domain }),
		col("website", "text", ps, func(p **scalePartner) string { return "https://" + (*p).domain }),
		col("type", "text", ps, func(p **scalePartner) string { return (*p).typ }),
		col("status", "text", ps, func(p **scalePartner) string { return (*p).status }),
		col("tier_id", "uuid", ps, func(p **scalePartner) pgtype.UUID { return pgIDp((*p).tier) }),
		col("owner_user_id", "uuid", ps, func(p **scalePartner) pgtype.UUID { return pgID((*p).owner) }),
		col("services_text", "text", ps, func(p **scalePartner) string { return (*p).industry + " " + (*p).typ + " services" }),
		col("created_at", "timestamptz", ps, func(p **scalePartner) time.Time { return (*p).created }),
		col("updated_at", "timestamptz", ps, func(p **scalePartner) time.Time { return (*p).changed }),
		col("status_changed_at", "timestamptz", ps, func(p **scalePartner) time.Time { return (*p).changed }),
	); err != nil {
		return err
	}
	// The arrays of text don't go through unnest (it would flatten them).
	if _, err := tx.Exec(ctx, `UPDATE partners p SET industries = ARRAY[u.industry], regions = ARRAY[u.region]
		FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(id, industry, region)
		WHERE p.tenant_id = $1 AND p.id = u.id`, tid,
		mapSlice(ps, func(p *scalePartner) pgtype.UUID { return pgID(p.id) }),
		mapSlice(ps, func(p *scalePartner) string { return p.industry }),
		mapSlice(ps, func(p *scalePartner) string { return p.region })); err != nil {
		return err
	}
	if err := bulkInsert(ctx, tx, tid, "partner_status_history",
		col("partner_id", "uuid", ps, func(p **scalePartner) pgtype.UUID { return pgID((*p).id) }),
		col("to_status", "text", ps, func(p **scalePartner) string { return (*p).status }),
		col("at", "timestamptz", ps, func(p **scalePartner) time.Time { return (*p).changed }),
	); err != nil {
		return err
	}
	// Two contacts each: the primary one and someone in delivery.
	type contact struct {
		partner                   uuid.UUID
		name, email, title, level string
		primary                   bool
	}
	var cs []contact
	for _, p := range ps {
		for k, lvl := range []string{"account_manager", "delivery"} {
			first, last := g.pick(seedRefFirst), g.pick(seedRefLast)
			cs = append(cs, contact{p.id, first + " " + last, strings.ToLower(first+"."+last) + "@" + p.domain,
				map[string]string{"account_manager": "Partner", "delivery": "Engagement lead"}[lvl], lvl, k == 0})
		}
	}
	if err := bulkInsert(ctx, tx, tid, "partner_contacts",
		col("partner_id", "uuid", cs, func(c *contact) pgtype.UUID { return pgID(c.partner) }),
		col("name", "text", cs, func(c *contact) string { return c.name }),
		col("email", "text", cs, func(c *contact) string { return c.email }),
		col("title", "text", cs, func(c *contact) string { return c.title }),
		col("level", "text", cs, func(c *contact) string { return c.level }),
		col("is_primary", "boolean", cs, func(c *contact) bool { return c.primary }),
	); err != nil {
		return err
	}
	var as []*scalePartner
	for _, p := range ps {
		if p.agreement != nil {
			as = append(as, p)
		}
	}
	rules := make([]string, len(as))
	for i, p := range as {
		for _, r := range p.rules {
			if err := r.Validate(); err != nil {
				return fmt.Errorf("agreement rules of %s: %w", p.name, err)
			}
		}
		b, err := json.Marshal(p.rules)
		if err != nil {
			return err
		}
		rules[i] = string(b)
	}
	k := -1
	return bulkInsert(ctx, tx, tid, "agreements",
		col("id", "uuid", as, func(p **scalePartner) pgtype.UUID { return pgIDp((*p).agreement) }),
		col("partner_id", "uuid", as, func(p **scalePartner) pgtype.UUID { return pgID((*p).id) }),
		col("version", "integer", as, func(**scalePartner) int32 { return 1 }),
		col("status", "text", as, func(p **scalePartner) string {
			if !(*p).agreementTo.IsZero() {
				return "expired"
			}
			return "active"
		}),
		col("model", "text", as, func(p **scalePartner) string { return (*p).typ }),
		col("title", "text", as, func(p **scalePartner) string { return "Partnership agreement" }),
		col("effective_from", "date", as, func(p **scalePartner) time.Time { return (*p).agreementFrom }),
		col("effective_to", "date", as, func(p **scalePartner) *time.Time {
			if (*p).agreementTo.IsZero() {
				return nil
			}
			return &(*p).agreementTo
		}),
		col("rules", "jsonb", as, func(**scalePartner) string { k++; return rules[k] }),
		col("accepted_at", "timestamptz", as, func(p **scalePartner) time.Time { return (*p).agreementFrom }),
		col("accepted_via", "text", as, func(**scalePartner) string { return "recorded" }),
		col("accepted_name", "text", as, func(**scalePartner) string { return "Signed on paper" }),
		col("created_at", "timestamptz", as, func(p **scalePartner) time.Time { return (*p).agreementFrom }),
	)
}

// Referrals ----------------------------------------------------------------

var scaleChallenges = func() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(seedRefChallenges)) {
		out = append(out, seedRefChallenges[k]...)
	}
	return out
}()

var scaleEngagementNames = []string{"Operations review", "Growth strategy", "Finance transformation", "Integration programme",
	"Tax restructuring", "ERP implementation", "Leadership coaching", "Market-entry assessment", "Data platform", "Interim CFO"}

func (g *scaleGen) genReferrals() {
	n := g.plan.referrals
	if g.cum[len(g.cum)-1] == 0 {
		n = 0 // no partner exchanges referrals (tiny plans)
	}
	type slot struct {
		p *scalePartner
		t time.Time
	}
	slots := make([]slot, n)
	span := float64(g.now.Sub(g.start))
	for i := range slots {
		x := g.rng.Float64() * g.cum[len(g.cum)-1]
		k, _ := slices.BinarySearch(g.cum, x)
		p := g.partners[min(k, len(g.partners)-1)]
		// Referrals grow over the years: later ones are likelier.
		t := g.start.Add(time.Duration(span * math.Pow(g.rng.Float64(), 0.8)))
		if t.Before(p.from) || t.After(p.until) {
			t = g.between(p.from, p.until)
		}
		if !t.Before(g.now) {
			t = g.now.Add(-time.Minute)
		}
		slots[i] = slot{p, t.Truncate(time.Minute)}
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return a.t.Compare(b.t) })
	for _, s := range slots {
		g.referral(s.p, s.t)
	}
}

// referral generates one referral submitted at t, with its prospect, its
// events and breaches, and when won its client, engagement and payments.
func (g *scaleGen) referral(p *scalePartner, t time.Time) {
	co := g.companies[g.rng.IntN(len(g.companies))]
	r := scaleRef{id: g.id(), partner: p.id, prospect: g.id(), direction: "inbound", company: co.name, norm: co.norm,
		domain: co.domain, challenge: g.pick(scaleChallenges), urgency: "normal", submitted: t, source: "portal"}
	if g.rng.Float64() >= p.inShare {
		r.direction = "outbound"
		r.source = "staff"
		r.originator = &g.staff[g.rng.IntN(2)]
	} else {
		r.source = g.weighted([]string{"portal", "staff", "api", "import"}, []float64{55, 25, 15, 5})
	}
	switch x := g.rng.Float64(); {
	case x < 0.1:
		r.urgency = "high"
	case x < 0.13:
		r.urgency = "urgent"
	case x < 0.25:
		r.urgency = "low"
	}
	if g.rng.Float64() < 0.5 {
		v := int64(math.Exp(math.Log(10_000)+g.rng.Float64()*(math.Log(500_000)-math.Log(10_000)))) / 1000 * 1000 * 100
		r.value = &v
	}
	if p.agreement != nil && !day(t).Before(p.agreementFrom) && (p.agreementTo.IsZero() || !day(t).After(p.agreementTo)) {
		r.agreement = p.agreement
	}
	first, last := g.pick(seedRefFirst), g.pick(seedRefLast)
	email := ""
	if co.domain != nil {
		email = strings.ToLower(first+"."+last) + "@" + *co.domain
	}
	g.prospects = append(g.prospects, scaleProspect{id: r.prospect, partner: p.id, name: first + " " + last, email: email, created: t})

	// The SLA clocks, as Submit stamps them.
	fr, fc, mt, pr := time.Duration(g.st.FirstResponseHours)*time.Hour, time.Duration(g.st.FirstContactHours)*time.Hour,
		time.Duration(g.st.MeetingDays)*24*time.Hour, time.Duration(g.st.PartnerResponseHours)*time.Hour
	if r.direction == "inbound" {
		r.frDue, r.fcDue, r.mtDue = ptrT(g.after(t, fr)), ptrT(g.after(t, fc)), ptrT(g.after(t, mt))
	} else {
		r.prDue = ptrT(g.after(t, pr))
	}

	// Where it ended up: recent ones are open, older ones decided.
	ageDays := g.now.Sub(t).Hours() / 24
	open := g.rng.Float64() < math.Exp(-ageDays/25) || (ageDays > 150 && g.rng.Float64() < 0.01)
	outcome := ""
	stage := referral.Submitted
	if open {
		if ageDays < 1 {
			stage = g.weighted([]string{referral.Submitted, referral.Acknowledged}, []float64{60, 40})
		} else {
			stage = g.weighted(referral.OpenStatuses, []float64{4, 18, 30, 26, 22})
		}
	} else {
		won := min(max(0.33*p.quality, 0.05), 0.85)
		declined := 0.13
		if r.direction == "outbound" {
			declined = 0.2
		}
		switch x := g.rng.Float64(); {
		case x < won:
			outcome = referral.Won
		case x < won+declined:
			outcome = referral.Declined
		default:
			outcome = referral.Lost
		}
	}
	reach := slices.Index(referral.OpenStatuses, stage) // how far it got
	switch outcome {
	case referral.Won:
		reach = 4
	case referral.Lost:
		reach = 1 + g.rng.IntN(4)
	case referral.Declined:
		reach = 0
	}

	// The timeline, each step after the one before.
	var steps []*time.Time // in order; compressed below if they run past now
	at := t
	step := func(d time.Duration) *time.Time {
		at = g.after(at, d)
		x := at
		steps = append(steps, &x)
		return &x
	}
	var responded *time.Time
	if r.direction == "outbound" {
		if reach > 0 || outcome != "" {
			late := g.rng.Float64() < 0.1
			h := g.hours(2, 32)
			if late {
				h = g.hours(50, 80)
			}
			responded = step(h)
			if outcome == referral.Declined {
				r.declined = responded
				reason := g.pick(seedRefPartnerDecline)
				r.declineReason = &reason
			} else {
				r.accepted = responded
			}
		}
	} else if reach > 0 || outcome != "" {
		h := g.hours(1, 18)
		if g.rng.Float64() < 0.12 {
			h = g.hours(26, 56)
		}
		responded = step(h)
	}
	r.responded = responded
	if reach >= 2 {
		h := g.hours(4, 44)
		if g.rng.Float64() < 0.08 {
			h = g.hours(60, 100)
		}
		r.contacted = step(h)
	}
	if reach >= 3 {
		r.meeting = step(g.hours(24, 170))
	}
	if reach >= 4 {
		step(g.hours(100, 480)) // the proposal
	}
	if outcome != "" {
		if outcome == referral.Declined {
			r.closed = step(g.hours(1, 20))
		} else {
			r.closed = step(g.hours(200, 1080))
		}
	}
	if len(steps) > 0 {
		// A timeline that would run past now is squeezed into the time
		// there was.
		end := g.now.Add(-time.Minute)
		if last := *steps[len(steps)-1]; last.After(end) {
			f := float64(end.Sub(t)) * (0.5 + 0.45*g.rng.Float64()) / float64(last.Sub(t))
			for _, s := range steps {
				*s = t.Add(time.Duration(float64(s.Sub(t)) * f)).Truncate(time.Minute)
			}
		}
		r.changed = *steps[len(steps)-1]
	} else {
		r.changed = t
	}
	if outcome != "" {
		r.status = outcome
		switch outcome {
		case referral.Lost:
			reason := g.pick([]string{"timing", "budget", "competitor", "competitor", "no_response", "other", "fit"})
			r.closeReason = &reason
		case referral.Declined:
			reason := g.pick([]string{"fit", "fit", "timing", "budget"})
			if r.direction == "outbound" {
				reason = "other"
			}
			r.closeReason = &reason
		}
	} else {
		r.status = stage
	}
	if r.status != referral.Submitted || r.direction == "outbound" {
		r.owner = &g.staff[g.rng.IntN(2)]
	}
	r.claim = r.changed.AddDate(0, 0, g.st.ClaimWindowDays)
	if r.closed != nil && r.direction == "inbound" && g.rng.Float64() < 0.6 {
		fit, note := "good", g.pick(seedRefFitGood)
		if (outcome == referral.Declined && g.rng.Float64() < 0.8) || (outcome == referral.Lost && g.rng.Float64() < 0.35) {
			fit, note = "poor", g.pick(seedRefFitPoor)
		}
		r.fit, r.fitNote = &fit, note
	}

	// Its events: the submission and the latest move.
	actorKind := map[string]string{"portal": "partner", "staff": "staff", "api": "api", "import": "system"}[r.source]
	body := ""
	if r.direction == "outbound" {
		body = "Referred to " + p.name + "."
	}
	sub := referral.Submitted
	g.events = append(g.events, scaleEvent{referral: r.id, partner: p.id, at: t, actorKind: actorKind, kind: "submitted",
		to: &sub, body: body, actor: r.originator})
	if r.status != referral.Submitted {
		from := referral.OpenStatuses[max(0, min(reach, 4)-1)]
		if r.closed == nil {
			from = referral.OpenStatuses[max(0, reach-1)]
		}
		to := r.status
		kind := "staff"
		if r.direction == "outbound" {
			kind = "partner"
		}
		g.events = append(g.events, scaleEvent{referral: r.id, partner: p.id, at: r.changed, actorKind: kind, kind: "status",
			from: &from, to: &to, reason: r.closeReason, actor: r.owner})
	}

	// Breaches, as the domain computes them.
	dom := referral.Referral{Direction: r.direction, Status: r.status, ClosedAt: r.closed,
		FirstResponseDueAt: r.frDue, FirstRespondedAt: r.responded, FirstContactDueAt: r.fcDue, ContactedAt: r.contacted,
		MeetingDueAt: r.mtDue, MeetingAt: r.meeting, PartnerResponseDueAt: r.prDue, PartnerAcceptedAt: r.accepted,
		PartnerDeclinedAt: r.declined}
	for _, cl := range dom.Clocks(g.now) {
		if cl.Breached {
			b := cl.DueAt.Add(time.Duration(1+g.rng.IntN(14)) * time.Minute)
			if b.After(g.now) {
				b = g.now
			}
			g.breaches = append(g.breaches, scaleBreach{referral: r.id, partner: p.id, clock: cl.Name, due: cl.DueAt, at: b})
		}
	}
	if outcome == referral.Won {
		g.won(&r, p)
	}
	g.refs = append(g.refs, r)
}

// won records the client, the engagement and its payments of a won referral.
func (g *scaleGen) won(r *scaleRef, p *scalePartner) {
	closed := *r.closed
	if r.direction == "inbound" {
		id := g.id()
		r.client = &id
		g.clients = append(g.clients, scaleClient{id: id, name: r.company, norm: r.norm, domain: r.domain, created: closed})
	}
	e := scaleEngagement{id: g.id(), referral: r.id, partner: p.id, client: r.client, kind: "project",
		name: g.pick(scaleEngagementNames), by: g.staff[1], created: closed}
	e.scope = e.name + " for " + r.company + "."
	today := day(g.now)
	e.started = day(closed.AddDate(0, 0, g.rng.IntN(22)))
	if e.started.After(today) {
		e.started = today
	}
	var monthly int64
	if g.rng.Float64() < 0.3 {
		e.kind = "retainer"
		monthly = int64(2000+g.rng.IntN(13_000)) * 100
		e.value = monthly * 12
		if g.rng.Float64() < 0.35 {
			end := e.started.AddDate(0, 3+g.rng.IntN(16), 0)
			if !end.After(today) {
				e.ended = &end
			}
		}
	} else {
		e.value = int64(math.Exp(math.Log(5000)+g.rng.Float64()*(math.Log(250_000)-math.Log(5000)))) / 1000 * 1000 * 100
		end := e.started.AddDate(0, 1+g.rng.IntN(8), 0)
		if !end.After(today) {
			e.ended = &end
		}
	}
	g.engagements = append(g.engagements, e)
	if p.paysOn != r.direction {
		return
	}

	// Client payments up to today: a retainer monthly, a project in 1–3
	// invoices over its course.
	pay := func(on time.Time, amount int64) {
		if on.After(today) || amount <= 0 {
			return
		}
		k := len(g.payments)
		v := scaleRevenue{id: g.id(), engagement: e.id, referral: r.id, partner: p.id, by: g.staff[2], amount: amount,
			paidOn: on, ref: fmt.Sprintf("INV-%07d", k+1)}
		g.payments = append(g.payments, v)
		if g.rng.Float64() < 0.02 {
			back := -amount * int64(10+g.rng.IntN(41)) / 100
			when := on.AddDate(0, 0, 7+g.rng.IntN(39))
			if back < 0 && !when.After(today) {
				g.refunds = append(g.refunds, scaleRevenue{id: g.id(), engagement: e.id, referral: r.id, partner: p.id,
					by: g.staff[2], refundOf: &v.id, amount: back, paidOn: when, ref: fmt.Sprintf("CN-%07d", len(g.refunds)+1)})
			}
		}
	}
	if e.kind == "retainer" {
		for m := 1; m <= 36; m++ {
			on := e.started.AddDate(0, m, 0)
			if e.ended != nil && on.After(*e.ended) {
				break
			}
			pay(on, monthly)
		}
		return
	}
	n := 1 + g.rng.IntN(3)
	course := 30 * (1 + g.rng.IntN(8))
	if e.ended != nil {
		course = int(e.ended.Sub(e.started).Hours() / 24)
	}
	left := e.value
	for k := range n {
		amount := e.value / int64(n)
		if k == n-1 {
			amount = left
		}
		left -= amount
		pay(e.started.AddDate(0, 0, 21+course*k/n), amount)
	}
}

func (g *scaleGen) writeReferrals(ctx context.Context, tx pgx.Tx) error {
	tid := g.plan.id
	ps := g.prospects
	if err := bulkInsert(ctx, tx, tid, "referral_prospects",
		col("id", "uuid", ps, func(p *scaleProspect) pgtype.UUID { return pgID(p.id) }),
		col("partner_id", "uuid", ps, func(p *scaleProspect) pgtype.UUID { return pgID(p.partner) }),
		col("contact_name", "text", ps, func(p *scaleProspect) string { return p.name }),
		col("contact_email", "text", ps, func(p *scaleProspect) string { return p.email }),
		col("created_at", "timestamptz", ps, func(p *scaleProspect) time.Time { return p.created }),
	); err != nil {
		return err
	}
	cs := g.clients
	if err := bulkInsert(ctx, tx, tid, "clients",
		col("id", "uuid", cs, func(c *scaleClient) pgtype.UUID { return pgID(c.id) }),
		col("name", "text", cs, func(c *scaleClient) string { return c.name }),
		col("name_norm", "text", cs, func(c *scaleClient) string { return c.norm }),
		col("domain", "text", cs, func(c *scaleClient) *string { return c.domain }),
		col("created_at", "timestamptz", cs, func(c *scaleClient) time.Time { return c.created }),
	); err != nil {
		return err
	}
	rs := g.refs
	if err := bulkInsert(ctx, tx, tid, "referrals",
		col("id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgID(r.id) }),
		col("direction", "text", rs, func(r *scaleRef) string { return r.direction }),
		col("partner_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgID(r.partner) }),
		col("prospect_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgID(r.prospect) }),
		col("client_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgIDp(r.client) }),
		col("client_company", "text", rs, func(r *scaleRef) string { return r.company }),
		col("client_domain", "text", rs, func(r *scaleRef) *string { return r.domain }),
		col("client_name_norm", "text", rs, func(r *scaleRef) string { return r.norm }),
		col("challenge", "text", rs, func(r *scaleRef) string { return r.challenge }),
		col("urgency", "text", rs, func(r *scaleRef) string { return r.urgency }),
		col("estimated_value_cents", "bigint", rs, func(r *scaleRef) *int64 { return r.value }),
		col("status", "text", rs, func(r *scaleRef) string { return r.status }),
		col("status_changed_at", "timestamptz", rs, func(r *scaleRef) time.Time { return r.changed }),
		col("source", "text", rs, func(r *scaleRef) string { return r.source }),
		col("submitted_at", "timestamptz", rs, func(r *scaleRef) time.Time { return r.submitted }),
		col("originator_user_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgIDp(r.originator) }),
		col("owner_user_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgIDp(r.owner) }),
		col("credited_partner_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgID(r.partner) }),
		col("claim_expires_at", "timestamptz", rs, func(r *scaleRef) time.Time { return r.claim }),
		col("first_response_due_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.frDue }),
		col("first_responded_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.responded }),
		col("first_contact_due_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.fcDue }),
		col("contacted_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.contacted }),
		col("meeting_due_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.mtDue }),
		col("meeting_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.meeting }),
		col("partner_response_due_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.prDue }),
		col("partner_accepted_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.accepted }),
		col("partner_declined_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.declined }),
		col("partner_decline_reason", "text", rs, func(r *scaleRef) *string { return r.declineReason }),
		col("closed_at", "timestamptz", rs, func(r *scaleRef) *time.Time { return r.closed }),
		col("close_reason", "text", rs, func(r *scaleRef) *string { return r.closeReason }),
		col("fit", "text", rs, func(r *scaleRef) *string { return r.fit }),
		col("fit_note", "text", rs, func(r *scaleRef) string { return r.fitNote }),
		col("agreement_id", "uuid", rs, func(r *scaleRef) pgtype.UUID { return pgIDp(r.agreement) }),
		col("created_at", "timestamptz", rs, func(r *scaleRef) time.Time { return r.submitted }),
		col("updated_at", "timestamptz", rs, func(r *scaleRef) time.Time { return r.changed }),
	); err != nil {
		return err
	}
	es := g.events
	if err := bulkInsert(ctx, tx, tid, "referral_events",
		col("referral_id", "uuid", es, func(e *scaleEvent) pgtype.UUID { return pgID(e.referral) }),
		col("partner_id", "uuid", es, func(e *scaleEvent) pgtype.UUID { return pgID(e.partner) }),
		col("at", "timestamptz", es, func(e *scaleEvent) time.Time { return e.at }),
		col("actor_user_id", "uuid", es, func(e *scaleEvent) pgtype.UUID { return pgIDp(e.actor) }),
		col("actor_kind", "text", es, func(e *scaleEvent) string { return e.actorKind }),
		col("kind", "text", es, func(e *scaleEvent) string { return e.kind }),
		col("from_status", "text", es, func(e *scaleEvent) *string { return e.from }),
		col("to_status", "text", es, func(e *scaleEvent) *string { return e.to }),
		col("reason", "text", es, func(e *scaleEvent) *string { return e.reason }),
		col("body", "text", es, func(e *scaleEvent) string { return e.body }),
		col("visible_to_partner", "boolean", es, func(*scaleEvent) bool { return true }),
	); err != nil {
		return err
	}
	bs := g.breaches
	if err := bulkInsert(ctx, tx, tid, "sla_breaches",
		col("referral_id", "uuid", bs, func(b *scaleBreach) pgtype.UUID { return pgID(b.referral) }),
		col("clock", "text", bs, func(b *scaleBreach) string { return b.clock }),
		col("partner_id", "uuid", bs, func(b *scaleBreach) pgtype.UUID { return pgID(b.partner) }),
		col("due_at", "timestamptz", bs, func(b *scaleBreach) time.Time { return b.due }),
		col("breached_at", "timestamptz", bs, func(b *scaleBreach) time.Time { return b.at }),
	); err != nil {
		return err
	}
	gs := g.engagements
	if err := bulkInsert(ctx, tx, tid, "engagements",
		col("id", "uuid", gs, func(e *scaleEngagement) pgtype.UUID { return pgID(e.id) }),
		col("referral_id", "uuid", gs, func(e *scaleEngagement) pgtype.UUID { return pgID(e.referral) }),
		col("partner_id", "uuid", gs, func(e *scaleEngagement) pgtype.UUID { return pgID(e.partner) }),
		col("client_id", "uuid", gs, func(e *scaleEngagement) pgtype.UUID { return pgIDp(e.client) }),
		col("kind", "text", gs, func(e *scaleEngagement) string { return e.kind }),
		col("name", "text", gs, func(e *scaleEngagement) string { return e.name }),
		col("scope", "text", gs, func(e *scaleEngagement) string { return e.scope }),
		col("value_cents", "bigint", gs, func(e *scaleEngagement) int64 { return e.value }),
		col("started_on", "date", gs, func(e *scaleEngagement) time.Time { return e.started }),
		col("ended_on", "date", gs, func(e *scaleEngagement) *time.Time { return e.ended }),
		col("created_by", "uuid", gs, func(e *scaleEngagement) pgtype.UUID { return pgID(e.by) }),
		col("created_at", "timestamptz", gs, func(e *scaleEngagement) time.Time { return e.created }),
	); err != nil {
		return err
	}
	// Payments before their refunds (a refund references its payment).
	for _, vs := range [][]scaleRevenue{g.payments, g.refunds} {
		if err := bulkInsert(ctx, tx, tid, "revenue_events",
			col("id", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgID(v.id) }),
			col("engagement_id", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgID(v.engagement) }),
			col("referral_id", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgID(v.referral) }),
			col("partner_id", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgID(v.partner) }),
			col("amount_cents", "bigint", vs, func(v *scaleRevenue) int64 { return v.amount }),
			col("currency", "text", vs, func(*scaleRevenue) string { return "USD" }),
			col("paid_on", "date", vs, func(v *scaleRevenue) time.Time { return v.paidOn }),
			col("refund_of_id", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgIDp(v.refundOf) }),
			col("external_ref", "text", vs, func(v *scaleRevenue) string { return v.ref }),
			col("source", "text", vs, func(*scaleRevenue) string { return "import" }),
			col("created_by", "uuid", vs, func(v *scaleRevenue) pgtype.UUID { return pgID(v.by) }),
		); err != nil {
			return err
		}
	}
	return nil
}

// Bulk writes ---------------------------------------------------------------

// bulkColumn is one column of a bulk insert: its name, its SQL type and
// its values (a slice, one per row).
type bulkColumn struct {
	name, typ string
	vals      any
}

// col extracts a column from rows.
func col[R, T any](name, typ string, rows []R, f func(*R) T) bulkColumn {
	v := make([]T, len(rows))
	for i := range rows {
		v[i] = f(&rows[i])
	}
	return bulkColumn{name, typ, v}
}

func mapSlice[R, T any](rows []R, f func(R) T) []T {
	v := make([]T, len(rows))
	for i, r := range rows {
		v[i] = f(r)
	}
	return v
}

// bulkChunk is how many rows one INSERT takes.
const bulkChunk = 5000

// bulkInsert inserts the rows the columns hold into the firm's table with
// INSERT … SELECT $1, * FROM unnest($2::type[], …), bulkChunk rows at a
// time: one typed (binary) array per column.
func bulkInsert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, table string, cols ...bulkColumn) error {
	if len(cols) == 0 {
		return errors.New("seed: bulk insert without columns")
	}
	n := reflect.ValueOf(cols[0].vals).Len()
	names := make([]string, len(cols))
	params := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		params[i] = fmt.Sprintf("$%d::%s[]", i+2, c.typ)
	}
	sql := `INSERT INTO ` + table + ` (tenant_id, ` + strings.Join(names, ", ") + `) SELECT $1, * FROM unnest(` +
		strings.Join(params, ", ") + `)`
	for lo := 0; lo < n; lo += bulkChunk {
		hi := min(lo+bulkChunk, n)
		args := make([]any, 0, len(cols)+1)
		args = append(args, tenantID)
		for _, c := range cols {
			args = append(args, reflect.ValueOf(c.vals).Slice(lo, hi).Interface())
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}

func pgID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func pgIDp(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgID(*id)
}
