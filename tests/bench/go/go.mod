module weft.example/bench

go 1.19
