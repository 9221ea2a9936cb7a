// Package mapped maps files into memory, read-only: the pages of the site
// and the indexed text of the search, which the server reads a little of
// at a time, for as long as it serves them.
package mapped
