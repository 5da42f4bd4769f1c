package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/seed"
)

// seedScale: allyway seed scale [-firms 200 -partners 100 -referrals 1000000 -years 3]
// seeds the scale data set (seed.Scale) into DATABASE_URL's database, or
// finds it there already. It is meant for a database of its own: make
// bench uses allyway_scale_… databases on a private cluster under
// .data/scale.
func (e *env) seedScale(ctx context.Context, args []string) error {
	o := seed.DefaultScale()
	if err := e.flags("seed scale", args, func(fs *flag.FlagSet) {
		fs.IntVar(&o.Firms, "firms", o.Firms, "firms (scale-001 …)")
		fs.IntVar(&o.Partners, "partners", o.Partners, "partners per firm")
		fs.IntVar(&o.Referrals, "referrals", o.Referrals, "referrals over all firms")
		fs.IntVar(&o.Years, "years", o.Years, "years of history, ending today")
		fs.IntVar(&o.Workers, "workers", 2, "firms seeded at once")
	}); err != nil {
		return err
	}
	owner, ownerURL, err := e.ownerPool(ctx)
	if err != nil {
		return err
	}
	defer owner.Close()
	appURL, err := e.appURL(ownerURL)
	if err != nil {
		return err
	}
	// Each firm worker writes on one connection and accrues on ledger.Workers.
	app, err := db.Connect(ctx, appURL, int32(max(o.Workers, 1)*4))
	if err != nil {
		return err
	}
	defer app.Close()
	o.Owner = owner
	start := time.Now()
	o.Logf = func(format string, a ...any) {
		fmt.Fprintf(e.stdout, "%6.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	res, err := seed.Scale(ctx, db.New(app), auth.NewHasher(1), o)
	if err != nil {
		return err
	}
	w := res.Written
	if res.Seeded > 0 {
		fmt.Fprintf(e.stdout, "Seeded %d firms in %s: %d partners, %d referrals, %d events, %d SLA breaches, %d engagements, "+
			"%d payments and %d refunds, %d ledger entries, %d payouts.\n", res.Seeded, res.Elapsed.Round(time.Second),
			w.Partners, w.Referrals, w.Events, w.Breaches, w.Engagements, w.Payments, w.Refunds, w.Entries, w.Payouts)
	} else {
		fmt.Fprintf(e.stdout, "The scale data set (%d firms, %d referrals) was already there (checked in %s).\n",
			len(res.Firms), o.Referrals, res.Elapsed.Round(time.Millisecond))
	}
	big := res.Largest()
	fmt.Fprintf(e.stdout, "Largest firm: %s/t/%s (%d referrals). Every firm's staff sign in as admin@, manager@ or finance@<slug>.scale.example\n"+
		"with the password %s, e.g. %s.\n", e.cfg.BaseURL, big.Slug, big.Referrals, seed.ScalePassword, big.AdminEmail)
	return nil
}
