package schema

import (
	"context"
	"database/sql"
	"io/fs"
	"runtime/debug"

	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/migrations"
)

// Migrator builds the template database for pgtestdb: the whole schema,
// exactly as `allyway migrate up` makes it.
type Migrator struct {
	// AppPassword is set on the application role.
	AppPassword string
}

var _ pgtestdb.Migrator = Migrator{}

// Hash changes whenever a migration file or River's version changes, so a
// stale template is never reused.
func (m Migrator) Hash() (string, error) {
	h := common.NewRecursiveHash(
		common.Field("river", riverVersion()),
		common.Field("app_role", db.AppRole),
		common.Field("app_password", m.AppPassword),
	)
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	if err := h.AddFiles(migrations.FS, names...); err != nil {
		return "", err
	}
	return h.String(), nil
}

// Migrate applies the schema to the template database.
func (m Migrator) Migrate(ctx context.Context, _ *sql.DB, cfg pgtestdb.Config) error {
	owner, err := db.Connect(ctx, cfg.URL(), 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	return Up(ctx, owner, db.RoleSetup{Password: m.AppPassword, ResetPassword: true})
}

func riverVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/riverqueue/river/riverdriver/riverpgxv5" {
			return d.Version
		}
	}
	return "unknown"
}
