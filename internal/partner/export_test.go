package partner

// DirectorySQL exposes the directory's query to the benchmark (EXPLAIN).
var DirectorySQL = directorySQL
