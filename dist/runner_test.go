package dist

import (
	"flag"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
)

// A job server on this machine gets its workers in this process
// (LOOPBACK) unless the environment is named; a remote one keeps Beam's
// default.
func TestConfigureRunner(t *testing.T) {
	endpoint, env := *jobopts.Endpoint, *jobopts.EnvironmentType
	defer func() { *jobopts.Endpoint, *jobopts.EnvironmentType = endpoint, env }()
	for _, tc := range []struct{ endpoint, env, want string }{
		{"localhost:8073", "", "LOOPBACK"},
		{"127.0.0.1:8099", "", "LOOPBACK"},
		{"[::1]:8099", "", "LOOPBACK"},
		{"flink.example.com:8099", "", ""},
		{"10.0.0.7:8099", "", ""},
		{"localhost:8073", "DOCKER", "DOCKER"},
	} {
		*jobopts.Endpoint, *jobopts.EnvironmentType = tc.endpoint, tc.env
		configureRunner()
		if got := *jobopts.EnvironmentType; got != tc.want {
			t.Errorf("endpoint %s, environment %q: %q, want %q", tc.endpoint, tc.env, got, tc.want)
		}
	}
}

// Workers outside this process must reach the job's directory: a local
// one only when they are processes of this machine.
func TestCheckReach(t *testing.T) {
	endpoint, env, cfg, tl := *jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig, flag.Lookup("temp_location").Value.String()
	defer func() {
		*jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig = endpoint, env, cfg
		flag.Set("temp_location", tl)
	}()
	for _, tc := range []struct {
		runner, endpoint, env, temp string
		ok                          bool
	}{
		{"prism", "", "", "", true},
		{"universal", "localhost:8073", "LOOPBACK", "", true},
		{"universal", "localhost:8073", "PROCESS", "", true},
		{"universal", "127.0.0.1:8073", "process", "", true},
		// The command of a local PROCESS environment must exist.
		{"universal", "localhost:8073", "PROCESS:/nonexistent/distboot", "", false},
		{"universal", "localhost:8073", "PROCESS:", "", false},
		{"universal", "localhost:8073", "PROCESS:{", "", false},
		{"prism", "", "PROCESS:/nonexistent/distboot", "", false},
		{"prism", "", "PROCESS", "", true},
		{"prism", "", "DOCKER", "", false},
		// A worker pool of this machine, or of another.
		{"universal", "localhost:8073", "EXTERNAL:localhost:50000", "", true},
		{"universal", "localhost:8073", "EXTERNAL:pool.example.com:50000", "", false},
		{"universal", "flink.example.com:8099", "PROCESS", "", false},
		{"universal", "localhost:8099", "DOCKER", "", false},
		{"flink", "flink.example.com:8099", "DOCKER", "gs://bucket/tmp", true},
		{"dataflow", "", "", "", true},
	} {
		// The environment's config, after a colon: a command, or JSON.
		env, command, ok := strings.Cut(tc.env, ":")
		config := `{"command":"/bin/true"}`
		if ok {
			config = command
			if env == "EXTERNAL" {
				config = command
			} else if !strings.HasPrefix(command, "{") && command != "" {
				config = `{"command":"` + command + `"}`
			}
		}
		*jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig = tc.endpoint, env, config
		flag.Set("temp_location", tc.temp)
		err := checkReach()
		if (err == nil) != tc.ok {
			t.Errorf("%s at %q, environment %q, temp_location %q: %v, want ok %v", tc.runner, tc.endpoint, tc.env, tc.temp, err, tc.ok)
		}
		if err != nil && (!ok || env == "EXTERNAL") && !strings.Contains(err.Error(), "give --temp_location") {
			t.Errorf("error %q does not say what to do", err)
		}
	}
}
