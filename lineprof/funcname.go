package lineprof

import (
	"fmt"
	"go/token"
	"strings"
)

// FuncName is a parsed -f argument: which function to profile.
//
// Accepted forms: "F", "pkg.F", "path/to/pkg.F" (a full import path, which
// may contain dots: "golang.org/x/exp/slices.Sort"), "(*T).M", "T.M",
// "pkg.(*T).M", "pkg.T.M", and any of these with type arguments or
// parameters after the type or function name ("F[int]", "(*T[K]).M"), which
// are ignored: every instantiation of a generic function is one block.
//
// "A.B" is ambiguous: a method B of type A in the package at hand, or the
// function B of package A. Parse returns it as a package-qualified function
// with Ambiguous set; the resolver tries the method first.
type FuncName struct {
	// Pkg is the package as written: a package name or an import path;
	// empty for the package at hand.
	Pkg string
	// Recv is the receiver's type name for a method, without '*' or type
	// parameters; Ptr says whether it was written (*T).
	Recv string
	Ptr  bool
	// Name is the function or method name.
	Name string
	// Ambiguous is set for "A.B" forms (see above).
	Ambiguous bool
}

// String returns the canonical spelling, which ParseFuncName accepts and
// maps to the same FuncName.
func (f FuncName) String() string {
	var b strings.Builder
	if f.Pkg != "" {
		b.WriteString(f.Pkg)
		b.WriteString(".")
	}
	switch {
	case f.Recv != "" && f.Ptr:
		b.WriteString("(*" + f.Recv + ").")
	case f.Recv != "":
		b.WriteString(f.Recv + ".")
	}
	b.WriteString(f.Name)
	return b.String()
}

// Display is the name a report shows: the function name, with its receiver
// for methods ("(*T).M").
func (f FuncName) Display() string {
	switch {
	case f.Recv != "" && f.Ptr:
		return "(*" + f.Recv + ")." + f.Name
	case f.Recv != "":
		return f.Recv + "." + f.Name
	}
	return f.Name
}

// ParseFuncName parses a -f argument.
func ParseFuncName(s string) (FuncName, error) {
	f, why := parseFuncName(s)
	if why != "" {
		return FuncName{}, fmt.Errorf("bad function name %q: %s", s, why)
	}
	return f, nil
}

// parseFuncName is ParseFuncName, returning why s is bad instead of an
// error.
func parseFuncName(s string) (FuncName, string) {
	if s == "" {
		return FuncName{}, "empty"
	}
	if strings.ContainsAny(s, " \t\n\r") {
		return FuncName{}, "contains spaces"
	}
	pkg, rest, why := splitImportPath(s)
	if why != "" {
		return FuncName{}, why
	}
	if k := strings.Index(rest, "("); k >= 0 {
		return parsePtrMethod(pkg, rest, k)
	}
	parts, err := splitDots(rest)
	if err != nil {
		return FuncName{}, err.Error()
	}
	for i, p := range parts {
		q, err := stripTypeArgs(p)
		if err != nil {
			return FuncName{}, err.Error()
		}
		if !token.IsIdentifier(q) {
			return FuncName{}, fmt.Sprintf("%q is not an identifier", p)
		}
		parts[i] = q
	}
	switch {
	case pkg != "" && len(parts) == 1:
		return FuncName{Pkg: pkg, Name: parts[0]}, ""
	case pkg != "" && len(parts) == 2:
		return FuncName{Pkg: pkg, Recv: parts[0], Name: parts[1]}, ""
	case pkg == "" && len(parts) == 1:
		return FuncName{Name: parts[0]}, ""
	case pkg == "" && len(parts) == 2:
		return FuncName{Pkg: parts[0], Name: parts[1], Ambiguous: true}, ""
	case pkg == "" && len(parts) == 3:
		return FuncName{Pkg: parts[0], Recv: parts[1], Name: parts[2]}, ""
	}
	return FuncName{}, "too many dots"
}

// splitImportPath splits off the import path of s: everything up to the
// last '/' belongs to it, and the path's last element runs to the next
// '.'. Without a '/', pkg is empty and rest is s.
func splitImportPath(s string) (pkg, rest, why string) {
	i := strings.LastIndex(s, "/")
	if i < 0 {
		return "", s, ""
	}
	j := strings.Index(s[i:], ".")
	if j < 0 {
		return "", "", "an import path must be followed by .Func"
	}
	pkg, rest = s[:i+j], s[i+j+1:]
	if strings.HasPrefix(pkg, "/") || strings.HasSuffix(pkg, "/") || strings.Contains(pkg, "//") {
		return "", "", "malformed import path"
	}
	for _, el := range strings.Split(pkg, "/") {
		if el == "" || strings.ContainsAny(el, "()*[]") {
			return "", "", "malformed import path"
		}
	}
	return pkg, rest, ""
}

// parsePtrMethod parses rest, a method with its receiver in parentheses,
// [pkg.](*T).M, whose '(' is at k.
func parsePtrMethod(pkg, rest string, k int) (FuncName, string) {
	if k > 0 {
		if pkg != "" || rest[k-1] != '.' {
			return FuncName{}, "unexpected '('"
		}
		pkg = rest[:k-1]
		if !token.IsIdentifier(pkg) {
			return FuncName{}, "bad package name"
		}
		rest = rest[k:]
	}
	end := strings.Index(rest, ")")
	if end < 0 || !strings.HasPrefix(rest, "(*") || len(rest) < end+2 || rest[end+1] != '.' {
		return FuncName{}, "want (*T).M"
	}
	recv, err := stripTypeArgs(rest[2:end])
	if err != nil {
		return FuncName{}, err.Error()
	}
	name, err := stripTypeArgs(rest[end+2:])
	if err != nil {
		return FuncName{}, err.Error()
	}
	if !token.IsIdentifier(recv) || !token.IsIdentifier(name) {
		return FuncName{}, "not an identifier"
	}
	return FuncName{Pkg: pkg, Recv: recv, Ptr: true, Name: name}, ""
}

// splitDots splits at dots outside brackets.
func splitDots(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ']'")
			}
		case '.':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '['")
	}
	return append(parts, s[start:]), nil
}

// stripTypeArgs removes one trailing [...] from a name.
func stripTypeArgs(s string) (string, error) {
	i := strings.Index(s, "[")
	if i < 0 {
		if strings.Contains(s, "]") {
			return "", fmt.Errorf("unbalanced ']'")
		}
		return s, nil
	}
	if !strings.HasSuffix(s, "]") || i == 0 {
		return "", fmt.Errorf("malformed type arguments in %q", s)
	}
	depth := 0
	for j, r := range s[i:] {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 && i+j != len(s)-1 {
				return "", fmt.Errorf("malformed type arguments in %q", s)
			}
		}
	}
	if depth != 0 {
		return "", fmt.Errorf("unbalanced '['")
	}
	return s[:i], nil
}
