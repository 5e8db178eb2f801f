package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func testMessage() *Message {
	return &Message{
		Identities: [][]byte{[]byte("client-1")},
		Header:     newHeader("kernel_info_request", "s1"),
		Parent:     json.RawMessage(`{}`),
		Metadata:   json.RawMessage(`{}`),
		Content:    json.RawMessage(`{"code":"x := 1"}`),
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, key := range []string{"secret-key", ""} {
		m := testMessage()
		frames, err := m.Encode([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		if key == "" && len(frames[2]) != 0 {
			t.Errorf("empty key: signature %q, want empty", frames[2])
		}
		got, err := Decode(frames, []byte(key))
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		if got.Header != m.Header || string(got.Content) != string(m.Content) || !bytes.Equal(got.Identities[0], []byte("client-1")) {
			t.Errorf("key %q: round trip changed the message: %+v", key, got)
		}
	}
}

func TestWireBadKey(t *testing.T) {
	frames, _ := testMessage().Encode([]byte("right"))
	if _, err := Decode(frames, []byte("wrong")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: got %v, want ErrBadSignature", err)
	}
	// An unsigned message reaching a kernel with a key.
	unsigned, _ := testMessage().Encode(nil)
	if _, err := Decode(unsigned, []byte("right")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("unsigned message: got %v, want ErrBadSignature", err)
	}
	// A signature that is not hex.
	frames[2] = []byte("zz-not-hex")
	if _, err := Decode(frames, []byte("right")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("non-hex signature: got %v", err)
	}
	// A tampered content frame.
	frames, _ = testMessage().Encode([]byte("right"))
	frames[len(frames)-1] = []byte(`{"code":"os.Exit(1)"}`)
	if _, err := Decode(frames, []byte("right")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered content: got %v", err)
	}
}

func TestWireMalformed(t *testing.T) {
	good, _ := testMessage().Encode(nil)
	cases := map[string][][]byte{
		"no frames":         nil,
		"missing delimiter": append([][]byte{}, good[0], good[2], good[3], good[4], good[5], good[6]),
		"too few frames":    good[:5],
		"bad header":        append(append([][]byte{}, good[:3]...), []byte("{"), good[4], good[5], good[6]),
		"bad content":       append(append([][]byte{}, good[:6]...), []byte("not json")),
	}
	for name, frames := range cases {
		if _, err := Decode(frames, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := testMessage().Encode([]byte("k"))
	f.Add(bytes.Join(good, []byte{0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		frames := bytes.Split(b, []byte{0})
		Decode(frames, []byte("k"))
		Decode(frames, nil)
	})
}
