package lprun

import (
	"errors"
	"go/ast"
)

// selectTargets resolves -f, -m and //speedup:profile into targets, each
// function once, in the order given.
func selectTargets(r *resolver, o Options) ([]*target, error) {
	var out []*target
	seen := map[*ast.FuncDecl]bool{}
	add := func(ts []*target) {
		for _, t := range ts {
			if !seen[t.decl] {
				seen[t.decl] = true
				out = append(out, t)
			}
		}
	}
	for _, f := range o.Funcs {
		ts, err := r.lookup(f)
		if err != nil {
			return nil, err
		}
		add(ts)
	}
	for _, m := range o.Pkgs {
		p, err := r.pkg(m)
		if err != nil {
			return nil, inputErr("-m %s: %v", m, err)
		}
		add(p.funcs())
	}
	if r.local != nil {
		add(directive(r.local))
	}
	if len(out) == 0 {
		return nil, &InputError{errors.New("no function to profile: name one with -f FUNC (or -m PKG), or mark it with a //speedup:profile comment")}
	}
	for _, t := range out {
		if t.decl.Body == nil {
			return nil, errors.New("function " + t.display + " has no Go body (assembly?)")
		}
	}
	return out, nil
}

// fileAST returns the parsed file of p at path.
func fileAST(p *pkgInfo, path string) *ast.File {
	for i, f := range p.GoFiles {
		if f == path {
			return p.files[i]
		}
	}
	return nil
}
