//go:build linux || darwin || freebsd

package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

func platformSupported() error { return nil }

func isRoot() bool { return os.Geteuid() == 0 }

// osUser is the unprivileged account the server runs as when we are root.
type osUser struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// lookupServerUser picks the OS user to run PostgreSQL as when this process
// is root: "postgres" if it exists, else "nobody".
func lookupServerUser() (*osUser, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		ou := &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if g, err := strconv.ParseUint(id, 10, 32); err == nil {
					ou.groups = append(ou.groups, uint32(g))
				}
			}
		}
		return ou, nil
	}
	return nil, errors.New(`this process runs as root and PostgreSQL refuses to run as root, ` +
		`but neither a "postgres" nor a "nobody" OS user exists; create one (useradd --system postgres) or run as a normal user`)
}

// sysProcAttr returns the attributes for a child process: run as u (when
// non-nil) and optionally in a new session, so a Ctrl-C on the terminal does
// not reach it.
func sysProcAttr(u *osUser, setsid bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setsid: setsid}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}
	}
	return a
}

// lockedError reports a data directory locked by another process.
type lockedError struct {
	path   string
	holder string
}

func (e *lockedError) Error() string {
	who := "another process"
	if e.holder != "" {
		who = "another process (pid " + e.holder + ")"
	}
	return fmt.Sprintf("the cluster is in use by %s: lock %s is held; stop that process or use another data directory", who, e.path)
}

// lockFile takes an exclusive, non-blocking flock on path, held until the
// returned file is closed or the process dies. It records our pid in the file
// for the error message of the next contender.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &lockedError{path: path, holder: strings.TrimSpace(string(holder))}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

func fileOwner(path string) (uid, gid uint32, err error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, fmt.Errorf("stat %s: no owner information", path)
	}
	return st.Uid, st.Gid, nil
}

// chownTree gives root and everything below it to u.
func chownTree(root string, u *osUser) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
}

// canTraverse reports whether u has search (x) permission on dir and on every
// folder above it, i.e. whether u can chdir into dir. It reads the mode bits
// (owner, group incl. supplementary groups, other); ACLs are not considered.
func canTraverse(dir string, u *osUser) bool {
	inGroup := func(g uint32) bool {
		if g == u.gid {
			return true
		}
		for _, x := range u.groups {
			if x == g {
				return true
			}
		}
		return false
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		var bit fs.FileMode
		switch {
		case st.Uid == u.uid:
			bit = 0o100
		case inGroup(st.Gid):
			bit = 0o010
		default:
			bit = 0o001
		}
		if fi.Mode().Perm()&bit == 0 {
			return false
		}
		if filepath.Dir(d) == d {
			return true
		}
	}
}

// postmasterRunning reports whether pid is alive and is the postmaster of
// dataDir. It guards against pid reuse: a stale postmaster.pid from a killed
// run (or from before a reboot) may name a pid that now belongs to an
// unrelated process, which we must not signal.
func postmasterRunning(pid int, dataDir string) bool {
	if pid <= 0 {
		return false
	}
	// ESRCH: gone. EPERM: a process of another user, so not a server we
	// (or the server user we run as) started; postgres ignores it too.
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	if runtime.GOOS == "linux" {
		// The postmaster chdirs into its data directory.
		cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
		if err != nil {
			return false
		}
		want := dataDir
		if r, err := filepath.EvalSymlinks(dataDir); err == nil {
			want = r
		}
		return cwd == want || cwd == dataDir
	}
	out, err := exec.Command("ps", "-o", "command=", "-p", strconv.Itoa(pid)).Output()
	return err == nil && strings.Contains(string(out), "postgres") && strings.Contains(string(out), filepath.Base(dataDir))
}
