module scalingfixture

go 1.26
