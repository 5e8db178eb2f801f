module linedir

go 1.26
