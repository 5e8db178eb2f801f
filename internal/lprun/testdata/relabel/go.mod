module example.com/relabel

go 1.24
