package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// Body images inserted from the media library carry data-media-id. On save
// they get the responsive variants (srcset/sizes) and intrinsic size
// (width/height, so nothing shifts while loading), for the site and for the
// content API alike.

const bodyImageSizes = "(max-width: 42rem) calc(100vw - 2rem), 40rem"

// responsiveImages rewrites media-library images in body. Unknown media ids
// are left as they are.
func (s *Server) responsiveImages(ctx context.Context, body string) string {
	if s.cfg.Media == nil || s.cfg.Ingest == nil || !strings.Contains(body, "data-media-id") {
		return body
	}
	cache := map[int64]*cms.Media{}
	return markup.RewriteImages(body, func(t *markup.Tag) string {
		img := markup.ImageOf(t)
		if img.MediaID == 0 {
			return ""
		}
		m, ok := cache[img.MediaID]
		if !ok {
			m, _ = s.cfg.Media.FindMediaByID(ctx, img.MediaID)
			cache[img.MediaID] = m
		}
		if m == nil {
			return ""
		}
		var set []string
		var main *cms.MediaVariant
		for _, name := range s.cfg.Ingest.BodyVariants() {
			if v := m.Variant(name); v != nil {
				set = append(set, fmt.Sprintf("%s %dw", v.URL, v.Width))
				if main == nil || v.Name == "w960" {
					main = v
				}
			}
		}
		if main == nil {
			return ""
		}
		t.SelfClosing = false
		t.Prepend(
			markup.Attr{Key: "src", Val: main.URL},
			markup.Attr{Key: "srcset", Val: strings.Join(set, ", ")},
			markup.Attr{Key: "sizes", Val: bodyImageSizes},
			markup.Attr{Key: "width", Val: strconv.Itoa(main.Width)},
			markup.Attr{Key: "height", Val: strconv.Itoa(main.Height)},
		)
		return t.String()
	})
}
