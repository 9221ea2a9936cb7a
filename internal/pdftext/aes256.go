package pdftext

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// The library decrypts RC4 and AES-128 but not AES-256 (PDF 2.0, and what
// Acrobat uses for "protected" files that open without a password). For those
// we hide /Encrypt from the library, derive the file key ourselves for the
// empty user password and decrypt streams and strings as we read them.

// hiddenEncrypt is what "/Encrypt" is renamed to, of the same length so that
// no offset moves.
const hiddenEncrypt = "EncrypX"

func isAES256Error(err error) bool {
	return err != nil && err.Error() == "encrypted: AES-256 encryption is not supported"
}

// openAES256 opens a file the library refused for its AES-256 encryption.
func openAES256(data []byte) (*doc, error) {
	patched := bytes.ReplaceAll(data, []byte("/Encrypt"), []byte("/"+hiddenEncrypt))
	lib, err := pdf.NewReader(bytes.NewReader(patched), int64(len(patched)))
	if err != nil {
		return nil, openError(err)
	}
	key, err := aes256Key(lib.Trailer().Key(hiddenEncrypt))
	if err != nil {
		return nil, err
	}
	d := newDoc(patched, lib)
	d.aesKey = key
	return d, nil
}

func aes256Key(enc pdf.Value) ([]byte, error) {
	r := enc.Key("R").Int64()
	u := []byte(enc.Key("U").RawString())
	ue := []byte(enc.Key("UE").RawString())
	if len(u) < 48 || len(ue) < 32 || (r != 5 && r != 6) {
		return nil, errors.New("encrypted: unsupported AES-256 parameters")
	}
	check := hash2B(nil, u[32:40], r)
	if !bytes.Equal(check, u[:32]) {
		return nil, errors.New("encrypted: password required")
	}
	inter := hash2B(nil, u[40:48], r)
	block, err := aes.NewCipher(inter)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(key, ue[:32])
	return key, nil
}

// hash2B is the password hash of ISO 32000-2 (algorithm 2.B); revision 5
// used plain SHA-256.
func hash2B(password, salt []byte, r int64) []byte {
	h := sha256.Sum256(append(bytes.Clone(password), salt...))
	k := h[:]
	if r == 5 {
		return k
	}
	for i := 0; ; i++ {
		k1 := bytes.Repeat(append(bytes.Clone(password), k...), 64)
		block, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, b := range e[:16] {
			sum += int(b)
		}
		var hh hash.Hash
		switch sum % 3 {
		case 0:
			hh = sha256.New()
		case 1:
			hh = sha512.New384()
		default:
			hh = sha512.New()
		}
		hh.Write(e)
		k = hh.Sum(nil)
		if i >= 63 && int(e[len(e)-1]) <= i+1-32 {
			break
		}
	}
	return k[:32]
}

// decryptAES256 decrypts a stream or string: a 16-byte IV, then AES-256-CBC
// with PKCS#5 padding.
func decryptAES256(key, data []byte) ([]byte, error) {
	if len(data) < 32 || len(data)%16 != 0 {
		if len(data) < 16 {
			return nil, errors.New("encrypted data too short")
		}
		data = data[:len(data)-len(data)%16]
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(data)-16)
	cipher.NewCBCDecrypter(block, data[:16]).CryptBlocks(out, data[16:])
	if n := int(out[len(out)-1]); n >= 1 && n <= 16 && n <= len(out) {
		out = out[:len(out)-n]
	}
	return out, nil
}

// textString decodes a PDF text string: UTF-16BE with a byte order mark,
// UTF-8 with one, or else (close enough to PDFDocEncoding) Latin-1.
func textString(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")):
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
