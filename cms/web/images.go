package web

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/media"
)

// Body images inserted from the media library carry data-media-id. On save
// they get the responsive variants (srcset/sizes) and intrinsic size
// (width/height, so nothing shifts while loading), for the site and for the
// content API alike.

var (
	mediaImg = regexp.MustCompile(`(?i)<img\b[^>]*\bdata-media-id="(\d+)"[^>]*>`)
	imgAttr  = regexp.MustCompile(`(?i)\s(src|srcset|sizes|width|height)="[^"]*"`)
)

const bodyImageSizes = "(max-width: 42rem) calc(100vw - 2rem), 40rem"

// responsiveImages rewrites media-library images in body. Unknown media ids
// are left as they are.
func (s *Server) responsiveImages(ctx context.Context, body string) string {
	if s.cfg.Media == nil || !strings.Contains(body, "data-media-id") {
		return body
	}
	cache := map[int64]*cms.Media{}
	return mediaImg.ReplaceAllStringFunc(body, func(tag string) string {
		id, _ := strconv.ParseInt(mediaImg.FindStringSubmatch(tag)[1], 10, 64)
		m, ok := cache[id]
		if !ok {
			m, _ = s.cfg.Media.FindMediaByID(ctx, id)
			cache[id] = m
		}
		if m == nil {
			return tag
		}
		var set []string
		var main *cms.MediaVariant
		for _, spec := range media.Specs() {
			if spec.Crop {
				continue // crops are covers, not renditions of the whole image
			}
			if v := m.Variant(spec.Name); v != nil {
				set = append(set, fmt.Sprintf("%s %dw", v.URL, v.Width))
				if main == nil || v.Name == "w960" {
					main = v
				}
			}
		}
		if main == nil {
			return tag
		}
		rest := strings.TrimSuffix(strings.TrimSuffix(imgAttr.ReplaceAllString(tag[len("<img"):], ""), ">"), "/")
		return fmt.Sprintf(`<img src="%s" srcset="%s" sizes="%s" width="%d" height="%d"%s>`,
			main.URL, strings.Join(set, ", "), bodyImageSizes, main.Width, main.Height, strings.TrimRight(rest, " "))
	})
}
