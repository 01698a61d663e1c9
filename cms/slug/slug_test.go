package slug

import "testing"

func TestMake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"幸福起航", "xing-fu-qi-hang"},
		{"2026年七夕集体颁证", "2026-nian-qi-xi-ji-ti-ban-zheng"},
		{"  Hello, World! ", "hello-world"},
		{"银龄互助：老有所依", "yin-ling-hu-zhu-lao-you-suo-yi"},
		{"！！！", ""},
		{"一二三四五六七八九十", "yi-er-san-si-wu-liu-qi-ba"},
	}
	for _, tt := range tests {
		if got := Make(tt.in); got != tt.want {
			t.Errorf("Make(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
