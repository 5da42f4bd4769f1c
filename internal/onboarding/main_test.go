package onboarding_test

import (
	"os"
	"testing"

	"github.com/allyway/allyway/internal/testdb"
)

// The onboarding tests run against a real PostgreSQL.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
