//! The wasm build's memory allocator: power-of-two size classes, each with a free list, blocks
//! split from larger free blocks, fresh memory from `memory.grow`. It replaces std's dlmalloc,
//! which is about 8 KB of the wasm file (a sixth of it) for a library that allocates little: error
//! messages, a 96 KiB manifest per in-memory schema group, `nextIds` buffers.
//!
//! - A block of class `k` is `2^k` bytes, aligned to `min(2^k, 64 KiB)`: memory comes in 64 KiB
//!   pages and is only ever halved. Alignments above 64 KiB are refused (null).
//! - `dealloc` gets the layout back from Rust, so blocks carry no header: a freed block goes onto
//!   its class's list (the link is stored in the block itself). Blocks are never merged again; a
//!   request no list can serve splits the smallest larger free block, else grows memory.
//! - Memory use stays within about twice the peak of live bytes per size class; wasm memory never
//!   shrinks anyway, with any allocator.
//! - Single-threaded (wasm32-unknown-unknown without atomics has one thread).
//!
//! Every operation is O(1) but for a scan over at most 30 list heads when a list is empty.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE_CLASS: u32 = 16; // 64 KiB, the wasm page
/// Smallest block: room for the free-list link.
const MIN_CLASS: u32 = core::mem::size_of::<usize>().trailing_zeros();
/// Largest block: 2 GiB.
const MAX_CLASS: u32 = 31;
const CLASSES: usize = MAX_CLASS as usize + 1;

/// Where fresh pages come from: `memory.grow` in wasm, a test arena natively.
pub(crate) trait Pages {
    /// `count` new 64 KiB pages, contiguous and 64 KiB-aligned, or null.
    fn grow(&self, count: usize) -> *mut u8;
}

pub(crate) struct Allocator<P: Pages> {
    free: UnsafeCell<[*mut u8; CLASSES]>,
    pages: P,
}

// Safety: used from a single thread only (see the module doc).
unsafe impl<P: Pages> Sync for Allocator<P> {}

impl<P: Pages> Allocator<P> {
    pub(crate) const fn new(pages: P) -> Self {
        Allocator {
            free: UnsafeCell::new([null_mut(); CLASSES]),
            pages,
        }
    }

    /// The class serving `layout`, if any.
    #[inline]
    fn class(size: usize, align: usize) -> Option<u32> {
        let bytes = size.max(align).max(1 << MIN_CLASS);
        let k = usize::BITS - (bytes - 1).leading_zeros();
        (k <= MAX_CLASS && align <= 1 << PAGE_CLASS).then_some(k)
    }

    /// Safety: single-threaded, and `block` a free block of class `k` owned by this allocator.
    #[inline]
    unsafe fn push(&self, block: *mut u8, k: u32) {
        let free = &mut *self.free.get();
        (block as *mut *mut u8).write(free[k as usize]);
        free[k as usize] = block;
    }

    #[inline(never)]
    unsafe fn take(&self, k: u32) -> *mut u8 {
        let free = &mut *self.free.get();
        let head = free[k as usize];
        if !head.is_null() {
            free[k as usize] = (head as *mut *mut u8).read();
            return head;
        }
        // The smallest larger free block, split down; else fresh pages.
        let mut j = k + 1;
        while j <= MAX_CLASS && free[j as usize].is_null() {
            j += 1;
        }
        let block = if j <= MAX_CLASS {
            let b = free[j as usize];
            free[j as usize] = (b as *mut *mut u8).read();
            b
        } else {
            j = k.max(PAGE_CLASS);
            let b = self.pages.grow(1 << (j - PAGE_CLASS));
            if b.is_null() {
                return b;
            }
            b
        };
        while j > k {
            j -= 1;
            self.push(block.add(1 << j), j);
        }
        block
    }
}

unsafe impl<P: Pages> GlobalAlloc for Allocator<P> {
    // Not inlined: one copy of each, rather than one per allocation site (the file size).
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Self::class(layout.size(), layout.align()) {
            Some(k) => self.take(k),
            None => null_mut(),
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(k) = Self::class(layout.size(), layout.align()) {
            self.push(ptr, k);
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = Self::class(layout.size(), layout.align());
        if old.is_some() && old == Self::class(new_size, layout.align()) {
            return ptr; // the block has room already
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.alloc(new_layout);
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

/// wasm memory: `memory.grow` on memory 0.
#[cfg(target_arch = "wasm32")]
pub(crate) struct WasmPages;

#[cfg(target_arch = "wasm32")]
impl Pages for WasmPages {
    #[inline]
    fn grow(&self, count: usize) -> *mut u8 {
        match core::arch::wasm32::memory_grow(0, count) {
            usize::MAX => null_mut(),
            page => (page << PAGE_CLASS) as *mut u8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A fixed arena of 64 KiB pages handed out in order, like wasm memory.
    struct Arena {
        base: *mut u8,
        pages: usize,
        used: Cell<usize>,
    }

    impl Arena {
        fn new(pages: usize) -> Self {
            let layout = Layout::from_size_align(pages << PAGE_CLASS, 1 << PAGE_CLASS).unwrap();
            Arena {
                base: unsafe { std::alloc::alloc(layout) },
                pages,
                used: Cell::new(0),
            }
        }
    }

    impl Pages for Arena {
        fn grow(&self, count: usize) -> *mut u8 {
            if self.used.get() + count > self.pages {
                return null_mut();
            }
            let p = unsafe { self.base.add(self.used.get() << PAGE_CLASS) };
            self.used.set(self.used.get() + count);
            p
        }
    }

    impl Drop for Arena {
        fn drop(&mut self) {
            let layout =
                Layout::from_size_align(self.pages << PAGE_CLASS, 1 << PAGE_CLASS).unwrap();
            unsafe { std::alloc::dealloc(self.base, layout) }
        }
    }

    /// xorshift64*
    fn rng(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[test]
    fn random_allocations_never_overlap_are_aligned_and_keep_their_bytes() {
        for seed in 1..=8u64 {
            let a = Allocator::new(Arena::new(1024)); // 64 MiB
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            // (ptr, layout, fill byte)
            let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
            for step in 0..4_000 {
                let r = rng(&mut state);
                if r % 2 == 0 && !live.is_empty() {
                    let (p, l, fill) = live.swap_remove((r >> 8) as usize % live.len());
                    let bytes = unsafe { std::slice::from_raw_parts(p, l.size()) };
                    assert!(bytes.iter().all(|&b| b == fill), "seed {seed} step {step}");
                    unsafe { a.dealloc(p, l) };
                    continue;
                }
                let size = match r % 7 {
                    0 => (r >> 8) as usize % 200_000,
                    1 | 2 => (r >> 8) as usize % 4_000,
                    _ => (r >> 8) as usize % 64,
                };
                let align = 1 << ((r >> 40) % 5); // 1..16
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = if r % 5 == 1 && !live.is_empty() {
                    // Grow or shrink a live block.
                    let i = (r >> 20) as usize % live.len();
                    let (old, l, fill) = live.swap_remove(i);
                    let new_layout = Layout::from_size_align(size, l.align()).unwrap();
                    let p = unsafe { a.realloc(old, l, size) };
                    assert!(!p.is_null());
                    let kept = unsafe { std::slice::from_raw_parts(p, l.size().min(size)) };
                    assert!(kept.iter().all(|&b| b == fill), "realloc lost bytes");
                    live.push((p, new_layout, fill));
                    let last = live.len() - 1;
                    let fill = (r >> 48) as u8;
                    live[last].2 = fill;
                    unsafe { p.write_bytes(fill, size) };
                    continue;
                } else {
                    unsafe { a.alloc(layout) }
                };
                assert!(!p.is_null(), "seed {seed} step {step}: out of memory");
                assert_eq!(p as usize % align, 0);
                for &(q, l, _) in &live {
                    let (p0, p1) = (p as usize, p as usize + size.max(1));
                    let (q0, q1) = (q as usize, q as usize + l.size().max(1));
                    assert!(p1 <= q0 || q1 <= p0, "seed {seed} step {step}: overlap");
                }
                let fill = (r >> 48) as u8;
                unsafe { p.write_bytes(fill, size) };
                live.push((p, layout, fill));
            }
            for (p, l, _) in live {
                unsafe { a.dealloc(p, l) };
            }
        }
    }

    #[test]
    fn freed_memory_is_reused_not_grown() {
        let a = Allocator::new(Arena::new(64));
        let big = Layout::from_size_align(1 << 20, 8).unwrap();
        for _ in 0..100 {
            let p = unsafe { a.alloc(big) };
            assert!(!p.is_null());
            unsafe { a.dealloc(p, big) };
        }
        // The freed MiB serves small requests too (split), without new pages.
        let used = a.pages.used.get();
        let small = Layout::from_size_align(24, 8).unwrap();
        let ps: Vec<_> = (0..1_000).map(|_| unsafe { a.alloc(small) }).collect();
        assert!(ps.iter().all(|p| !p.is_null()));
        assert_eq!(a.pages.used.get(), used);
        // Large alignments: up to a page; beyond, refused.
        let page_aligned = Layout::from_size_align(8, 1 << 16).unwrap();
        let p = unsafe { a.alloc(page_aligned) };
        assert_eq!(p as usize % (1 << 16), 0);
        let too_aligned = Layout::from_size_align(8, 1 << 17).unwrap();
        assert!(unsafe { a.alloc(too_aligned) }.is_null());
        // Out of pages: null, not a crash.
        let huge = Layout::from_size_align(1 << 30, 8).unwrap();
        assert!(unsafe { a.alloc(huge) }.is_null());
    }
}
