package objstore

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	good := []struct {
		raw  string
		want Location
	}{
		{"s3://huimin/site?endpoint=http://127.0.0.1:8333",
			Location{Bucket: "huimin", Prefix: "site/", Endpoint: "127.0.0.1:8333"}},
		{"s3://huimin?endpoint=https://oss-cn-hangzhou.aliyuncs.com&region=cn-hangzhou",
			Location{Bucket: "huimin", Endpoint: "oss-cn-hangzhou.aliyuncs.com", Secure: true, Region: "cn-hangzhou"}},
		{"s3://huimin/a/b/", Location{Bucket: "huimin", Prefix: "a/b/", Endpoint: "s3.amazonaws.com", Secure: true}},
		{"s3://huimin/?endpoint=http%3A%2F%2Fseaweed%3A8333", Location{Bucket: "huimin", Endpoint: "seaweed:8333"}},
	}
	for _, c := range good {
		got, err := Parse(c.raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.raw, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.raw, got, c.want)
		}
		if again, err := Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v", c.raw, got.String(), again, err)
		}
	}

	bad := []struct{ raw, names string }{
		{"huimin/site", "scheme"},
		{"https://huimin/site", "scheme"},
		{"s3:///site?endpoint=http://h:1", "bucket is missing"},
		{"s3://Huimin_Bucket/x", "bucket \"Huimin_Bucket\""},
		{"s3://huimin/a/../b", "prefix"},
		{"s3://huimin/a//b", "prefix"},
		{"s3://huimin/x?endpoint=ftp://h:1", "endpoint \"ftp://h:1\""},
		{"s3://huimin/x?endpoint=127.0.0.1:8333", "endpoint"},
		{"s3://huimin/x?endpoint=http://h:8333/bucket", "endpoint \"http://h:8333/bucket\""},
		{"s3://huimin/x?endpoint=http://h:", "empty port"},
		{"s3://huimin/x?endpoint=http://h:1&regoin=x", "unknown parameter \"regoin\""},
		{"s3://huimin/x?region=CN%20East", "region"},
		{"s3://huimin/x?endpoint=http://h:1&endpoint=http://h:2", "more than once"},
	}
	for _, c := range bad {
		_, err := Parse(c.raw)
		if err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("Parse(%q) = %v, want an error naming %q", c.raw, err, c.names)
		}
	}
}

// TestParse_NoCredentialsEcho: keys put in the URL by mistake are refused
// without being repeated in the error (which reaches logs).
func TestParse_NoCredentialsEcho(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"s3://AKIDEXAMPLE:wJalrXUtnFEMI@huimin/x?endpoint=http://h:1",
		"s3://huimin/x?endpoint=http://AKIDEXAMPLE:wJalrXUtnFEMI@h:1",
		"s3://huimin/x?endpoint=ftp://AKIDEXAMPLE:wJalrXUtnFEMI@h:1",
	} {
		_, err := Parse(raw)
		if err == nil {
			t.Fatalf("Parse(%q) accepted credentials", raw)
		}
		if strings.Contains(err.Error(), "wJalrXUtnFEMI") || strings.Contains(err.Error(), "AKIDEXAMPLE") {
			t.Errorf("error repeats the credentials: %v", err)
		}
		if !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
			t.Errorf("error does not say where credentials go: %v", err)
		}
	}
}
