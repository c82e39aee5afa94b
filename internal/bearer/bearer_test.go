package bearer

import "testing"

func TestHashIsHexSHA256(t *testing.T) {
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := Hash("abc"); got != abc {
		t.Fatalf("Hash(abc) = %s, want %s", got, abc)
	}
}

func TestRandomIsURLSafeAndFresh(t *testing.T) {
	a, b := Random(32), Random(32)
	if len(a) != 43 { // 32 bytes in unpadded base64
		t.Fatalf("Random(32) has %d characters: %q", len(a), a)
	}
	for _, c := range a {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			t.Fatalf("Random(32) = %q has %q, not URL-safe", a, c)
		}
	}
	if a == b {
		t.Fatalf("two calls gave the same %q", a)
	}
}
