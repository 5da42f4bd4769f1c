package importflow

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// Upload is what the upload form sent: a file or pasted text.
type Upload struct {
	Data     []byte
	Field    string // "file" or "csv": where Data came from, for messages
	Filename string
	Pasted   string            // the pasted text, to show again (when small enough)
	Params   map[string]string // the kind's own fields (Spec.Params)
}

// maxParam bounds a kind's own form field.
const maxParam = 1000

// UploadError is a problem with the upload form: Field names the form
// field the message belongs to.
type UploadError struct {
	Field   string
	Message string
	TooBig  bool // over the size limit
	Pasted  string
}

func (e *UploadError) Error() string { return e.Message }

// TooBigMessage is what a user reads about a file over maxBytes.
func TooBigMessage(maxBytes int64) string {
	return "The file is over " + SizeText(maxBytes) + ". Split it into smaller files and import them one after the other."
}

// ReadUpload reads the upload form: a multipart form with a "file" and a
// "csv" (pasted text) part, or a urlencoded form with "csv". The parts are
// streamed and neither may exceed maxBytes: reading stops at the first
// byte too many with an *UploadError saying the limit. Any other problem
// of the form is an *UploadError too.
func ReadUpload(r *http.Request, maxBytes int64) (Upload, error) {
	return ReadUploadParams(r, maxBytes, nil)
}

// ReadUploadParams is ReadUpload that also reads the fields named by params
// (a kind's own, each up to 1,000 bytes) into Upload.Params.
func ReadUploadParams(r *http.Request, maxBytes int64, params []string) (Upload, error) {
	up := Upload{Params: map[string]string{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return up, formError(err, maxBytes)
		}
		up.Pasted = r.PostForm.Get("csv")
		for _, name := range params {
			if v := r.PostForm.Get(name); len(v) <= maxParam {
				up.Params[name] = v
			}
		}
	} else {
		mr, err := r.MultipartReader()
		if err != nil {
			return up, &UploadError{Field: "file", Message: "The upload could not be read. Choose the file again."}
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return up, formError(err, maxBytes)
			}
			name := p.FormName()
			if slices.Contains(params, name) && p.FileName() == "" {
				b, err := io.ReadAll(io.LimitReader(p, maxParam+1))
				_ = p.Close()
				if err != nil {
					return up, formError(err, maxBytes)
				}
				if len(b) <= maxParam {
					up.Params[name] = string(b)
				}
				continue
			}
			if name != "file" && name != "csv" {
				_ = p.Close()
				continue
			}
			b, err := io.ReadAll(io.LimitReader(p, maxBytes+1))
			_ = p.Close()
			if err != nil {
				return up, formError(err, maxBytes)
			}
			if int64(len(b)) > maxBytes {
				return up, &UploadError{Field: name, Message: TooBigMessage(maxBytes), TooBig: true}
			}
			if name == "file" {
				up.Data, up.Filename = b, p.FileName()
			} else {
				up.Pasted = string(b)
			}
		}
	}
	if len(bytes.TrimSpace(up.Data)) == 0 && strings.TrimSpace(up.Pasted) != "" {
		up.Data, up.Field = []byte(up.Pasted), "csv"
	} else {
		up.Field = "file"
	}
	if len(bytes.TrimSpace(up.Data)) == 0 {
		return up, &UploadError{Field: up.Field, Message: "Choose a CSV file, or paste CSV below.", Pasted: up.Pasted}
	}
	if int64(len(up.Data)) > maxBytes {
		return up, &UploadError{Field: up.Field, Message: TooBigMessage(maxBytes), TooBig: true}
	}
	return up, nil
}

// formError is a form that could not be read: over the request's body
// limit, or broken.
func formError(err error, maxBytes int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &UploadError{Field: "file", Message: TooBigMessage(maxBytes), TooBig: true}
	}
	return &UploadError{Field: "file", Message: "The upload could not be read. Choose the file again."}
}
