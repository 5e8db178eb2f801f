package kernel

import (
	"context"
	"errors"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Socket is what the kernel needs of a ZeroMQ socket: whole multipart
// messages in and out. It hides the ZeroMQ library, whose limits (see
// newSocket) are then handled in one place.
type Socket interface {
	Send(frames [][]byte) error
	Recv() ([][]byte, error)
	Close() error
}

// sendTimeout bounds a send: zmq4's default is five minutes, during which
// a client that went away would block the kernel.
const sendTimeout = 10 * time.Second

// SocketKind names the five sockets' types.
type SocketKind int

// The socket types the kernel binds.
const (
	Router SocketKind = iota // shell, control, stdin
	Pub                      // iopub
	Rep                      // heartbeat
)

type zmqSocket struct{ s zmq4.Socket }

// Listen binds a socket of the given kind to endpoint
// ("tcp://127.0.0.1:5555").
//
// zmq4 v0.17.0: a ROUTER send to an identity that is not connected is
// dropped silently (a reply to a client that went away is lost, which is
// what Jupyter's ROUTER does too); PUB sends never block.
func Listen(ctx context.Context, kind SocketKind, endpoint string) (Socket, error) {
	opt := zmq4.WithTimeout(sendTimeout)
	var s zmq4.Socket
	switch kind {
	case Router:
		s = zmq4.NewRouter(ctx, opt)
	case Pub:
		s = zmq4.NewPub(ctx, opt)
	case Rep:
		s = zmq4.NewRep(ctx, opt)
	default:
		return nil, errors.New("unknown socket kind")
	}
	if err := s.Listen(endpoint); err != nil {
		s.Close()
		return nil, err
	}
	return &zmqSocket{s}, nil
}

func (z *zmqSocket) Send(frames [][]byte) error {
	return z.s.SendMulti(zmq4.NewMsgFrom(frames...))
}

func (z *zmqSocket) Recv() ([][]byte, error) {
	m, err := z.s.Recv()
	if err != nil {
		return nil, err
	}
	return m.Frames, nil
}

func (z *zmqSocket) Close() error { return z.s.Close() }
