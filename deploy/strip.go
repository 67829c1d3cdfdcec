package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
)

// Offsets in a 64-bit ELF header.
const (
	elfShoff     = 0x28
	elfShentsize = 0x3a
	elfShnum     = 0x3c
	elfShstrndx  = 0x3e
	shdrSize     = 64
	shdrOffset   = 0x18 // sh_offset in a section header
	shdrLink     = 0x28 // sh_link
)

// Strip returns exe without what a Go program never reads at run time:
// its symbol table and DWARF debug information, as go build -ldflags=-s
// -w leaves them out. The program's segments are kept byte for byte; only
// the sections past them are cut off and the section headers rewritten.
// ok is false, and exe is returned as it is, when there is nothing to
// strip or exe is not a 64-bit little-endian ELF file laid out so (the Go
// linker's layout: debug sections after the loaded segments).
func Strip(exe []byte) (out []byte, ok bool, err error) {
	f, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		return exe, false, fmt.Errorf("strip: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		return exe, false, nil
	}
	le := binary.LittleEndian
	shoff := le.Uint64(exe[elfShoff:])
	shstrndx := int(le.Uint16(exe[elfShstrndx:]))
	if le.Uint16(exe[elfShentsize:]) != shdrSize || shstrndx == 0 || shstrndx >= len(f.Sections) {
		return exe, false, nil
	}
	keep, end, ok := stripPlan(f, exe, shstrndx)
	if !ok {
		return exe, false, nil
	}
	return rewriteSections(exe, f, keep, end, shoff, shstrndx)
}

// droppable reports whether section i is one a running program never
// reads: not loaded, and a symbol table, its strings or debug information.
func droppable(s *elf.Section, i, shstrndx int) bool {
	if i == 0 || i == shstrndx || s.Flags&elf.SHF_ALLOC != 0 {
		return false
	}
	return s.Type == elf.SHT_SYMTAB || s.Type == elf.SHT_STRTAB ||
		strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_")
}

// stripPlan returns the sections to keep and where the kept bytes end;
// ok is false when nothing is dropped or a dropped section lies before
// bytes that must stay.
func stripPlan(f *elf.File, exe []byte, shstrndx int) (keep []int, end uint64, ok bool) {
	end = 0
	for _, p := range f.Progs {
		end = max(end, p.Off+p.Filesz)
	}
	firstDropped := uint64(len(exe))
	for i, s := range f.Sections {
		switch {
		case droppable(s, i, shstrndx):
			firstDropped = min(firstDropped, s.Offset)
		case i != shstrndx && s.Type != elf.SHT_NOBITS && s.Type != elf.SHT_NULL:
			end = max(end, s.Offset+s.FileSize)
			keep = append(keep, i)
		default:
			keep = append(keep, i)
		}
	}
	if len(keep) == len(f.Sections) || end > firstDropped || end > uint64(len(exe)) {
		return nil, 0, false
	}
	return keep, end, true
}

// rewriteSections writes exe's first end bytes, the section name table
// and the kept section headers: in place when the header table lies
// within the kept bytes (the Go linker puts it right after the program
// headers), else at the end.
func rewriteSections(exe []byte, f *elf.File, keep []int, end, shoff uint64, shstrndx int) ([]byte, bool, error) {
	le := binary.LittleEndian
	newIndex := map[int]int{}
	for n, i := range keep {
		newIndex[i] = n
	}
	out := append([]byte(nil), exe[:end]...)
	names := f.Sections[shstrndx]
	namesOff := uint64(len(out))
	out = append(out, exe[names.Offset:names.Offset+names.FileSize]...)
	table := make([]byte, 0, len(keep)*shdrSize)
	for _, i := range keep {
		h := append([]byte(nil), exe[shoff+uint64(i)*shdrSize:][:shdrSize]...)
		if link := int(le.Uint32(h[shdrLink:])); link != 0 {
			n, ok := newIndex[link]
			if !ok {
				return exe, false, nil
			}
			le.PutUint32(h[shdrLink:], uint32(n))
		}
		if i == shstrndx {
			le.PutUint64(h[shdrOffset:], namesOff)
		}
		table = append(table, h...)
	}
	tableEnd := shoff + uint64(len(f.Sections))*shdrSize
	if tableEnd <= end {
		clear(out[shoff:tableEnd])
		copy(out[shoff:], table)
	} else {
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		shoff = uint64(len(out))
		out = append(out, table...)
	}
	le.PutUint64(out[elfShoff:], shoff)
	le.PutUint16(out[elfShnum:], uint16(len(keep)))
	le.PutUint16(out[elfShstrndx:], uint16(newIndex[shstrndx]))
	if _, err := elf.NewFile(bytes.NewReader(out)); err != nil {
		return exe, false, fmt.Errorf("strip: the result does not read back: %w", err)
	}
	return out, true, nil
}
