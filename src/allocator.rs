//! The global allocator: mimalloc, called the way C calls it.
//!
//! The system allocator spent a quarter of an audit's time in malloc/free (hcl-edit builds
//! many small nodes); mimalloc is much faster at exactly that. The `mimalloc` crate sends
//! every allocation through `mi_malloc_aligned`, which looks for a free block and then checks
//! that block's alignment before handing it out. Every block `mi_malloc` returns is aligned
//! to at least a pointer, and nearly all of Rust's allocations (strings, vectors of pointers,
//! tree nodes) ask no more, so those go straight to `mi_malloc`; larger alignments keep the
//! aligned calls. About 600,000 allocations at 150 stacks: 64 instructions each in
//! `mi_malloc_aligned`, against about 35 in `mi_malloc` (callgrind).

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// What every `mi_malloc`, `mi_zalloc` and `mi_realloc` block is aligned to: mimalloc's
/// size classes are multiples of the word size and its pages start 16-byte aligned.
const PLAIN_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc as the global allocator (see the module docs).
pub struct MiMalloc;

// SAFETY: every method forwards to the mimalloc function for the same job. The plain
// functions are used only when the layout's alignment is at most `PLAIN_ALIGN`, which all
// their blocks have; otherwise the aligned functions get the alignment. `mi_free` frees
// blocks from either family, and `mi_realloc` keeps a block's alignment when it stays at
// most `PLAIN_ALIGN` (the new block is again a plain one).
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let a = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 9, 24, 40, 100, 1000, 70_000] {
                let size = size.max(align);
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero size; every block is freed with its own layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} {align}");
                    p.write_bytes(0xab, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc {size} {align}");
                    assert_eq!(*q.add(size - 1), 0xab, "realloc keeps the bytes");
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size} {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
