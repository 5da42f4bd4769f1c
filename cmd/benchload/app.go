package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/allyway/allyway/internal/seed"
)

// app is the allyway server under test, a subprocess: its memory and CPU
// are its own, not the load generator's.
type app struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:port
	mu       sync.Mutex
	errs     []string // error lines it logged (the first few)
	errN     int
	stopped  chan error
	stopOnce sync.Once
}

// startApp runs `allyway serve` on the data set with the bench routes on.
func startApp(ctx context.Context, o options, ds dataSet) (*app, error) {
	bin, err := filepath.Abs(o.app)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the app binary %s: %w (make bench-http builds it; or give -app)", o.app, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	a := &app{base: "http://127.0.0.1:" + strconv.Itoa(port), stopped: make(chan error, 1)}
	a.cmd = exec.Command(bin, "serve")
	a.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TZ=" + os.Getenv("TZ"),
		"ALLYWAY_NO_DOTENV=1", "ALLYWAY_BENCH_ROUTES=1",
		"DATABASE_URL=" + ds.ownerURL,
		"ADDR=127.0.0.1:" + strconv.Itoa(port),
		"LOG_LEVEL=" + o.logLevel,
	}
	if o.appDBURL != "" {
		a.cmd.Env = append(a.cmd.Env, "APP_DATABASE_URL="+ds.appURL)
	}
	a.cmd.Stdout = io.Discard
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go a.readLog(stderr)
	go func() { a.stopped <- a.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(a.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a, nil
			}
		}
		select {
		case err := <-a.stopped:
			return nil, fmt.Errorf("the app stopped before it was ready (%v): %s", err, strings.Join(a.errors(), " | "))
		case <-ctx.Done():
			a.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			a.stop()
			return nil, errors.New("the app was not ready after 30s")
		}
	}
}

// readLog keeps the app's error lines (a request that failed says why).
func (a *app) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, "level=") {
			a.mu.Lock()
			a.errN++
			if len(a.errs) < 5 {
				a.errs = append(a.errs, line)
			}
			a.mu.Unlock()
		}
	}
}

func (a *app) errors() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.errs...)
}

func (a *app) pid() int { return a.cmd.Process.Pid }

// stop ends the app gracefully (SIGTERM), or kills it after 30s; once.
func (a *app) stop() {
	a.stopOnce.Do(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.stopped:
		case <-time.After(30 * time.Second):
			_ = a.cmd.Process.Kill()
			<-a.stopped
		}
	})
}

// login signs in through the login form as a real browser would (GET the
// form, POST it) and returns the session's Cookie header.
func (a *app) login(email, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(a.base + "/login")
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = c.PostForm(a.base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in as %s: %s (want a redirect)", email, resp.Status)
	}
	u, _ := url.Parse(a.base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// sessions signs in n times as the data set's largest firm's admin.
func (a *app) sessions(n int, ds dataSet) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		c, err := a.login(ds.Largest.AdminEmail, seed.ScalePassword)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// /proc readings ------------------------------------------------------------

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// every Linux this runs on).
const clockTicks = 100

// cpuTime is a process's user+system CPU time, from /proc/<pid>/stat.
func cpuTime(pid string) (time.Duration, int, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks, ppid, true
}

// treeCPU sums the CPU time of root and its direct children (a
// postmaster's backends), by pid.
func treeCPU(root int) map[int]time.Duration {
	out := map[int]time.Duration{}
	if root == 0 {
		return out
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		t, ppid, ok := cpuTime(e.Name())
		if ok && (pid == root || ppid == root) {
			out[pid] = t
		}
	}
	return out
}

// treeDelta is the CPU used between two treeCPU readings (a process that
// started in between counts whole).
func treeDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// machineBusy is the CPU time all cores spent not idle, from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 || i >= 7 { // idle, iowait, steal; guest times are already in user
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// memKB reads VmRSS and VmHWM (kB) from /proc/<pid>/status.
func memKB(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func numCPU() int { return runtime.NumCPU() }
