package clitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

// WriteImportFile writes n lines, replacing the 1-based line numbers in bad.
func WriteImportFile(tb testing.TB, path string, n int, bad map[int]string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := 1; i <= n; i++ {
		if line, ok := bad[i]; ok {
			fmt.Fprintln(w, line)
			continue
		}
		line, _ := json.Marshal(map[string]any{
			"title":        fmt.Sprintf("第%d期银龄互助志愿服务活动", i),
			"summary":      "社区志愿者为高龄老人提供陪伴和帮助。",
			"body":         fmt.Sprintf("<p>本期活动共有%d名志愿者参加，走访了辖区内的独居老人。</p><p>养老服务中心提供了场地支持。</p>", i%50+3),
			"project":      fmt.Sprintf("p%d", i%12+1),
			"tags":         []string{"养老", fmt.Sprintf("第%d批", i%7)},
			"author":       "宣传科",
			"published_at": base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"status":       "published",
		})
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}
