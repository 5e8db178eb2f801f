module example.com/nthcall

go 1.24
