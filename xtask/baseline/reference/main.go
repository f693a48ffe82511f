// Command reference writes the behaviour of github.com/distribution/reference
// (v0.6.0) on a list of inputs, as the baseline vectors of the oci-ref crate.
//
// Standard input holds one JSON string per line, so that an input may contain
// any character. Standard output gets one JSON object per input, in the same
// order, with the keys described in xtask/src/baseline.rs.
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
	"strings"

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

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
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
		if err := enc.Encode(evaluate(input)); err != nil {
			fmt.Fprintf(os.Stderr, "reference baseline: %v\n", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "reference baseline: reading input: %v\n", err)
		os.Exit(2)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "reference baseline: %v\n", err)
		os.Exit(2)
	}
}
