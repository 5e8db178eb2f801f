module strays

go 1.26
