module weft.invalid/gotrace-progs

go 1.22
