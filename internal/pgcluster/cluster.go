// Package pgcluster starts and stops a private PostgreSQL cluster from the
// PostgreSQL binaries installed on the machine (initdb, pg_ctl, postgres).
//
// It is used for development and tests when no server is configured. The
// cluster listens on 127.0.0.1 only (TCP; unix sockets are disabled, which
// avoids the ~107-byte socket path limit), trusts every local connection and
// has the superuser "postgres". Anyone who can reach 127.0.0.1 on the
// machine can use it: it is not for production data.
//
// Safety:
//   - A flock on DataDir+".lock" is held for the cluster's life, so two
//     processes never initdb or start the same data directory at once; the
//     second one gets a clear error naming the first one's pid.
//   - initdb runs in a sibling temporary folder that is renamed into place
//     only on success, so a killed initdb never leaves a half-built cluster.
//   - A stale postmaster.pid left by a killed run is removed, unless its pid
//     is still the postmaster of this data directory, which is then stopped.
//   - A watchdog process stops the server (and deletes an Ephemeral data
//     directory) when the process that started it dies without calling
//     Stop (Ctrl-C, "go test" timeout, SIGKILL): the server never outlives
//     its owner.
//   - As root (PostgreSQL refuses to run as root) the server runs as the OS
//     user "postgres", or "nobody" if there is no "postgres" user.
package pgcluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures Start.
type Options struct {
	// DataDir is the cluster's data directory. It is created (with initdb)
	// if it holds no PG_VERSION yet. Required.
	DataDir string
	// Port is the TCP port on 127.0.0.1. 0 picks a free port; if the given
	// port is taken, another one is picked (and logged).
	Port int
	// Ephemeral makes a throwaway cluster: no durability (initdb --no-sync,
	// fsync=off, synchronous_commit=off, full_page_writes=off), and the data
	// directory is deleted when the cluster stops (by Stop, or by the
	// watchdog if this process dies first).
	Ephemeral bool
	// BinDir is the folder holding initdb, pg_ctl and postgres. Empty means
	// search (see FindBinaries), preferring the version that created an
	// existing DataDir.
	BinDir string
	// Logf receives progress messages (initdb, port changes, relocation).
	// Nil discards them.
	Logf func(format string, args ...any)
}

// Cluster is a running private PostgreSQL server. Use Start to create one.
type Cluster struct {
	binDir      string
	version     string // major version, as in PG_VERSION
	versionFull string // output of postgres -V
	dataDir     string // effective data directory (may differ from Options.DataDir, see placeDataDir)
	logFile     string
	port        int
	ephemeral   bool
	runAs       *osUser // nil: run as ourselves
	// cleanup lists what an ephemeral cluster removes after dataDir, in
	// order: files, then folders if empty (the lock file and the folders we
	// created to hold the cluster).
	cleanup []string
	logf    func(format string, args ...any)

	lock         *os.File
	watchdog     *exec.Cmd
	watchdogPipe *os.File
	watchdogDone chan struct{}

	mu      sync.Mutex
	stopped bool
}

// maxLogSize is the server log size above which the log is rotated at start.
const maxLogSize = 10 << 20

// Start initializes DataDir if needed, starts the server and waits until it
// accepts connections. The caller must call Stop.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := platformSupported(); err != nil {
		return nil, err
	}
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is required")
	}
	requested, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	c := &Cluster{ephemeral: opts.Ephemeral, logf: opts.Logf}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}

	created, err := mkdirAllTracked(filepath.Dir(requested), 0o755)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: create %s: %w", filepath.Dir(requested), err)
	}
	lockPath := requested + ".lock"
	c.lock, err = lockFile(lockPath)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if len(created) > 0 && created[len(created)-1] == filepath.Dir(requested) {
		// We made the folder holding the cluster: an ephemeral cluster
		// leaves nothing behind. (Deleting the lock file is safe as long as
		// nobody else starts this same DataDir, which for a throwaway
		// cluster in a folder of its own is the case.)
		c.cleanup = append(c.cleanup, lockPath, filepath.Dir(requested))
	}
	defer func() {
		if err != nil {
			c.lock.Close()
		}
	}()

	c.dataDir = requested
	if isRoot() {
		if c.runAs, err = lookupServerUser(); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
		if err := c.placeDataDir(requested, created); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	}

	c.binDir = opts.BinDir
	if c.binDir == "" {
		if c.binDir, err = pickBinDir(c.dataDir); err != nil {
			return nil, err
		}
	}
	if c.version, c.versionFull, err = serverMajor(c.binDir); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}

	if err := c.ensureInitialized(ctx); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if c.runAs != nil {
		if uid, _, err := fileOwner(c.dataDir); err != nil || uid != c.runAs.uid {
			if err := chownTree(c.dataDir, c.runAs); err != nil {
				return nil, fmt.Errorf("pgcluster: give %s to OS user %s: %w", c.dataDir, c.runAs.name, err)
			}
		}
	}
	if err := c.clearStalePid(ctx); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.startServer(ctx, opts.Port); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.startWatchdog(); err != nil {
		_, _ = c.run(context.Background(), "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w", "-t", "60")
		return nil, fmt.Errorf("pgcluster: start watchdog: %w", err)
	}
	return c, nil
}

// URL returns the superuser connection URL for database dbname.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(dbname))
}

// Port returns the TCP port the server listens on (on 127.0.0.1).
func (c *Cluster) Port() int { return c.port }

// DataDir returns the effective data directory. As root it may differ from
// Options.DataDir (see the log).
func (c *Cluster) DataDir() string { return c.dataDir }

// LogFile returns the server log file.
func (c *Cluster) LogFile() string { return c.logFile }

// BinDir returns the folder of the binaries in use.
func (c *Cluster) BinDir() string { return c.binDir }

// Version returns the server's major version ("15").
func (c *Cluster) Version() string { return c.version }

// Stop shuts the server down (pg_ctl stop -m fast: clients are disconnected,
// open transactions rolled back), deletes the data directory of an Ephemeral
// cluster and releases the lock. Calling it again does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true

	// Kill the watchdog first, so it cannot later stop a new server started
	// on the same data directory.
	if c.watchdog != nil {
		_ = c.watchdog.Process.Kill()
		<-c.watchdogDone
		c.watchdogPipe.Close()
	}
	var err error
	if out, e := c.run(context.Background(), "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w", "-t", "60"); e != nil {
		err = fmt.Errorf("pgcluster: pg_ctl stop: %w: %s", e, out)
	}
	if c.ephemeral {
		if e := os.RemoveAll(c.dataDir); e != nil && err == nil {
			err = fmt.Errorf("pgcluster: %w", e)
		}
	}
	c.lock.Close()
	if c.ephemeral {
		for _, p := range c.cleanup {
			_ = os.Remove(p)
		}
	}
	return err
}

// placeDataDir runs as root only and decides where the cluster lives.
//
// The server user must be able to traverse (x permission) every folder above
// the data directory, since PostgreSQL chdirs into it. Choice: we only touch
// folders that this call created itself (chmod 0755, and chown of the
// immediate parent to the server user); we never loosen permissions of
// folders that already existed (e.g. /root is 0700). If the path is still
// not traversable, the cluster goes to os.TempDir()/allyway-pg-<hash of the
// requested path>/data instead, and the log says so. The hash keeps that
// location stable, so a non-ephemeral cluster is found again on the next
// start (until the temp folder is cleaned). The lock stays at the requested
// path, so concurrent starters still exclude each other.
func (c *Cluster) placeDataDir(requested string, created []string) error {
	u := c.runAs
	parent := filepath.Dir(requested)
	for _, d := range created {
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	if len(created) > 0 && created[len(created)-1] == parent {
		if err := os.Lchown(parent, int(u.uid), int(u.gid)); err != nil {
			return err
		}
	}
	if canTraverse(parent, u) {
		return nil
	}

	sum := sha256.Sum256([]byte(requested))
	base := filepath.Join(os.TempDir(), "allyway-pg-"+hex.EncodeToString(sum[:6]))
	made, err := mkdirAllTracked(base, 0o755)
	if err != nil {
		return fmt.Errorf("create %s: %w", base, err)
	}
	if len(made) > 0 {
		c.cleanup = append([]string{base}, c.cleanup...) // removed first: it is not the folder of the lock
		if err := os.Chmod(base, 0o755); err != nil {
			return err
		}
		if err := os.Lchown(base, int(u.uid), int(u.gid)); err != nil {
			return err
		}
	} else if uid, _, err := fileOwner(base); err != nil {
		return err
	} else if uid != 0 && uid != u.uid {
		// Someone else made it (the temp folder is shared): do not use it.
		return fmt.Errorf("OS user %s cannot reach %s, and the fallback folder %s belongs to uid %d; remove it or choose another data directory",
			u.name, parent, base, uid)
	}
	if !canTraverse(base, u) {
		return fmt.Errorf("OS user %s (the server runs as it because we are root) can reach neither %s nor %s; "+
			"choose a data directory it can reach, or run as a normal user", u.name, parent, base)
	}
	c.dataDir = filepath.Join(base, "data")
	c.logf("pgcluster: OS user %s (the server cannot run as root) cannot reach %s; using %s instead", u.name, parent, c.dataDir)
	return nil
}

// pickBinDir prefers binaries matching an existing cluster's PG_VERSION.
func pickBinDir(dataDir string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		want := strings.TrimSpace(string(b))
		for _, d := range candidateBinDirs() {
			if v, _, err := serverMajor(d); err == nil && v == want {
				return d, nil
			}
		}
	}
	return FindBinaries()
}

// ensureInitialized runs initdb unless dataDir already holds a cluster.
func (c *Cluster) ensureInitialized(ctx context.Context) error {
	if b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION")); err == nil {
		if have := strings.TrimSpace(string(b)); have != c.version {
			return fmt.Errorf("data directory %s was created by PostgreSQL %s, but the binaries in %s are PostgreSQL %s; "+
				"install PostgreSQL %s (or set %s to its bin folder), or delete %s (its data is lost)",
				c.dataDir, have, c.binDir, c.version, have, BinDirEnv, c.dataDir)
		}
		return nil
	}
	if entries, err := os.ReadDir(c.dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty and is not a PostgreSQL data directory (no PG_VERSION); refusing to touch it", c.dataDir)
	}

	// Build the cluster in a sibling folder, renamed into place on success.
	tmp := c.dataDir + ".initdb-tmp"
	begin := time.Now()
	if err := c.freshDir(tmp); err != nil {
		return err
	}
	cacheKey := c.initCacheKey()
	if cached := c.cachedInit(cacheKey); cached != "" {
		err := copyTree(cached, tmp, c.runAs)
		if err == nil {
			c.logf("pgcluster: copied cached initdb result %s to %s in %s", cached, c.dataDir, time.Since(begin).Round(time.Millisecond))
			return c.moveIntoPlace(tmp)
		}
		c.logf("pgcluster: cannot use cached initdb result %s (%v); running initdb", cached, err)
		if err := c.freshDir(tmp); err != nil {
			return err
		}
	}

	var out string
	var err error
	for i, locale := range []string{"--locale=C.UTF-8", "--no-locale"} {
		if i > 0 {
			if err := c.freshDir(tmp); err != nil {
				return err
			}
		}
		out, err = c.run(ctx, "initdb", append(initdbArgs(tmp, c.ephemeral), locale)...)
		// C.UTF-8 (Unicode-aware upper/lower, byte-order collation) is
		// missing on some systems; fall back to plain C.
		if err == nil || !strings.Contains(out, "locale") {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("initdb %s failed: %w\n%s", c.dataDir, err, out)
	}
	c.logf("pgcluster: initdb %s (PostgreSQL %s) took %s", c.dataDir, c.version, time.Since(begin).Round(time.Millisecond))
	if cacheKey != "" {
		c.saveInitCache(cacheKey, tmp)
	}
	return c.moveIntoPlace(tmp)
}

func initdbArgs(dir string, ephemeral bool) []string {
	args := []string{"-D", dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8"}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	return args
}

// freshDir (re)creates dir empty, 0700, owned by the server user.
func (c *Cluster) freshDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if c.runAs != nil {
		return os.Lchown(dir, int(c.runAs.uid), int(c.runAs.gid))
	}
	return nil
}

func (c *Cluster) moveIntoPlace(tmp string) error {
	_ = os.Remove(c.dataDir) // an empty folder may exist
	return os.Rename(tmp, c.dataDir)
}

// The initdb cache. initdb costs seconds (4s on a small VM), copying its
// result ~0.3s, and test binaries each start an ephemeral cluster. So for
// Ephemeral clusters the fresh initdb result is kept under
// os.UserCacheDir()/allyway/pgcluster-initdb/<key> and copied on the next
// start. The key covers the binaries (path, version, size and mtime of
// postgres) and the initdb arguments. Entries are written to a temporary
// folder and renamed into place, so readers never see a partial entry.
// Persistent clusters always run initdb.

const initCacheFormat = "1"

func (c *Cluster) initCacheKey() string {
	if !c.ephemeral {
		return ""
	}
	bin := filepath.Join(c.binDir, "postgres")
	if r, err := filepath.EvalSymlinks(bin); err == nil {
		bin = r
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintln(h, initCacheFormat, bin, fi.Size(), fi.ModTime().UnixNano(), c.versionFull)
	fmt.Fprintln(h, strings.Join(initdbArgs("", true), " "))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func initCacheRoot() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "allyway", "pgcluster-initdb")
}

// cachedInit returns the cache entry for key, or "".
func (c *Cluster) cachedInit(key string) string {
	root := initCacheRoot()
	if key == "" || root == "" {
		return ""
	}
	entry := filepath.Join(root, key)
	b, err := os.ReadFile(filepath.Join(entry, "PG_VERSION"))
	if err != nil || strings.TrimSpace(string(b)) != c.version {
		return ""
	}
	return entry
}

func (c *Cluster) saveInitCache(key, src string) {
	root := initCacheRoot()
	if root == "" {
		return
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		c.logf("pgcluster: initdb cache: %v", err)
		return
	}
	tmp, err := os.MkdirTemp(root, key+".tmp-")
	if err != nil {
		c.logf("pgcluster: initdb cache: %v", err)
		return
	}
	defer os.RemoveAll(tmp) // left over only if the rename below failed
	if err := copyTree(src, tmp, nil); err != nil {
		c.logf("pgcluster: initdb cache: %v", err)
		return
	}
	// Fails harmlessly if another process stored the same entry first.
	_ = os.Rename(tmp, filepath.Join(root, key))
}

// copyTree copies the regular files and folders under src into the existing
// folder dst, keeping permission bits; with owner non-nil the copies are
// given to that OS user.
func copyTree(src, dst string, owner *osUser) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
					return err
				}
			}
			if err := os.Chmod(target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(p, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("copy %s: unexpected file type %s", p, info.Mode().Type())
		}
		if owner != nil {
			return os.Lchown(target, int(owner.uid), int(owner.gid))
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// clearStalePid handles a postmaster.pid left behind by an earlier run whose
// process died without stopping the server. We hold the lock, so no live
// pgcluster owns this data directory.
func (c *Cluster) clearStalePid(ctx context.Context) error {
	pidFile := filepath.Join(c.dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if postmasterRunning(pid, c.dataDir) {
		c.logf("pgcluster: a server from an earlier run (pid %d) still uses %s; stopping it", pid, c.dataDir)
		if out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w", "-t", "60"); err != nil {
			return fmt.Errorf("stop leftover server (pid %d) of %s: %w\n%s", pid, c.dataDir, err, out)
		}
		return nil
	}
	c.logf("pgcluster: removing stale %s (pid %d is not its server)", pidFile, pid)
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (c *Cluster) serverOptions(port int) string {
	o := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", port)
	if c.ephemeral {
		o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	return o
}

func (c *Cluster) startServer(ctx context.Context, port int) error {
	c.logFile = filepath.Join(c.dataDir, "pgcluster.log")
	if fi, err := os.Stat(c.logFile); err == nil && fi.Size() > maxLogSize {
		_ = os.Rename(c.logFile, c.logFile+".1")
	}
	if port != 0 && !portFree(port) {
		c.logf("pgcluster: port %d is taken; picking another", port)
		port = 0
	}
	begin := time.Now()
	for attempt := 1; ; attempt++ {
		if port == 0 {
			p, err := freePort()
			if err != nil {
				return err
			}
			port = p
		}
		var offset int64
		if fi, err := os.Stat(c.logFile); err == nil {
			offset = fi.Size()
		}
		out, err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "120", "-D", c.dataDir, "-l", c.logFile, "-o", c.serverOptions(port))
		if err == nil {
			c.port = port
			c.logf("pgcluster: PostgreSQL %s started on 127.0.0.1:%d in %s (data %s%s)",
				c.version, port, time.Since(begin).Round(time.Millisecond), c.dataDir, c.userNote())
			return nil
		}
		tail := tailFrom(c.logFile, offset, 40)
		// pg_ctl may have given up (timeout, ctx) on a server that still runs.
		_, _ = c.run(context.Background(), "pg_ctl", "stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "30")
		if attempt < 5 && ctx.Err() == nil &&
			(strings.Contains(tail, "could not bind") || strings.Contains(tail, "Address already in use")) {
			c.logf("pgcluster: port %d was taken before the server could bind it; retrying with another", port)
			port = 0
			continue
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return fmt.Errorf("starting PostgreSQL %s (%s) on port %d failed: %w\n%s\n--- last lines of %s ---\n%s",
			c.dataDir, c.binDir, port, err, out, c.logFile, tail)
	}
}

func (c *Cluster) userNote() string {
	if c.runAs == nil {
		return ""
	}
	return ", OS user " + c.runAs.name
}

// startWatchdog starts a small shell that blocks reading a pipe whose write
// end only this process holds. When this process dies, however it dies, the
// kernel closes the pipe, the read returns and the shell stops the server.
// Stop kills the watchdog first.
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	args := []string{"-c", `read x
"$0" stop -D "$1" -m fast -w -t 60 >/dev/null 2>&1
[ "$2" = rm ] || exit 0
rm -rf "$1"
shift 2
for p in "$@"; do rm -f "$p" 2>/dev/null || rmdir "$p" 2>/dev/null; done
exit 0`, filepath.Join(c.binDir, "pg_ctl"), c.dataDir}
	if c.ephemeral {
		args = append(append(args, "rm"), c.cleanup...)
	}
	cmd := exec.Command("/bin/sh", args...)
	cmd.Stdin = r // stdout and stderr go to /dev/null: never hold a pipe of "go test" open
	cmd.Dir = filepath.Dir(c.dataDir)
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(c.runAs, true)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return err
	}
	r.Close()
	c.watchdog, c.watchdogPipe = cmd, w
	c.watchdogDone = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(c.watchdogDone)
	}()
	return nil
}

// run runs a PostgreSQL program as the server user, in a new session (so a
// Ctrl-C on the terminal does not reach the postmaster it may start).
func (c *Cluster) run(ctx context.Context, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, prog), args...)
	cmd.Dir = filepath.Dir(c.dataDir) // the server user can enter it; our cwd may be unreachable
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(c.runAs, true)
	cmd.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return strings.TrimSpace(buf.String()), err
}

// childEnv is our environment without PG* variables (PGDATA, PGPORT,
// PGOPTIONS... must not leak into the private cluster).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// mkdirAllTracked is os.MkdirAll that returns the folders it created, top
// down.
func mkdirAllTracked(dir string, perm os.FileMode) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], perm); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// tailFrom returns the last n lines written to path after offset.
func tailFrom(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 4<<20))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
