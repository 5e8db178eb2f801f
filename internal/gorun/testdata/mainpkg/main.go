// Command mainpkg shows that snippets can run in a package main.
package main

import "fmt"

func greeting() string { return "hello" }

func main() { fmt.Println(greeting()) }
