package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/web/view"
)

// devMailList shows the outbox in development without SMTP, so a newcomer
// can follow invitation and reset links. Not routed in production.
func (s *Server) devMailList(w http.ResponseWriter, r *http.Request) {
	var msgs []notify.OutboxMessage
	err := s.DB.Global(r.Context(), func(tx pgx.Tx) (err error) {
		msgs, err = notify.ListOutbox(r.Context(), tx, 100)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]view.MailRow, 0, len(msgs))
	for _, m := range msgs {
		rows = append(rows, mailRow(m))
	}
	s.render(w, r, http.StatusOK, view.DevMailListPage(s.page(r, "Dev mail outbox", ""), rows))
}

// devMailShow shows one message with its text body.
func (s *Server) devMailShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var m notify.OutboxMessage
	err = s.DB.Global(r.Context(), func(tx pgx.Tx) (err error) {
		m, err = notify.GetOutbox(r.Context(), tx, id)
		if db.IsNoRows(err) {
			return apperr.NotFound("Message")
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.DevMailShowPage(s.page(r, m.Subject, ""), mailRow(m)))
}

func mailRow(m notify.OutboxMessage) view.MailRow {
	row := view.MailRow{ID: m.ID.String(), To: m.To, Subject: m.Subject, Text: m.Text,
		Created: m.CreatedAt.Format("2 Jan 2006 15:04:05")}
	if m.SentAt != nil {
		row.Sent = m.SentAt.Format("15:04:05")
	}
	return row
}
