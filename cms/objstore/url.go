package objstore

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Location is a parsed storage URL:
//
//	s3://BUCKET/PREFIX?endpoint=http://host:port&region=REGION
//
// The endpoint defaults to Amazon S3 (https://s3.amazonaws.com). Credentials
// are never part of it; they come from the environment (Open).
type Location struct {
	Bucket   string
	Prefix   string // "" or ending in "/"
	Endpoint string // host[:port]
	Secure   bool   // https
	Region   string
}

// String gives the location back as a URL, for logs and errors.
func (l Location) String() string {
	scheme := "http"
	if l.Secure {
		scheme = "https"
	}
	q := url.Values{"endpoint": {scheme + "://" + l.Endpoint}}
	if l.Region != "" {
		q.Set("region", l.Region)
	}
	return "s3://" + l.Bucket + "/" + l.Prefix + "?" + q.Encode()
}

const defaultEndpoint = "https://s3.amazonaws.com"

// Parse reads a storage URL. Its errors name the part of the URL that is
// wrong and never repeat credentials.
func Parse(raw string) (Location, error) {
	var l Location
	u, err := url.Parse(raw)
	if err != nil {
		return l, fmt.Errorf("storage URL: not a URL (expected s3://BUCKET/PREFIX?endpoint=http://host:port)")
	}
	if u.Scheme != "s3" {
		return l, fmt.Errorf("storage URL: scheme %q: only s3:// is supported (s3://BUCKET/PREFIX?endpoint=http://host:port)", u.Scheme)
	}
	if u.User != nil {
		return l, fmt.Errorf("storage URL: credentials in the URL are refused; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
	}
	l.Bucket = u.Host
	if l.Bucket == "" {
		return l, fmt.Errorf("storage URL: bucket is missing (s3://BUCKET/...)")
	}
	if err := s3utils.CheckValidBucketNameStrict(l.Bucket); err != nil {
		return l, fmt.Errorf("storage URL: bucket %q: %v", l.Bucket, err)
	}
	if u.Fragment != "" {
		return l, fmt.Errorf("storage URL: fragment #%s is not allowed", u.Fragment)
	}
	if l.Prefix, err = cleanPrefix(u.Path); err != nil {
		return l, err
	}

	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return l, fmt.Errorf("storage URL: unknown parameter %q (known: endpoint, region)", k)
		}
		if len(q[k]) > 1 {
			return l, fmt.Errorf("storage URL: parameter %q given more than once", k)
		}
	}
	l.Region = q.Get("region")
	for _, c := range l.Region {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return l, fmt.Errorf("storage URL: region %q: only lower-case letters, digits, - and _", l.Region)
		}
	}
	ep := q.Get("endpoint")
	if ep == "" {
		ep = defaultEndpoint
	}
	e, err := url.Parse(ep)
	if err != nil {
		return l, fmt.Errorf("storage URL: endpoint is not a URL: expected http://host:port or https://host")
	}
	if e.User != nil {
		return l, fmt.Errorf("storage URL: endpoint: credentials in the URL are refused; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
	}
	if e.Host == "" {
		return l, fmt.Errorf("storage URL: endpoint %q: expected http://host:port or https://host", ep)
	}
	switch e.Scheme {
	case "http":
	case "https":
		l.Secure = true
	default:
		return l, fmt.Errorf("storage URL: endpoint %q: scheme must be http or https", ep)
	}
	if strings.Trim(e.Path, "/") != "" || e.RawQuery != "" || e.Fragment != "" {
		return l, fmt.Errorf("storage URL: endpoint %q: must be only scheme, host and port (the bucket and prefix go in s3://BUCKET/PREFIX)", ep)
	}
	if _, port, err := net.SplitHostPort(e.Host); err == nil && port == "" {
		return l, fmt.Errorf("storage URL: endpoint %q: empty port", ep)
	}
	l.Endpoint = e.Host
	return l, nil
}

// cleanPrefix turns the URL path into a key prefix: no leading slash, a
// trailing one unless empty, no empty, dot or dot-dot segments.
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if badSegment(p) {
		return "", fmt.Errorf("storage URL: prefix %q: empty, . and .. segments are not allowed", p)
	}
	if path.Clean(p) != p {
		return "", fmt.Errorf("storage URL: prefix %q is not clean", p)
	}
	return p + "/", nil
}
