module oncethen

go 1.24
