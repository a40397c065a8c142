module example.com/go-release

go 1.19

require github.com/dustin/go-humanize v1.0.0
