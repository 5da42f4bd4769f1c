package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/csvout"
)

// CSV exports of the staff app's lists ("what you see, with filters"):
// each list's export reads the same query as its page, all pages, inside
// the request's transaction, and streams the rows as it reads them,
// neutralised by csvout.

// exportBatch is how many rows an export reads at a time.
const exportBatch = 1000

// exportCSV streams a list's CSV named name-YYYY-MM-DD.csv: header, then
// the rows each writes. Until the first row is written a failure is an
// error page; after it, the download is cut short and the failure logged.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, name string, header []string,
	each func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(cells ...string) error) error) {
	ctx := r.Context()
	var cw *csvout.Writer
	start := func() error {
		if cw != nil {
			return nil
		}
		csvout.Attach(w, csvout.Filename(staffFrom(ctx).Tenant.Slug+"-"+name, s.now().In(time.UTC)))
		w.WriteHeader(http.StatusOK)
		var err error
		cw, err = csvout.NewWriter(w, header...)
		return err
	}
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		return each(ctx, tx, sc, func(cells ...string) error {
			if err := start(); err != nil {
				return err
			}
			return cw.Write(cells...)
		})
	})
	if err != nil && cw == nil {
		s.fail(w, r, err)
		return
	}
	if err == nil {
		err = start()
	}
	if err == nil {
		err = cw.Flush()
	}
	if err != nil {
		s.Logger.Warn("csv export", "list", name, "request_id", requestIDFrom(ctx), "err", err)
	}
}

// exportTime is a time in an export: RFC 3339, UTC; "" for none.
func exportTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// exportAmount is an amount of money in an export: plain decimal units
// from integer cents, no symbol or separators ("1234.50", "-0.05"); the
// currency goes in its own column.
func exportAmount(cents int64) string {
	sign, u := "", uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-(cents+1))+1
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + frac
}

// exportDay is a calendar day in an export (YYYY-MM-DD); "" for none.
func exportDay(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
