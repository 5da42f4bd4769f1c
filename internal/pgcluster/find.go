package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// BinDirEnv names an environment variable that, when set, overrides the search
// done by FindBinaries (e.g. ALLYWAY_PG_BINDIR=/Applications/Postgres.app/Contents/Versions/16/bin).
const BinDirEnv = "ALLYWAY_PG_BINDIR"

// ErrNoBinaries is returned (wrapped) by FindBinaries when no PostgreSQL server
// binaries are installed. Its message tells the user how to get a database.
var ErrNoBinaries = errors.New(`no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or in the usual folders
(/usr/lib/postgresql/*/bin, /usr/local/pgsql/bin, /opt/homebrew/opt/postgresql*/bin, /usr/local/opt/postgresql*/bin, /usr/pgsql-*/bin).
To get a database, do one of:
  1. install PostgreSQL: apt-get install postgresql (Debian/Ubuntu), brew install postgresql (macOS), dnf install postgresql-server (Fedora);
     or point ` + BinDirEnv + ` at the folder holding initdb and pg_ctl;
  2. set DATABASE_URL to an existing server, e.g. postgres://user:password@host:5432/allyway?sslmode=disable;
  3. start the repo's database container with "docker compose up -d" (docker-compose.yml in the repo root) and use its URL as DATABASE_URL`)

// serverBinaries must all live in the same folder: pg_ctl execs the postgres
// next to itself.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

// searchGlobs lists the usual install folders, in order. Within a glob the
// newest version wins. A variable so tests can replace it.
var searchGlobs = []string{
	"/usr/lib/postgresql/*/bin",         // Debian, Ubuntu
	"/usr/local/pgsql/bin",              // source builds
	"/opt/homebrew/opt/postgresql*/bin", // Homebrew, Apple silicon
	"/usr/local/opt/postgresql*/bin",    // Homebrew, Intel
	"/usr/pgsql-*/bin",                  // RHEL/Fedora PGDG packages
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

// FindBinaries returns the folder holding initdb, pg_ctl and postgres.
// Order: $ALLYWAY_PG_BINDIR, PATH, then the usual folders (newest version
// first). The error wraps ErrNoBinaries when nothing is found.
func FindBinaries() (binDir string, err error) {
	dirs := candidateBinDirs()
	if len(dirs) == 0 {
		if d := os.Getenv(BinDirEnv); d != "" {
			return "", fmt.Errorf("%s=%s does not hold %s: %w", BinDirEnv, d, strings.Join(serverBinaries, ", "), ErrNoBinaries)
		}
		return "", ErrNoBinaries
	}
	return dirs[0], nil
}

// candidateBinDirs returns every folder that holds all server binaries, best
// first, without duplicates.
func candidateBinDirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(dir string) {
		if dir == "" || !hasServerBinaries(dir) {
			return
		}
		key := dir
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			key = r
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, dir)
		}
	}

	if d := os.Getenv(BinDirEnv); d != "" {
		add(d)
		return out // an explicit choice is not second-guessed
	}

	if p, err := exec.LookPath("initdb"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		// Prefer the real folder over a folder of symlinks (e.g.
		// /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb).
		if real, err := filepath.EvalSymlinks(p); err == nil {
			add(filepath.Dir(real))
		}
		add(filepath.Dir(p))
	}

	for _, g := range searchGlobs {
		matches, _ := filepath.Glob(g)
		sort.SliceStable(matches, func(i, j int) bool {
			return versionLess(pathVersion(matches[j]), pathVersion(matches[i]))
		})
		for _, m := range matches {
			add(m)
		}
	}
	return out
}

func hasServerBinaries(dir string) bool {
	for _, b := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

var versionInPath = regexp.MustCompile(`(\d+(?:\.\d+)*)`)

// pathVersion extracts the version from e.g. /usr/lib/postgresql/15/bin or
// /opt/homebrew/opt/postgresql@16/bin. Paths without a number sort last.
func pathVersion(p string) []int {
	m := versionInPath.FindAllString(p, -1)
	if len(m) == 0 {
		return nil
	}
	var v []int
	for _, part := range strings.Split(m[len(m)-1], ".") {
		n, _ := strconv.Atoi(part)
		v = append(v, n)
	}
	return v
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

var serverVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+(?:\.\d+)?)`)

// serverMajor runs "postgres -V" and returns the major version as initdb
// writes it to PG_VERSION ("15", or "9.6" for old releases);
// full is the whole output.
func serverMajor(binDir string) (major, full string, err error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "-V").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s -V: %w", filepath.Join(binDir, "postgres"), err)
	}
	full = strings.TrimSpace(string(out))
	m := serverVersionRE.FindStringSubmatch(full)
	if m == nil {
		return "", "", fmt.Errorf("cannot parse version from %q", full)
	}
	v := m[1]
	if major, _, ok := strings.Cut(v, "."); ok {
		if n, _ := strconv.Atoi(major); n >= 10 {
			v = major
		}
	}
	return v, full, nil
}
