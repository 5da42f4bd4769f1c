package partner_test

import (
	"os"
	"testing"

	"github.com/allyway/allyway/internal/testdb"
)

// The directory tests and benchmark run against a real PostgreSQL.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
