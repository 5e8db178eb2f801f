module bodyless

go 1.26
