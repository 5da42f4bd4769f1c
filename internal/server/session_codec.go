package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionCodec stores session data compactly: what the app keeps in a
// session is a few strings, integers and booleans, and scs's default gob
// codec spends most of a request's session work describing those types
// again each time. Layout: magic, deadline (Unix nanoseconds), then per
// value its key, a type byte and the value, lengths and integers as
// varints. Sessions written by the gob codec (before this one) are still
// read. A value of another type is refused when the session is saved, so
// a new kind of value is noticed in tests, not in production.
type sessionCodec struct{}

var sessionMagic = []byte{0, 'A', 'W', '1'}

const (
	sessString byte = 's'
	sessInt64  byte = 'i'
	sessInt    byte = 'n'
	sessBool   byte = 'b'
)

func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := make([]byte, 0, 64+32*len(values))
	b = append(b, sessionMagic...)
	b = binary.AppendVarint(b, deadline.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		switch v := v.(type) {
		case string:
			b = append(b, sessString)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case int64:
			b = append(b, sessInt64)
			b = binary.AppendVarint(b, v)
		case int:
			b = append(b, sessInt)
			b = binary.AppendVarint(b, int64(v))
		case bool:
			b = append(b, sessBool)
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		default:
			return nil, fmt.Errorf("session value %q: type %T is not stored (string, int, int64, bool)", k, v)
		}
	}
	return b, nil
}

var errSessionData = errors.New("session data is damaged")

func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if !bytes.HasPrefix(b, sessionMagic) {
		return scs.GobCodec{}.Decode(b)
	}
	r := b[len(sessionMagic):]
	varint := func() (int64, bool) {
		v, n := binary.Varint(r)
		if n <= 0 {
			return 0, false
		}
		r = r[n:]
		return v, true
	}
	length := func() (int, bool) {
		v, n := binary.Uvarint(r)
		if n <= 0 || v > uint64(len(r)-n) {
			return 0, false
		}
		r = r[n:]
		return int(v), true
	}
	text := func() (string, bool) {
		n, ok := length()
		if !ok {
			return "", false
		}
		s := string(r[:n])
		r = r[n:]
		return s, true
	}
	ns, ok := varint()
	if !ok {
		return time.Time{}, nil, errSessionData
	}
	count, ok := length()
	if !ok {
		return time.Time{}, nil, errSessionData
	}
	values := make(map[string]any, count)
	for range count {
		k, ok := text()
		if !ok || len(r) == 0 {
			return time.Time{}, nil, errSessionData
		}
		kind := r[0]
		r = r[1:]
		switch kind {
		case sessString:
			v, ok := text()
			if !ok {
				return time.Time{}, nil, errSessionData
			}
			values[k] = v
		case sessInt64, sessInt:
			v, ok := varint()
			if !ok {
				return time.Time{}, nil, errSessionData
			}
			if kind == sessInt {
				values[k] = int(v)
			} else {
				values[k] = v
			}
		case sessBool:
			if len(r) == 0 {
				return time.Time{}, nil, errSessionData
			}
			values[k] = r[0] == 1
			r = r[1:]
		default:
			return time.Time{}, nil, errSessionData
		}
	}
	if len(r) != 0 {
		return time.Time{}, nil, errSessionData
	}
	return time.Unix(0, ns), values, nil
}
