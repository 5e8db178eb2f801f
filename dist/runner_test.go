package dist

import (
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
