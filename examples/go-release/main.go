// Command go-release prints its version, the way a release binary built by the Go release process
// does: the version and build time are injected at link time with -ldflags "-X main.BuildVersion=...
// -X main.BuildTime=...".
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/dustin/go-humanize"
)

// Set at link time by build.sh; these are the values of a plain `go build`.
var (
	BuildVersion = "dev"
	BuildTime    = "unknown"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("go-release %s (built %s, %s/%s)\n", BuildVersion, BuildTime, runtime.GOOS, runtime.GOARCH)
		return
	}
	for _, size := range []uint64{512, 82854982, 1 << 40} {
		fmt.Printf("%d bytes is %s\n", size, humanize.Bytes(size))
	}
}
