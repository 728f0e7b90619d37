package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// shopProcess is the shop binary running on a free port.
type shopProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
	err  error         // how it exited, once done is closed
}

func startShop(bin, dataDir string) (*shopProcess, error) {
	return startShopWithin(bin, dataDir, 60*time.Second)
}

// startShopWithin starts the shop and waits up to limit for /healthz.
func startShopWithin(bin, dataDir string, limit time.Duration) (*shopProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dbPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port),
		"DATA_DIR="+dataDir,
		"EMBEDDED_MONGO_ADDR=127.0.0.1:"+strconv.Itoa(dbPort),
		"APP_ENV=development",
	)
	logFile, err := os.OpenFile(dataDir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &shopProcess{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logFile.Close(); close(p.done) }()
	if err := p.waitFor("/healthz", limit); err != nil {
		p.stop()
		return nil, fmt.Errorf("the shop did not start (log: %s.log): %w", dataDir, err)
	}
	return p, nil
}

// waitFor polls path until it answers 200.
func (p *shopProcess) waitFor(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := http.Get(p.url + path)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			return errors.New("no answer in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *shopProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSS is the process's VmHWM in MiB: the embedded database runs in the same process.
func (p *shopProcess) peakRSS() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// timeStartup starts the binary again on the data of the last round and times it up to its
// first product page.
func timeStartup(bin, dataDir string) (time.Duration, error) {
	start := time.Now()
	shop, err := startShop(bin, dataDir)
	if err != nil {
		return 0, err
	}
	defer shop.stop()
	if err := shop.waitFor("/", 10*time.Second); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// machine describes where the numbers were taken.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", numCPU(), cpu)
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// buildShop returns binary, or builds the shop into dir when it is empty.
// prepare makes the run's scratch directory (kept with -keep, else removed by cleanup) and the
// shop binary to start.
func prepare(o options, pattern string) (scratch, bin string, cleanup func(), err error) {
	if scratch, err = os.MkdirTemp("", pattern); err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(scratch) }
	if o.keep {
		fmt.Fprintln(os.Stderr, "keeping", scratch)
		cleanup = func() {}
	}
	if bin, err = buildShop(scratch, o.binary); err != nil {
		cleanup()
		return "", "", nil, err
	}
	return scratch, bin, cleanup, nil
}

func buildShop(dir, binary string) (string, error) {
	if binary != "" {
		return binary, nil
	}
	bin := filepath.Join(dir, "gin-shop")
	fmt.Fprintln(os.Stderr, "building the shop:", bin)
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

// cpuTime is the CPU time the process has used so far (user + system, from /proc).
func (p *shopProcess) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime and stime are the 12th
	// and 13th, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// waitQuiet waits until the process has used less than a tenth of a core over two seconds, twice
// (its start-up's background work is done), up to limit, and returns how long that took.
func (p *shopProcess) waitQuiet(limit time.Duration) time.Duration {
	began := time.Now()
	quiet := 0 // two quiet windows in a row: work that starts on a timer (the reindexers' first
	// passes, 2 s after the start) does not fall between them
	for quiet < 2 && time.Since(began) < limit {
		before := p.cpuTime()
		time.Sleep(2 * time.Second)
		if p.cpuTime()-before < 200*time.Millisecond {
			quiet++
		} else {
			quiet = 0
		}
	}
	return time.Since(began)
}
