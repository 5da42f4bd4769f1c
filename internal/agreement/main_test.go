package agreement_test

import (
	"os"
	"testing"

	"github.com/allyway/allyway/internal/testdb"
)

// The store tests run against a real PostgreSQL (see internal/testdb).
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
