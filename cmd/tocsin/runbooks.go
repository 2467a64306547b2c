package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/tocsin-hub/tocsin/runbooks"
)

const runbooksUsage = `Usage:
  tocsin runbooks lint [--lang en|zh] PATH...

Checks runbook files, for teams that keep their runbooks in git. PATH is a
file or a directory, searched recursively for *.yaml and *.yml. Every
problem of every file is printed as

  FILE:LINE:COLUMN: FIELD: MESSAGE

and the ids must be unique across the files. The exit status is 0 when
every file is valid, 1 otherwise. Nothing is written anywhere; load the
files into a running hub through its API (POST /api/v1/runbooks, PUT
/api/v1/runbooks/{id}) or its Runbooks page.

The format is described by runbooks/schema.json; the built-in runbooks
under runbooks/builtin/ are complete examples.
`

// runbooksCommand runs "tocsin runbooks lint PATH...".
func runbooksCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "lint" {
		fmt.Fprint(stderr, runbooksUsage)
		if len(args) == 0 {
			return errors.New("runbooks: name a subcommand: tocsin runbooks lint PATH")
		}
		return fmt.Errorf("runbooks: unknown subcommand %q (want lint)", args[0])
	}
	fs := flag.NewFlagSet("tocsin runbooks lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "en", "language of the messages: en or zh")
	fs.Usage = func() { fmt.Fprint(stderr, runbooksUsage) }
	var paths []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *lang != "en" && *lang != "zh" {
		return fmt.Errorf("runbooks lint: --lang must be en or zh")
	}
	if len(paths) == 0 {
		fmt.Fprint(stderr, runbooksUsage)
		return errors.New("runbooks lint: name a directory or file")
	}
	res, err := lintRunbooks(paths)
	if err != nil {
		return fmt.Errorf("runbooks lint: %w", err)
	}
	for _, p := range res.problems {
		if *lang == "zh" {
			p.EN = p.ZH
		}
		fmt.Fprintln(stdout, p.String())
	}
	if len(res.problems) > 0 {
		return fmt.Errorf("runbooks lint: %d problems in %d of %d files", len(res.problems), res.badFiles, res.files)
	}
	fmt.Fprintf(stderr, "%d runbook files checked: no problems\n", res.files)
	return nil
}

// lintResult is what a lint found.
type lintResult struct {
	files    int
	badFiles int
	problems []runbooks.Problem
}

// lintRunbooks checks the runbook files at paths.
func lintRunbooks(paths []string) (lintResult, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return lintResult{}, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return lintResult{}, err
		}
	}
	if len(files) == 0 {
		return lintResult{}, fmt.Errorf("no runbook files (*.yaml, *.yml) in %s", strings.Join(paths, ", "))
	}
	sort.Strings(files)
	var res lintResult
	ids := map[string]string{} // id → the file that has it
	for _, name := range files {
		res.files++
		data, err := readRunbookFile(name)
		if err != nil {
			res.badFiles++
			res.problems = append(res.problems, runbooks.Problem{File: name, EN: err.Error(), ZH: err.Error()})
			continue
		}
		rb, err := runbooks.Parse(name, data)
		var ps runbooks.Problems
		switch {
		case errors.As(err, &ps):
			res.badFiles++
			res.problems = append(res.problems, ps...)
			continue
		case err != nil:
			return res, err
		}
		if first, dup := ids[rb.ID]; dup {
			res.badFiles++
			res.problems = append(res.problems, runbooks.Problem{File: name, Line: idLine(data), Column: 1, Field: "id",
				EN: "id " + rb.ID + " is also the id of " + first, ZH: "编号 " + rb.ID + " 与 " + first + " 重复"})
			continue
		}
		ids[rb.ID] = name
	}
	return res, nil
}

func readRunbookFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, runbooks.MaxSource+1))
	if err != nil {
		return nil, err
	}
	if len(data) > runbooks.MaxSource {
		return nil, fmt.Errorf("the file is larger than %d KiB", runbooks.MaxSource>>10)
	}
	return data, nil
}

var idLineRE = regexp.MustCompile(`(?m)^id\s*:`)

// idLine is the line of the top-level id key, 0 if not found.
func idLine(data []byte) int {
	loc := idLineRE.FindIndex(data)
	if loc == nil {
		return 0
	}
	return strings.Count(string(data[:loc[0]]), "\n") + 1
}
