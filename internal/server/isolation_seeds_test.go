package server

import (
	"testing"

	"github.com/google/uuid"
)

// isolationSeeds add rows of firm b (with its partner bPartner) and return
// their ids, which TestIsolationEveryRoute then tries in firm A's URLs. An
// area registers its own from an init func in its test file, so adding an
// area never edits the isolation test.
var isolationSeeds []func(t *testing.T, h *harness, b firm, bPartner uuid.UUID) []string
