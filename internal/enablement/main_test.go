package enablement_test

import (
	"os"
	"testing"

	"github.com/allyway/allyway/internal/testdb"
)

// The library tests run against a real PostgreSQL.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
