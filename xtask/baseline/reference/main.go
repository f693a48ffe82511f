// Command reference writes the behaviour of github.com/distribution/reference
// (v0.6.0) on a list of inputs, as the baseline vectors of the oci-ref crate.
//
// Standard input holds one JSON string per line, so that an input may contain
// any character. Standard output gets one JSON object per input, in the same
// order, with the keys described in xtask/src/baseline.rs.
//
// With the argument -bench it writes no vectors: it times ParseNormalizedNamed
// on the inputs instead, first on those it accepts and then on all of them, and
// prints references (input lines) per second for each, so that oci-ref's
// criterion benchmark of the same corpus has a number to be compared with
// (`cargo xtask baseline --bench`).
//
// `cargo xtask baseline` builds it offline in GOPATH mode against the Debian
// packaged sources and runs it; it is not meant to be built by hand.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	// go-digest knows an algorithm only when its hash is linked in, as in
	// Docker; without these every digest would be "unsupported".
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// result is one output line; the field order is the key order.
type result struct {
	Input         string  `json:"input"`
	Ok            bool    `json:"ok"`
	ErrorKind     *string `json:"error_kind"`
	Registry      *string `json:"registry"`
	Repository    *string `json:"repository"`
	Tag           *string `json:"tag"`
	Digest        *string `json:"digest"`
	Canonical     *string `json:"canonical"`
	Familiar      *string `json:"familiar"`
	Named         string  `json:"named"`
	Raw           string  `json:"raw"`
	RawRegistry   *string `json:"raw_registry"`
	RawRepository *string `json:"raw_repository"`
	DockerRef     string  `json:"docker_ref"`
	Any           string  `json:"any"`
	TagNameOnly   *string `json:"tag_name_only"`
}

func str(s string) *string { return &s }

// kind maps an error of the package (or of go-digest) to the error class
// shared with the Rust implementation. An error it does not know is fatal, so
// that a new error of the reference implementation cannot go unnoticed.
func kind(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, reference.ErrReferenceInvalidFormat):
		return "invalid_format"
	case errors.Is(err, reference.ErrNameContainsUppercase):
		return "contains_uppercase"
	case errors.Is(err, reference.ErrNameTooLong):
		return "name_too_long"
	case errors.Is(err, reference.ErrNameEmpty):
		return "name_empty"
	case errors.Is(err, reference.ErrNameNotCanonical):
		return "name_not_canonical"
	case errors.Is(err, digest.ErrDigestInvalidLength):
		return "invalid_digest_length"
	case errors.Is(err, digest.ErrDigestInvalidFormat):
		return "invalid_digest"
	case errors.Is(err, digest.ErrDigestUnsupported):
		return "unsupported_digest"
	// ParseNormalizedNamed builds these two with fmt.Errorf and no %w.
	case strings.HasPrefix(msg, "invalid reference format: repository name (") && strings.HasSuffix(msg, ") must be lowercase"):
		return "contains_uppercase"
	case strings.HasPrefix(msg, "invalid repository name (") && strings.HasSuffix(msg, "), cannot specify 64-byte hexadecimal strings"):
		return "hex_identifier"
	}
	fmt.Fprintf(os.Stderr, "reference baseline: unknown error %q\n", msg)
	os.Exit(3)
	return ""
}

func evaluate(input string) result {
	r := result{Input: input}

	if named, err := reference.ParseNormalizedNamed(input); err != nil {
		r.ErrorKind = str(kind(err))
	} else {
		r.Ok = true
		r.Registry = str(reference.Domain(named))
		r.Repository = str(reference.Path(named))
		if tagged, ok := named.(reference.Tagged); ok {
			r.Tag = str(tagged.Tag())
		}
		if digested, ok := named.(reference.Digested); ok {
			r.Digest = str(digested.Digest().String())
		}
		r.Canonical = str(named.String())
		r.Familiar = str(reference.FamiliarString(named))
		r.TagNameOnly = str(reference.TagNameOnly(named).String())
	}

	if _, err := reference.ParseNamed(input); err != nil {
		r.Named = kind(err)
	} else {
		r.Named = "ok"
	}

	if ref, err := reference.Parse(input); err != nil {
		r.Raw = kind(err)
	} else {
		r.Raw = "ok"
		if named, ok := ref.(reference.Named); ok {
			r.RawRegistry = str(reference.Domain(named))
			r.RawRepository = str(reference.Path(named))
		}
	}

	if ref, err := reference.ParseDockerRef(input); err != nil {
		r.DockerRef = "error:" + kind(err)
	} else {
		r.DockerRef = ref.String()
	}

	if ref, err := reference.ParseAnyReference(input); err != nil {
		r.Any = "error:" + kind(err)
	} else {
		r.Any = ref.String()
	}
	return r
}

// accepted counts the references the benchmark parsed, so that no parse can be
// optimized away.
var accepted int

// benchmark times ParseNormalizedNamed over the inputs it accepts ("valid")
// and over all of them ("mixed"), in rounds of at least one second each, and
// prints each round and the median in references (lines) per second.
func benchmark(inputs []string, rounds int) {
	var valid []string
	for _, s := range inputs {
		if _, err := reference.ParseNormalizedNamed(s); err == nil {
			valid = append(valid, s)
		}
	}
	fmt.Printf("distribution/reference ParseNormalizedNamed, %s, GOMAXPROCS=%d\n", runtime.Version(), runtime.GOMAXPROCS(0))
	for _, set := range []struct {
		name  string
		lines []string
	}{{"valid", valid}, {"mixed", inputs}} {
		if len(set.lines) == 0 {
			continue
		}
		var rates []float64
		for round := 0; round < rounds; round++ {
			passes := 0
			start := time.Now()
			elapsed := time.Duration(0)
			for elapsed < time.Second {
				for _, s := range set.lines {
					if _, err := reference.ParseNormalizedNamed(s); err == nil {
						accepted++
					}
				}
				passes++
				elapsed = time.Since(start)
			}
			rate := float64(passes*len(set.lines)) / elapsed.Seconds()
			rates = append(rates, rate)
			fmt.Printf("  %s (%d lines) round %d: %.3f M lines/s (%d passes in %v)\n",
				set.name, len(set.lines), round+1, rate/1e6, passes, elapsed.Round(time.Millisecond))
		}
		sort.Float64s(rates)
		fmt.Printf("%s: %.3f M lines/s (median of %d rounds)\n", set.name, rates[len(rates)/2]/1e6, rounds)
	}
}

func main() {
	bench := false
	for _, arg := range os.Args[1:] {
		if arg != "-bench" {
			fmt.Fprintf(os.Stderr, "reference baseline: unexpected argument %q (the only one is -bench)\n", arg)
			os.Exit(2)
		}
		bench = true
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var inputs []string
	line := 0
	for in.Scan() {
		line++
		if len(in.Bytes()) == 0 {
			continue
		}
		var input string
		if err := json.Unmarshal(in.Bytes(), &input); err != nil {
			fmt.Fprintf(os.Stderr, "reference baseline: line %d: not a JSON string: %v\n", line, err)
			os.Exit(2)
		}
		if bench {
			inputs = append(inputs, input)
			continue
		}
		if err := enc.Encode(evaluate(input)); err != nil {
			fmt.Fprintf(os.Stderr, "reference baseline: %v\n", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "reference baseline: reading input: %v\n", err)
		os.Exit(2)
	}
	if bench {
		benchmark(inputs, 5)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "reference baseline: %v\n", err)
		os.Exit(2)
	}
}
