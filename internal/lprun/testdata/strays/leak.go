package strays

var block = make(chan struct{})

// Leak starts a goroutine that never ends.
func Leak() {
	go func() {
		<-block
	}()
}
