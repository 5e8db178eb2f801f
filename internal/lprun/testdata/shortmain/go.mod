module example.com/shortmain

go 1.26
