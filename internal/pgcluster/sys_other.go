//go:build !(linux || darwin || freebsd)

package pgcluster

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

var errUnsupported = errors.New("pgcluster: starting a private PostgreSQL cluster is not supported on " + runtime.GOOS +
	"; set DATABASE_URL (or TEST_DATABASE_URL for tests) to an existing server instead")

func platformSupported() error { return errUnsupported }

func isRoot() bool { return false }

type osUser struct {
	name     string
	uid, gid uint32
}

func lookupServerUser() (*osUser, error)             { return nil, errUnsupported }
func sysProcAttr(*osUser, bool) *syscall.SysProcAttr { return nil }
func lockFile(string) (*os.File, error)              { return nil, errUnsupported }
func fileOwner(string) (uid, gid uint32, err error)  { return 0, 0, errUnsupported }
func chownTree(string, *osUser) error                { return errUnsupported }
func canTraverse(string, *osUser) bool               { return true }
func postmasterRunning(int, string) bool             { return false }
