// Command roomgate is the agent of a roomgate box: `roomgate agent` runs it,
// `roomgate config validate` checks a config, `roomgate doctor` checks the
// box, `roomgate provision` provisions it, `roomgate version` says what it is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/roomgate/roomgate/agent"
	config "github.com/roomgate/roomgate/firmware-config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// errUsage means the command line was wrong; the usage has been printed.
var errUsage = errors.New("usage")

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"agent", "run the box (devices, gate, store, status page)", runAgent},
		{"config validate", "check a config file; prints every problem as file:line: field: reason", runConfigValidate},
		{"version", "print the version", runVersion},
		{"bench gate", "measure scan-to-relay latency on this box (a table)", runBenchGate},
		{"enroll", "enrol faces from photos (one person, --csv or --dir); a report per photo", runEnroll},
		{"doctor", "check the box's devices, city link, clock, disk and memory; remedies in en or vi (exit 0 ok, 1 failure, 2 warnings)", runDoctor},
		{"provision", "provision this box from city IT's claim: each step with ✓ or the reason and what to do (exit 0 provisioned)", runProvision},
		{"vision run", "watch the camera through the face engine and print what it sees (for a technician)", runVision},
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "roomgate:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c.run(args[len(words):], stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "usage: roomgate <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(stderr, "  %-16s %s\n", c.name, c.summary)
	}
	return errUsage
}

func runAgent(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roomgate agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "/etc/roomgate/roomgate.yaml", "config file")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, *configPath, log)
}

// serve runs the box on configPath until ctx ends: unprovisioned until
// provisioning writes the box's own config, then on it; the city may send a
// config, and the agent then stops and runs again on it.
func serve(ctx context.Context, configPath string, log *slog.Logger) error {
	for {
		path, err := awaitProvisioned(ctx, configPath, log, nil)
		if err != nil || path == "" {
			return err
		}
		cfg, local, cityPath, err := loadConfig(path, log)
		if err != nil {
			return err
		}
		var provisioned string
		if path != configPath {
			provisioned = filepath.Dir(path) // awaitProvisioned's: the provisioning directory
		}
		err = agent.Run(ctx, cfg, agent.Options{
			ConfigPath:      path,
			ConfigDir:       filepath.Dir(path),
			CityConfigPath:  cityPath,
			CityConfig:      cfg != local,
			ProvisioningDir: provisioned,
			Version:         versionString(),
			Log:             log,
		})
		if !errors.Is(err, agent.ErrReload) {
			return err
		}
		log.Info("reloading the config", "component", "agent", "config", path)
	}
}

// cityConfigName is the file, beside the store, that holds the config the
// city sent last.
const cityConfigName = "city-config.yaml"

// loadConfig loads the local config at path and, when the city has sent
// one, the city's from the store's directory (the state directory, the only
// place the unit lets the agent write). The city's is checked as if it stood
// beside path, so its relative paths mean what the local file's mean; one that
// cannot be read, is invalid or names another box is set aside with a
// logged reason and the local config runs. A broken local config stops the
// agent: it is what the technician installed.
func loadConfig(path string, log *slog.Logger) (cfg, local *config.Config, cityPath string, err error) {
	local, err = config.Load(path)
	if err != nil {
		return nil, nil, "", err
	}
	store := local.Store.Path
	if !filepath.IsAbs(store) {
		store = filepath.Join(filepath.Dir(path), store)
	}
	cityPath = filepath.Join(filepath.Dir(store), cityConfigName)
	data, err := os.ReadFile(cityPath)
	if errors.Is(err, fs.ErrNotExist) {
		return local, local, cityPath, nil
	}
	if err == nil && len(data) > config.MaxSize {
		err = fmt.Errorf("larger than %d bytes", config.MaxSize)
	}
	var city *config.Config
	if err == nil {
		city, err = config.Parse(filepath.Join(filepath.Dir(path), cityConfigName), data)
	}
	if err == nil && city.Identity != local.Identity {
		err = fmt.Errorf("identity %+v differs from the local config's %+v", city.Identity, local.Identity)
	}
	if err != nil {
		log.Warn("the city's config is set aside; running on the local config", "component", "agent", "file", cityPath, "config", path, "err", err)
		return local, local, cityPath, nil
	}
	log.Info("running on the city's config", "component", "agent", "file", cityPath)
	return city, local, cityPath, nil
}

func runConfigValidate(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: roomgate config validate FILE")
		return errUsage
	}
	c, err := config.Load(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage // the problems are printed; exit non-zero without repeating them
	}
	// Warnings pass validation: the operator chose these and is told what they cost.
	for _, w := range c.Warnings() {
		fmt.Fprintf(stderr, "%s: warning: %s\n", args[0], w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return nil
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "roomgate %s %s/%s %s\n", versionString(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
