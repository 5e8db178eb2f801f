package lprun

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A module of the module cache is profiled from a copy (the go command
// refuses overlays of the module cache). The copy is kept, one per
// module@version, under the user's cache directory: a new directory each
// run would make the go command recompile the whole module every time
// (its build cache keys on the package's directory), which costs seconds
// for a large module. The copy is checked against the module cache's own
// hash of the module (the go.sum "h1:" hash, which `go mod verify` checks)
// before each use, written to a temporary directory and renamed into
// place, so that concurrent runs and interrupted ones never see half a
// copy, and replaced when it no longer matches.

// synthMarker marks a copy whose go.mod speedup wrote (the module has
// none, being from before modules): neither is part of the module's hash.
const synthMarker = ".speedup-synthesized-go.mod"

// modCopyRoot is where the kept copies live.
func modCopyRoot() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "speedup", "lprun-mod"), nil
}

// keptCopy returns the kept copy of the module-cache module in dir,
// making it when it is missing or does not match the module's hash.
// gomodcache is the module cache's root.
func keptCopy(root, gomodcache, path, dir string) (string, error) {
	key, err := filepath.Rel(gomodcache, dir)
	if err != nil || strings.HasPrefix(key, "..") || !strings.Contains(key, "@") {
		return "", fmt.Errorf("%s is not a module directory of the module cache", dir)
	}
	prefix := unescapeModule(filepath.ToSlash(key))
	want, err := moduleHash(gomodcache, key, dir, prefix)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(root, key)
	if got, err := hashTree(dst, prefix); err == nil && got == want {
		return dst, nil
	} else if err == nil || !errors.Is(err, fs.ErrNotExist) {
		// Changed or damaged: set it aside (atomically, for the runs
		// that may be reading it) and remove it.
		stale := fmt.Sprintf("%s.stale-%d", dst, os.Getpid())
		if os.Rename(dst, stale) == nil {
			os.RemoveAll(stale)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // gone once renamed
	if err := copyModule(path, dir, tmp); err != nil {
		return "", err
	}
	if got, err := hashTree(tmp, prefix); err != nil || got != want {
		return "", fmt.Errorf("copying module %s: the copy does not match the module cache's hash (%s, want %s, %v)", path, got, want, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		// Another run made it first: use that one if it is right.
		if got, herr := hashTree(dst, prefix); herr != nil || got != want {
			return "", fmt.Errorf("keeping a copy of module %s: %v", path, err)
		}
	}
	return dst, nil
}

// moduleHash returns the module's "h1:" hash as the module cache recorded
// it when it downloaded the module (cache/download/PATH/@v/VERSION.ziphash),
// or as computed from its directory when there is no record.
func moduleHash(gomodcache, key, dir, prefix string) (string, error) {
	i := strings.LastIndex(key, "@")
	zh := filepath.Join(gomodcache, "cache", "download", key[:i], "@v", key[i+1:]+".ziphash")
	if b, err := os.ReadFile(zh); err == nil && bytes.HasPrefix(b, []byte("h1:")) {
		return strings.TrimSpace(string(b)), nil
	}
	return hashTree(dir, prefix)
}

// unescapeModule undoes the module cache's escaping of upper-case letters
// ("!b" for "B") in a "path@version" key.
func unescapeModule(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if key[i] == '!' && i+1 < len(key) && 'a' <= key[i+1] && key[i+1] <= 'z' {
			b.WriteByte(key[i+1] - 'a' + 'A')
			i++
			continue
		}
		b.WriteByte(key[i])
	}
	return b.String()
}

// hashTree computes the go.sum "h1:" hash (golang.org/x/mod/sumdb/dirhash's
// Hash1, as `go mod verify` computes it for a module's directory) of the
// files under dir: the SHA-256 of the sorted lines "SHA256(file)  name\n",
// names being "path@version/" (prefix) and the slash-separated path in
// dir. A go.mod that speedup wrote is left out with its marker.
func hashTree(dir, prefix string) (string, error) {
	var files []string
	synth := false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, prefix+"/"+filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	marker, gomod := prefix+"/"+synthMarker, prefix+"/go.mod"
	for _, f := range files {
		synth = synth || f == marker
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		if f == marker || synth && f == gomod {
			continue
		}
		r, err := os.Open(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(f, prefix+"/"))))
		if err != nil {
			return "", err
		}
		fh := sha256.New()
		_, err = io.Copy(fh, r)
		r.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%x  %s\n", fh.Sum(nil), f)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// copyModule copies the module's regular files from dir to dst, read-only
// as in the module cache, and gives a module without go.mod one (which a
// directory replacement needs).
func copyModule(path, dir, dst string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o777)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o444)
	})
	if err != nil {
		return fmt.Errorf("copying module %s: %v", path, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err != nil {
		if err := os.WriteFile(filepath.Join(dst, "go.mod"), []byte("module "+path+"\n"), 0o444); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, synthMarker), nil, 0o444)
	}
	return nil
}
