//go:build !linux

package pdftext_test

import "time"

func childrenCPU() time.Duration { return 0 }
