package server

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
)

// API lists page with `?limit=…&cursor=…` and answer
// `{"data": [...], "next_cursor": "…" | null}`. Every list is ordered by
// (created_at, id), a total order that new rows only extend at the end
// (created_at is the inserting transaction's start, so a slow transaction
// can still land behind a cursor; ids break ties). The cursor is the
// position of the last row of the page, opaque to clients:
// base64url(version byte, created_at in Unix microseconds, id).
const (
	apiDefaultLimit = 50
	apiMaxLimit     = 200
	cursorVersion   = 1
	cursorLen       = 1 + 8 + 16
)

// pagePos is a position in a (created_at, id) ordered list; zero is the start.
type pagePos struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// listPage is the JSON of one page of a list.
type listPage[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// encodeCursor returns the opaque cursor for a position.
func encodeCursor(p pagePos) string {
	var b [cursorLen]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(p.CreatedAt.UnixMicro()))
	copy(b[9:], p.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(s string) (pagePos, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion {
		return pagePos{}, false
	}
	var p pagePos
	p.CreatedAt = time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC()
	copy(p.ID[:], b[9:])
	// Only the spelling encodeCursor gives: the decoder ignores CR and LF
	// and the unused low bits of the last character.
	if p.ID == uuid.Nil || encodeCursor(p) != s {
		return pagePos{}, false
	}
	return p, true
}

// pageParams reads limit (1..200, default 50) and cursor from the query.
// EInvalid (422) with a message per parameter.
func pageParams(r *http.Request) (limit int, after pagePos, err error) {
	q := r.URL.Query()
	errs := map[string]string{}
	limit = apiDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			errs["limit"] = "Use a whole number from 1 to " + strconv.Itoa(apiMaxLimit) + "."
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		var ok bool
		if after, ok = decodeCursor(v); !ok {
			errs["cursor"] = "Use the next_cursor of the previous page as it was given."
		}
	}
	if len(errs) > 0 {
		return 0, pagePos{}, apperr.Invalid(errs)
	}
	return limit, after, nil
}

// timeParam reads an RFC 3339 time from the query ("" is the zero time).
// A "+" of the offset that arrived unescaped (as a space) is put back.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(v, " ", "+"))
	if err != nil {
		return time.Time{}, apperr.Invalid(map[string]string{name: "Use an RFC 3339 time such as 2026-07-01T00:00:00Z."})
	}
	return t, nil
}

// newPage builds the page from up to limit+1 fetched rows: the extra row
// only tells that there is a next page, whose cursor is the position of
// the last row shown.
func newPage[R, T any](rows []R, limit int, pos func(R) pagePos, conv func(R) T) listPage[T] {
	p := listPage[T]{Data: make([]T, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		c := encodeCursor(pos(rows[len(rows)-1]))
		p.NextCursor = &c
	}
	for _, r := range rows {
		p.Data = append(p.Data, conv(r))
	}
	return p
}
