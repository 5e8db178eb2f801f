module initcalls

go 1.26
