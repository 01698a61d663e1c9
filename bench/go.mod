module github.com/huimin/huimin/bench

go 1.26
