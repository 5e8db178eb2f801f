// Package kernel implements "speedup kernel", a Jupyter kernel for Go: the
// messaging protocol (this file and server.go), its sockets (socket.go),
// and the cells, their state and the magics (cells.go, session.go,
// magic.go).
package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version of Jupyter's messaging protocol served.
const ProtocolVersion = "5.3"

// delimiter separates the routing identities from the message frames.
var delimiter = []byte("<IDS|MSG>")

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one Jupyter message.
type Message struct {
	// Identities are the routing frames before the delimiter (the
	// requester's socket identity on ROUTER sockets; the topic on iopub).
	Identities [][]byte
	Header     Header
	// Parent is the parent header as received or to be sent: the raw JSON
	// of the request's header ({} when none).
	Parent   json.RawMessage
	Metadata json.RawMessage
	Content  json.RawMessage
	Buffers  [][]byte
}

// ErrBadSignature is returned by Decode for a message whose HMAC does not
// match the connection key.
var ErrBadSignature = errors.New("invalid message signature")

// sign returns the hex HMAC-SHA256 of the four JSON frames, or "" when key
// is empty (Jupyter's way of switching authentication off).
func sign(key []byte, frames ...[]byte) string {
	if len(key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, key)
	for _, f := range frames {
		m.Write(f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Decode parses the frames of a received multipart message and checks its
// signature against key (constant-time). It never panics on bad input.
func Decode(frames [][]byte, key []byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if i == len(frames) {
		return nil, errors.New("no <IDS|MSG> delimiter")
	}
	rest := frames[i+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("want signature and 4 JSON frames after the delimiter, got %d frames", len(rest))
	}
	if len(key) > 0 {
		got := make([]byte, hex.DecodedLen(len(rest[0])))
		n, err := hex.Decode(got, rest[0])
		if err != nil {
			return nil, ErrBadSignature
		}
		m := hmac.New(sha256.New, key)
		for _, f := range rest[1:5] {
			m.Write(f)
		}
		if !hmac.Equal(got[:n], m.Sum(nil)) {
			return nil, ErrBadSignature
		}
	}
	msg := &Message{Identities: frames[:i]}
	if err := json.Unmarshal(rest[1], &msg.Header); err != nil {
		return nil, fmt.Errorf("bad header: %v", err)
	}
	for j, dst := range []*json.RawMessage{&msg.Parent, &msg.Metadata, &msg.Content} {
		f := rest[2+j]
		if !json.Valid(f) {
			return nil, fmt.Errorf("frame %d is not JSON", 3+j)
		}
		*dst = append(json.RawMessage(nil), f...)
	}
	msg.Buffers = rest[5:]
	return msg, nil
}

// Encode returns the frames of msg, signed with key.
func (m *Message) Encode(key []byte) ([][]byte, error) {
	h, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	parent, meta, content := orEmpty(m.Parent), orEmpty(m.Metadata), orEmpty(m.Content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, []byte(sign(key, h, parent, meta, content)), h, parent, meta, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

func orEmpty(r json.RawMessage) []byte {
	if len(r) == 0 {
		return []byte("{}")
	}
	return r
}

// newID returns a random message or session id.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newHeader returns a header of type msgType for session.
func newHeader(msgType, session string) Header {
	return Header{
		MsgID:    newID(),
		Session:  session,
		Username: "kernel",
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}
