package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func needBinaries(t *testing.T) {
	t.Helper()
	if _, err := FindBinaries(); err != nil {
		t.Skipf("no PostgreSQL binaries: %v", err)
	}
}

func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %s", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func query(t *testing.T, url, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestEphemeral(t *testing.T) {
	needBinaries(t)
	c := start(t, Options{DataDir: filepath.Join(t.TempDir(), "data"), Ephemeral: true})

	if got := query(t, c.URL("postgres"), "select 1::text"); got != "1" {
		t.Fatalf("select 1 = %q", got)
	}
	if got := query(t, c.URL("postgres"), "show fsync"); got != "off" {
		t.Errorf("fsync = %q, want off", got)
	}
	if got := query(t, c.URL("postgres"), "select pg_encoding_to_char(encoding) from pg_database where datname = 'postgres'"); got != "UTF8" {
		t.Errorf("encoding = %q", got)
	}
	want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/my%%20db?sslmode=disable", c.Port())
	if got := c.URL("my db"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}

	dir := c.DataDir()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ephemeral data dir %s still exists after Stop (err=%v)", dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestRestart covers a persistent cluster: initdb once, data kept across
// restarts, a stale postmaster.pid naming a live unrelated process, the lock
// against a second starter, a taken port, and a failing start.
func TestRestart(t *testing.T) {
	needBinaries(t)
	// A folder we create ourselves, so that as root the server user can
	// reach it without the os.TempDir() fallback (t.TempDir() is 0700).
	root, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(root)
	t.Cleanup(func() { os.RemoveAll(root) })
	dataDir := filepath.Join(root, "sub", "data")

	c1 := start(t, Options{DataDir: dataDir})
	if c1.DataDir() != dataDir {
		t.Errorf("DataDir = %s, want %s (no relocation expected)", c1.DataDir(), dataDir)
	}
	execSQL(t, c1.URL("postgres"), "create table kept (x int)")

	// Second starter on the same data dir is refused while c1 runs.
	if _, err := Start(context.Background(), Options{DataDir: dataDir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Start: err = %v, want 'in use'", err)
	}
	if err := c1.Stop(); err != nil {
		t.Fatal(err)
	}

	// A killed run may leave postmaster.pid naming a pid that is now some
	// other live process (here: ourselves). It must be ignored/removed.
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"+dataDir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The port we ask for is taken: another one is picked.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	c2 := start(t, Options{DataDir: dataDir, Port: taken})
	if c2.Port() == taken {
		t.Errorf("started on taken port %d", taken)
	}
	if got := query(t, c2.URL("postgres"), "select count(*)::text from kept"); got != "0" {
		t.Errorf("table kept: %q", got)
	}
	if err := c2.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		t.Fatalf("persistent data dir removed: %v", err)
	}

	// A server that cannot start: the error shows the end of the server log.
	f, err := os.OpenFile(filepath.Join(dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "shared_buffers = 'not a size'")
	f.Close()
	_, err = Start(context.Background(), Options{DataDir: dataDir, Logf: t.Logf})
	if err == nil {
		t.Fatal("Start succeeded with a broken postgresql.conf")
	}
	t.Logf("expected error:\n%v", err)
	if !strings.Contains(err.Error(), "last lines of") || !strings.Contains(err.Error(), "not a size") {
		t.Errorf("error does not show the server log: %v", err)
	}
}

const helperEnv = "PGCLUSTER_TEST_WATCHDOG_HELPER"

// TestWatchdogHelper is run by TestWatchdog in a child process: it starts an
// ephemeral cluster in $PGCLUSTER_TEST_WATCHDOG_HELPER and waits to be killed.
func TestWatchdogHelper(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		return // not in the helper process
	}
	c, err := Start(context.Background(), Options{DataDir: dir, Ephemeral: true})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Printf("READY %d %s\n", c.Port(), c.DataDir())
	time.Sleep(time.Hour)
}

// TestWatchdog kills (SIGKILL) a process running a cluster: the server must
// stop and the ephemeral files must go away.
func TestWatchdog(t *testing.T) {
	needBinaries(t)
	root, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(root) // let pgcluster create it, so it cleans it up
	t.Cleanup(func() { os.RemoveAll(root) })

	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogHelper$", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), helperEnv+"="+filepath.Join(root, "data"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var port int
	var dataDir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ERROR") {
			t.Fatal(line)
		}
		if _, err := fmt.Sscanf(line, "READY %d %s", &port, &dataDir); err == nil {
			break
		}
	}
	if port == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("helper exited without starting a cluster")
	}
	execSQL(t, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), "select 1")

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, out)
	_ = cmd.Wait()

	deadline := time.Now().Add(time.Minute)
	for {
		conn, dialErr := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if conn != nil {
			conn.Close()
		}
		_, statErr := os.Stat(root)
		if dialErr != nil && errors.Is(statErr, os.ErrNotExist) {
			return // server gone, files gone
		}
		if time.Now().After(deadline) {
			t.Fatalf("after killing its owner: server still listening: %v; %s still exists: %v", dialErr == nil, root, statErr == nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestFindBinariesNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(BinDirEnv, "")
	old := searchGlobs
	searchGlobs = nil
	defer func() { searchGlobs = old }()

	_, err := FindBinaries()
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql", "DATABASE_URL", "docker compose up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error message lacks %q", want)
		}
	}
}

func TestPathVersionOrder(t *testing.T) {
	paths := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/10/bin", "/opt/homebrew/opt/postgresql/bin"}
	less := func(i, j int) bool { return versionLess(pathVersion(paths[j]), pathVersion(paths[i])) }
	if !less(1, 2) || !less(2, 0) || !less(0, 3) {
		t.Errorf("unexpected order for %v", paths)
	}
}
