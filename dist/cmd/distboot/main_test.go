package main

import (
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/artifact"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/protox"
	pipepb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/pipeline_v1"
)

func TestWorkerID(t *testing.T) {
	for in, want := range map[string]string{
		"'job-001[go-job-1]_go'": "job-001[go-job-1]_go", // prism v2.77.0
		"job-001[go-job-1]_go":   "job-001[go-job-1]_go", // Flink, Spark
		"'":                      "'",
		"":                       "",
		"'a":                     "'a",
	} {
		if got := workerID(in); got != want {
			t.Errorf("workerID(%q) = %q, want %q", in, got, want)
		}
	}
}

func file(name, role string) *pipepb.ArtifactInformation {
	payload := protox.MustEncode(&pipepb.ArtifactFilePayload{Path: name})
	return &pipepb.ArtifactInformation{TypeUrn: artifact.URNFileArtifact, TypePayload: payload, RoleUrn: role}
}

func TestWorkerName(t *testing.T) {
	for _, tc := range []struct {
		staged []*pipepb.ArtifactInformation
		want   string
		err    string
	}{
		{[]*pipepb.ArtifactInformation{file("1-contract", "")}, "1-contract", ""},
		{[]*pipepb.ArtifactInformation{file("a.jar", ""), file("2-prog", artifact.URNGoWorkerBinaryRole)}, "2-prog", ""},
		{[]*pipepb.ArtifactInformation{file("a.jar", ""), file("worker", "")}, "worker", ""},
		{nil, "", "staged no worker binary"},
		{[]*pipepb.ArtifactInformation{file("a.jar", ""), file("b.jar", "")}, "", "2 staged files and none is the worker binary"},
	} {
		got, err := workerName(tc.staged)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("workerName(%d files) = %q, %v; want %q, %q", len(tc.staged), got, err, tc.want, tc.err)
		}
	}
}

func TestBootNeedsFlags(t *testing.T) {
	if _, err := boot(); err == nil || !strings.Contains(err.Error(), "--id and --provision_endpoint are required") {
		t.Errorf("boot() without flags: %v", err)
	}
}
