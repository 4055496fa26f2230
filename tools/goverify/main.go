// Command goverify checks Tamga's public formats with Go's golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog: an implementation independent of the Swift code it tests, so a
// signed note, checkpoint or receipt that passes here is readable by other people's tools.
//
//	goverify note -key VERIFIERKEY FILE
//	goverify checkpoint -key VERIFIERKEY FILE
//	goverify receipt -key VERIFIERKEY FILE
//	goverify inclusion -size N -index I (-leaf B64 | -entry B64) -root B64 [PROOF_B64...]
//	goverify consistency -size1 N -size2 M -root1 B64 -root2 B64 [PROOF_B64...]
//
// Exit status: 0 verified, 1 verification failed (the reason on stderr), 2 usage or I/O error.
package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// failure is a verification failure (exit 1); any other error is a usage error (exit 2).
type failure struct{ error }

func fail(format string, args ...interface{}) error {
	return failure{fmt.Errorf(format, args...)}
}

const usage = `usage:
  goverify note -key VERIFIERKEY FILE
  goverify checkpoint -key VERIFIERKEY FILE
  goverify receipt -key VERIFIERKEY FILE
  goverify inclusion -size N -index I (-leaf B64 | -entry B64) -root B64 [PROOF_B64...]
  goverify consistency -size1 N -size2 M -root1 B64 -root2 B64 [PROOF_B64...]
exit status: 0 verified, 1 verification failed, 2 usage or I/O error`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"note":        runNote,
		"checkpoint":  runCheckpoint,
		"receipt":     runReceipt,
		"inclusion":   runInclusion,
		"consistency": runConsistency,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "goverify: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	err := run(os.Args[2:])
	var f failure
	switch {
	case err == nil:
	case errors.As(err, &f):
		fmt.Fprintf(os.Stderr, "goverify %s: verification failed: %v\n", os.Args[1], err)
		os.Exit(1)
	default:
		fmt.Fprintf(os.Stderr, "goverify %s: %v\n%s\n", os.Args[1], err, usage)
		os.Exit(2)
	}
}

// keyAndFile parses "-key K FILE", verifies FILE's note with K and returns the note.
func keyAndFile(name string, args []string) (*note.Note, note.Verifier, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	key := fs.String("key", "", "verifier key `name+id+base64`")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if *key == "" || fs.NArg() != 1 {
		return nil, nil, errors.New("need -key and exactly one FILE")
	}
	msg, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return nil, nil, err
	}
	return openNote(*key, msg)
}

func openNote(key string, msg []byte) (*note.Note, note.Verifier, error) {
	verifier, err := note.NewVerifier(key)
	if err != nil {
		return nil, nil, fmt.Errorf("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return nil, nil, fail("%v", err)
	}
	return n, verifier, nil
}

func runNote(args []string) error {
	n, _, err := keyAndFile("note", args)
	if err != nil {
		return err
	}
	fmt.Print(n.Text)
	return nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads the first three lines of a tlog-checkpoint note text, as strictly as
// the C2SP spec says: non-empty origin, decimal size without leading zeros, 32-byte root.
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, fail("checkpoint has fewer than three lines")
	}
	if lines[0] == "" {
		return checkpoint{}, fail("checkpoint origin is empty")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fail("checkpoint tree size %q is not a canonical decimal", lines[1])
	}
	root, err := decodeHash(lines[2])
	if err != nil {
		return checkpoint{}, fail("checkpoint root hash: %v", err)
	}
	if rest := lines[3]; rest != "" {
		for _, line := range strings.Split(strings.TrimSuffix(rest, "\n"), "\n") {
			if line == "" {
				return checkpoint{}, fail("checkpoint has an empty extension line")
			}
		}
	}
	return checkpoint{lines[0], size, root}, nil
}

func runCheckpoint(args []string) error {
	n, verifier, err := keyAndFile("checkpoint", args)
	if err != nil {
		return err
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	if c.origin != verifier.Name() {
		return fail("checkpoint origin %q is not the key name %q", c.origin, verifier.Name())
	}
	fmt.Print(n.Text)
	return nil
}

// runReceipt checks a c2sp.org/tlog-proof@v1 file whose extra line holds the entry.
func runReceipt(args []string) error {
	fs := flag.NewFlagSet("receipt", flag.ContinueOnError)
	key := fs.String("key", "", "verifier key `name+id+base64`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" || fs.NArg() != 1 {
		return errors.New("need -key and exactly one FILE")
	}
	msg, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	split := bytes.Index(msg, []byte("\n\n"))
	if split < 0 {
		return fail("receipt has no blank line before the checkpoint")
	}
	lines := strings.Split(string(msg[:split]), "\n")
	if len(lines) < 3 || lines[0] != "c2sp.org/tlog-proof@v1" ||
		!strings.HasPrefix(lines[1], "extra ") || !strings.HasPrefix(lines[2], "index ") {
		return fail("receipt does not start with the tlog-proof header, extra and index lines")
	}
	entry, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[1], "extra "))
	if err != nil {
		return fail("receipt extra: %v", err)
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "index "), 10, 64)
	if err != nil || index < 0 || "index "+strconv.FormatInt(index, 10) != lines[2] {
		return fail("receipt index %q is not a canonical decimal", lines[2])
	}
	proof, err := decodeProof(lines[3:])
	if err != nil {
		return err
	}
	n, verifier, err := openNote(*key, msg[split+2:])
	if err != nil {
		return err
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	if c.origin != verifier.Name() {
		return fail("checkpoint origin %q is not the key name %q", c.origin, verifier.Name())
	}
	if index >= c.size {
		return fail("index %d is outside the tree of size %d", index, c.size)
	}
	if err := tlog.CheckRecord(proof, c.size, c.root, index, tlog.RecordHash(entry)); err != nil {
		return fail("%v", err)
	}
	fmt.Printf("entry %d of %s (tree size %d)\n", index, c.origin, c.size)
	return nil
}

func runInclusion(args []string) error {
	fs := flag.NewFlagSet("inclusion", flag.ContinueOnError)
	size := fs.Uint64("size", 0, "tree size")
	index := fs.Uint64("index", 0, "leaf index")
	leaf := fs.String("leaf", "", "base64 leaf hash (RFC 9162)")
	entry := fs.String("entry", "", "base64 entry bytes (hashed as a leaf)")
	root := fs.String("root", "", "base64 root hash")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !isSet(fs, "size") || !isSet(fs, "index") || !isSet(fs, "root") || isSet(fs, "leaf") == isSet(fs, "entry") {
		return errors.New("need -size, -index, -root and exactly one of -leaf or -entry")
	}
	var leafHash tlog.Hash
	var err error
	if isSet(fs, "entry") {
		data, derr := base64.StdEncoding.Strict().DecodeString(*entry)
		if derr != nil {
			return fail("entry: %v", derr)
		}
		leafHash = tlog.RecordHash(data)
	} else if leafHash, err = decodeHash(*leaf); err != nil {
		return fail("leaf hash: %v", err)
	}
	rootHash, err := decodeHash(*root)
	if err != nil {
		return fail("root hash: %v", err)
	}
	proof, err := decodeProof(fs.Args())
	if err != nil {
		return err
	}
	if *size > math.MaxInt64 || *index >= *size {
		return fail("index %d is outside the tree of size %d", *index, *size)
	}
	if err := tlog.CheckRecord(proof, int64(*size), rootHash, int64(*index), leafHash); err != nil {
		return fail("%v", err)
	}
	fmt.Println("inclusion proof verified")
	return nil
}

func runConsistency(args []string) error {
	fs := flag.NewFlagSet("consistency", flag.ContinueOnError)
	size1 := fs.Uint64("size1", 0, "old tree size")
	size2 := fs.Uint64("size2", 0, "new tree size")
	root1 := fs.String("root1", "", "base64 old root hash")
	root2 := fs.String("root2", "", "base64 new root hash")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, name := range []string{"size1", "size2", "root1", "root2"} {
		if !isSet(fs, name) {
			return errors.New("need -size1, -size2, -root1 and -root2")
		}
	}
	old, err := decodeHash(*root1)
	if err != nil {
		return fail("root1: %v", err)
	}
	newer, err := decodeHash(*root2)
	if err != nil {
		return fail("root2: %v", err)
	}
	proof, err := decodeProof(fs.Args())
	if err != nil {
		return err
	}
	switch {
	case *size2 > math.MaxInt64 || *size1 > *size2:
		return fail("size1 %d is larger than size2 %d", *size1, *size2)
	case *size1 == 0:
		return fail("a consistency proof from the empty tree is meaningless")
	}
	if err := tlog.CheckTree(proof, int64(*size2), newer, int64(*size1), old); err != nil {
		return fail("%v", err)
	}
	fmt.Println("consistency proof verified")
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return h, err
	}
	if len(b) != tlog.HashSize {
		return h, fmt.Errorf("%d bytes, want %d", len(b), tlog.HashSize)
	}
	copy(h[:], b)
	return h, nil
}

func decodeProof(items []string) ([]tlog.Hash, error) {
	proof := make([]tlog.Hash, 0, len(items))
	for i, s := range items {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fail("proof hash %d: %v", i, err)
		}
		proof = append(proof, h)
	}
	return proof, nil
}
